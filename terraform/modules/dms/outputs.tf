output "replication_instance_id" {
  description = "Identifier of the replication instance (CloudWatch's ReplicationInstanceIdentifier)."
  value       = aws_dms_replication_instance.this.replication_instance_id
}

output "replication_instance_arn" {
  description = "ARN of the replication instance."
  value       = aws_dms_replication_instance.this.replication_instance_arn
}

output "task_arn" {
  description = "ARN of the forward full-load-and-cdc task ([replication] task_arn in cutover.conf)."
  value       = aws_dms_replication_task.forward.replication_task_arn
}

output "reverse_task_arn" {
  description = "ARN of the reverse CDC task ([replication] reverse_task_arn), or null when it is not created."
  value       = one(aws_dms_replication_task.reverse[*].replication_task_arn)
}

output "task_arns" {
  description = "ARNs of every task of this module: the forward task and, when created, the reverse one."
  value       = concat([aws_dms_replication_task.forward.replication_task_arn], aws_dms_replication_task.reverse[*].replication_task_arn)
}

output "log_group_name" {
  description = "CloudWatch log group the tasks log to."
  value       = aws_cloudwatch_log_group.tasks.name
}

output "secrets_access_role_arn" {
  description = "Role the endpoints read their Secrets Manager credentials with."
  value       = aws_iam_role.secrets_access.arn
}

output "reverse_slot_name" {
  description = "The slot the reverse task reads ([rollback] reverse_slot in cutover.conf)."
  value       = var.reverse_slot_name
}

output "slot_plugin" {
  description = "Output plugin of both slots as cutover names it ([rollback] reverse_slot_plugin): test_decoding or pglogical."
  value       = replace(var.slot_plugin, "-", "_")
}
