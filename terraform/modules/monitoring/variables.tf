variable "name" {
  type        = string
  description = "Prefix of every resource name, for example app-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "replication_instance_id" {
  type        = string
  description = "Identifier of the DMS replication instance (from the dms module)."
}

variable "task_arns" {
  type        = list(string)
  description = "ARNs of the DMS tasks to watch: the forward task first, then the reverse one when it exists."

  validation {
    condition     = length(var.task_arns) >= 1 && alltrue([for a in var.task_arns : can(regex("^arn:aws[a-z-]*:dms:[a-z0-9-]+:[0-9]{12}:task:[A-Za-z0-9-]+$", a))])
    error_message = "task_arns must hold at least one DMS task ARN."
  }
}

variable "aurora_cluster_id" {
  type        = string
  description = "Aurora cluster identifier (from the aurora module)."
}

variable "aurora_instance_ids" {
  type        = list(string)
  description = "Aurora instance identifiers, writer first (from the aurora module)."

  validation {
    condition     = length(var.aurora_instance_ids) >= 1
    error_message = "aurora_instance_ids must hold at least the writer."
  }
}

variable "cdc_latency_threshold_seconds" {
  type        = number
  description = "Alarm when CDC latency (source or target) stays above this many seconds. Keep it well above cutover's max_lag_seconds: this alarm is for a replication in trouble, not for the lag gate."
  default     = 60

  validation {
    condition     = var.cdc_latency_threshold_seconds >= 5 && var.cdc_latency_threshold_seconds <= 3600
    error_message = "cdc_latency_threshold_seconds must be from 5 to 3600 seconds."
  }
}

variable "cdc_latency_evaluation_minutes" {
  type        = number
  description = "Minutes the CDC latency must stay above the threshold before the alarm fires (one-minute periods)."
  default     = 5

  validation {
    condition     = var.cdc_latency_evaluation_minutes >= 1 && var.cdc_latency_evaluation_minutes <= 60 && floor(var.cdc_latency_evaluation_minutes) == var.cdc_latency_evaluation_minutes
    error_message = "cdc_latency_evaluation_minutes must be an integer from 1 to 60."
  }
}

variable "dms_free_storage_threshold_gb" {
  type        = number
  description = "Alarm when the replication instance's free storage falls below this many GiB (cached changes and logs fill it)."
  default     = 10

  validation {
    condition     = var.dms_free_storage_threshold_gb >= 1 && var.dms_free_storage_threshold_gb <= 1000
    error_message = "dms_free_storage_threshold_gb must be from 1 to 1000."
  }
}

variable "aurora_free_local_storage_threshold_gb" {
  type        = number
  description = "Alarm when an Aurora instance's free local storage (temporary files, logs) falls below this many GiB."
  default     = 5

  validation {
    condition     = var.aurora_free_local_storage_threshold_gb >= 1 && var.aurora_free_local_storage_threshold_gb <= 1000
    error_message = "aurora_free_local_storage_threshold_gb must be from 1 to 1000."
  }
}

variable "replication_slot_lag_threshold_gb" {
  type        = number
  description = "Alarm when Aurora's most lagging replication slot (OldestReplicationSlotLag: the reverse slot cutover creates before the switch) holds more than this many GiB of WAL: the reverse task is not reading it."
  default     = 5

  validation {
    condition     = var.replication_slot_lag_threshold_gb >= 1 && var.replication_slot_lag_threshold_gb <= 10000
    error_message = "replication_slot_lag_threshold_gb must be from 1 to 10000."
  }
}

variable "transaction_logs_threshold_gb" {
  type        = number
  description = "Alarm when Aurora's transaction logs (TransactionLogsDiskUsage: WAL kept for replication slots) use more than this many GiB: a slot nobody reads (the reverse slot once the rollback window is over) keeps WAL forever."
  default     = 20

  validation {
    condition     = var.transaction_logs_threshold_gb >= 1 && var.transaction_logs_threshold_gb <= 10000
    error_message = "transaction_logs_threshold_gb must be from 1 to 10000."
  }
}

variable "dms_cpu_threshold_percent" {
  type        = number
  description = "Alarm when the replication instance's CPUUtilization stays above this for 15 minutes: the task falls behind."
  default     = 85

  validation {
    condition     = var.dms_cpu_threshold_percent >= 10 && var.dms_cpu_threshold_percent <= 100
    error_message = "dms_cpu_threshold_percent must be from 10 to 100."
  }
}

variable "dms_freeable_memory_threshold_mb" {
  type        = number
  description = "Alarm when the replication instance's FreeableMemory falls below this many MiB: DMS swaps, then spills changes to disk."
  default     = 512

  validation {
    condition     = var.dms_freeable_memory_threshold_mb >= 64 && var.dms_freeable_memory_threshold_mb <= 262144
    error_message = "dms_freeable_memory_threshold_mb must be from 64 to 262144."
  }
}

variable "alarm_emails" {
  type        = list(string)
  description = "E-mail addresses subscribed to the alarm topic (each confirms by mail). Pager integrations subscribe to the topic outside Terraform."
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must hold e-mail addresses."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "Customer managed KMS key for the SNS topic (its key policy must let events.amazonaws.com and cloudwatch.amazonaws.com use it); null leaves the topic on SNS's default, because the AWS managed alias/aws/sns key cannot be used by EventBridge and CloudWatch."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
