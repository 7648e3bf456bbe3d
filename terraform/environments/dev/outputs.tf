# Exactly the outputs `cutover init --from-terraform` reads (src/tfoutput.c):
#   terraform output -json | cutover init --from-terraform -
# Every value is a string and none holds a password: cutover refuses a
# conninfo with one, and passwords come from ~/.pgpass or Secrets Manager.

output "cutover_environment" {
  description = "[cutover] environment: the name the console shows and prod confirmations ask for."
  value       = local.environment
}

output "cutover_source_conninfo" {
  description = "[source] conninfo: the source PostgreSQL as the migration user, without a password."
  value       = "postgresql://${var.migration_user}@${var.source_host}:${var.source_port}/${var.database_name}?sslmode=${var.sslmode}"
}

output "cutover_target_conninfo" {
  description = "[target] conninfo: the Aurora writer endpoint as the migration user, without a password."
  value       = "postgresql://${var.migration_user}@${module.aurora.writer_endpoint}:${module.aurora.port}/${module.aurora.database_name}?sslmode=${var.sslmode}"
}

output "cutover_target_reader_conninfo" {
  description = "[target] reader_conninfo: the Aurora reader endpoint, where target-side validation runs."
  value       = "postgresql://${var.migration_user}@${module.aurora.reader_endpoint}:${module.aurora.port}/${module.aurora.database_name}?sslmode=${var.sslmode}"
}

output "cutover_region" {
  description = "[replication] region of the DMS tasks and CloudWatch metrics."
  value       = var.region
}

output "cutover_dms_task_arn" {
  description = "[replication] task_arn: the forward full-load-and-cdc task."
  value       = module.dms.task_arn
}

output "cutover_dms_reverse_task_arn" {
  description = "[replication] reverse_task_arn: the reverse CDC task, or an empty string when enable_reverse_task is false."
  value       = module.dms.reverse_task_arn == null ? "" : module.dms.reverse_task_arn
}

output "cutover_aurora_cluster_id" {
  description = "[metrics] aurora_cluster: the cluster whose CloudWatch metrics the console shows."
  value       = module.aurora.cluster_id
}

output "cutover_reverse_slot" {
  description = "[rollback] reverse_slot: the slot cutover creates on Aurora before the switch, the reverse source endpoint's slot_name."
  value       = module.dms.reverse_slot_name
}

output "cutover_reverse_slot_plugin" {
  description = "[rollback] reverse_slot_plugin: that slot's output plugin, the endpoint's plugin_name."
  value       = module.dms.slot_plugin
}
