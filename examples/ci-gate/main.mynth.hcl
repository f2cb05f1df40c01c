# A spec for CI: `mynthform plan --detailed-exitcode` fails the build (exit
# 1) when a task failed, drifted, broke an expectation of severity error, or
# the spec went over budget; changes alone exit 2 (a saved file that is
# missing or modified is a change: apply restores it).

mynth {
  state       = "mynth.state.json"
  parallelism = 4
}

budget {
  max_total = "0.10"
}

# The hero image must exist, be landscape and cheap: any failure is an error.
task "hero" {
  prompt {
    positive = "Wide banner of a pottery studio at dawn, warm light"
    negative = "text, logos"
  }
  model = "google/gemini-3.1-flash-image"
  size  = "landscape"
  files = ["assets/hero.webp"]

  expect {
    status   = "completed"
    images   = 1
    size     = "1536x1024"
    max_cost = "0.02"
  }
}

# Two card variants; one failed image (and the file it would have been saved
# to) is tolerated, but reported: the file checks follow this severity.
task "card" {
  prompt = "Greeting card illustration of a teapot, watercolour"
  model  = "google/gemini-3.1-flash-image"
  size   = "portrait"
  count  = 2
  files  = ["assets/card-1.webp", "assets/card-2.webp"]

  expect {
    images   = 2
    size     = "1024x1536"
    severity = "warning"
  }

  ignore_changes = ["result.images[*].url"]
}
