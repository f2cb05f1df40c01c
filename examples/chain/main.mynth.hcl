# A reference photo kept in the repository feeds a hero shot, and the hero
# shot feeds its colour variants. apply uploads the reference once, creates
# the hero, waits for it, then creates the three variants from its image.

budget {
  max_total = "0.50"
}

task "hero" {
  prompt = "Studio photo of the mug in the reference, on a white background"
  inputs = [{ file = "refs/mug.png", role = "reference" }]
  files  = ["assets/hero.png"]
}

task "variant" {
  for_each = toset(["blue", "green", "red"])
  prompt   = "The same mug, glazed ${each.value}"
  inputs   = [{ url = task.hero.images[0].url, role = "init" }]
  files    = ["assets/variant-${each.key}.png"]
}
