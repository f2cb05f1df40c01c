task "a" {
  prompt = file("../outside.txt") # ERROR: Invalid function argument
}

task "b" {
  prompt = file("/etc/hostname") # ERROR: Invalid function argument
}

task "c" {
  prompt = file("missing.txt") # ERROR: Invalid function argument
}

task "d" {
  prompt = nosuchfunc("x") # ERROR: Call to unknown function
}

task "e" {
  prompt = templatefile("prompt.tpl", {}) # ERROR: Invalid function argument
}
