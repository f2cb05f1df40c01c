# The fixture of the budget golden test: tasks to create priced from the
# state, priced by the spec, and of no known price, under a max_total that
# the estimate passes and a max_spent that the replaced task counts for.

budget {
  max_total = "0.06"
  max_spent = "0.20"

  price "black-forest-labs/flux.2-dev" {
    image = "0.008"
  }
}

# Recorded at $0.0125 an image: nothing to do, and it prices gemini.
task "recorded" {
  prompt = "a stoneware bowl"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}

# Priced from the state: 2 images of $0.0125.
task "from_state" {
  prompt = "a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
  count  = 2
}

# Priced by the spec: 3 images of $0.008.
task "from_spec" {
  prompt = "a teapot"
  model  = "black-forest-labs/flux.2-dev"
  count  = 3
}

# No price is known for this model: counted apart and named.
task "unpriced" {
  prompt = "a jug"
  model  = "xai/grok-imagine-image"
}

# Recorded at $0.04, replaced: the new task is estimated, the old one
# stops counting against max_total but stays spent.
task "replaced" {
  prompt = "a plate, made again"
  model  = "google/gemini-3.1-flash-image"
  size   = "square"
}
