tsk "x" { # ERROR: Unsupported block type
}

mynth {
  stat = "s.json" # ERROR: Unsupported argument
}

task "a" {
  promt  = "a mug" # ERROR: Unsupported argument
  prompt = "a mug"
  expect {
    sizee = "1x1" # ERROR: Unsupported argument
  }
  outputs { # ERROR: Unsupported block type
  }
}
