# The README's example of a budget check that fails in the plan (README.md
# runs it): two tasks recorded at $0.0125 each, three more to create.

budget {
  max_total = "0.05"

  price "google/gemini-3.1-flash-image" {
    image = "0.0125"
  }
}

task "hero" {
  prompt = "Wide banner of a pottery studio"
  model  = "google/gemini-3.1-flash-image"
}

task "card" {
  prompt = "Greeting card of a teapot"
  model  = "google/gemini-3.1-flash-image"
}

task "product" {
  for_each = toset(["a", "b", "c"])
  prompt   = "Studio photo of product ${each.key}"
  model    = "google/gemini-3.1-flash-image"
}
