variable "required" { # ERROR: No value for required variable
}

variable "typed" {
  type    = number
  default = "abc" # ERROR: Invalid default value for variable
}

variable "bad name" { # ERROR: Invalid variable name
}

variable "v" {
  default = var.t # ERROR: Variables not allowed
}

variable "t" {
  type = strin # ERROR: Invalid type specification
}

task "a" {
  prompt = "a"
}
