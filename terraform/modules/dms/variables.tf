variable "name" {
  type        = string
  description = "Prefix of every resource name, for example app-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name)) && !can(regex("--|-$", var.name))
    error_message = "name must be 2-41 lower-case letters, digits or single hyphens, start with a letter and not end with a hyphen (DMS identifiers forbid that)."
  }
}

variable "create_iam_roles" {
  type        = bool
  description = "Create the account-wide roles DMS requires by name (dms-vpc-role, dms-cloudwatch-logs-role). Exactly one environment per AWS account sets this to true; the others share them."
  default     = true
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets, in at least two availability zones, for the replication subnet group."

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must hold at least two subnet IDs (subnet-...) in different availability zones."
  }
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the replication instance (from the network module)."

  validation {
    condition     = length(var.security_group_ids) > 0 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "security_group_ids must hold at least one security group ID (sg-...)."
  }
}

variable "replication_instance_class" {
  type        = string
  description = "Replication instance class, for example dms.r6i.large. CDC of a busy database wants memory: prefer the r classes in prod."

  validation {
    condition     = can(regex("^dms\\.(t3|c5|c6i|c7i|r5|r6i|r7i)\\.(micro|small|medium|large|[0-9]*xlarge)$", var.replication_instance_class))
    error_message = "replication_instance_class must be a DMS class such as dms.t3.medium, dms.c6i.large or dms.r6i.2xlarge."
  }
}

variable "allocated_storage_gb" {
  type        = number
  description = "Storage of the replication instance in GiB: it holds the task logs and the changes cached during the full load."
  default     = 100

  validation {
    condition     = var.allocated_storage_gb >= 5 && var.allocated_storage_gb <= 6144 && floor(var.allocated_storage_gb) == var.allocated_storage_gb
    error_message = "allocated_storage_gb must be an integer from 5 to 6144."
  }
}

variable "multi_az" {
  type        = bool
  description = "Run the replication instance with a standby in a second availability zone."
  default     = true
}

variable "engine_version" {
  type        = string
  description = "DMS engine version, for example 3.5.4; null takes the region's default."
  default     = null

  validation {
    # 3.4.5 and later send the EventBridge events the monitoring module uses.
    condition     = var.engine_version == null || can(regex("^3\\.([5-9]|4\\.([5-9]|[1-9][0-9]))(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be null or 3.4.5 or later, for example 3.5.4."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key for the replication instance's storage and, when given, the key the endpoint secrets are encrypted with; null uses the AWS managed keys."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "source_database_name" {
  type        = string
  description = "Name of the application database on the source."

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.source_database_name))
    error_message = "source_database_name must be a lower-case PostgreSQL identifier of at most 63 characters."
  }
}

variable "target_database_name" {
  type        = string
  description = "Name of the application database on Aurora."

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,62}$", var.target_database_name))
    error_message = "target_database_name must be a lower-case PostgreSQL identifier of at most 63 characters."
  }
}

variable "source_secret_arn" {
  type        = string
  description = "Secrets Manager secret with the migration user's credentials on the source (JSON keys username, password, host, port). Created out of band so the password never passes through Terraform."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.source_secret_arn))
    error_message = "source_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "target_secret_arn" {
  type        = string
  description = "Secrets Manager secret with the migration user's credentials on Aurora (JSON keys username, password, host, port)."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.target_secret_arn))
    error_message = "target_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "source_ssl_mode" {
  type        = string
  description = "TLS mode DMS uses towards the source: require, verify-ca or verify-full (the last two need source_certificate_arn)."
  default     = "verify-full"

  validation {
    condition     = contains(["require", "verify-ca", "verify-full"], var.source_ssl_mode)
    error_message = "source_ssl_mode must be require, verify-ca or verify-full; an unencrypted link to a finance database is not offered."
  }
}

variable "source_certificate_arn" {
  type        = string
  description = "DMS certificate (the source's CA) for source_ssl_mode verify-ca or verify-full."
  default     = null

  validation {
    condition     = var.source_certificate_arn == null || can(regex("^arn:aws[a-z-]*:dms:[a-z0-9-]+:[0-9]{12}:cert:.+$", var.source_certificate_arn))
    error_message = "source_certificate_arn must be null or a DMS certificate ARN."
  }
}

variable "target_ssl_mode" {
  type        = string
  description = "TLS mode DMS uses towards Aurora: require, verify-ca or verify-full (the last two need target_certificate_arn, the RDS CA imported into DMS)."
  default     = "require"

  validation {
    condition     = contains(["require", "verify-ca", "verify-full"], var.target_ssl_mode)
    error_message = "target_ssl_mode must be require, verify-ca or verify-full (the cluster sets rds.force_ssl)."
  }
}

variable "target_certificate_arn" {
  type        = string
  description = "DMS certificate (the RDS CA bundle) for target_ssl_mode verify-ca or verify-full."
  default     = null

  validation {
    condition     = var.target_certificate_arn == null || can(regex("^arn:aws[a-z-]*:dms:[a-z0-9-]+:[0-9]{12}:cert:.+$", var.target_certificate_arn))
    error_message = "target_certificate_arn must be null or a DMS certificate ARN."
  }
}

variable "schemas" {
  type        = list(string)
  description = "Application schemas to migrate. The cutover schema (heartbeat and sentinel tables) is always added."
  default     = ["public"]

  validation {
    condition     = length(var.schemas) > 0 && alltrue([for s in var.schemas : can(regex("^[a-z_][a-z0-9_$]{0,62}$", s))])
    error_message = "schemas must hold at least one lower-case schema name."
  }
}

variable "exclude_tables" {
  type        = list(string)
  description = "Tables left out of the migration, as SCHEMA.TABLE (DMS wildcards % allowed in the table part). The cutover schema cannot be excluded."
  default     = []

  validation {
    condition     = alltrue([for t in var.exclude_tables : can(regex("^[a-z_][a-z0-9_$]*\\.[a-z0-9_$%]+$", t)) && !startswith(t, "cutover.")])
    error_message = "exclude_tables entries must be SCHEMA.TABLE, and none may be in the cutover schema (the heartbeat and sentinel must replicate)."
  }
}

variable "parallel_load_tables" {
  type        = list(string)
  description = "Large partitioned tables (SCHEMA.TABLE) whose partitions are loaded in parallel during the full load."
  default     = []

  validation {
    condition     = alltrue([for t in var.parallel_load_tables : can(regex("^[a-z_][a-z0-9_$]*\\.[a-z_][a-z0-9_$]*$", t))])
    error_message = "parallel_load_tables entries must be SCHEMA.TABLE."
  }
}

variable "max_full_load_subtasks" {
  type        = number
  description = "Tables loaded at the same time during the full load (MaxFullLoadSubTasks)."
  default     = 8

  validation {
    condition     = var.max_full_load_subtasks >= 1 && var.max_full_load_subtasks <= 49
    error_message = "max_full_load_subtasks must be from 1 to 49."
  }
}

variable "parallel_load_threads" {
  type        = number
  description = "Threads pushing rows of one table into the target during the full load (ParallelLoadThreads); 0 is DMS's single thread."
  default     = 4

  validation {
    condition     = var.parallel_load_threads >= 0 && var.parallel_load_threads <= 32
    error_message = "parallel_load_threads must be from 0 to 32."
  }
}

variable "lob_max_size_kb" {
  type        = number
  description = "Limited LOB mode: the largest text/bytea/json value in KiB. Larger values fail the task (fail_tasks_on_lob_truncation on the source endpoints) rather than being cut silently; cutover's pre_validation warns with this limit."
  default     = 1024

  validation {
    condition     = var.lob_max_size_kb >= 1 && var.lob_max_size_kb <= 102400
    error_message = "lob_max_size_kb must be from 1 to 102400 (100 MiB)."
  }
}

variable "validation_threads" {
  type        = number
  description = "Threads of DMS's own row validation (ValidationSettings.ThreadCount)."
  default     = 5

  validation {
    condition     = var.validation_threads >= 1 && var.validation_threads <= 32
    error_message = "validation_threads must be from 1 to 32."
  }
}

variable "forward_slot_name" {
  type        = string
  description = "Logical replication slot on the source that the forward task reads (the source endpoint's slot_name). Create it before the task's first start with pg_create_logical_replication_slot(name, plugin); after a rollback from the switch cutover starts the task at a position in it, past what reverse replication brought back."
  default     = "cutover_forward"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,63}$", var.forward_slot_name))
    error_message = "forward_slot_name must be 1-63 lower-case letters, digits or underscores (a PostgreSQL slot name)."
  }
}

variable "reverse_slot_name" {
  type        = string
  description = "Logical replication slot on Aurora that the reverse task reads (the reverse source endpoint's slot_name). cutover creates it inside the fence, before Aurora takes a write, and starts the reverse task at its LSN: it must equal [rollback] reverse_slot in cutover.conf."
  default     = "cutover_reverse"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,63}$", var.reverse_slot_name))
    error_message = "reverse_slot_name must be 1-63 lower-case letters, digits or underscores (a PostgreSQL slot name)."
  }
}

variable "slot_plugin" {
  type        = string
  description = "Output plugin of both slots (the endpoints' plugin_name): test-decoding (PostgreSQL's own contrib module, nothing to install) or pglogical (the extension must be in shared_preload_libraries on both sides). [rollback] reverse_slot_plugin in cutover.conf names the same plugin (test_decoding or pglogical)."
  default     = "test-decoding"

  validation {
    condition     = contains(["test-decoding", "pglogical"], var.slot_plugin)
    error_message = "slot_plugin must be test-decoding or pglogical: no-preference lets DMS choose, and cutover must create the reverse slot with the plugin DMS reads it with."
  }
}

variable "enable_reverse_task" {
  type        = bool
  description = "Create the reverse CDC task (Aurora to source) that cutover starts at stop_replication, so a rollback after the switch loses no write."
  default     = true
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the tasks' CloudWatch log group."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
