task "count" {
  prompt = "a"
  count  = 2
  files  = ["a.png"] # ERROR: Wrong number of files
}

task "absolute" {
  prompt = "a"
  files  = ["/etc/a.png"] # ERROR: Invalid file path
}

task "escape" {
  prompt = "a"
  files  = ["../a.png"] # ERROR: Invalid file path
}

mynth {
  state = "out/mynth.state.json"
}

task "state" {
  prompt = "a"
  files  = ["./out/mynth.state.json"] # ERROR: Invalid file path
}

task "state_backup" {
  prompt = "a"
  files  = ["out/mynth.state.json.backup"] # ERROR: Invalid file path
}

task "state_lock" {
  prompt = "a"
  files  = ["out/mynth.state.json.lock"] # ERROR: Invalid file path
}

task "tool_dir" {
  prompt = "a"
  files  = [".mynthform/emulator.json"] # ERROR: Invalid file path
}

task "spec_file" {
  prompt = "a"
  count  = 2
  files  = ["main.mynth.hcl", "prod.mynthvars.hcl"] # ERROR: Invalid file path | Invalid file path
}

task "directory" {
  prompt = "a"
  files  = ["images/"] # ERROR: Invalid file path
}

task "fine" {
  prompt = "a"
  files  = ["out/state.png"]
}

task "git_dir" {
  prompt = "a"
  count  = 2
  files  = [".git/HEAD", "vendor/lib/.GIT/config"] # ERROR: Invalid file path | Invalid file path
}
