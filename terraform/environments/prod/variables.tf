variable "region" {
  type        = string
  description = "AWS region of the Aurora cluster and the DMS resources."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "name" {
  type        = string
  description = "Prefix of every resource and the Aurora cluster identifier, for example app-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.name)) && length(var.name) <= 40
    error_message = "name must be lower-case letters, digits and single hyphens, start with a letter, at most 40 characters."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the bastion, the replication instance and Aurora."
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets in at least two availability zones, for Aurora and the replication instance."
}

variable "bastion_security_group_id" {
  type        = string
  description = "Security group of the bastion where the cutover console runs."
}

variable "api_egress_cidr_blocks" {
  type        = list(string)
  description = "Where the replication instance reaches Secrets Manager on 443 (the interface endpoints' subnets, or 0.0.0.0/0 through NAT)."
}

variable "source_host" {
  type        = string
  description = "DNS name of the source PostgreSQL primary, as the bastion and DMS reach it (the certificate's name when sslmode is verify-full)."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", var.source_host))
    error_message = "source_host must be a fully qualified lower-case DNS name."
  }
}

variable "source_port" {
  type        = number
  description = "TCP port of the source PostgreSQL."
  default     = 5432

  validation {
    condition     = var.source_port >= 1 && var.source_port <= 65535 && floor(var.source_port) == var.source_port
    error_message = "source_port must be an integer between 1 and 65535."
  }
}

variable "source_cidr_blocks" {
  type        = list(string)
  description = "CIDR blocks of the source hosts DMS connects to (see the network module)."
}

variable "source_security_group_id" {
  type        = string
  description = "Security group of the source hosts when they run in this VPC; null otherwise."
  default     = null
}

variable "database_name" {
  type        = string
  description = "Name of the application database, the same on the source and on Aurora."

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lower-case PostgreSQL identifier of at most 63 characters."
  }
}

variable "migration_user" {
  type        = string
  description = "Database role cutover and DMS connect as on both sides; its password is in the Secrets Manager secrets and ~/.pgpass of the bastion, never in Terraform."
  default     = "migrator"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.migration_user))
    error_message = "migration_user must be a lower-case PostgreSQL role name."
  }
}

variable "sslmode" {
  type        = string
  description = "libpq sslmode written into cutover's conninfo strings."
  default     = "verify-full"

  validation {
    condition     = contains(["require", "verify-ca", "verify-full"], var.sslmode)
    error_message = "sslmode must be require, verify-ca or verify-full."
  }
}

variable "source_secret_arn" {
  type        = string
  description = "Secrets Manager secret of the migration user on the source (username, password, host, port)."
}

variable "target_secret_arn" {
  type        = string
  description = "Secrets Manager secret of the migration user on Aurora (username, password, host, port)."
}

variable "source_ssl_mode" {
  type        = string
  description = "TLS mode of DMS towards the source (see the dms module)."
  default     = "require"
}

variable "source_certificate_arn" {
  type        = string
  description = "DMS certificate of the source's CA, for source_ssl_mode verify-ca or verify-full."
  default     = null
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for Aurora, DMS and the alarm topic; null uses the AWS managed keys."
  default     = null
}

variable "aurora_engine_version" {
  type        = string
  description = "Aurora PostgreSQL engine version, MAJOR.MINOR (see the aurora module)."
}

variable "aurora_instance_class" {
  type        = string
  description = "Instance class of the Aurora writer and readers."
}

variable "aurora_reader_count" {
  type        = number
  description = "Number of Aurora readers."
  default     = 1
}

variable "dms_instance_class" {
  type        = string
  description = "DMS replication instance class."
}

variable "dms_allocated_storage_gb" {
  type        = number
  description = "DMS replication instance storage in GiB."
  default     = 100
}

variable "dms_multi_az" {
  type        = bool
  description = "Multi-AZ replication instance."
  default     = true
}

variable "dms_engine_version" {
  type        = string
  description = "DMS engine version; null takes the region's default."
  default     = null
}

variable "create_dms_iam_roles" {
  type        = bool
  description = "Create dms-vpc-role and dms-cloudwatch-logs-role; true in exactly one environment per AWS account."
  default     = true
}

variable "schemas" {
  type        = list(string)
  description = "Application schemas to migrate (the cutover schema is always added)."
  default     = ["public"]
}

variable "exclude_tables" {
  type        = list(string)
  description = "SCHEMA.TABLE patterns left out of the migration."
  default     = []
}

variable "parallel_load_tables" {
  type        = list(string)
  description = "Large partitioned tables loaded partition by partition in parallel."
  default     = []
}

variable "enable_reverse_task" {
  type        = bool
  description = "Create the reverse CDC task, so that a rollback after the switch loses nothing."
  default     = true
}

variable "cdc_latency_threshold_seconds" {
  type        = number
  description = "CDC latency alarm threshold in seconds."
  default     = 60
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the alarm topic."
  default     = []
}
