package mynthtest

// ParseSeed is parseSeed for the external tests: LoadSeed without the
// file, so that a fuzz execution does not wait for the disk.
var ParseSeed = parseSeed
