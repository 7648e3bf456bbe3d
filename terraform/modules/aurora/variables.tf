variable "cluster_identifier" {
  type        = string
  description = "Aurora cluster identifier; also the prefix of its instances and parameter group."

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.cluster_identifier)) && length(var.cluster_identifier) <= 50
    error_message = "cluster_identifier must be lower-case letters, digits and single hyphens, start with a letter, at most 50 characters."
  }
}

variable "engine_version" {
  type        = string
  description = "Aurora PostgreSQL engine version (MAJOR.MINOR, for example 16.6). The major version names the parameter group family."

  validation {
    # Logical replication slots on Aurora and the DMS source/target support
    # these majors; anything else would fail at apply, half-built.
    condition     = can(regex("^(1[3-7])\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be MAJOR.MINOR with a major version from 13 to 17, for example 16.6."
  }
}

variable "database_name" {
  type        = string
  description = "Name of the application database created in the cluster (the same name as on the source)."

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a lower-case PostgreSQL identifier of at most 63 characters."
  }
}

variable "master_username" {
  type        = string
  description = "Master user name. Its password is generated and rotated by RDS in Secrets Manager; it never appears in Terraform."
  default     = "cutover_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "rdsadmin", "admin"], var.master_username)
    error_message = "master_username must be a lower-case identifier and not a reserved name (postgres, rdsadmin, admin)."
  }
}

variable "instance_class" {
  type        = string
  description = "Instance class of the writer and readers, for example db.r6g.xlarge."

  validation {
    condition     = can(regex("^db\\.(r5|r6g|r6gd|r6i|r7g|r7i|r8g|x2g|t3|t4g)\\.(medium|large|[0-9]*xlarge)$", var.instance_class))
    error_message = "instance_class must be an Aurora PostgreSQL class such as db.r6g.large, db.r7g.2xlarge or db.t4g.medium."
  }
}

variable "reader_count" {
  type        = number
  description = "Number of reader instances next to the writer (target-side validation runs on the reader endpoint)."
  default     = 1

  validation {
    condition     = var.reader_count >= 0 && var.reader_count <= 15 && floor(var.reader_count) == var.reader_count
    error_message = "reader_count must be an integer from 0 to 15."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets, in at least two availability zones, for the cluster's subnet group."

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must hold at least two subnet IDs (subnet-...) in different availability zones."
  }
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the cluster (from the network module)."

  validation {
    condition     = length(var.security_group_ids) > 0 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids must hold at least one security group ID (sg-...)."
  }
}

variable "port" {
  type        = number
  description = "TCP port the cluster listens on."
  default     = 5432

  validation {
    condition     = var.port >= 1150 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer from 1150 to 65535 (the range RDS accepts)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for storage, Performance Insights and the master user secret; null uses the AWS managed keys."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the cluster. Always true in prod (the prod environment sets it without a variable)."
  default     = true
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups (point-in-time recovery window)."
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 1 to 35."
  }
}

variable "performance_insights_retention_days" {
  type        = number
  description = "Performance Insights retention: 7 (free tier), or a multiple of 31 up to 731."
  default     = 7

  validation {
    condition     = var.performance_insights_retention_days == 7 || var.performance_insights_retention_days == 731 || (var.performance_insights_retention_days % 31 == 0 && var.performance_insights_retention_days <= 713)
    error_message = "performance_insights_retention_days must be 7, a multiple of 31 up to 713, or 731."
  }
}

variable "monitoring_interval_seconds" {
  type        = number
  description = "Enhanced Monitoring interval in seconds (0 turns it off)."
  default     = 15

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval_seconds)
    error_message = "monitoring_interval_seconds must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "max_replication_slots" {
  type        = number
  description = "max_replication_slots and max_wal_senders on the cluster: the reverse replication and any native subscriptions need slots."
  default     = 20

  validation {
    condition     = var.max_replication_slots >= 5 && var.max_replication_slots <= 100
    error_message = "max_replication_slots must be from 5 to 100."
  }
}

variable "apply_immediately" {
  type        = bool
  description = "Apply modifications at once instead of in the maintenance window. Keep false near a cutover."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
