# Golden fixture read without an API key: tasks with an access_token are
# read through it (status and results only); the others cannot be read.

variable "token" {
  sensitive = true
}

variable "chair_token" {
  sensitive = true
}

task "with_token" {
  id           = "tsk_PATONLY"
  prompt       = "a lamp"
  access_token = var.token
}

task "recorded" {
  prompt       = "a chair"
  access_token = var.chair_token
}

task "no_token" {
  id     = "tsk_NOTOKEN"
  prompt = "a table"
}
