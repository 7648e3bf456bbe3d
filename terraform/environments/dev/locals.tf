# What makes this environment this environment (main.tf is shared word for
# word between dev, staging and prod).
locals {
  environment = "dev"

  # dev is rebuilt freely.
  deletion_protection = false
}
