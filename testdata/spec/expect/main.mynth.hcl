task "a" {
  prompt = "a"
  count  = 2
  expect {
    status   = "done" # ERROR: Invalid expected status
    severity = "fatal" # ERROR: Invalid severity
    images   = 3 # ERROR: Invalid expected image count
    size     = "landscape" # ERROR: Invalid expected size
  }
}
