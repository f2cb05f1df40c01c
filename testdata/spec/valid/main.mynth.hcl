# A spec that uses every block and attribute; it must load without a
# diagnostic.
mynth {
  state       = "state/mynth.state.json"
  parallelism = 4
  base_url    = "http://127.0.0.1:9999"
}

variable "model" {
  type        = string
  default     = "google/gemini-3.1-flash-image"
  description = "The model of every task"
}

locals {
  products = { mug = "a ceramic mug", bowl = "a stoneware bowl" }
}

budget {
  max_total = "5.00"
}

task "hero" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  prompt = "Editorial product photo of a ceramic mug"
  model  = var.model
  size   = "landscape"
  count  = 1

  expect {
    status   = "completed"
    images   = 1
    size     = "1536x1024"
    max_cost = "0.02"
    severity = "warning"
  }
  ignore_changes = ["result.images[*].url"]
}

task "product" {
  for_each = local.products
  prompt {
    positive = "Studio photo of ${each.value}, white background"
    negative = "text, watermark"
    enhance  = false
  }
  model = var.model
  size {
    type   = "resolution"
    width  = 1024
    height = 1024
  }
  count  = 2
  inputs = ["https://example.com/a.png", { url = "https://example.com/b.png", role = "reference" }]
  output {
    format  = "webp"
    quality = 80
  }
  webhook {
    enabled = true
    custom  = ["https://example.com/hook"]
  }
  content_rating {
    enabled = true
    levels = [
      { value = "safe", description = "Fine for everyone" },
      { value = "unsafe", description = "Anything else" },
    ]
  }
  metadata = { sku = each.key, batch = 3 }
  files    = ["assets/${each.key}-1.webp", "assets/${each.key}-2.webp"]
}
