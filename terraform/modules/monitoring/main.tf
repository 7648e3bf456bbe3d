# What the on-call sees without cutover's console: a CloudWatch dashboard of
# the replication and of Aurora, alarms on CDC latency and free storage, an
# EventBridge rule for failed DMS tasks, and one SNS topic they all notify.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region = data.aws_region.current.name

  # CloudWatch names a task by the last part of its ARN, not by its name.
  tasks = {
    for i, arn in var.task_arns :
    (i == 0 ? "forward" : "reverse${i == 1 ? "" : i}") => {
      arn = arn
      id  = element(split(":", arn), 6)
    }
  }

  task_dims = {
    for k, t in local.tasks : k => [
      "ReplicationInstanceIdentifier", var.replication_instance_id,
      "ReplicationTaskIdentifier", t.id,
    ]
  }
  instance_dims = ["ReplicationInstanceIdentifier", var.replication_instance_id]
  cluster_dims  = ["DBClusterIdentifier", var.aurora_cluster_id]
  writer_dims   = ["DBInstanceIdentifier", var.aurora_instance_ids[0]]

  gib = 1024 * 1024 * 1024
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-cutover-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "EventBridgeDmsTaskEvents"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.dms_task_failed.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---------------------------------------------------------------- alarms

resource "aws_cloudwatch_metric_alarm" "cdc_latency_source" {
  for_each = local.tasks

  alarm_name        = "${var.name}-dms-${each.key}-cdc-latency-source"
  alarm_description = "DMS ${each.key} task: reading changes from its source is more than ${var.cdc_latency_threshold_seconds}s behind. See docs/troubleshooting.md, lag that won't drop."
  namespace         = "AWS/DMS"
  metric_name       = "CDCLatencySource"
  dimensions = {
    ReplicationInstanceIdentifier = var.replication_instance_id
    ReplicationTaskIdentifier     = each.value.id
  }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.cdc_latency_evaluation_minutes
  datapoints_to_alarm = var.cdc_latency_evaluation_minutes
  threshold           = var.cdc_latency_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  # A stopped task (the reverse one until the switch) sends nothing.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "cdc_latency_target" {
  for_each = local.tasks

  alarm_name        = "${var.name}-dms-${each.key}-cdc-latency-target"
  alarm_description = "DMS ${each.key} task: changes reach its target more than ${var.cdc_latency_threshold_seconds}s after their commit. See docs/troubleshooting.md, lag that won't drop."
  namespace         = "AWS/DMS"
  metric_name       = "CDCLatencyTarget"
  dimensions = {
    ReplicationInstanceIdentifier = var.replication_instance_id
    ReplicationTaskIdentifier     = each.value.id
  }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.cdc_latency_evaluation_minutes
  datapoints_to_alarm = var.cdc_latency_evaluation_minutes
  threshold           = var.cdc_latency_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dms_free_storage" {
  alarm_name          = "${var.name}-dms-free-storage"
  alarm_description   = "DMS replication instance ${var.replication_instance_id}: less than ${var.dms_free_storage_threshold_gb} GiB free. Cached changes or logs are filling it."
  namespace           = "AWS/DMS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { ReplicationInstanceIdentifier = var.replication_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.dms_free_storage_threshold_gb * local.gib
  comparison_operator = "LessThanThreshold"
  # No data from a running instance is itself suspicious.
  treat_missing_data = "breaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "aurora_free_local_storage" {
  for_each = toset(var.aurora_instance_ids)

  alarm_name          = "${each.value}-free-local-storage"
  alarm_description   = "Aurora instance ${each.value}: less than ${var.aurora_free_local_storage_threshold_gb} GiB of local storage free (temporary files, logs)."
  namespace           = "AWS/RDS"
  metric_name         = "FreeLocalStorage"
  dimensions          = { DBInstanceIdentifier = each.value }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.aurora_free_local_storage_threshold_gb * local.gib
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# The way back holds WAL on Aurora: the reverse slot cutover creates
# before the switch. Unread (the reverse task stopped or failed), or kept
# after the rollback window, it fills Aurora's storage.
resource "aws_cloudwatch_metric_alarm" "aurora_slot_lag" {
  alarm_name          = "${var.aurora_instance_ids[0]}-replication-slot-lag"
  alarm_description   = "Aurora writer ${var.aurora_instance_ids[0]}: a replication slot (the reverse slot, cutover_reverse) holds more than ${var.replication_slot_lag_threshold_gb} GiB of WAL. Is the reverse DMS task running? After the rollback window, drop the slot. See docs/troubleshooting.md, WAL filling the disk."
  namespace           = "AWS/RDS"
  metric_name         = "OldestReplicationSlotLag"
  dimensions          = { DBInstanceIdentifier = var.aurora_instance_ids[0] }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.replication_slot_lag_threshold_gb * local.gib
  comparison_operator = "GreaterThanThreshold"
  # No slot, no data: nothing held.
  treat_missing_data = "notBreaching"
  alarm_actions      = [aws_sns_topic.alarms.arn]
  ok_actions         = [aws_sns_topic.alarms.arn]
  tags               = var.tags
}

resource "aws_cloudwatch_metric_alarm" "aurora_transaction_logs" {
  alarm_name          = "${var.aurora_instance_ids[0]}-transaction-logs-disk"
  alarm_description   = "Aurora writer ${var.aurora_instance_ids[0]}: transaction logs use more than ${var.transaction_logs_threshold_gb} GiB, WAL kept for replication slots (the reverse slot). See docs/troubleshooting.md, WAL filling the disk."
  namespace           = "AWS/RDS"
  metric_name         = "TransactionLogsDiskUsage"
  dimensions          = { DBInstanceIdentifier = var.aurora_instance_ids[0] }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.transaction_logs_threshold_gb * local.gib
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dms_cpu" {
  alarm_name          = "${var.name}-dms-cpu"
  alarm_description   = "DMS replication instance ${var.replication_instance_id}: CPU above ${var.dms_cpu_threshold_percent}% for 15 minutes; the tasks fall behind. A larger instance class, or fewer tasks on it."
  namespace           = "AWS/DMS"
  metric_name         = "CPUUtilization"
  dimensions          = { ReplicationInstanceIdentifier = var.replication_instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 3
  threshold           = var.dms_cpu_threshold_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dms_memory" {
  alarm_name          = "${var.name}-dms-freeable-memory"
  alarm_description   = "DMS replication instance ${var.replication_instance_id}: less than ${var.dms_freeable_memory_threshold_mb} MiB of memory free; DMS swaps and spills changes to disk."
  namespace           = "AWS/DMS"
  metric_name         = "FreeableMemory"
  dimensions          = { ReplicationInstanceIdentifier = var.replication_instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = var.dms_freeable_memory_threshold_mb * 1024 * 1024
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# DMS's own validation found rows that differ (a table's
# ValidationFailedRecords in DescribeTableStatistics; the task's
# ValidationFailedOverallCount in CloudWatch). One is one too many.
resource "aws_cloudwatch_metric_alarm" "validation_failed_records" {
  for_each = { for k, t in local.tasks : k => t if k == "forward" }

  alarm_name        = "${var.name}-dms-${each.key}-validation-failed-records"
  alarm_description = "DMS ${each.key} task: its validation found rows that differ between source and target. See docs/troubleshooting.md, validation mismatches (awsdms_control.awsdms_validation_failures_v1 names them)."
  namespace         = "AWS/DMS"
  metric_name       = "ValidationFailedOverallCount"
  dimensions = {
    ReplicationInstanceIdentifier = var.replication_instance_id
    ReplicationTaskIdentifier     = each.value.id
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# ---------------------------------------------------------- task failure

# DMS sends task state changes to EventBridge (engine 3.4.5 and later). A
# failed task stops replicating; this must wake someone up at once, not
# after the latency alarm's evaluation window.
resource "aws_cloudwatch_event_rule" "dms_task_failed" {
  name        = "${var.name}-dms-task-failed"
  description = "A DMS task of ${var.name} failed"
  event_pattern = jsonencode({
    source        = ["aws.dms"]
    "detail-type" = ["DMS Replication Task State Change"]
    resources     = var.task_arns
    "$or" = [
      { detail = { category = ["Failure"] } },
      { detail = { eventType = ["REPLICATION_TASK_FAILED"] } },
    ]
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "dms_task_failed" {
  rule      = aws_cloudwatch_event_rule.dms_task_failed.name
  target_id = "sns"
  arn       = aws_sns_topic.alarms.arn

  input_transformer {
    input_paths = {
      task    = "$.resources[0]"
      message = "$.detail.detailMessage"
      time    = "$.time"
    }
    input_template = "\"DMS task <task> failed at <time>: <message>. See docs/troubleshooting.md, DMS task failed.\""
  }
}

# -------------------------------------------------------------- dashboard

locals {
  task_metric = {
    for k, dims in local.task_dims : k => {
      latency = [
        concat(["AWS/DMS", "CDCLatencySource"], dims, [{ label = "${k} source" }]),
        concat(["AWS/DMS", "CDCLatencyTarget"], dims, [{ label = "${k} target" }]),
      ]
      incoming = [concat(["AWS/DMS", "CDCIncomingChanges"], dims, [{ label = k }])]
      throughput = [
        concat(["AWS/DMS", "CDCThroughputRowsSource"], dims, [{ label = "${k} CDC rows/s read" }]),
        concat(["AWS/DMS", "CDCThroughputRowsTarget"], dims, [{ label = "${k} CDC rows/s applied" }]),
        concat(["AWS/DMS", "FullLoadThroughputRowsTarget"], dims, [{ label = "${k} full load rows/s" }]),
      ]
    }
  }

  widgets = [
    {
      title   = "CDC latency (s): source and target"
      metrics = flatten([for k, m in local.task_metric : m.latency])
      stat    = "Maximum"
      annotations = {
        horizontal = [{ label = "alarm", value = var.cdc_latency_threshold_seconds }]
      }
    },
    {
      title   = "Incoming changes (waiting to be applied)"
      metrics = flatten([for k, m in local.task_metric : m.incoming])
      stat    = "Maximum"
    },
    {
      title   = "Throughput (rows/s)"
      metrics = flatten([for k, m in local.task_metric : m.throughput])
      stat    = "Average"
    },
    {
      title = "Replication instance: CPU (%)"
      metrics = [
        concat(["AWS/DMS", "CPUUtilization"], local.instance_dims),
      ]
      stat = "Average"
    },
    {
      title = "Replication instance: memory and storage (bytes)"
      metrics = [
        concat(["AWS/DMS", "FreeableMemory"], local.instance_dims),
        concat(["AWS/DMS", "FreeStorageSpace"], local.instance_dims),
      ]
      stat = "Minimum"
    },
    {
      title = "Aurora: connections"
      metrics = [
        concat(["AWS/RDS", "DatabaseConnections"], local.cluster_dims),
      ]
      stat = "Maximum"
    },
    {
      title = "Aurora: commit latency (ms)"
      metrics = [
        concat(["AWS/RDS", "CommitLatency"], local.cluster_dims),
      ]
      stat = "Average"
    },
    {
      title = "Aurora: replica lag (ms)"
      metrics = [
        concat(["AWS/RDS", "AuroraReplicaLagMaximum"], local.cluster_dims),
      ]
      stat = "Maximum"
    },
    {
      # The reverse replication's slot lives on the writer: watch its WAL.
      title = "Aurora writer: replication slot lag and WAL on disk (bytes)"
      metrics = [
        concat(["AWS/RDS", "OldestReplicationSlotLag"], local.writer_dims),
        concat(["AWS/RDS", "TransactionLogsDiskUsage"], local.writer_dims),
      ]
      stat = "Maximum"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "cutover" {
  dashboard_name = "${var.name}-cutover"
  dashboard_body = jsonencode({
    widgets = [
      for i, w in local.widgets : {
        type   = "metric"
        x      = (i % 3) * 8
        y      = floor(i / 3) * 6
        width  = 8
        height = 6
        properties = merge({
          title   = w.title
          region  = local.region
          view    = "timeSeries"
          stacked = false
          period  = 60
          stat    = w.stat
          metrics = w.metrics
        }, can(w.annotations) ? { annotations = w.annotations } : {})
      }
    ]
  })
}
