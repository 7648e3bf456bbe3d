#!/usr/bin/env python3
"""fakeaws - a small AWS endpoint for what moto lacks (DescribeTableStatistics,
realistic ReplicationTaskStats), for faults, and for the credential sources
(EC2 instance metadata v2, container credentials).

Every DMS and CloudWatch request must be signed: the signature is computed
again with botocore's own signer from the headers the request says it
signed (as moto does), and the request's shape is checked (X-Amz-Target,
Content-Type, the JSON members and their types). Anything wrong is answered
as AWS answers it (400/403 with __type and message) and logged.

    fakeaws.py STATEDIR [--tables N] [--script FILE] [--creds-ttl S] [--creating]

It writes STATEDIR/port when it listens, appends one JSON line per request
to STATEDIR/requests.jsonl, and reads STATEDIR/script.json (if any) before
every request: {"Op": ["500", "throttle", "ok", ...]} answers the next
calls of Op in that order (then normally). Faults: 500, 503, throttle,
toomany, hang, truncate, nonjson, ctype, huge, expired, denied, reset.
"""
import datetime
import hashlib
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STATE = sys.argv[1]
ARGS = sys.argv[2:]


def opt(name, default):
    return ARGS[ARGS.index(name) + 1] if name in ARGS else default


NTABLES = int(opt("--tables", "1200"))
CREDS_TTL = int(opt("--creds-ttl", "3600"))
REGION = "us-east-1"
ACCOUNT = "123456789012"
KEYS = {"AKIDFAKEEXAMPLE": "fake/Secret/Key+ForTheTests0000000000000"}
ISSUED = {}                      # key id -> (secret, token) we handed out
CONTAINER_TOKEN = opt("--container-token", "container-token-s3cr3t")
LOCK = threading.Lock()

TASK = "arn:aws:dms:us-east-1:123456789012:task:FWDTASKABCDEFGHIJKLMNOP"
REVERSE = "arn:aws:dms:us-east-1:123456789012:task:REVTASKABCDEFGHIJKLMNOP"
INSTANCE = "arn:aws:dms:us-east-1:123456789012:rep:INSTABCDEFGHIJKLMNOPQRS"
tasks = {
    TASK: {"status": "running", "started": True, "describes": 0, "id": "cutover-forward",
           "type": "full-load-and-cdc"},
    REVERSE: {"status": "creating" if "--creating" in ARGS else "ready", "started": False, "describes": 0,
              "id": "cutover-reverse", "type": "cdc"},
}
# The settings a cutover wants (script.json "settings" replaces them).
SETTINGS = {"TargetMetadata": {"SupportLobs": True, "FullLobMode": False, "LimitedSizeLobMode": True,
                               "LobMaxSize": 32, "BatchApplyEnabled": False},
            "ErrorBehavior": {"ApplyErrorInsertPolicy": "STOP_TASK", "ApplyErrorUpdatePolicy": "STOP_TASK",
                              "ApplyErrorDeletePolicy": "STOP_TASK", "ApplyErrorEscalationPolicy": "STOP_TASK"},
            "ValidationSettings": {"EnableValidation": True, "ValidationMode": "ROW_LEVEL"}}
ENDPOINTS = {
    "arn:aws:dms:us-east-1:123456789012:endpoint:SRC": ("cutover-source", "SOURCE", "postgres",
                                                        {"SlotName": "cutover_forward", "PluginName": "test-decoding",
                                                         "HeartbeatEnable": True}),
    "arn:aws:dms:us-east-1:123456789012:endpoint:TGT": ("cutover-target", "TARGET", "aurora-postgresql", {}),
    "arn:aws:dms:us-east-1:123456789012:endpoint:RSRC": ("cutover-reverse-source", "SOURCE", "aurora-postgresql",
                                                         {"SlotName": "cutover_reverse", "PluginName": "test-decoding",
                                                          "HeartbeatEnable": True}),
    "arn:aws:dms:us-east-1:123456789012:endpoint:RTGT": ("cutover-reverse-target", "TARGET", "postgres", {}),
}


def scripted(key, default):
    try:
        with open(os.path.join(STATE, "script.json")) as f:
            return json.load(f).get(key, default)
    except (OSError, ValueError):
        return default
counters = {}


def now():
    return time.time()


def log(entry):
    with LOCK, open(os.path.join(STATE, "requests.jsonl"), "a") as f:
        f.write(json.dumps(entry) + "\n")


def next_fault(op):
    path = os.path.join(STATE, "script.json")
    with LOCK:
        try:
            with open(path) as f:
                script = json.load(f)
        except (OSError, ValueError):
            return None
        q = script.get(op) or []
        if not q:
            return None
        act = q.pop(0)
        with open(path + ".tmp", "w") as f:
            json.dump(script, f)
        os.replace(path + ".tmp", path)
        return None if act == "ok" else act


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    # ---- answers ------------------------------------------------------
    silent = False

    def send(self, status, body, ctype="application/x-amz-json-1.1", extra=None):
        if self.silent:
            return
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-%d" % int(now() * 1000))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def aws_error(self, status, code, message, ctype="application/x-amz-json-1.1"):
        self.send(status, json.dumps({"__type": code, "message": message}), ctype)

    # ---- credential sources ------------------------------------------
    def issue(self):
        ak = "ASIAFAKE%08d" % (len(ISSUED) + 1)
        sk = "issued/Secret/%s/%d" % (ak, len(ISSUED))
        tok = "issued-token-%s-XYZZY" % ak
        ISSUED[ak] = (sk, tok)
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=CREDS_TTL)
        return {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": ak,
                "SecretAccessKey": sk, "Token": tok,
                "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "LastUpdated": "2026-11-24T16:00:00Z"}

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        if self.path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            log({"imds": "token", "ttl": ttl})
            if not ttl:
                return self.send(400, "missing ttl", "text/plain")
            return self.send(200, "imds-session-token-QWERTY", "text/plain")
        self.send(404, "", "text/plain")

    def do_GET(self):
        p = self.path
        if p.startswith("/latest/meta-data/iam/security-credentials/"):
            tok = self.headers.get("X-aws-ec2-metadata-token")
            role = p[len("/latest/meta-data/iam/security-credentials/"):]
            log({"imds": "role" if not role else "creds", "token_ok": tok == "imds-session-token-QWERTY"})
            if tok != "imds-session-token-QWERTY":
                return self.send(401, "", "text/plain")
            if not role:
                return self.send(200, "cutover-role\n", "text/plain")
            if role != "cutover-role":
                return self.send(404, "", "text/plain")
            return self.send(200, json.dumps(self.issue()), "text/plain")
        if p == "/container-creds":
            auth = self.headers.get("Authorization")
            log({"container": True, "auth_ok": auth == CONTAINER_TOKEN})
            if auth != CONTAINER_TOKEN:
                return self.send(403, json.dumps({"message": "bad token"}), "application/json")
            c = self.issue()
            del c["Code"], c["Type"], c["LastUpdated"]
            return self.send(200, json.dumps(c), "application/json")
        self.send(404, "", "text/plain")

    # ---- signed JSON APIs ---------------------------------------------
    def verify(self, body):
        h = self.headers
        auth = h.get("Authorization") or ""
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "MissingAuthenticationToken", "Request is missing Authentication Token", None
        parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        cred = parts["Credential"].split("/")
        ak, region, service = cred[0], cred[2], cred[3]
        token = h.get("X-Amz-Security-Token")
        if ak in KEYS:
            secret = KEYS[ak]
        elif ak in ISSUED:
            secret, want = ISSUED[ak]
            if token != want:
                return "InvalidClientTokenId", "The security token included in the request is invalid.", None
        else:
            return "UnrecognizedClientException", "The security token included in the request is invalid.", None
        signed = parts["SignedHeaders"].split(";")
        headers = {k: v for k, v in h.items() if k.lower() in signed}
        req = AWSRequest(method="POST", url="http://%s%s" % (h.get("Host"), self.path), data=body, headers=headers)
        req.context["timestamp"] = h.get("X-Amz-Date")
        a = SigV4Auth(Credentials(ak, secret, token), service, region)
        sig = a.signature(a.string_to_sign(req, a.canonical_request(req)), req)
        if sig != parts["Signature"]:
            return ("InvalidSignatureException",
                    "The request signature we calculated does not match the signature you provided. "
                    "Check your AWS Secret Access Key and signing method.", None)
        for need in ("host", "x-amz-date", "x-amz-target", "content-type"):
            if need not in signed:
                return "InvalidSignatureException", "%s is not signed" % need, None
        return None, None, (region, service, ak)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target") or ""
        ctype = self.headers.get("Content-Type") or ""
        op = target.split(".")[-1]
        entry = {"target": target, "content_type": ctype, "op": op}
        try:
            entry["body"] = json.loads(body or b"{}")
        except ValueError:
            entry["body"] = None
        code, msg, who = self.verify(body)
        entry["signature_ok"] = code is None
        if who:
            entry["region"], entry["service"], entry["key"] = who
        fault = next_fault(op) if code is None else None
        entry["fault"] = fault
        log(entry)
        if code is not None:
            return self.aws_error(403 if "Signature" in code or "Token" in code or "Client" in code else 400, code, msg)
        self.op, self.body = op, entry["body"]
        if fault:
            return self.fault(fault)
        if target.startswith("AmazonDMSv20160101."):
            if ctype != "application/x-amz-json-1.1" or who[1] != "dms":
                return self.aws_error(400, "SerializationException", "wrong content type or service")
            return self.dms(op, entry["body"])
        if target == "GraniteServiceVersion20100801.GetMetricData":
            if ctype != "application/x-amz-json-1.0" or who[1] != "monitoring":
                return self.aws_error(400, "SerializationException", "wrong content type or service", "application/x-amz-json-1.0")
            return self.metrics(entry["body"])
        self.aws_error(400, "UnknownOperationException", "unknown target %s" % target)

    def fault(self, f):
        if f in ("500", "503"):
            return self.aws_error(int(f), "InternalFailure" if f == "500" else "ServiceUnavailable", "fake %s" % f)
        if f == "throttle":
            return self.aws_error(400, "ThrottlingException", "Rate exceeded")
        if f == "toomany":
            return self.send(429, json.dumps({"message": "Too Many Requests"}), "application/json",
                             {"X-Amzn-ErrorType": "TooManyRequestsException:http://internal.amazon.com/"})
        if f == "expired":
            return self.aws_error(400, "ExpiredTokenException", "The security token included in the request is expired")
        if f == "denied":
            return self.aws_error(400, "AccessDeniedException",
                                  "User: arn:aws:iam::123456789012:user/sre is not authorized to perform: "
                                  "dms:DescribeReplicationTasks")
        if f == "hang":
            time.sleep(float(opt("--hang", "20")))
            return
        if f == "truncate":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", "5000")
            self.end_headers()
            self.wfile.write(b'{"ReplicationTasks": [{"Status": "runn')
            self.wfile.flush()
            self.close_connection = True
            return
        if f == "lost":
            # Carried out, but the answer never arrives.
            self.silent = True
            self.dms(self.op, self.body)
            self.close_connection = True
            return
        if f == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            return
        if f == "nonjson":
            return self.send(200, "<html><body>Gateway says hello</body></html>", "text/html")
        if f == "ctype":
            return self.send(502, "<html>Bad Gateway</html>", "text/html")
        if f == "huge":
            return self.send(200, b'{"ReplicationTasks": [' + b" " * (20 << 20) + b"]}")
        self.aws_error(500, "InternalFailure", "unknown fault %s" % f)

    # ---- DMS ----------------------------------------------------------
    def shape(self, body, fields, required):
        if not isinstance(body, dict):
            return "the body is not a JSON object"
        for k in required:
            if k not in body:
                return "%s is required" % k
        for k, v in body.items():
            if k not in fields:
                return "unknown member %s" % k
            t = fields[k]
            if t == "int" and (not isinstance(v, int) or isinstance(v, bool)):
                return "%s must be an integer" % k
            if t == "number" and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                return "%s must be a timestamp number" % k
            if t == "str" and not isinstance(v, str):
                return "%s must be a string" % k
            if t == "bool" and not isinstance(v, bool):
                return "%s must be a boolean" % k
            if t == "filters":
                if not isinstance(v, list) or not all(isinstance(x, dict) and isinstance(x.get("Name"), str)
                                                      and isinstance(x.get("Values"), list) for x in v):
                    return "%s must be a list of {Name, Values}" % k
        return None

    def task_json(self, arn, with_settings=False):
        t = tasks[arn]
        # A transitional status passes after two looks.
        if t["status"] == "creating":
            t["describes"] += 1
            if t["describes"] >= 2:
                t.update(status="ready", describes=0)
        elif t["status"] in ("starting", "stopping") or (t["status"] == "running" and t.get("stop_at")):
            t["describes"] += 1
            if t["describes"] >= 2:
                if t["status"] == "running":
                    t.update(status="stopped", stop_at=None, reason="Stop Reason CDC_STOP_POSITION_REACHED")
                else:
                    t["status"] = "running" if t["status"] == "starting" else "stopped"
                    t["reason"] = "Stop Reason NORMAL"
                t["describes"] = 0
        stats = {"FullLoadProgressPercent": 100, "ElapsedTimeMillis": 7384012,
                 "TablesLoaded": NTABLES - 3, "TablesLoading": 1, "TablesQueued": 1, "TablesErrored": 1,
                 "FreshStartDate": 1795500000.123, "StartDate": 1795500000.123,
                 "FullLoadStartDate": 1795500001.5, "FullLoadFinishDate": 1795507385.0}
        ep = "R" if arn == REVERSE else ""
        j = {"ReplicationTaskIdentifier": t["id"], "ReplicationTaskArn": arn,
             "SourceEndpointArn": "arn:aws:dms:us-east-1:123456789012:endpoint:%sSRC" % ep,
             "TargetEndpointArn": "arn:aws:dms:us-east-1:123456789012:endpoint:%sTGT" % ep,
             "ReplicationInstanceArn": INSTANCE, "MigrationType": t["type"],
             "Status": t["status"], "ReplicationTaskCreationDate": 1795400000.0,
             "ReplicationTaskStats": stats}
        if t["started"]:
            j["ReplicationTaskStartDate"] = 1795500000.123
        if t.get("position"):
            j["CdcStartPosition"] = t["position"]
        if with_settings:
            j["ReplicationTaskSettings"] = json.dumps(scripted("settings", SETTINGS))
        if t["status"] == "stopped":
            j["StopReason"] = t.get("reason", "Stop Reason NORMAL")
            stats["StopDate"] = 1795600000.0
        if arn == TASK:
            j["LastFailureMessage"] = "Last Error ODBC general error. Task error notification received."
        return j

    def dms(self, op, body):
        F = "filters"
        specs = {
            "DescribeReplicationTasks": ({"Filters": F, "MaxRecords": "int", "Marker": "str", "WithoutSettings": "bool"}, []),
            "DescribeTableStatistics": ({"ReplicationTaskArn": "str", "MaxRecords": "int", "Marker": "str", "Filters": F}, ["ReplicationTaskArn"]),
            "DescribeReplicationInstances": ({"Filters": F, "MaxRecords": "int", "Marker": "str"}, []),
            "DescribeEndpoints": ({"Filters": F, "MaxRecords": "int", "Marker": "str"}, []),
            "StartReplicationTask": ({"ReplicationTaskArn": "str", "StartReplicationTaskType": "str", "CdcStartTime": "number",
                                      "CdcStartPosition": "str", "CdcStopPosition": "str"}, ["ReplicationTaskArn", "StartReplicationTaskType"]),
            "StopReplicationTask": ({"ReplicationTaskArn": "str"}, ["ReplicationTaskArn"]),
            "ModifyReplicationTask": ({"ReplicationTaskArn": "str", "CdcStopPosition": "str", "CdcStartPosition": "str",
                                       "CdcStartTime": "number", "MigrationType": "str"}, ["ReplicationTaskArn"]),
        }
        if op not in specs:
            return self.aws_error(400, "InvalidAction", "unknown operation %s" % op)
        bad = self.shape(body, *specs[op])
        if bad:
            log({"shape_error": bad, "op": op})
            return self.aws_error(400, "ValidationException", bad)
        if op == "DescribeReplicationTasks":
            arns = [v for f in body.get("Filters", []) if f["Name"] == "replication-task-arn" for v in f["Values"]]
            found = [self.task_json(a, not body.get("WithoutSettings")) for a in arns if a in tasks]
            log({"statuses": {j["ReplicationTaskArn"]: j["Status"] for j in found}})
            if not found:
                return self.aws_error(400, "ResourceNotFoundFault", "No Tasks found matching provided filters")
            return self.send(200, json.dumps({"ReplicationTasks": found}))
        if op == "DescribeReplicationInstances":
            return self.send(200, json.dumps({"ReplicationInstances": [{
                "ReplicationInstanceIdentifier": "cutover-ri-prod", "ReplicationInstanceArn": INSTANCE,
                "ReplicationInstanceClass": "dms.r5.large", "ReplicationInstanceStatus": "available",
                "InstanceCreateTime": 1795000000.0}]}))
        if op == "DescribeEndpoints":
            arns = [v for f in body.get("Filters", []) if f["Name"] == "endpoint-arn" for v in f["Values"]]
            eps = scripted("endpoints", {})
            found = []
            for a in arns:
                if a not in ENDPOINTS:
                    continue
                eid, typ, eng, pg = ENDPOINTS[a]
                found.append({"EndpointArn": a, "EndpointIdentifier": eid, "EndpointType": typ, "EngineName": eng,
                              "Status": "active", "PostgreSQLSettings": eps.get(eid, pg)})
            if not found:
                return self.aws_error(400, "ResourceNotFoundFault", "No Endpoints found matching provided filters")
            return self.send(200, json.dumps({"Endpoints": found}))
        if op == "DescribeTableStatistics":
            mr = body.get("MaxRecords", 100)
            if not 20 <= mr <= 500:
                return self.aws_error(400, "InvalidParameterValueException", "MaxRecords must be between 20 and 500")
            start = int(body.get("Marker", "0").replace("page-", "") or 0)
            rows = []
            for i in range(start, min(start + mr, NTABLES)):
                r = {"SchemaName": "app" if i % 2 else "public", "TableName": "t%04d" % i,
                     "Inserts": i * 10, "Deletes": i % 7, "Updates": i * 3, "Ddls": 0,
                     "FullLoadRows": 1000 + i, "FullLoadCondtnlChkFailedRows": 0, "FullLoadErrorRows": 0,
                     "FullLoadStartTime": 1795500001.5, "FullLoadEndTime": "2026-11-24T16:05:00.250Z",
                     "LastUpdateTime": 1795600000.0, "TableState": "Table completed",
                     "ValidationPendingRecords": 0, "ValidationFailedRecords": 0,
                     "ValidationSuspendedRecords": 0, "ValidationState": "Validated"}
                if i == 7:
                    r.update(TableState="Table error", ValidationState="Mismatched records",
                             ValidationFailedRecords=12, LastUpdateTime=None)
                if i == 8:
                    for k in ("Inserts", "Updates", "ValidationState", "FullLoadRows"):
                        del r[k]
                rows.append(r)
            ans = {"ReplicationTaskArn": body["ReplicationTaskArn"], "TableStatistics": rows}
            if start + mr < NTABLES:
                ans["Marker"] = "page-%d" % (start + mr)
            return self.send(200, json.dumps(ans))
        arn = body["ReplicationTaskArn"]
        if arn not in tasks:
            return self.aws_error(400, "ResourceNotFoundFault", "Replication Task not found")
        t = tasks[arn]
        if op == "StartReplicationTask":
            if t["status"] not in ("ready", "stopped", "failed"):
                return self.aws_error(400, "InvalidResourceStateFault", "Replication task is not in a startable state")
            typ = body["StartReplicationTaskType"]
            if typ not in ("start-replication", "resume-processing", "reload-target"):
                return self.aws_error(400, "InvalidParameterValueException", "bad StartReplicationTaskType")
            if typ == "resume-processing" and not t["started"]:
                return self.aws_error(400, "InvalidParameterCombinationException", "the task never ran")
            if typ == "start-replication" and t["started"] and t["type"] != "cdc":
                return self.aws_error(400, "InvalidParameterCombinationException",
                                      "fake: start-replication would reload every table of a %s task" % t["type"])
            t.update(status="starting", started=True, describes=0,
                     stop_at=body.get("CdcStopPosition"), position=body.get("CdcStartPosition"))
        elif op == "StopReplicationTask":
            if t["status"] != "running":
                return self.aws_error(400, "InvalidResourceStateFault", "Replication task is not running")
            t.update(status="stopping", describes=0)
        elif op == "ModifyReplicationTask":
            if t["status"] == "running":
                return self.aws_error(400, "InvalidResourceStateFault", "Replication task is running")
            if "MigrationType" in body:
                t["type"] = body["MigrationType"]
        return self.send(200, json.dumps({"ReplicationTask": self.task_json(arn)}))

    # ---- CloudWatch -----------------------------------------------------
    def metrics(self, body):
        spec = {"MetricDataQueries": "list", "StartTime": "number", "EndTime": "number", "NextToken": "str",
                "ScanBy": "str", "MaxDatapoints": "int", "LabelOptions": "dict"}
        bad = self.shape(body, {k: v for k, v in spec.items() if v not in ("list", "dict")} |
                         {"MetricDataQueries": "any", "LabelOptions": "any"}, ["MetricDataQueries", "StartTime", "EndTime"])
        qs = body.get("MetricDataQueries") if isinstance(body, dict) else None
        if not bad and (not isinstance(qs, list) or not 1 <= len(qs) <= 500):
            bad = "MetricDataQueries must hold 1 to 500 queries"
        if not bad:
            for q in qs:
                ms = q.get("MetricStat") or {}
                m = ms.get("Metric") or {}
                if not (isinstance(q.get("Id"), str) and q["Id"][:1].islower() and m.get("Namespace")
                        and m.get("MetricName") and isinstance(ms.get("Period"), int) and ms.get("Stat")):
                    bad = "malformed query %r" % q
                    break
        if bad:
            log({"shape_error": bad, "op": "GetMetricData"})
            return self.aws_error(400, "ValidationError", bad, "application/x-amz-json-1.0")
        log({"metric_queries": [
            {"Id": q["Id"], "Namespace": q["MetricStat"]["Metric"]["Namespace"],
             "MetricName": q["MetricStat"]["Metric"]["MetricName"], "Stat": q["MetricStat"]["Stat"],
             "Dimensions": {d["Name"]: d["Value"] for d in q["MetricStat"]["Metric"].get("Dimensions", [])}}
            for q in qs]})
        end = int(body["EndTime"])
        res = []
        for q in qs:
            name = q["MetricStat"]["Metric"]["MetricName"]
            # Newest first, as CloudWatch's default ScanBy would be.
            ts = [end - 60 * k for k in range(3)]
            vals = [{"CDCLatencySource": 2.0, "CDCLatencyTarget": 3.5}.get(name, 10.0) + k for k in range(3)]
            res.append({"Id": q["Id"], "Label": name, "Timestamps": ts, "Values": vals, "StatusCode": "Complete"})
        self.send(200, json.dumps({"MetricDataResults": res, "Messages": []}), "application/x-amz-json-1.0")


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(os.path.join(STATE, "port.tmp"), "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(os.path.join(STATE, "port.tmp"), os.path.join(STATE, "port"))
    srv.serve_forever()


if __name__ == "__main__":
    main()
