package main

// didYouMean words a suggestion (from didyoumean.Nearest) as the end of a
// message: "; did you mean NAME?", or "" when there is none.
func didYouMean(name string) string {
	if name == "" {
		return ""
	}
	return "; did you mean " + name + "?"
}
