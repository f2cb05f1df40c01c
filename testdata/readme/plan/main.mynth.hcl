# The spec of the README's "Reading a plan" example (README.md runs it:
# a first apply with before.mynthvars.hcl, a state mv, then the plan).

variable "city" {
  default = "Lisbon"
}

variable "pinned_model" {
  default = "openai/gpt-image-1.5"
}

variable "products" {
  type    = map(string)
  default = { mug = "a ceramic mug", bowl = "a stoneware bowl" }
}

budget {
  max_total = "1.00"

  price "google/gemini-3.1-flash-image" {
    image = "0.0125"
  }
}

task "banner" {
  prompt = "Wide banner of a mountain lake at dawn"
  model  = "google/gemini-3.1-flash-image"
  size   = "landscape"
}

task "flaky" {
  prompt = "Two portraits of a fox [[fail-image]]"
  model  = "google/gemini-3.1-flash-image"
  count  = 2
  files  = ["assets/fox-1.png", "assets/fox-2.png"]

  expect {
    severity = "warning"
  }
}

task "hero_mug" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  prompt = "Editorial product photo of a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "landscape"
}

task "pinned" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RQ"
  prompt = "A lighthouse at night"
  model  = var.pinned_model
}

task "poster" {
  prompt = "Retro travel poster of ${var.city}"
  model  = "google/gemini-3.1-flash-image"
  files  = ["assets/poster.png"]
}

task "product" {
  for_each = var.products
  prompt {
    positive = "Studio photo of ${each.value}"
    negative = "text, watermark"
  }
  model = "google/gemini-3.1-flash-image"
  size  = "square"
  files = ["assets/${each.key}.png"]
}

task "slow" {
  prompt = "A drawing that takes its time [[pending]]"
  model  = "google/gemini-3.1-flash-image"
}
