task "count" {
  prompt = "a"
  count  = 2
  files  = ["a.png"] # ERROR: Wrong number of files
}

task "absolute" {
  prompt = "a"
  files  = ["/etc/a.png"] # ERROR: Invalid file path
}

task "escape" {
  prompt = "a"
  files  = ["../a.png"] # ERROR: Invalid file path
}
