task "a" { # ERROR: Duplicate task address
  prompt = "again"
}

locals {
  x = 2 # ERROR: Duplicate local value
}

budget { # ERROR: Duplicate budget block
  max_total = "2"
}
