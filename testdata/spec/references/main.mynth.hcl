variable "model" {
  default = "m"
}

locals {
  product = "mug"
  a       = local.b # ERROR: Cycle in local values
  b       = local.a
}

task "a" {
  prompt = local.prodcut # ERROR: Reference to undeclared local value
  model  = var.modle # ERROR: Reference to undeclared variable
}

task "b" {
  prompt = each.value # ERROR: Reference to "each" without for_each
  model  = foo.bar # ERROR: Reference to unknown name
}

task "c" {
  for_each = { x = "y" }
  prompt   = each.val # ERROR: Invalid reference to each
}
