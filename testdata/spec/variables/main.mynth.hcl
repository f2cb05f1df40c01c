variable "required" { # ERROR: No value for required variable
}

variable "typed" {
  type    = number
  default = "abc" # ERROR: Invalid default value for variable
}

variable "bad name" { # ERROR: Invalid variable name
}

variable "t" {
  type = strin # ERROR: Invalid type specification
}

task "a" {
  prompt = "a"
}
