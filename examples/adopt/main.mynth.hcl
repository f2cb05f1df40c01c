# Adopt a task that was generated outside mynthform: the spec pins its id,
# so plan and apply only audit it (status, images, cost, expectations) and
# never generate it again. If Mynth's record of the task disagrees with the
# request written here, the plan reports drift and fails.

task "hero_mug" {
  id     = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  prompt = "Editorial product photo of a ceramic mug"
  model  = "google/gemini-3.1-flash-image"
  size   = "landscape"
  count  = 1

  expect {
    status   = "completed"
    images   = 1
    size     = "1536x1024"
    max_cost = "0.02"
  }

  # CDN URLs rotate; a new URL for the same image is not news.
  ignore_changes = ["result.images[*].url"]
}
