task "a" {
  prompt         = "a"
  ignore_changes = ["result.images[*].url", "request.metadata"]
}

task "b" {
  prompt         = "b"
  ignore_changes = ["foo.bar"] # ERROR: Invalid change path
}

task "c" {
  prompt         = "c"
  ignore_changes = ["result..url"] # ERROR: Invalid change path
}
