# terraform test, offline: the AWS provider is mocked.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
}

variables {
  cluster_identifier = "app-test"
  engine_version     = "16.6"
  database_name      = "app"
  instance_class     = "db.r6g.large"
  reader_count       = 2
  subnet_ids         = ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722"]
  security_group_ids = ["sg-0a1b2c3d4e5f60701"]
}

run "cluster" {
  command = apply

  assert {
    condition = contains([
      for p in aws_rds_cluster_parameter_group.this.parameter : p.value if p.name == "rds.logical_replication"
    ], "1")
    error_message = "rds.logical_replication must be 1 (reverse replication reads Aurora's WAL)"
  }
  assert {
    condition     = aws_rds_cluster_parameter_group.this.family == "aurora-postgresql16"
    error_message = "the parameter group family follows the engine's major version"
  }
  assert {
    condition     = aws_rds_cluster.this.manage_master_user_password && aws_rds_cluster.this.master_password == null
    error_message = "the master password is managed by RDS in Secrets Manager, never given"
  }
  assert {
    condition     = aws_rds_cluster.this.storage_encrypted && aws_rds_cluster.this.deletion_protection
    error_message = "encrypted, and deletion protection on by default"
  }
  assert {
    condition     = length(aws_rds_cluster_instance.this) == 3 && alltrue([for i in aws_rds_cluster_instance.this : i.performance_insights_enabled && i.monitoring_interval == 15 && !i.publicly_accessible])
    error_message = "a writer and two readers, with Performance Insights and Enhanced Monitoring, private"
  }
}

# Values that would hurt are refused at plan time.
run "bad_values_are_refused" {
  command = plan

  variables {
    engine_version = "12.4"
    instance_class = "r6g.large"
  }

  expect_failures = [var.engine_version, var.instance_class]
}

