output "alarm_topic_arn" {
  description = "SNS topic every alarm and the DMS task-failure rule notify; subscribe pagers here."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.cutover.dashboard_name
}

output "task_failed_rule_arn" {
  description = "ARN of the EventBridge rule that matches failed DMS tasks."
  value       = aws_cloudwatch_event_rule.dms_task_failed.arn
}
