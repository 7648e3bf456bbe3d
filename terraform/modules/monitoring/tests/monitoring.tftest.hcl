# terraform test, offline: the AWS provider is mocked.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/mock" }
  }
}

variables {
  name                    = "app-test"
  replication_instance_id = "app-test-dms"
  task_arns = [
    "arn:aws:dms:eu-west-1:123456789012:task:FORWARDTASKID",
    "arn:aws:dms:eu-west-1:123456789012:task:REVERSETASKID",
  ]
  aurora_cluster_id   = "app-test"
  aurora_instance_ids = ["app-test-0", "app-test-1"]
}

run "alarms_and_events" {
  command = apply

  assert {
    condition     = aws_cloudwatch_metric_alarm.cdc_latency_source["forward"].dimensions.ReplicationTaskIdentifier == "FORWARDTASKID" && aws_cloudwatch_metric_alarm.cdc_latency_target["reverse"].dimensions.ReplicationTaskIdentifier == "REVERSETASKID"
    error_message = "CDC latency alarms per task, named by the task's resource ID as CloudWatch names it"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cdc_latency_source["forward"].threshold == 60
    error_message = "the CDC latency threshold is the variable's"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.aurora_free_local_storage) == 2 && aws_cloudwatch_metric_alarm.dms_free_storage.comparison_operator == "LessThanThreshold"
    error_message = "free storage alarms on the replication instance and every Aurora instance"
  }
  assert {
    condition     = jsonencode(jsondecode(aws_cloudwatch_event_rule.dms_task_failed.event_pattern)["detail-type"]) == jsonencode(["DMS Replication Task State Change"]) && jsonencode(jsondecode(aws_cloudwatch_event_rule.dms_task_failed.event_pattern).resources) == jsonencode(var.task_arns)
    error_message = "the EventBridge rule matches state changes of exactly these tasks"
  }
  assert {
    condition     = aws_cloudwatch_event_target.dms_task_failed.arn == aws_sns_topic.alarms.arn
    error_message = "task failures go to the alarm topic"
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.cutover.dashboard_body).widgets) == 9
    error_message = "the dashboard has its nine widgets"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.aurora_slot_lag.metric_name == "OldestReplicationSlotLag" && aws_cloudwatch_metric_alarm.aurora_slot_lag.dimensions.DBInstanceIdentifier == "app-test-0" && aws_cloudwatch_metric_alarm.aurora_slot_lag.threshold == 5 * 1024 * 1024 * 1024
    error_message = "the writer's oldest replication slot lag (the reverse slot) alarms above replication_slot_lag_threshold_gb"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.aurora_transaction_logs.metric_name == "TransactionLogsDiskUsage" && aws_cloudwatch_metric_alarm.aurora_transaction_logs.dimensions.DBInstanceIdentifier == "app-test-0"
    error_message = "the writer's transaction logs disk usage alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dms_cpu.metric_name == "CPUUtilization" && aws_cloudwatch_metric_alarm.dms_memory.metric_name == "FreeableMemory" && aws_cloudwatch_metric_alarm.dms_memory.comparison_operator == "LessThanThreshold"
    error_message = "the replication instance's CPU and memory alarm"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.validation_failed_records["forward"].metric_name == "ValidationFailedOverallCount" && aws_cloudwatch_metric_alarm.validation_failed_records["forward"].threshold == 0 && length(aws_cloudwatch_metric_alarm.validation_failed_records) == 1
    error_message = "one record failing the forward task's validation alarms"
  }
}

run "latency_threshold_is_checked" {
  command = plan

  variables {
    cdc_latency_threshold_seconds = 0
  }

  expect_failures = [var.cdc_latency_threshold_seconds]
}
