task "product" {
  prompt   = "Studio photo of a ceramic mug"
  model    = "google/gemini-3.1-flash-image"
  size     = "sqare"
}
