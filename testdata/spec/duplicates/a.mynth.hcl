variable "m" {
  default = "x"
}

variable "m" { # ERROR: Duplicate variable
  default = "y"
}

locals {
  x = 1
}

task "a" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  prompt = "a"
  files  = ["one.png"]
}

task "b" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP" # ERROR: Task id pinned twice
  prompt = "b"
  files  = ["one.png"] # ERROR: Two images saved to one file
  expect {
  }
  expect { # ERROR: Duplicate expect block
  }
}

budget {
  max_total = "1"
}
