task "zero" {
  prompt = "a"
  count  = 0 # ERROR: Invalid count
}

task "many" {
  prompt = "a"
  count  = 101 # ERROR: Invalid count
}

task "size" {
  prompt = "a"
  size   = "sqare" # ERROR: Unknown size
}

task "size_block" {
  prompt = "a"
  size { # ERROR: Missing height
    type   = "resolution"
    width  = 1024
    prefer = "x" # ERROR: Argument does not apply to this size type
  }
}

task "size_type" {
  prompt = "a"
  size = { type = "ratio" } # ERROR: Unknown size type
}

task "amount" {
  prompt = "a"
  expect {
    max_cost = "1e3" # ERROR: Invalid amount
  }
  output {
    format  = "gif" # ERROR: Invalid output format
    quality = 101 # ERROR: Invalid output quality
  }
}

budget {
  max_total = "five dollars" # ERROR: Invalid amount
}
