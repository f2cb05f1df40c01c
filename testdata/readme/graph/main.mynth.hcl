# The README's example of inputs and the task graph (README.md runs
# `mynthform graph` on it).

task "sketch" {
  prompt = "Pencil sketch of a ceramic mug"
  files  = ["assets/sketch.png"]
}

task "final" {
  prompt = "Studio photo of the mug in the sketch"
  inputs = [
    { url = task.sketch.images[0].url, role = "init" }, # another task's image
    { file = "refs/mug.png", role = "reference" },      # a file of the repository
    "https://example.com/style.png",                    # a URL, as before
  ]
}
