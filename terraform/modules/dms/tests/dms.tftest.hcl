# terraform test, offline: the AWS provider is mocked, so `apply` builds the
# resources in memory and the assertions read what would be sent to AWS.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_dms_replication_instance" {
    defaults = { replication_instance_arn = "arn:aws:dms:eu-west-1:123456789012:rep:MOCK" }
  }
  mock_resource "aws_dms_endpoint" {
    defaults = { endpoint_arn = "arn:aws:dms:eu-west-1:123456789012:endpoint:MOCK" }
  }
  mock_resource "aws_dms_replication_task" {
    defaults = { replication_task_arn = "arn:aws:dms:eu-west-1:123456789012:task:MOCK" }
  }
}

variables {
  name                       = "app-test"
  subnet_ids                 = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
  security_group_ids         = ["sg-0a1b2c3d4e5f60701"]
  replication_instance_class = "dms.r6i.large"
  source_database_name       = "app"
  target_database_name       = "app"
  source_secret_arn          = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:source-AbCdEf"
  target_secret_arn          = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:target-GhIjKl"
  source_ssl_mode            = "require"
  schemas                    = ["public", "billing"]
  exclude_tables             = ["public.scratch_%"]
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_dms_replication_task.forward.migration_type == "full-load-and-cdc"
    error_message = "the forward task must be full-load-and-cdc"
  }
  assert {
    condition     = !aws_dms_replication_task.forward.start_replication_task
    error_message = "Terraform must not start the task: cutover and the operator do"
  }
  assert {
    condition = contains([
      for r in jsondecode(aws_dms_replication_task.forward.table_mappings).rules :
      r["object-locator"]["schema-name"] if r["rule-type"] == "selection" && r["rule-action"] == "include"
    ], "cutover")
    error_message = "the table mappings must include the cutover schema (heartbeat and sentinel)"
  }
  assert {
    condition = length([
      for r in jsondecode(aws_dms_replication_task.forward.table_mappings).rules :
      r if r["rule-action"] == "exclude" && r["object-locator"]["table-name"] == "scratch_%"
    ]) == 1
    error_message = "exclude_tables must become an exclude rule"
  }
  assert {
    condition     = jsondecode(aws_dms_replication_task.forward.replication_task_settings).ValidationSettings.EnableValidation
    error_message = "DMS validation must be on for the forward task"
  }
  assert {
    condition     = jsondecode(aws_dms_replication_task.forward.replication_task_settings).Logging.EnableLogging
    error_message = "CloudWatch logging must be on"
  }
  assert {
    condition = (
      jsondecode(aws_dms_replication_task.forward.replication_task_settings).TargetMetadata.SupportLobs &&
      jsondecode(aws_dms_replication_task.forward.replication_task_settings).TargetMetadata.LimitedSizeLobMode &&
      jsondecode(aws_dms_replication_task.forward.replication_task_settings).TargetMetadata.LobMaxSize == 1024
    )
    error_message = "LOB settings: limited LOB mode with lob_max_size_kb"
  }
  assert {
    condition     = jsondecode(aws_dms_replication_task.forward.replication_task_settings).TargetMetadata.ParallelLoadThreads == 4
    error_message = "parallel load threads must follow parallel_load_threads"
  }
  assert {
    condition     = jsondecode(aws_dms_replication_task.forward.replication_task_settings).FullLoadSettings.TargetTablePrepMode == "DO_NOTHING"
    error_message = "DMS must never drop or truncate the target's tables"
  }

  assert {
    condition = alltrue([
      for e in [aws_dms_endpoint.source, aws_dms_endpoint.target, aws_dms_endpoint.reverse_source[0], aws_dms_endpoint.reverse_target[0]] :
      e.secrets_manager_arn != null && e.secrets_manager_access_role_arn != null && e.password == null && e.username == null
    ])
    error_message = "every endpoint reads its credentials from Secrets Manager and holds no user name or password"
  }
  assert {
    condition     = aws_dms_endpoint.source.secrets_manager_arn == var.source_secret_arn && aws_dms_endpoint.reverse_target[0].secrets_manager_arn == var.source_secret_arn
    error_message = "the source's endpoints use the source secret"
  }
  assert {
    condition     = aws_iam_role.dms_vpc[0].name == "dms-vpc-role" && aws_iam_role.dms_cloudwatch_logs[0].name == "dms-cloudwatch-logs-role"
    error_message = "DMS looks its roles up by these exact names"
  }

  assert {
    condition     = length(aws_dms_replication_task.reverse) == 1 && aws_dms_replication_task.reverse[0].migration_type == "cdc"
    error_message = "the reverse task is CDC only"
  }
  assert {
    condition     = aws_dms_endpoint.reverse_source[0].engine_name == "aurora-postgresql" && aws_dms_endpoint.reverse_target[0].engine_name == "postgres"
    error_message = "the reverse task reads Aurora and writes the source"
  }
  assert {
    condition = contains([
      for r in jsondecode(aws_dms_replication_task.reverse[0].table_mappings).rules : r["object-locator"]["schema-name"]
    ], "cutover")
    error_message = "the reverse task also carries the cutover schema (the rollback's sentinel)"
  }
  assert {
    condition     = length(output.task_arns) == 2 && output.reverse_task_arn != null
    error_message = "task_arns holds both tasks"
  }

  # What cutover's pre_validation refuses otherwise.
  assert {
    condition = alltrue([
      for t in [aws_dms_replication_task.forward, aws_dms_replication_task.reverse[0]] :
      !jsondecode(t.replication_task_settings).TargetMetadata.BatchApplyEnabled
    ])
    error_message = "both tasks apply in commit order (BatchApplyEnabled false): the sentinel proof needs it"
  }
  assert {
    condition = alltrue(flatten([
      for t in [aws_dms_replication_task.forward, aws_dms_replication_task.reverse[0]] : [
        for k in ["ApplyErrorInsertPolicy", "ApplyErrorUpdatePolicy", "ApplyErrorDeletePolicy", "ApplyErrorEscalationPolicy"] :
        jsondecode(t.replication_task_settings).ErrorBehavior[k] == "STOP_TASK"
      ]
    ]))
    error_message = "an apply conflict stops both tasks (STOP_TASK), as their comment says"
  }
  assert {
    condition     = aws_dms_endpoint.source.postgres_settings[0].slot_name == "cutover_forward" && aws_dms_endpoint.source.postgres_settings[0].plugin_name == "test-decoding"
    error_message = "the forward source endpoint names its slot and plugin (a CdcStartPosition needs a named slot)"
  }
  assert {
    condition     = aws_dms_endpoint.reverse_source[0].postgres_settings[0].slot_name == "cutover_reverse" && aws_dms_endpoint.reverse_source[0].postgres_settings[0].plugin_name == "test-decoding"
    error_message = "the reverse source endpoint reads the slot cutover creates ([rollback] reverse_slot), with its plugin"
  }
  assert {
    condition     = aws_dms_endpoint.source.postgres_settings[0].heartbeat_enable && aws_dms_endpoint.source.postgres_settings[0].fail_tasks_on_lob_truncation
    error_message = "the forward source endpoint has DMS's heartbeat on and fails a task rather than cut a LOB"
  }
  assert {
    condition     = output.reverse_slot_name == "cutover_reverse" && output.slot_plugin == "test_decoding"
    error_message = "the outputs give cutover.conf's reverse_slot and reverse_slot_plugin"
  }
}

run "without_reverse_task_or_account_roles" {
  command = apply

  variables {
    enable_reverse_task = false
    create_iam_roles    = false
  }

  assert {
    condition     = length(aws_dms_replication_task.reverse) == 0 && output.reverse_task_arn == null && length(output.task_arns) == 1
    error_message = "enable_reverse_task = false creates no reverse task"
  }
  assert {
    condition     = length(aws_iam_role.dms_vpc) == 0 && length(aws_iam_role.dms_cloudwatch_logs) == 0
    error_message = "create_iam_roles = false leaves the account-wide roles to another environment"
  }
}

# Values that would hurt are refused at plan time.
run "bad_values_are_refused" {
  command = plan

  variables {
    exclude_tables             = ["cutover.heartbeat"]
    replication_instance_class = "db.r6g.large"
    lob_max_size_kb            = 0
    slot_plugin                = "no-preference"
    reverse_slot_name          = "Cutover-Reverse"
  }

  expect_failures = [var.exclude_tables, var.replication_instance_class, var.lob_max_size_kb, var.slot_plugin, var.reverse_slot_name]
}

run "verify_full_needs_a_certificate" {
  command = plan

  variables {
    source_ssl_mode = "verify-full"
  }

  expect_failures = [aws_dms_endpoint.source]
}

