# terraform test, offline: the AWS provider is mocked.

mock_provider "aws" {
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0fedcba9876543210" }
  }
}

variables {
  name                      = "app-test"
  vpc_id                    = "vpc-0a1b2c3d4e5f60718"
  source_cidr_blocks        = ["10.0.20.10/32"]
  bastion_security_group_id = "sg-0a1b2c3d4e5f60701"
  api_egress_cidr_blocks    = ["10.0.0.0/16"]
}

run "rules" {
  command = apply

  assert {
    condition     = aws_vpc_security_group_egress_rule.dms_to_source["10.0.20.10/32"].from_port == 5432 && aws_vpc_security_group_egress_rule.dms_to_source["10.0.20.10/32"].cidr_ipv4 == "10.0.20.10/32"
    error_message = "DMS reaches the source on its port, and only its hosts"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.aurora_from_bastion.referenced_security_group_id == var.bastion_security_group_id
    error_message = "the bastion reaches Aurora"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.source_from_dms) == 0
    error_message = "no rule on a source security group that was not given"
  }
}

run "wide_source_cidr_is_refused" {
  command = plan

  variables {
    source_cidr_blocks = ["0.0.0.0/0"]
  }

  expect_failures = [var.source_cidr_blocks]
}
