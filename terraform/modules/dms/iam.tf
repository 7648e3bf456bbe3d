# IAM for DMS.
#
# dms-vpc-role and dms-cloudwatch-logs-role are looked up by DMS under exactly
# these names, once per account: create_iam_roles lets the environments that
# share an account create them only once.

data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "dms_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["dms.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "dms_vpc" {
  count = var.create_iam_roles ? 1 : 0

  name               = "dms-vpc-role"
  description        = "Lets DMS manage the network interfaces of replication instances"
  assume_role_policy = data.aws_iam_policy_document.dms_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "dms_vpc" {
  count = var.create_iam_roles ? 1 : 0

  role       = aws_iam_role.dms_vpc[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonDMSVPCManagementRole"
}

resource "aws_iam_role" "dms_cloudwatch_logs" {
  count = var.create_iam_roles ? 1 : 0

  name               = "dms-cloudwatch-logs-role"
  description        = "Lets DMS write task logs to CloudWatch Logs"
  assume_role_policy = data.aws_iam_policy_document.dms_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "dms_cloudwatch_logs" {
  count = var.create_iam_roles ? 1 : 0

  role       = aws_iam_role.dms_cloudwatch_logs[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonDMSCloudWatchLogsRole"
}

# The role the endpoints use to read their credentials: it can read exactly
# the two secrets and nothing else.
data "aws_iam_policy_document" "secrets_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type = "Service"
      identifiers = [
        "dms.amazonaws.com",
        "dms.${data.aws_region.current.name}.amazonaws.com",
      ]
    }
  }
}

data "aws_iam_policy_document" "secrets_read" {
  statement {
    sid       = "ReadEndpointCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.source_secret_arn, var.target_secret_arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptEndpointCredentials"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "secrets_access" {
  name_prefix        = "${substr(var.name, 0, 20)}-dms-secrets-"
  description        = "DMS endpoints of ${var.name}: read their Secrets Manager credentials"
  assume_role_policy = data.aws_iam_policy_document.secrets_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "secrets_access" {
  name   = "read-endpoint-credentials"
  role   = aws_iam_role.secrets_access.id
  policy = data.aws_iam_policy_document.secrets_read.json
}
