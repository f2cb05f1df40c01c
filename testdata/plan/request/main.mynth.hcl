# The fixture of TestGoldenPlanRequest: a generate that sets every request
# field, a replacement asked for with --replace, a pinned task that --replace
# cannot replace, and (in the state only) a forgotten task whose files stay
# on disk.

variable "hook_token" {
  type      = string
  sensitive = true
}

task "full" {
  prompt {
    positive = "a ceramic mug on a walnut table, soft light"
    negative = "text, watermark"
    enhance  = "prefer_native"
  }
  model = "google/gemini-3.1-flash-image"
  size {
    type         = "aspect_ratio"
    aspect_ratio = "4:5"
    scale        = "1k"
  }
  count  = 2
  inputs = ["https://cdn.example/ref/mug.png", { url = "https://cdn.example/ref/table.png", role = "context" }]
  output {
    format  = "png"
    quality = 90
  }
  metadata = { sku = "MUG-1", campaign = "spring" }
  webhook {
    enabled = true
    custom  = ["https://hooks.example/mynth?token=${var.hook_token}"]
  }
  content_rating {
    enabled = true
    levels = [
      { value = "safe", description = "fine for every audience" },
      { value = "unsafe", description = "anything else" },
    ]
  }
  files = ["assets/mug-0.png", "assets/mug-1.png"]
}

# Unchanged, but the user asks for a new image with --replace.
task "again" {
  prompt = "a stoneware bowl"
  model  = "google/gemini-3.1-flash-image"
  files  = ["assets/bowl.png"]
}

# Pinned: --replace cannot replace it.
task "pinned" {
  id     = "tsk_PINNED"
  prompt = "a teapot"
  model  = "google/gemini-3.1-flash-image"
}
