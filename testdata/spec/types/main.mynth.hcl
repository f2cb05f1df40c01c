task "a" {
  prompt = ["a", "list"] # ERROR: Incorrect attribute value type
  model  = { name = "x" } # ERROR: Incorrect attribute value type
  count  = "many" # ERROR: Incorrect attribute value type
}

task "b" {
  prompt   = "b"
  count    = 1.5 # ERROR: Incorrect attribute value type
  files    = "b.png" # ERROR: Incorrect attribute value type
  metadata = "x" # ERROR: Incorrect attribute value type
  webhook {
    enabled = "maybe" # ERROR: Incorrect attribute value type
  }
}

task "c" {
  prompt {
    positive = "c"
    enhance  = true # ERROR: Invalid prompt enhancement
  }
  inputs = ["ftp://x", { url = "https://a/b.png", role = "referense" }] # ERROR: Invalid input URL | Invalid input role
}
