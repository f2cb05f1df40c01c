# A product catalogue: one task per product, from a map variable, each
# image saved under assets/products/. prod.mynthvars.hcl overrides the
# defaults:
#
#   mynthform -C examples/catalogue validate --var-file prod.mynthvars.hcl

variable "model" {
  type        = string
  description = "The image model of every product photo."
  default     = "google/gemini-3.1-flash-image"
}

variable "products" {
  type        = map(string)
  description = "Product SKU to a short description of the product."
  default = {
    mug  = "a speckled ceramic mug"
    bowl = "a shallow stoneware bowl"
  }
}

variable "background" {
  type    = string
  default = "white"
}

locals {
  # Every prompt shares the house style, kept in a template file.
  style = templatefile("style.tpl", { background = var.background })
}

budget {
  max_total = "1.00"
}

task "product" {
  for_each = var.products

  prompt {
    positive = "Studio photo of ${each.value}. ${local.style}"
    negative = "text, watermark, hands"
  }
  model = var.model
  size  = "square"

  output {
    format = "webp"
  }

  metadata = {
    catalogue = "spring"
    sku       = each.key
  }

  files = ["assets/products/${each.key}.webp"]

  expect {
    size     = "1024x1024"
    max_cost = "0.05"
  }
}
