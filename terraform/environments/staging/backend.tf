# State in S3 (versioned, encrypted bucket), locked in DynamoDB so two
# applies can never run at once. The bucket and table are created once per
# organisation, outside this configuration (a state bucket cannot hold its
# own state). Replace the names with yours, or pass them at init:
#   terraform init -backend-config=bucket=NAME -backend-config=dynamodb_table=NAME
terraform {
  backend "s3" {
    bucket         = "cutover-tfstate-123456789012"
    key            = "cutover/staging/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "cutover-terraform-locks"
    encrypt        = true
  }
}
