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

# hcl would suggest "files" (the first name within two edits) and "id";
# the nearest within one edit is "size", and "xy" is near nothing.
task "b" {
  prompt = "a bowl"
  sizes  = "square" # ERROR: Unsupported argument
  xy     = 1        # ERROR: Unsupported argument
}
