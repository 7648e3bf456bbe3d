# Aurora PostgreSQL: the migration target. Logical replication is on from
# the first boot, because the reverse replication (rollback after the switch)
# reads Aurora's WAL, and turning it on later needs a reboot.

locals {
  engine_major = split(".", var.engine_version)[0]
}

resource "aws_db_subnet_group" "this" {
  name        = var.cluster_identifier
  description = "Aurora ${var.cluster_identifier}"
  subnet_ids  = var.subnet_ids
  tags        = var.tags
}

resource "aws_rds_cluster_parameter_group" "this" {
  name_prefix = "${var.cluster_identifier}-"
  family      = "aurora-postgresql${local.engine_major}"
  description = "cutover: logical replication for reverse CDC, TLS only"
  tags        = var.tags

  # Static parameters only change at a reboot: pending-reboot says so.
  parameter {
    name         = "rds.logical_replication"
    value        = "1"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "max_replication_slots"
    value        = tostring(var.max_replication_slots)
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "max_wal_senders"
    value        = tostring(var.max_replication_slots)
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "max_logical_replication_workers"
    value        = tostring(var.max_replication_slots)
    apply_method = "pending-reboot"
  }

  # A replication connection that stopped answering is ended after a
  # minute, so a dead reader's slot shows as inactive (and alarms) early.
  parameter {
    name  = "wal_sender_timeout"
    value = "60000"
  }

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = var.monitoring_interval_seconds > 0 ? 1 : 0

  name_prefix        = "${substr(var.cluster_identifier, 0, 24)}-em-"
  description        = "Enhanced Monitoring for ${var.cluster_identifier}"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = var.monitoring_interval_seconds > 0 ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

data "aws_partition" "current" {}

resource "aws_rds_cluster" "this" {
  cluster_identifier = var.cluster_identifier
  engine             = "aurora-postgresql"
  engine_mode        = "provisioned"
  engine_version     = var.engine_version
  database_name      = var.database_name
  port               = var.port

  # RDS generates the password, keeps it in Secrets Manager and rotates it;
  # Terraform state never holds it.
  master_username               = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name            = aws_db_subnet_group.this.name
  vpc_security_group_ids          = var.security_group_ids
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.this.name

  storage_encrypted = true
  kms_key_id        = var.kms_key_arn

  backup_retention_period      = var.backup_retention_days
  preferred_backup_window      = "03:00-04:00"
  preferred_maintenance_window = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot        = true
  deletion_protection          = var.deletion_protection
  skip_final_snapshot          = false
  final_snapshot_identifier    = "${var.cluster_identifier}-final"

  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  apply_immediately                   = var.apply_immediately

  tags = var.tags
}

resource "aws_rds_cluster_instance" "this" {
  # Index 0 is the writer (promotion tier 0); the rest are readers.
  count = 1 + var.reader_count

  identifier         = "${var.cluster_identifier}-${count.index}"
  cluster_identifier = aws_rds_cluster.this.id
  engine             = aws_rds_cluster.this.engine
  engine_version     = aws_rds_cluster.this.engine_version
  instance_class     = var.instance_class
  promotion_tier     = count.index == 0 ? 0 : 1

  db_subnet_group_name = aws_db_subnet_group.this.name
  publicly_accessible  = false

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = var.performance_insights_retention_days

  monitoring_interval = var.monitoring_interval_seconds
  monitoring_role_arn = var.monitoring_interval_seconds > 0 ? aws_iam_role.monitoring[0].arn : null

  # No surprise minor upgrade (and restart) in the middle of a migration.
  auto_minor_version_upgrade = false
  apply_immediately          = var.apply_immediately

  tags = var.tags

  depends_on = [aws_iam_role_policy_attachment.monitoring]
}
