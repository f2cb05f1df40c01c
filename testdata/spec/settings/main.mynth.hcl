mynth {
  state       = ""  # ERROR: Invalid state path
  parallelism = 0 # ERROR: Invalid parallelism
  base_url    = "ftp://x" # ERROR: Invalid base URL
}

mynth { # ERROR: Duplicate mynth block
}

task "a" {
  prompt = "a"
}
