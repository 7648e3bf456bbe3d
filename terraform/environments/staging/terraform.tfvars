# staging: the rehearsal environment, the same shape as prod on smaller
# instances. Keep in step with tests/data/terraform-output-staging.json (the
# fixture of `terraform output -json` the tests feed to cutover init).
region = "eu-west-1"
name   = "app-staging"

vpc_id                    = "vpc-0b1c2d3e4f5a60718"
private_subnet_ids        = ["subnet-0b1c2d3e4f5a60711", "subnet-0b1c2d3e4f5a60722", "subnet-0b1c2d3e4f5a60733"]
bastion_security_group_id = "sg-0b1c2d3e4f5a60701"
api_egress_cidr_blocks    = ["10.20.0.0/16"]

source_host        = "pg-primary.staging.internal"
source_cidr_blocks = ["10.20.20.10/32", "10.20.21.10/32"]
database_name      = "app"
migration_user     = "migrator"
sslmode            = "verify-full"
source_ssl_mode    = "require"

source_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cutover/staging/source-migrator-MnOpQr"
target_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cutover/staging/target-migrator-StUvWx"

aurora_engine_version = "16.6"
aurora_instance_class = "db.r6g.large"
aurora_reader_count   = 1

dms_instance_class       = "dms.r6i.large"
dms_allocated_storage_gb = 100
dms_multi_az             = true
create_dms_iam_roles     = true

schemas             = ["public"]
enable_reverse_task = true

cdc_latency_threshold_seconds = 60
alarm_emails                  = ["dba-oncall@example.com"]
