# The budget block's prices and limits: every mistake is a diagnostic at
# its line.

budget {
  max_total = "1.00"
  max_spent = "-2"   # ERROR: Invalid amount
  unpriced  = "eror" # ERROR: Invalid unpriced setting

  price "black-forest-labs/flux.2-dev" {
    image = "0.008"
  }
  price "black-forest-labs/flux.2-dev" { # ERROR: Duplicate price
    image = "0.009"
  }
  price "google/gemini-3.1-flash-image" {
    image = "0.02"
    size  = "1536x1024"
  }
  price "m/zero" {
    image = "0" # ERROR: Invalid price
  }
  price "m/negative" {
    image = "-0.01" # ERROR: Invalid amount
  }
  price "m/exponent" {
    image = "1e-3" # ERROR: Invalid amount
  }
  price "m/size" {
    image = "0.01"
    size  = "large" # ERROR: Invalid price size
  }
  price "m/missing" { # ERROR: Missing required argument
  }
  price "m/typo" {
    image = "0.01"
    fee   = "0.001" # ERROR: Unsupported argument
  }
  price "" { # ERROR: Missing model
    image = "0.01"
  }
}

task "a" {
  prompt = "p"
}
