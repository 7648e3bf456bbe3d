#!/usr/bin/env python3
"""motoctl - sets up and inspects moto for the AWS integration tests, with
botocore (never with cutover's own client, which is what is under test).

    motoctl.py URL setup POLICY.json   -> JSON: keys and ARNs
    motoctl.py URL describe ARN        -> the task as botocore reads it
    motoctl.py URL put-metrics INSTANCE_ID TASK_ID CLUSTER
    motoctl.py URL auth on|off         -> signature checking
    motoctl.py URL reader POLICY.json  -> a user with the policy's read
                                          statements only: its keys

Setup runs before signature checking is switched on (moto's
INITIAL_NO_AUTH_ACTION_COUNT, set through /moto-api/reset-auth, which is
what moto's own set_initial_no_auth_action_count does in server mode).
Afterwards the admin key does what the tests need besides our client.
"""
import datetime
import json
import os
import sys
import urllib.request

import boto3

URL, CMD = sys.argv[1], sys.argv[2]
REGION = "us-east-1"
STATE = os.environ.get("MOTOCTL_STATE", "")


def client(svc, who="setup"):
    if who == "admin":
        k = json.load(open(STATE))
        return boto3.client(svc, endpoint_url=URL, region_name=REGION,
                            aws_access_key_id=k["admin_key"], aws_secret_access_key=k["admin_secret"])
    return boto3.client(svc, endpoint_url=URL, region_name=REGION,
                        aws_access_key_id="setup", aws_secret_access_key="setup")


def auth(count):
    req = urllib.request.Request(URL + "/moto-api/reset-auth", data=count.encode(),
                                 headers={"Content-Type": "text/plain"}, method="POST")
    return json.load(urllib.request.urlopen(req))


def jsonable(o):
    if isinstance(o, datetime.datetime):
        return o.isoformat()
    raise TypeError(o)


if CMD == "setup":
    policy = json.load(open(sys.argv[3]))
    # moto names CloudWatch's IAM actions after its signing name
    # ("monitoring:GetMetricData"); AWS says "cloudwatch:GetMetricData".
    for st in policy["Statement"]:
        st["Action"] += [a.replace("cloudwatch:", "monitoring:") for a in st["Action"] if a.startswith("cloudwatch:")]
        st["Resource"] = "*"
    iam = client("iam")
    iam.create_user(UserName="sre")
    iam.put_user_policy(UserName="sre", PolicyName="cutover-driver", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName="sre")["AccessKey"]
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    a = iam.create_access_key(UserName="admin")["AccessKey"]
    dms = client("dms")
    ri = dms.create_replication_instance(ReplicationInstanceIdentifier="cutover-ri", AllocatedStorage=50,
                                         ReplicationInstanceClass="dms.r5.large")["ReplicationInstance"]
    eps = {}
    for name, typ, eng in (("src", "source", "postgres"), ("tgt", "target", "aurora-postgresql")):
        eps[name] = dms.create_endpoint(EndpointIdentifier="cutover-" + name, EndpointType=typ, EngineName=eng,
                                        ServerName=name + ".example", Port=5432, DatabaseName="app",
                                        Username="migrator", Password="not-used")["Endpoint"]["EndpointArn"]
    fwd = dms.create_replication_task(ReplicationTaskIdentifier="cutover-forward", SourceEndpointArn=eps["src"],
                                      TargetEndpointArn=eps["tgt"], ReplicationInstanceArn=ri["ReplicationInstanceArn"],
                                      MigrationType="full-load-and-cdc",
                                      TableMappings=json.dumps({"rules": [{"rule-type": "selection", "rule-id": "1",
                                                                           "rule-name": "1", "rule-action": "include",
                                                                           "object-locator": {"schema-name": "%",
                                                                                              "table-name": "%"}}]}))
    rev = dms.create_replication_task(ReplicationTaskIdentifier="cutover-reverse", SourceEndpointArn=eps["tgt"],
                                      TargetEndpointArn=eps["src"], ReplicationInstanceArn=ri["ReplicationInstanceArn"],
                                      MigrationType="cdc", TableMappings="{\"rules\": []}")
    out = {"key": k["AccessKeyId"], "secret": k["SecretAccessKey"], "admin_key": a["AccessKeyId"],
           "admin_secret": a["SecretAccessKey"], "task": fwd["ReplicationTask"]["ReplicationTaskArn"],
           "reverse": rev["ReplicationTask"]["ReplicationTaskArn"],
           "instance": ri["ReplicationInstanceArn"], "instance_id": ri["ReplicationInstanceIdentifier"]}
    auth("0")
    print(json.dumps(out))
elif CMD == "describe":
    r = client("dms", "admin").describe_replication_tasks(
        Filters=[{"Name": "replication-task-arn", "Values": [sys.argv[3]]}], WithoutSettings=True)
    print(json.dumps(r["ReplicationTasks"][0], default=jsonable))
elif CMD == "put-metrics":
    inst, task, cluster = sys.argv[3:6]
    cw = client("cloudwatch", "admin")
    now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
    td = [{"Name": "ReplicationInstanceIdentifier", "Value": inst}, {"Name": "ReplicationTaskIdentifier", "Value": task}]
    for i in range(5):
        t = now - datetime.timedelta(minutes=5 - i)
        cw.put_metric_data(Namespace="AWS/DMS", MetricData=[
            {"MetricName": "CDCLatencySource", "Dimensions": td, "Timestamp": t, "Value": 1.0 + i, "Unit": "Seconds"},
            {"MetricName": "CDCLatencyTarget", "Dimensions": td, "Timestamp": t, "Value": 2.0 + i, "Unit": "Seconds"},
            {"MetricName": "CDCIncomingChanges", "Dimensions": td, "Timestamp": t, "Value": 100.0 * i, "Unit": "Count"},
            {"MetricName": "CPUUtilization", "Dimensions": td[:1], "Timestamp": t, "Value": 20.0 + i, "Unit": "Percent"},
            {"MetricName": "FreeableMemory", "Dimensions": td[:1], "Timestamp": t, "Value": 1e9, "Unit": "Bytes"},
        ])
        cw.put_metric_data(Namespace="AWS/RDS", MetricData=[
            {"MetricName": "DatabaseConnections", "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}],
             "Timestamp": t, "Value": 40.0 + i, "Unit": "Count"}])
        # A decoy: the same metric for the task's *name* must not be read.
        cw.put_metric_data(Namespace="AWS/DMS", MetricData=[
            {"MetricName": "CDCLatencySource", "Timestamp": t, "Value": 999.0, "Unit": "Seconds",
             "Dimensions": [{"Name": "ReplicationInstanceIdentifier", "Value": inst},
                            {"Name": "ReplicationTaskIdentifier", "Value": "decoy-name"}]}])
    print("ok")
elif CMD == "reader":
    policy = json.load(open(sys.argv[3]))
    policy["Statement"] = [st for st in policy["Statement"] if not st["Sid"].startswith("CutoverDrives")]
    for st in policy["Statement"]:
        st["Action"] += [a.replace("cloudwatch:", "monitoring:") for a in st["Action"] if a.startswith("cloudwatch:")]
    iam = client("iam", "admin")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="cutover-reader", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName="reader")["AccessKey"]
    print(json.dumps({"key": k["AccessKeyId"], "secret": k["SecretAccessKey"]}))
elif CMD == "auth":
    print(json.dumps(auth("0" if sys.argv[3] == "on" else "inf")))
