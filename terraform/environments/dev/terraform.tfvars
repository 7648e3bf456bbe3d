# dev: small and single-AZ; shares the AWS account with staging, which owns
# the account-wide DMS roles.
region = "eu-west-1"
name   = "app-dev"

vpc_id                    = "vpc-0a1b2c3d4e5f60718"
private_subnet_ids        = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
bastion_security_group_id = "sg-0a1b2c3d4e5f60701"
api_egress_cidr_blocks    = ["10.10.0.0/16"]

source_host        = "pg-primary.dev.internal"
source_cidr_blocks = ["10.10.20.10/32"]
database_name      = "app"
migration_user     = "migrator"
sslmode            = "require"
source_ssl_mode    = "require"

source_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cutover/dev/source-migrator-AbCdEf"
target_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cutover/dev/target-migrator-GhIjKl"

aurora_engine_version = "16.6"
aurora_instance_class = "db.t4g.medium"
aurora_reader_count   = 0

dms_instance_class       = "dms.t3.medium"
dms_allocated_storage_gb = 50
dms_multi_az             = false
create_dms_iam_roles     = false

schemas             = ["public"]
enable_reverse_task = true

cdc_latency_threshold_seconds = 300
