# What makes this environment this environment (main.tf is shared word for
# word between dev, staging and prod).
locals {
  environment = "prod"

  # prod's cluster can never be deleted by a plan: no variable turns this off.
  deletion_protection = true
}
