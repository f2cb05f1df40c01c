task "a" {
  prompt = "a mug"
  model = # ERROR: Invalid expression
}
