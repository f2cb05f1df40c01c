task "noprompt" { # ERROR: Missing prompt
  model = "m"
}

task "badid" {
  id = "123" # ERROR: Invalid task id
}

task "apikey" {
  id           = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP"
  access_token = "mak_do_not_print" # ERROR@0: API key in access_token
}

task "notpat" {
  id           = "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RQ"
  access_token = "xyz" # ERROR: Invalid access token
}

task "empty" {
  prompt = "  " # ERROR: Empty prompt
  model  = "" # ERROR: Invalid model
}

task "rating" {
  prompt = "a"
  content_rating {
    enabled = true
    levels  = [{ value = "safe", description = "ok" }] # ERROR: Wrong number of rating levels
  }
  webhook {
    custom = ["https://a", "mailto:x"] # ERROR: Invalid webhook URL
  }
}

task "ratio" {
  prompt = "a"
  size {
    type         = "aspect_ratio"
    aspect_ratio = "4/5" # ERROR: Invalid aspect ratio
  }
}

task "nopositive" {
  prompt { # ERROR: Missing positive prompt
    negative = "text"
    enhance  = true # ERROR: Invalid prompt enhancement
  }
  size = { width = 5 } # ERROR: Missing size type
}
