# prod: its own AWS account, so it creates its own account-wide DMS roles.
region = "eu-west-1"
name   = "app-prod"

vpc_id                    = "vpc-0c1d2e3f4a5b60718"
private_subnet_ids        = ["subnet-0c1d2e3f4a5b60711", "subnet-0c1d2e3f4a5b60722", "subnet-0c1d2e3f4a5b60733"]
bastion_security_group_id = "sg-0c1d2e3f4a5b60701"
api_egress_cidr_blocks    = ["10.30.0.0/16"]

source_host        = "pg-primary.prod.internal"
source_cidr_blocks = ["10.30.20.10/32", "10.30.21.10/32"]
database_name      = "app"
migration_user     = "migrator"
sslmode            = "verify-full"
source_ssl_mode    = "require"

source_secret_arn = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:cutover/prod/source-migrator-YzAbCd"
target_secret_arn = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:cutover/prod/target-migrator-EfGhIj"

aurora_engine_version = "16.6"
aurora_instance_class = "db.r6g.2xlarge"
aurora_reader_count   = 2

dms_instance_class       = "dms.r6i.2xlarge"
dms_allocated_storage_gb = 500
dms_multi_az             = true
dms_engine_version       = "3.5.4"
create_dms_iam_roles     = true

schemas             = ["public"]
enable_reverse_task = true

cdc_latency_threshold_seconds = 30
alarm_emails                  = ["dba-oncall@example.com", "sre-oncall@example.com"]
