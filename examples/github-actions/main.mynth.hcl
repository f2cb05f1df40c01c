# The assets this repository expects to have been generated. The workflow
# in workflow.yml plans this spec on every pull request and fails the check
# when a task failed, drifted, broke an expectation or went over budget.

mynth {
  state       = "mynth.state.json"
  parallelism = 10
}

variable "model" {
  default = "google/gemini-3.1-flash-image"
}

locals {
  cards = {
    spring = "cherry blossoms over a quiet canal"
    autumn = "a maple forest in warm orange light"
  }
}

# Every task of the spec together may cost at most this much.
budget {
  max_total = "1.00"
}

task "hero" {
  prompt {
    positive = "Editorial product photo of a ceramic mug on a linen tablecloth"
    negative = "text, watermark"
  }
  model = var.model
  size  = "landscape"
  files = ["assets/hero.png"]

  expect {
    images   = 1
    size     = "1536x1024"
    max_cost = "0.05"
  }
}

task "card" {
  for_each = local.cards
  prompt   = "Greeting card illustration of ${each.value}, soft watercolor"
  model    = var.model
  size     = "portrait"
  files    = ["assets/cards/${each.key}.png"]

  # A card that comes out wrong is worth a look, not a red build.
  expect {
    severity = "warning"
    size     = "1024x1536"
  }
}
