# AWS DMS: replication instance, endpoints with Secrets Manager credentials,
# the forward full-load-and-cdc task and the optional reverse CDC task.
#
# The tasks are created stopped (start_replication_task = false): cutover and
# the operator start and stop them; Terraform only defines them.

locals {
  # The cutover schema holds the heartbeat and sentinel tables the driver
  # measures end-to-end lag and the final sync with: it must replicate.
  schemas = distinct(concat(var.schemas, ["cutover"]))

  include_rules = [
    for i, s in local.schemas : {
      rule-type   = "selection"
      rule-id     = tostring(100 + i)
      rule-name   = "include-${s}"
      rule-action = "include"
      object-locator = {
        schema-name = s
        table-name  = "%"
      }
      filters = []
    }
  ]

  exclude_rules = [
    for i, t in var.exclude_tables : {
      rule-type   = "selection"
      rule-id     = tostring(300 + i)
      rule-name   = "exclude-${replace(t, ".", "-")}"
      rule-action = "exclude"
      object-locator = {
        schema-name = split(".", t)[0]
        table-name  = split(".", t)[1]
      }
      filters = []
    }
  ]

  parallel_load_rules = [
    for i, t in var.parallel_load_tables : {
      rule-type = "table-settings"
      rule-id   = tostring(500 + i)
      rule-name = "parallel-load-${replace(t, ".", "-")}"
      object-locator = {
        schema-name = split(".", t)[0]
        table-name  = split(".", t)[1]
      }
      parallel-load = {
        type = "partitions-auto"
      }
    }
  ]

  table_mappings = jsonencode({
    rules = concat(local.include_rules, local.exclude_rules, local.parallel_load_rules)
  })

  # The reverse task carries writes made on Aurora after the switch back to
  # the source: the same tables, no full load, no parallel-load rules.
  reverse_table_mappings = jsonencode({
    rules = concat(local.include_rules, local.exclude_rules)
  })

  log_components = [
    for c in ["SOURCE_UNLOAD", "SOURCE_CAPTURE", "TARGET_LOAD", "TARGET_APPLY", "TASK_MANAGER", "VALIDATOR_EXT"] : {
      Id       = c
      Severity = "LOGGER_SEVERITY_DEFAULT"
    }
  ]

  task_settings = {
    TargetMetadata = {
      TargetSchema = ""
      # Limited LOB mode is fast; FailOnLobTruncation below turns a value
      # larger than LobMaxSize into a failed task instead of a cut value.
      SupportLobs            = true
      FullLobMode            = false
      LobChunkSize           = 64
      LimitedSizeLobMode     = true
      LobMaxSize             = var.lob_max_size_kb
      InlineLobMaxSize       = 0
      LoadMaxFileSize        = 0
      ParallelLoadThreads    = var.parallel_load_threads
      ParallelLoadBufferSize = var.parallel_load_threads > 0 ? 500 : 0
      # Transactional apply, in commit order: the sentinel cutover writes
      # after the fence proves the final sync only if everything committed
      # before it is applied before it. pre_validation refuses true.
      BatchApplyEnabled = false
    }
    FullLoadSettings = {
      # The schema is created on Aurora beforehand (pg_dump --schema-only):
      # DMS must not drop or recreate tables, indexes or constraints.
      TargetTablePrepMode             = "DO_NOTHING"
      CreatePkAfterFullLoad           = false
      StopTaskCachedChangesApplied    = false
      StopTaskCachedChangesNotApplied = false
      MaxFullLoadSubTasks             = var.max_full_load_subtasks
      TransactionConsistencyTimeout   = 600
      CommitRate                      = 10000
    }
    Logging = {
      EnableLogging = true
      LogComponents = local.log_components
    }
    ControlTablesSettings = {
      ControlSchema               = "awsdms_control"
      HistoryTimeslotInMinutes    = 5
      HistoryTableEnabled         = true
      SuspendedTablesTableEnabled = true
      StatusTableEnabled          = true
    }
    StreamBufferSettings = {
      StreamBufferCount        = 3
      StreamBufferSizeInMB     = 8
      CtrlStreamBufferSizeInMB = 5
    }
    ChangeProcessingTuning = {
      BatchApplyPreserveTransaction = true
      BatchApplyTimeoutMin          = 1
      BatchApplyTimeoutMax          = 30
      BatchApplyMemoryLimit         = 500
      BatchSplitSize                = 0
      MinTransactionSize            = 1000
      CommitTimeout                 = 1
      MemoryLimitTotal              = 1024
      MemoryKeepTime                = 60
      StatementCacheSize            = 50
    }
    ChangeProcessingDdlHandlingPolicy = {
      HandleSourceTableDropped   = false
      HandleSourceTableTruncated = true
      HandleSourceTableAltered   = true
    }
    # A finance database: a table, data or apply error stops the task,
    # loudly, rather than suspending a table or logging and skipping a row.
    # During CDC an apply conflict (an insert whose row is there, an update
    # or delete whose row is not) means the target no longer matches the
    # source: something else wrote it, or changes were replayed. Carrying on
    # would spread the divergence through balances; stopping makes the lag
    # grow, the lag gate fail and the alarm fire. pre_validation refuses any
    # ApplyError*Policy other than STOP_TASK.
    ErrorBehavior = {
      DataErrorPolicy                             = "STOP_TASK"
      DataTruncationErrorPolicy                   = "STOP_TASK"
      DataErrorEscalationPolicy                   = "STOP_TASK"
      DataErrorEscalationCount                    = 0
      TableErrorPolicy                            = "STOP_TASK"
      TableErrorEscalationPolicy                  = "STOP_TASK"
      TableErrorEscalationCount                   = 0
      RecoverableErrorCount                       = -1
      RecoverableErrorInterval                    = 5
      RecoverableErrorThrottling                  = true
      RecoverableErrorThrottlingMax               = 1800
      RecoverableErrorStopRetryAfterThrottlingMax = false
      ApplyErrorDeletePolicy                      = "STOP_TASK"
      ApplyErrorInsertPolicy                      = "STOP_TASK"
      ApplyErrorUpdatePolicy                      = "STOP_TASK"
      ApplyErrorEscalationPolicy                  = "STOP_TASK"
      ApplyErrorEscalationCount                   = 0
      ApplyErrorFailOnTruncationDdl               = false
      FullLoadIgnoreConflicts                     = true
      FailOnTransactionConsistencyBreached        = true
      FailOnNoTablesCaptured                      = true
    }
    ValidationSettings = {
      EnableValidation                 = true
      ValidationMode                   = "ROW_LEVEL"
      ThreadCount                      = var.validation_threads
      PartitionSize                    = 10000
      FailureMaxCount                  = 10000
      RecordFailureDelayInMinutes      = 5
      RecordSuspendDelayInMinutes      = 30
      MaxKeyColumnSize                 = 8096
      TableFailureMaxCount             = 1000
      ValidationOnly                   = false
      HandleCollationDiff              = false
      RecordFailureDelayLimitInMinutes = 0
      SkipLobColumns                   = false
      ValidationPartialLobSize         = 0
      ValidationQueryCdcDelaySeconds   = 0
    }
  }

  # CDC only, no validation: the reverse task runs for the rollback window,
  # and cutover validates the source itself before switching back.
  reverse_task_settings = merge(local.task_settings, {
    ValidationSettings = merge(local.task_settings.ValidationSettings, {
      EnableValidation = false
    })
  })

  replication_instance_id = "${var.name}-dms"
}

resource "aws_dms_replication_subnet_group" "this" {
  replication_subnet_group_id          = "${var.name}-dms"
  replication_subnet_group_description = "DMS ${var.name}"
  subnet_ids                           = var.subnet_ids
  tags                                 = var.tags

  # DMS refuses to create a subnet group until dms-vpc-role exists.
  depends_on = [aws_iam_role_policy_attachment.dms_vpc]
}

# DMS writes task logs to this group by its fixed name; creating it first
# sets a retention instead of keeping logs forever.
resource "aws_cloudwatch_log_group" "tasks" {
  name              = "dms-tasks-${local.replication_instance_id}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_dms_replication_instance" "this" {
  replication_instance_id     = local.replication_instance_id
  replication_instance_class  = var.replication_instance_class
  allocated_storage           = var.allocated_storage_gb
  multi_az                    = var.multi_az
  engine_version              = var.engine_version
  kms_key_arn                 = var.kms_key_arn
  publicly_accessible         = false
  replication_subnet_group_id = aws_dms_replication_subnet_group.this.id
  vpc_security_group_ids      = var.security_group_ids

  # Upgrades restart the instance and every task on it: never by surprise.
  auto_minor_version_upgrade   = false
  allow_major_version_upgrade  = false
  apply_immediately            = false
  preferred_maintenance_window = "sun:05:30-sun:06:30"

  tags = var.tags

  depends_on = [
    aws_iam_role_policy_attachment.dms_vpc,
    aws_iam_role_policy_attachment.dms_cloudwatch_logs,
    aws_cloudwatch_log_group.tasks,
  ]
}

resource "aws_dms_endpoint" "source" {
  endpoint_id   = "${var.name}-source"
  endpoint_type = "source"
  engine_name   = "postgres"
  database_name = var.source_database_name

  secrets_manager_arn             = var.source_secret_arn
  secrets_manager_access_role_arn = aws_iam_role.secrets_access.arn

  ssl_mode        = var.source_ssl_mode
  certificate_arn = var.source_certificate_arn
  kms_key_arn     = var.kms_key_arn

  postgres_settings {
    # The slot the forward task reads, named: DMS starts a PostgreSQL
    # source at a CdcStartPosition only from a named slot, and cutover
    # restarts the task after a rollback from the switch at a position past
    # what reverse replication brought back.
    slot_name   = var.forward_slot_name
    plugin_name = var.slot_plugin
    # DMS's own heartbeat advances the slot while the source is idle, so
    # an idle source does not keep WAL forever.
    heartbeat_enable    = true
    heartbeat_frequency = 5
    capture_ddls        = false
    # Values larger than the LOB limit fail the task instead of being cut.
    fail_tasks_on_lob_truncation = true
    map_boolean_as_boolean       = true
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.source_ssl_mode == "require" || var.source_certificate_arn != null
      error_message = "source_ssl_mode ${var.source_ssl_mode} needs source_certificate_arn (the source's CA imported into DMS)."
    }
  }

  depends_on = [aws_iam_role_policy.secrets_access]
}

resource "aws_dms_endpoint" "target" {
  endpoint_id   = "${var.name}-target"
  endpoint_type = "target"
  engine_name   = "aurora-postgresql"
  database_name = var.target_database_name

  secrets_manager_arn             = var.target_secret_arn
  secrets_manager_access_role_arn = aws_iam_role.secrets_access.arn

  ssl_mode        = var.target_ssl_mode
  certificate_arn = var.target_certificate_arn
  kms_key_arn     = var.kms_key_arn

  postgres_settings {
    # Triggers and foreign keys do not fire for DMS's session: rows arrive
    # in commit order per table, not in an order the constraints accept.
    after_connect_script   = "SET session_replication_role = replica"
    map_boolean_as_boolean = true
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.target_ssl_mode == "require" || var.target_certificate_arn != null
      error_message = "target_ssl_mode ${var.target_ssl_mode} needs target_certificate_arn (the RDS CA bundle imported into DMS)."
    }
  }

  depends_on = [aws_iam_role_policy.secrets_access]
}

resource "aws_dms_replication_task" "forward" {
  replication_task_id       = "${var.name}-forward"
  migration_type            = "full-load-and-cdc"
  replication_instance_arn  = aws_dms_replication_instance.this.replication_instance_arn
  source_endpoint_arn       = aws_dms_endpoint.source.endpoint_arn
  target_endpoint_arn       = aws_dms_endpoint.target.endpoint_arn
  table_mappings            = local.table_mappings
  replication_task_settings = jsonencode(local.task_settings)
  start_replication_task    = false
  tags                      = var.tags

  lifecycle {
    # After a rollback from the switch cutover makes this task CDC-only
    # (a full-load-and-cdc task started again reloads every table) and
    # starts it at a position: an apply must not turn it back.
    ignore_changes = [migration_type, cdc_start_position]
  }
}

# The reverse direction needs Aurora as a source and the old database as a
# target: two more endpoints with the same credentials.
resource "aws_dms_endpoint" "reverse_source" {
  count = var.enable_reverse_task ? 1 : 0

  endpoint_id   = "${var.name}-reverse-source"
  endpoint_type = "source"
  engine_name   = "aurora-postgresql"
  database_name = var.target_database_name

  secrets_manager_arn             = var.target_secret_arn
  secrets_manager_access_role_arn = aws_iam_role.secrets_access.arn

  ssl_mode        = var.target_ssl_mode
  certificate_arn = var.target_certificate_arn
  kms_key_arn     = var.kms_key_arn

  postgres_settings {
    # The slot cutover creates on Aurora inside the fence, before Aurora
    # takes a write ([rollback] reverse_slot); the reverse task starts at
    # its LSN (start-replication with CdcStartPosition). A position on a
    # PostgreSQL source needs a named slot, and DMS has no start time for
    # one. The plugin is the one cutover creates it with.
    slot_name                    = var.reverse_slot_name
    plugin_name                  = var.slot_plugin
    heartbeat_enable             = true
    heartbeat_frequency          = 5
    capture_ddls                 = false
    fail_tasks_on_lob_truncation = true
    map_boolean_as_boolean       = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.secrets_access]
}

resource "aws_dms_endpoint" "reverse_target" {
  count = var.enable_reverse_task ? 1 : 0

  endpoint_id   = "${var.name}-reverse-target"
  endpoint_type = "target"
  engine_name   = "postgres"
  database_name = var.source_database_name

  secrets_manager_arn             = var.source_secret_arn
  secrets_manager_access_role_arn = aws_iam_role.secrets_access.arn

  ssl_mode        = var.source_ssl_mode
  certificate_arn = var.source_certificate_arn
  kms_key_arn     = var.kms_key_arn

  postgres_settings {
    after_connect_script   = "SET session_replication_role = replica"
    map_boolean_as_boolean = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.secrets_access]
}

resource "aws_dms_replication_task" "reverse" {
  count = var.enable_reverse_task ? 1 : 0

  replication_task_id       = "${var.name}-reverse"
  migration_type            = "cdc"
  replication_instance_arn  = aws_dms_replication_instance.this.replication_instance_arn
  source_endpoint_arn       = aws_dms_endpoint.reverse_source[0].endpoint_arn
  target_endpoint_arn       = aws_dms_endpoint.reverse_target[0].endpoint_arn
  table_mappings            = local.reverse_table_mappings
  replication_task_settings = jsonencode(local.reverse_task_settings)
  start_replication_task    = false
  tags                      = var.tags

  lifecycle {
    # cutover starts it at the slot's position each attempt.
    ignore_changes = [cdc_start_position]
  }
}
