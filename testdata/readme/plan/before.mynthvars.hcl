# The values of the README's first apply, before the spec changed: the
# poster of Porto, the pinned task's own model, and a logo among the
# products (its record then moves to task.old_logo, which the spec does
# not declare).
city         = "Porto"
pinned_model = "google/gemini-3.1-flash-image"
products     = { mug = "a ceramic mug", logo = "a flat fox logo" }
