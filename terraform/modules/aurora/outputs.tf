output "cluster_id" {
  description = "Aurora cluster identifier (CloudWatch's DBClusterIdentifier)."
  value       = aws_rds_cluster.this.id
}

output "cluster_arn" {
  description = "ARN of the Aurora cluster."
  value       = aws_rds_cluster.this.arn
}

output "writer_endpoint" {
  description = "DNS name of the cluster's writer endpoint."
  value       = aws_rds_cluster.this.endpoint
}

output "reader_endpoint" {
  description = "DNS name of the cluster's reader endpoint (the writer when there is no reader)."
  value       = aws_rds_cluster.this.reader_endpoint
}

output "port" {
  description = "TCP port of the cluster."
  value       = aws_rds_cluster.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_rds_cluster.this.database_name
}

output "instance_ids" {
  description = "Identifiers of the cluster's instances, writer first (CloudWatch's DBInstanceIdentifier)."
  value       = aws_rds_cluster_instance.this[*].identifier
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS keeps the master password in (for break-glass use; the migration uses its own user)."
  value       = one(aws_rds_cluster.this.master_user_secret[*].secret_arn)
}
