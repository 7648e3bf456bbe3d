# What makes this environment this environment (main.tf is shared word for
# word between dev, staging and prod).
locals {
  environment = "staging"

  # staging holds the rehearsal's copy of the data: deleting it is a decision.
  deletion_protection = true
}
