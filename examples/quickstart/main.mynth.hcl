# The quickstart: three product photos for a small ceramics shop.
#
#   go run ./cmd/mynthform -C examples/quickstart --emulator apply --auto-approve
#
# generates them against the local emulator (no API key, no network), saves
# them under assets/, and records every image in mynth.state.json.

mynth {
  state = "mynth.state.json"
}

variable "model" {
  description = "The image model every product photo uses."
  default     = "google/gemini-3.1-flash-image"
}

locals {
  products = {
    mug    = "a speckled ceramic mug with a thumb rest"
    bowl   = "a shallow stoneware bowl with a blue glaze"
    teapot = "a round porcelain teapot with a bamboo handle"
  }
}

# max_total caps what the spec's current images cost together (a replaced
# task stops counting; max_spent would cap everything ever spent, replaced
# and forgotten tasks included). The plan fails, before apply spends
# anything, when its estimate would pass the cap; apply stops creating
# tasks before it would. The price lets the first plan estimate the cost
# (it is the emulator's price; once a task has completed, the price is
# learned from the state), so that apply creates the three tasks at once.
budget {
  max_total = "0.50"
  price "google/gemini-3.1-flash-image" {
    image = "0.0125"
  }
}

task "product" {
  for_each = local.products

  prompt {
    positive = "Studio photo of ${each.value}, soft daylight, white background"
    negative = "text, watermark, hands"
  }
  model = var.model
  size  = "square"
  count = 1

  output {
    format = "png"
  }

  # One path per image, inside this directory.
  files = ["assets/${each.key}.png"]

  expect {
    status   = "completed"
    images   = 1
    size     = "1024x1024"
    max_cost = "0.05"
  }
}
