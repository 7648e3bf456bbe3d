# Security groups for the migration: the DMS replication instance reaches the
# source and Aurora, the bastion (where the cutover console runs) reaches both,
# and nothing else is opened. Rules are separate resources so that other
# modules can add to the groups without fighting over inline rules.

resource "aws_security_group" "dms" {
  name        = "${var.name}-dms"
  description = "DMS replication instance: egress to the source, Aurora and AWS APIs only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-dms" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "aurora" {
  name        = "${var.name}-aurora"
  description = "Aurora PostgreSQL: ingress from DMS and the bastion only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-aurora" })

  lifecycle {
    create_before_destroy = true
  }
}

# DMS -> source (forward full load and CDC; also the reverse task's target).
resource "aws_vpc_security_group_egress_rule" "dms_to_source" {
  for_each = toset(var.source_cidr_blocks)

  security_group_id = aws_security_group.dms.id
  description       = "DMS to the source PostgreSQL"
  ip_protocol       = "tcp"
  from_port         = var.source_port
  to_port           = var.source_port
  cidr_ipv4         = each.value
}

# DMS -> Aurora (forward target; the reverse task's source).
resource "aws_vpc_security_group_egress_rule" "dms_to_aurora" {
  security_group_id            = aws_security_group.dms.id
  description                  = "DMS to Aurora"
  ip_protocol                  = "tcp"
  from_port                    = var.aurora_port
  to_port                      = var.aurora_port
  referenced_security_group_id = aws_security_group.aurora.id
}

# DMS -> AWS APIs: endpoint credentials come from Secrets Manager.
resource "aws_vpc_security_group_egress_rule" "dms_to_apis" {
  for_each = toset(var.api_egress_cidr_blocks)

  security_group_id = aws_security_group.dms.id
  description       = "DMS to AWS APIs (Secrets Manager)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "aurora_from_dms" {
  security_group_id            = aws_security_group.aurora.id
  description                  = "DMS replication instance"
  ip_protocol                  = "tcp"
  from_port                    = var.aurora_port
  to_port                      = var.aurora_port
  referenced_security_group_id = aws_security_group.dms.id
}

resource "aws_vpc_security_group_ingress_rule" "aurora_from_bastion" {
  security_group_id            = aws_security_group.aurora.id
  description                  = "Bastion: cutover console, heartbeat, validation"
  ip_protocol                  = "tcp"
  from_port                    = var.aurora_port
  to_port                      = var.aurora_port
  referenced_security_group_id = var.bastion_security_group_id
}

# Only when the source runs in this VPC: open it to DMS and the bastion.
resource "aws_vpc_security_group_ingress_rule" "source_from_dms" {
  count = var.source_security_group_id == null ? 0 : 1

  security_group_id            = var.source_security_group_id
  description                  = "DMS replication instance"
  ip_protocol                  = "tcp"
  from_port                    = var.source_port
  to_port                      = var.source_port
  referenced_security_group_id = aws_security_group.dms.id
}

resource "aws_vpc_security_group_ingress_rule" "source_from_bastion" {
  count = var.source_security_group_id == null ? 0 : 1

  security_group_id            = var.source_security_group_id
  description                  = "Bastion: cutover console, fencing, heartbeat"
  ip_protocol                  = "tcp"
  from_port                    = var.source_port
  to_port                      = var.source_port
  referenced_security_group_id = var.bastion_security_group_id
}
