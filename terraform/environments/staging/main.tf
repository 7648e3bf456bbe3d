# One migration environment: network rules, Aurora, DMS and monitoring.
# The environments share this file word for word; what differs between them
# is in locals.tf, backend.tf and terraform.tfvars.

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}

locals {
  tags = {
    Project     = "cutover"
    Environment = local.environment
    ManagedBy   = "terraform"
  }
}

module "network" {
  source = "../../modules/network"

  name                      = var.name
  vpc_id                    = var.vpc_id
  source_cidr_blocks        = var.source_cidr_blocks
  source_port               = var.source_port
  source_security_group_id  = var.source_security_group_id
  bastion_security_group_id = var.bastion_security_group_id
  api_egress_cidr_blocks    = var.api_egress_cidr_blocks
}

module "aurora" {
  source = "../../modules/aurora"

  cluster_identifier  = var.name
  engine_version      = var.aurora_engine_version
  instance_class      = var.aurora_instance_class
  reader_count        = var.aurora_reader_count
  database_name       = var.database_name
  subnet_ids          = var.private_subnet_ids
  security_group_ids  = [module.network.aurora_security_group_id]
  kms_key_arn         = var.kms_key_arn
  deletion_protection = local.deletion_protection
}

module "dms" {
  source = "../../modules/dms"

  name                       = var.name
  create_iam_roles           = var.create_dms_iam_roles
  subnet_ids                 = var.private_subnet_ids
  security_group_ids         = [module.network.dms_security_group_id]
  replication_instance_class = var.dms_instance_class
  allocated_storage_gb       = var.dms_allocated_storage_gb
  multi_az                   = var.dms_multi_az
  engine_version             = var.dms_engine_version
  kms_key_arn                = var.kms_key_arn
  source_database_name       = var.database_name
  target_database_name       = module.aurora.database_name
  source_secret_arn          = var.source_secret_arn
  target_secret_arn          = var.target_secret_arn
  source_ssl_mode            = var.source_ssl_mode
  source_certificate_arn     = var.source_certificate_arn
  schemas                    = var.schemas
  exclude_tables             = var.exclude_tables
  parallel_load_tables       = var.parallel_load_tables
  enable_reverse_task        = var.enable_reverse_task
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                          = var.name
  replication_instance_id       = module.dms.replication_instance_id
  task_arns                     = module.dms.task_arns
  aurora_cluster_id             = module.aurora.cluster_id
  aurora_instance_ids           = module.aurora.instance_ids
  cdc_latency_threshold_seconds = var.cdc_latency_threshold_seconds
  alarm_emails                  = var.alarm_emails
  kms_key_arn                   = var.kms_key_arn
}
