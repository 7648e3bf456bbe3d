variable "name" {
  type        = string
  description = "Prefix of every resource name, for example app-staging."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2-41 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC that holds the DMS replication instance and the Aurora cluster."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "source_cidr_blocks" {
  type        = list(string)
  description = "CIDR blocks of the self-managed source PostgreSQL hosts (primary and any host DMS may fail over to). Keep them as narrow as the hosts: /32 per host where possible."

  validation {
    condition     = length(var.source_cidr_blocks) > 0 && alltrue([for c in var.source_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "source_cidr_blocks must hold at least one valid IPv4 CIDR block."
  }

  validation {
    # A /0 or /8 would open the database port to far more than the source.
    condition     = alltrue([for c in var.source_cidr_blocks : tonumber(split("/", c)[1]) >= 16])
    error_message = "source_cidr_blocks must be /16 or narrower; name the source hosts, not the whole network."
  }
}

variable "source_port" {
  type        = number
  description = "TCP port of the source PostgreSQL."
  default     = 5432

  validation {
    condition     = var.source_port >= 1 && var.source_port <= 65535 && floor(var.source_port) == var.source_port
    error_message = "source_port must be an integer between 1 and 65535."
  }
}

variable "source_security_group_id" {
  type        = string
  description = "Security group of the source hosts when they run in this VPC (EC2); null when the source is outside AWS and its firewall is managed elsewhere. When set, the module adds the ingress rules from DMS and the bastion to it."
  default     = null

  validation {
    condition     = var.source_security_group_id == null || can(regex("^sg-[0-9a-f]{8,17}$", var.source_security_group_id))
    error_message = "source_security_group_id must be null or look like sg-0123456789abcdef0."
  }
}

variable "aurora_port" {
  type        = number
  description = "TCP port of the Aurora cluster."
  default     = 5432

  validation {
    condition     = var.aurora_port >= 1 && var.aurora_port <= 65535 && floor(var.aurora_port) == var.aurora_port
    error_message = "aurora_port must be an integer between 1 and 65535."
  }
}

variable "bastion_security_group_id" {
  type        = string
  description = "Security group of the bastion host where operators run the cutover console; it reaches both databases."

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.bastion_security_group_id))
    error_message = "bastion_security_group_id must look like sg-0123456789abcdef0."
  }
}

variable "api_egress_cidr_blocks" {
  type        = list(string)
  description = "Where the replication instance reaches AWS APIs on 443 (Secrets Manager for the endpoint credentials): the subnets of the interface VPC endpoints, or 0.0.0.0/0 when it goes through a NAT gateway."

  validation {
    condition     = alltrue([for c in var.api_egress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "api_egress_cidr_blocks must hold valid IPv4 CIDR blocks."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
