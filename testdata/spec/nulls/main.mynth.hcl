# null is the same as leaving an attribute out, except where a value is
# required.

variable "unset" {
  default = null
}

budget {
  max_total = var.unset # ERROR: Missing budget limit
}

mynth {
  state       = null
  parallelism = var.unset
}

task "webhook" {
  prompt = "a"
  webhook {
    custom = [null, "https://example.com/hook"] # ERROR: Incorrect attribute value type
  }
}

task "fields" {
  prompt = "a"
  model  = var.unset
  size   = null
  count  = null
  expect {
    images = null
  }
}

variable "null_attributes" {
  description = null
  sensitive   = null
  default     = "x"
}
