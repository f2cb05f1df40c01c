locals {
  list = ["a", "b"]
}

task "list" {
  for_each = local.list # ERROR: Invalid for_each argument
  prompt   = each.value
}

task "number" {
  for_each = 3 # ERROR: Invalid for_each argument
  prompt   = "x"
}

task "numbers" {
  for_each = toset([1, 2]) # ERROR: Invalid for_each argument
  prompt   = "x"
}

task "ok" {
  for_each = toset(local.list)
  prompt   = "photo of ${each.key}"
  files    = ["${each.key}.png"]
}
