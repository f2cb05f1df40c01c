# The README's example of apply's progress lines (README.md runs it).

task "product" {
  for_each = { mug = "a ceramic mug" }
  prompt   = "Studio photo of ${each.value}"
  model    = "google/gemini-3.1-flash-image"
  files    = ["assets/${each.key}.png"]
}

task "banner" {
  prompt = "Wide banner of a mountain lake [[fail]]"
  model  = "google/gemini-3.1-flash-image"
}
