output "dms_security_group_id" {
  description = "Security group to attach to the DMS replication instance."
  value       = aws_security_group.dms.id
}

output "aurora_security_group_id" {
  description = "Security group to attach to the Aurora cluster."
  value       = aws_security_group.aurora.id
}
