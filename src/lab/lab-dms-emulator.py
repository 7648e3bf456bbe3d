"""lab-dms-emulator - the AWS DMS control plane (and the CloudWatch metrics
cutover reads) on loopback, backed by real PostgreSQL clusters.

`cutover lab up --provider dms` runs it beside the lab's two clusters, so
that the DMS flow of a cutover can be rehearsed on a laptop, and the tests
run whole cutovers through it. It moves data for real: a replication task
is a publication on the task's source and a subscription on its target;
starting and stopping the task enables and disables the subscription, with
DMS's statuses in between. It speaks AWS JSON 1.1 (DMS) and 1.0
(CloudWatch) and checks every request's Signature Version 4 signature
against the keys in its credentials file.

    lab-dms-emulator.py CONFIG.json

CONFIG (written by `cutover lab up`) names the port, the credentials file,
the endpoints (a conninfo each, and for sources the replication slot and
plugin), the tasks (source and target endpoint, publication, subscription,
settings) and the state directory, where it keeps:

    port            the port it listens on, once it listens
    tasks.json      what survives a restart: status, dates, positions
    requests.jsonl  one line per request: time, operation, signature, answer

What is emulated, and how (see docs/aws.md, "The DMS emulator"):

- StartReplicationTask: start-replication or resume-processing from ready,
  stopped or failed; "starting" for a few seconds, then "running" once the
  subscription's apply worker runs. CdcStartPosition (an LSN "X/Y") is
  honoured as DMS does for a PostgreSQL source with a slotName: the slot
  named on the task's source endpoint must exist, and the position must lie
  in that source's WAL (not ahead of its end, not before what the slot
  still holds); the subscription then reads that slot from that position
  (its replication origin is advanced there). Otherwise the task fails
  (status "failed", StopReason FATAL_ERROR, the reason in
  LastFailureMessage), as DMS fails a task whose slot or start point is
  not valid. CdcStartTime is refused: PostgreSQL sources have no custom
  CDC start time. reload-target is refused.
- StopReplicationTask: "stopping", the subscription disabled and its
  worker gone, then "stopped".
- ModifyReplicationTask (a task that is not running): MigrationType,
  ReplicationTaskSettings, TableMappings, CdcStartPosition, CdcStopPosition.
  The table mappings are kept and answered as set; the data still moves by
  the task's publication (the lab's is FOR ALL TABLES, and so are its
  mappings: include %.%), so a test can tell a table failed by name from
  one failed by its rows.
- Apply errors: with ApplyError*Policy STOP_TASK the subscription is
  created with disable_on_error, and a conflict fails the task.
- DescribeReplicationTasks, DescribeTableStatistics, DescribeEndpoints,
  DescribeReplicationInstances: from the clusters (pg_subscription_rel,
  pg_stat_user_tables) and the state above.
- GetMetricData: CDCLatencySource/Target (the walsender's write and replay
  lag of the task's slot), CDCThroughputRowsTarget, the instance's
  CPUUtilization, FreeableMemory, FreeStorageSpace, SwapUsage (this
  machine's), Aurora's DatabaseConnections (the target's backends),
  sampled every 5 seconds into 1-minute buckets.

Python 3 and psycopg2 only (Debian: python3-psycopg2).
"""
import configparser
import datetime
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

LOCK = threading.RLock()
LSN_RE = re.compile(r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")
SKEW_SECONDS = 15 * 60            # AWS refuses requests older or newer than this


def now():
    return time.time()


def lsn_int(lsn):
    hi, lo = lsn.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


# ---------------------------------------------------------------- SigV4

def uri_encode(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def canonical_query(query):
    pairs = []
    for part in query.split("&") if query else []:
        if part == "":
            continue
        k, _, v = part.partition("=")
        pairs.append((uri_encode(urllib.parse.unquote(k)), uri_encode(urllib.parse.unquote(v))))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def canonical_path(path):
    # Normalised (no . or .. segments, no repeated slashes) and URI-encoded,
    # as botocore signs for services other than S3.
    segs = []
    for s in path.split("/"):
        if s in ("", "."):
            continue
        if s == "..":
            if segs:
                segs.pop()
            continue
        segs.append(s)
    p = "/" + "/".join(uri_encode(urllib.parse.unquote(s)) for s in segs)
    if path.endswith("/") and p != "/":
        p += "/"
    return p


def sigv4_expected(method, path, query, headers, body, secret, signed, amz_date, scope):
    """The signature of a request: headers is a list of (name, value) as
    received (a name may repeat), signed the SignedHeaders names."""
    values = {}
    for name, value in headers:
        n = name.lower()
        if n in signed:
            v = " ".join(value.strip().split())
            values[n] = values[n] + "," + v if n in values else v
    creq = "\n".join([
        method,
        canonical_path(path),
        canonical_query(query),
        "".join("%s:%s\n" % (n, values.get(n, "")) for n in signed),
        ";".join(signed),
        hashlib.sha256(body).hexdigest(),
    ])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    date, region, service, term = scope.split("/")
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, term):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), creq, sts


def parse_authorization(auth):
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None
    parts = {}
    for p in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, sep, v = p.strip().partition("=")
        if not sep:
            return None
        parts[k] = v
    if not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return None
    cred = parts["Credential"].split("/")
    if len(cred) != 5 or cred[4] != "aws4_request":
        return None
    return {"key": cred[0], "scope": "/".join(cred[1:]), "date": cred[1], "region": cred[2],
            "service": cred[3], "signed": parts["SignedHeaders"].split(";"),
            "signature": parts["Signature"]}


def amz_time(s):
    try:
        return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def check_vectors(top):
    """The signer against AWS's SigV4 test suite (botocore's layout: NAME.req,
    .creq, .sts, .authz): prints one line per vector, returns the failures."""
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    bad = n = 0
    for d, _, files in sorted(os.walk(top)):
        for f in sorted(x for x in files if x.endswith(".req")):
            name = f[:-4]
            try:
                # The signed request (.sreq) has every signed header: the
                # session-token vector's token is only there.
                sreq = os.path.join(d, name + ".sreq")
                req = open(sreq if os.path.exists(sreq) else os.path.join(d, f), "rb").read().decode()
                want = {k: open(os.path.join(d, name + "." + k)).read() for k in ("creq", "sts", "authz")}
            except OSError:
                continue
            head, _, body = req.partition("\n\n")
            lines = head.split("\n")
            method, rest = lines[0].split(" ", 1)
            target = rest.rsplit(" ", 1)[0]
            headers = []
            for line in lines[1:]:
                if line[:1] in (" ", "\t") and headers:
                    headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
                else:
                    k, _, v = line.partition(":")
                    if k.lower() != "authorization":
                        headers.append((k, v))
            a = parse_authorization(want["authz"].strip())
            amz = dict((k.lower(), v) for k, v in headers).get("x-amz-date")
            path, _, q = target.partition("?")
            sig, creq, sts = sigv4_expected(method, path, q, headers, body.encode(), secret, a["signed"], amz,
                                            a["scope"])
            good = creq == want["creq"] and sts == want["sts"] and sig == a["signature"]
            n += 1
            bad += not good
            print("%s\t%s" % ("ok" if good else "FAIL", os.path.relpath(os.path.join(d, name), top)))
    print("%d vectors, %d failed" % (n, bad))
    return bad if n > 0 else 1


# ------------------------------------------------------------ databases

_local = threading.local()


def db(conninfo):
    """A connection of this thread to conninfo, autocommit, made again
    when the last one broke."""
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    c = conns.get(conninfo)
    if c is not None and c.closed == 0:
        return c
    c = psycopg2.connect(conninfo, connect_timeout=10,
                         application_name="cutover-lab-dms-emulator")
    c.autocommit = True
    conns[conninfo] = c
    return c


def query(conninfo, sql, params=None):
    try:
        cur = db(conninfo).cursor()
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []
    except psycopg2.OperationalError:
        conns = getattr(_local, "conns", {})
        c = conns.pop(conninfo, None)
        if c is not None:
            c.close()
        raise


def quote_ident(s):
    return '"' + s.replace('"', '""') + '"'


# --------------------------------------------------------------- config

if __name__ == "__main__" and sys.argv[1:2] == ["--check-vectors"]:
    sys.exit(1 if check_vectors(sys.argv[2]) else 0)
CFG = json.load(open(sys.argv[1])) if len(sys.argv) > 1 and __name__ == "__main__" else {}
STATE_DIR = CFG.get("state_dir", ".")
REGION = CFG.get("region", "us-east-1")
ACCOUNT = CFG.get("account", "123456789012")
STARTING_S = float(CFG.get("starting_seconds", 2))
STOPPING_S = float(CFG.get("stopping_seconds", 2))
INSTANCE_ID = CFG.get("instance_id", "cutover-lab")
INSTANCE_ARN = "arn:aws:dms:%s:%s:rep:%s" % (REGION, ACCOUNT, CFG.get("instance_resource", "LABINSTANCE"))
CLUSTER_ID = CFG.get("cluster_id", "cutover-lab-target")
STARTED_AT = now()


def keys():
    """The key pairs of the credentials file (every profile), read on each
    request so that a new key works at once."""
    p = configparser.RawConfigParser()
    p.read(CFG.get("credentials_file", ""))
    out = {}
    for s in p.sections():
        k, v = p.get(s, "aws_access_key_id", fallback=None), p.get(s, "aws_secret_access_key", fallback=None)
        if k and v:
            out[k] = v
    return out


def endpoint_arn(eid):
    return "arn:aws:dms:%s:%s:endpoint:%s" % (REGION, ACCOUNT, CFG["endpoints"][eid]["resource"])


def log(entry):
    entry["t"] = round(now(), 3)
    with LOCK, open(os.path.join(STATE_DIR, "requests.jsonl"), "a") as f:
        f.write(json.dumps(entry) + "\n")


def iso(t):
    return t if t is None else round(t, 3)


# --------------------------------------------------------------- metrics

class Metrics:
    """Samples in 1-minute buckets: (namespace, name, dims) -> {minute: [values]}."""

    def __init__(self):
        self.data = {}

    def put(self, ns, name, dims, value, t=None):
        t = now() if t is None else t
        key = (ns, name, tuple(sorted(dims.items())))
        with LOCK:
            b = self.data.setdefault(key, {})
            b.setdefault(int(t // 60) * 60, []).append(float(value))
            for old in [m for m in b if m < t - 3 * 3600]:
                del b[old]

    def get(self, ns, name, dims, stat, period, start, end):
        key = (ns, name, tuple(sorted(dims.items())))
        with LOCK:
            b = dict(self.data.get(key, {}))
        out = []
        p0 = int(start // period) * period
        t = p0
        while t < end:
            vals = [v for m, vs in b.items() if t <= m < t + period for v in vs]
            if vals and t >= start - period:
                if stat == "Maximum":
                    v = max(vals)
                elif stat == "Minimum":
                    v = min(vals)
                elif stat == "Sum":
                    v = sum(vals)
                elif stat == "SampleCount":
                    v = float(len(vals))
                else:
                    v = sum(vals) / len(vals)
                out.append((t, v))
            t += period
        out.sort(reverse=True)         # newest first, as ScanBy's default
        return out


METRICS = Metrics()


# ----------------------------------------------------------------- tasks

class TaskFailure(Exception):
    pass


class Task:
    def __init__(self, spec):
        self.spec = spec
        self.id = spec["id"]
        self.resource = spec["resource"]
        self.arn = "arn:aws:dms:%s:%s:task:%s" % (REGION, ACCOUNT, self.resource)
        self.src = CFG["endpoints"][spec["source"]]
        self.dst = CFG["endpoints"][spec["target"]]
        self.settings = spec.get("settings", {})
        self.table_mappings = spec.get("table_mappings", {"rules": []})
        self.migration_type = spec["migration_type"]
        self.status = "ready"
        self.started = False
        self.created = spec.get("created", STARTED_AT)
        self.start_date = None
        self.fresh_start = None
        self.stop_date = None
        self.stop_reason = None
        self.last_failure = None
        self.cdc_start = None
        self.cdc_stop = None
        self.pending = None       # the start or stop being carried out
        self.until = 0
        self.before = None        # the status a modification returns to
        self.baseline = {}        # table -> (ins, upd, del) at the fresh start
        self.loaded_rows = {}     # table -> rows when its full load ended
        self.prev_rows = None     # (time, rows applied) for the throughput
        self.wake = threading.Event()

    # -- persistence
    def dump(self):
        return {k: getattr(self, k) for k in (
            "status", "started", "start_date", "fresh_start", "stop_date", "stop_reason",
            "last_failure", "cdc_start", "cdc_stop", "migration_type", "settings", "table_mappings")} | {
            "baseline": {k: list(v) for k, v in self.baseline.items()}, "loaded_rows": self.loaded_rows}

    def load(self, d):
        for k in ("status", "started", "start_date", "fresh_start", "stop_date", "stop_reason",
                  "last_failure", "cdc_start", "cdc_stop", "migration_type", "settings", "table_mappings"):
            if k in d:
                setattr(self, k, d[k])
        self.baseline = {k: tuple(v) for k, v in d.get("baseline", {}).items()}
        self.loaded_rows = d.get("loaded_rows", {})

    # -- the subscription on the target
    def sub_state(self):
        r = query(self.dst["conninfo"],
                  "SELECT s.oid, s.subenabled, s.subslotname,"
                  " EXISTS (SELECT 1 FROM pg_stat_subscription w WHERE w.subid = s.oid"
                  "   AND w.relid IS NULL AND w.pid IS NOT NULL)"
                  " FROM pg_subscription s WHERE s.subname = %s", (self.spec["subscription"],))
        if not r:
            raise TaskFailure("the subscription %s of task %s does not exist on its target"
                              % (self.spec["subscription"], self.id))
        return {"oid": r[0][0], "enabled": r[0][1], "slot": r[0][2], "worker": r[0][3]}

    def stop_on_error(self):
        e = self.settings.get("ErrorBehavior", {})
        return all(e.get(k, "LOG_ERROR") == "STOP_TASK" for k in (
            "ApplyErrorInsertPolicy", "ApplyErrorUpdatePolicy", "ApplyErrorDeletePolicy"))

    def reconcile(self):
        """After a restart: what the subscription does now decides."""
        try:
            s = self.sub_state()
        except Exception:
            return
        if self.status == "modifying":
            self.status = self.before or ("stopped" if self.started else "ready")
        if not self.baseline:
            try:
                self.baseline = {"%s.%s" % (r[0], r[1]): (r[3], r[4], r[5]) for r in self.table_rows()}
            except Exception:
                pass
        if s["enabled"]:
            self.status = "running"
            if not self.started:
                self.started, self.start_date = True, now()
                self.fresh_start = self.fresh_start or self.start_date
        elif self.status in ("running", "starting", "stopping"):
            self.status = "stopped" if self.started else "ready"
        self.apply_error_policy()

    def apply_error_policy(self):
        dis = "true" if self.stop_on_error() else "false"
        try:
            query(self.dst["conninfo"], "ALTER SUBSCRIPTION %s SET (disable_on_error = %s)"
                  % (quote_ident(self.spec["subscription"]), dis))
        except Exception:
            pass

    # -- what the API shows
    def stats(self):
        try:
            rows = self.table_rows()
        except Exception:
            rows = []
        states = [r[2] for r in rows]
        loaded = sum(1 for s in states if s in ("r", "s"))
        loading = sum(1 for s in states if s in ("d", "f"))
        queued = sum(1 for s in states if s == "i")
        st = {"FullLoadProgressPercent": int(100 * loaded / len(states)) if states else 0,
              "ElapsedTimeMillis": int((now() - self.start_date) * 1000) if self.start_date else 0,
              "TablesLoaded": loaded, "TablesLoading": loading, "TablesQueued": queued,
              "TablesErrored": 0}
        for k, v in (("FreshStartDate", self.fresh_start), ("StartDate", self.start_date),
                     ("StopDate", self.stop_date if self.status in ("stopped", "failed") else None),
                     ("FullLoadStartDate", self.fresh_start), ("FullLoadFinishDate",
                                                                self.fresh_start if loaded == len(states) else None)):
            if v is not None:
                st[k] = iso(v)
        return st

    def json(self, with_settings=True):
        j = {"ReplicationTaskIdentifier": self.id, "ReplicationTaskArn": self.arn,
             "SourceEndpointArn": endpoint_arn(self.spec["source"]),
             "TargetEndpointArn": endpoint_arn(self.spec["target"]),
             "ReplicationInstanceArn": INSTANCE_ARN, "MigrationType": self.migration_type,
             "TableMappings": json.dumps(self.table_mappings),
             "Status": self.status, "ReplicationTaskCreationDate": iso(self.created),
             "ReplicationTaskStats": self.stats()}
        if with_settings:
            j["ReplicationTaskSettings"] = json.dumps(self.settings)
        if self.start_date is not None:
            j["ReplicationTaskStartDate"] = iso(self.start_date)
        if self.stop_reason and self.status in ("stopped", "failed"):
            j["StopReason"] = self.stop_reason
        if self.last_failure:
            j["LastFailureMessage"] = self.last_failure
        if self.cdc_start:
            j["CdcStartPosition"] = self.cdc_start
        if self.cdc_stop:
            j["CdcStopPosition"] = self.cdc_stop
        return j

    def table_rows(self):
        return query(self.dst["conninfo"],
                     "SELECT n.nspname, c.relname, r.srsubstate::text,"
                     " coalesce(t.n_tup_ins, 0), coalesce(t.n_tup_upd, 0), coalesce(t.n_tup_del, 0),"
                     " coalesce(t.n_live_tup, 0)"
                     " FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid"
                     " JOIN pg_class c ON c.oid = r.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                     " LEFT JOIN pg_stat_user_tables t ON t.relid = c.oid"
                     " WHERE s.subname = %s ORDER BY 1, 2", (self.spec["subscription"],))

    def table_statistics(self):
        names = {"i": "Before load", "d": "Full load", "f": "Full load", "s": "Full load", "r": "Table completed"}
        validation = self.settings.get("ValidationSettings", {}).get("EnableValidation", False)
        out = []
        for schema, table, state, ins, upd, dele, live in self.table_rows():
            key = "%s.%s" % (schema, table)
            b = self.baseline.get(key, (ins, upd, dele))
            if state == "r" and key not in self.loaded_rows:
                self.loaded_rows[key] = live
            out.append({"SchemaName": schema, "TableName": table,
                        "Inserts": max(0, ins - b[0]), "Updates": max(0, upd - b[1]),
                        "Deletes": max(0, dele - b[2]), "Ddls": 0,
                        "FullLoadRows": self.loaded_rows.get(key, 0),
                        "FullLoadCondtnlChkFailedRows": 0, "FullLoadErrorRows": 0,
                        "LastUpdateTime": iso(now()), "TableState": names.get(state, "Table error"),
                        "ValidationPendingRecords": 0, "ValidationFailedRecords": 0,
                        "ValidationSuspendedRecords": 0,
                        # The emulator compares nothing itself: it says so.
                        "ValidationState": "Not enabled" if not validation else "Pending records"})
        return out

    # -- starting and stopping
    def fail(self, why):
        with LOCK:
            self.status = "failed"
            self.stop_date = now()
            self.stop_reason = "Stop Reason FATAL_ERROR Error Level FATAL"
            self.last_failure = ("Last Error %s Task error notification received from subtask 0, thread 0 "
                                 "[reptask/replicationtask.c:2883] [1020101] Stop Reason FATAL_ERROR "
                                 "Error Level FATAL" % why)
            self.pending = None
        save()

    def slot_check(self, pos):
        """The start point must be a position of this source's WAL that its
        slot can still give: DMS's native start point for PostgreSQL."""
        slot = self.src.get("slot_name")
        if not slot:
            raise TaskFailure("CdcStartPosition %s needs the slotName of a logical replication slot on "
                              "the source endpoint" % pos)
        sql = ("SELECT s.plugin, s.restart_lsn::text, s.confirmed_flush_lsn::text,"
               " pg_current_wal_lsn()::text, s.active"
               " FROM pg_replication_slots s WHERE s.slot_name = %s AND s.database = current_database()")
        r = query(self.src["conninfo"], sql, (slot,))
        deadline = now() + 10
        while r and r[0][4] and now() < deadline:     # a reader letting go
            time.sleep(0.2)
            r = query(self.src["conninfo"], sql, (slot,))
        if not r:
            raise TaskFailure("Replication slot '%s' does not exist on the source: a start position "
                              "needs a previously created logical replication slot (slotName)" % slot)
        plugin, restart, confirmed, current, active = r[0]
        if plugin != self.src.get("plugin", plugin):
            raise TaskFailure("Replication slot '%s' uses the plugin %s, the endpoint names %s"
                              % (slot, plugin, self.src.get("plugin")))
        if lsn_int(pos) > lsn_int(current):
            raise TaskFailure("CdcStartPosition %s is not a position of the source's WAL: it ends at %s"
                              % (pos, current))
        if restart is not None and lsn_int(pos) < lsn_int(restart):
            raise TaskFailure("CdcStartPosition %s is before what replication slot '%s' still holds "
                              "(restart_lsn %s): that WAL is gone" % (pos, slot, restart))
        if active:
            raise TaskFailure("Replication slot '%s' is active for another process" % slot)
        return slot

    def do_start(self, req):
        sub = quote_ident(self.spec["subscription"])
        s = self.sub_state()
        typ, pos = req["type"], req.get("position")
        if typ == "start-replication" and self.started and self.migration_type != "cdc":
            # DMS reloads every table of a full-load(-and-cdc) task started
            # afresh; with TargetTablePrepMode DO_NOTHING every row would
            # arrive twice. Only a cdc task starts at a position.
            raise TaskFailure("start-replication of a %s task that ran before reloads every table: not "
                              "emulated, and not what a cutover wants (a cdc task starts at a "
                              "CdcStartPosition)" % self.migration_type)
        if typ == "start-replication" and pos is None and self.migration_type == "cdc" \
                and self.src.get("slot_name"):
            raise TaskFailure("the source endpoint names slotName %s: a CDC task must be started with a "
                              "valid CdcStartPosition" % self.src["slot_name"])
        if pos is not None:
            slot = self.slot_check(pos)
            if s["slot"] != slot:
                query(self.dst["conninfo"], "ALTER SUBSCRIPTION %s SET (slot_name = %%s)" % sub, (slot,))
            query(self.dst["conninfo"], "SELECT pg_replication_origin_advance(%s, %s::pg_lsn)",
                  ("pg_%d" % s["oid"], pos))
        self.apply_error_policy()
        if not self.started or typ == "start-replication":
            self.fresh_start = now()
            self.baseline = {"%s.%s" % (r[0], r[1]): (r[3], r[4], r[5]) for r in self.table_rows()}
        if not s["enabled"]:
            query(self.dst["conninfo"], "ALTER SUBSCRIPTION %s ENABLE" % sub)
        deadline = now() + 60
        while not self.sub_state()["worker"]:
            if now() > deadline:
                raise TaskFailure("the apply worker of %s did not start within 60 s (see the target's "
                                  "server log)" % self.spec["subscription"])
            time.sleep(0.2)
        with LOCK:
            self.status = "running"
            self.started = True
            self.start_date = now()
            self.stop_reason = None
            self.cdc_start = pos
            self.cdc_stop = req.get("stop")
            self.pending = None
        save()

    def do_stop(self, reason="Stop Reason NORMAL"):
        sub = self.spec["subscription"]
        query(self.dst["conninfo"], "ALTER SUBSCRIPTION %s DISABLE" % quote_ident(sub))
        query(self.dst["conninfo"],
              "SELECT pg_terminate_backend(w.pid) FROM pg_stat_subscription w JOIN pg_subscription s"
              " ON s.oid = w.subid WHERE s.subname = %s AND w.pid IS NOT NULL", (sub,))
        deadline = now() + 30
        while self.sub_state()["worker"] and now() < deadline:
            time.sleep(0.1)
        # The walsender on the source lets go of the slot a moment later.
        slot = self.sub_state()["slot"]
        while slot and now() < deadline and query(
                self.src["conninfo"], "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s AND active",
                (slot,))[0][0] > 0:
            time.sleep(0.1)
        with LOCK:
            self.status = "stopped"
            self.stop_date = now()
            self.stop_reason = reason
            self.pending = None
        save()

    def watch_running(self):
        """A running task whose subscription stopped by itself (an apply
        error with disable_on_error) has failed; a stop position reached
        stops it."""
        s = self.sub_state()
        if not s["enabled"]:
            err = query(self.dst["conninfo"],
                        "SELECT apply_error_count FROM pg_stat_subscription_stats WHERE subname = %s",
                        (self.spec["subscription"],))
            n = err[0][0] if err else 0
            self.fail("apply conflict on the target (%s apply errors; see the target's server log); "
                      "ApplyError*Policy STOP_TASK stopped the task" % n)
            return
        if self.cdc_stop and self.cdc_stop.startswith("server_time:"):
            try:
                t = datetime.datetime.fromisoformat(self.cdc_stop[len("server_time:"):].strip()).replace(
                    tzinfo=datetime.timezone.utc).timestamp()
            except ValueError:
                t = None
            if t is not None and now() >= t:
                self.do_stop("Stop Reason CDC_STOP_POSITION_REACHED")

    def run(self):
        while True:
            self.wake.wait(0.5)
            self.wake.clear()
            with LOCK:
                status, pending, until = self.status, self.pending, self.until
            try:
                if status == "modifying" and now() >= until:
                    with LOCK:
                        self.status, self.before = self.before, None
                    save()
                elif status == "starting" and pending and now() >= until:
                    self.do_start(pending)
                elif status == "stopping" and now() >= until:
                    self.do_stop()
                elif status == "running":
                    self.watch_running()
            except TaskFailure as e:
                self.fail(str(e))
            except psycopg2.Error as e:
                if status in ("starting", "stopping"):
                    self.fail("%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0]))
            except Exception as e:             # never let the thread die
                sys.stderr.write("task %s: %r\n" % (self.id, e))

    # -- metrics
    def sample(self):
        if self.status != "running":
            self.prev_rows = None
            return
        dims = {"ReplicationInstanceIdentifier": INSTANCE_ID, "ReplicationTaskIdentifier": self.resource}
        slot = self.sub_state()["slot"]
        r = query(self.src["conninfo"],
                  "SELECT coalesce(extract(epoch FROM r.write_lag), 0)::float8,"
                  " coalesce(extract(epoch FROM r.replay_lag), 0)::float8"
                  " FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid"
                  " WHERE s.slot_name = %s", (slot,))
        if r:
            METRICS.put("AWS/DMS", "CDCLatencySource", dims, r[0][0])
            METRICS.put("AWS/DMS", "CDCLatencyTarget", dims, r[0][1])
        rows = sum(x[3] + x[4] + x[5] for x in self.table_rows())
        t = now()
        if self.prev_rows is not None and t > self.prev_rows[0]:
            METRICS.put("AWS/DMS", "CDCThroughputRowsTarget", dims,
                        max(0, rows - self.prev_rows[1]) / (t - self.prev_rows[0]))
        self.prev_rows = (t, rows)


TASKS = {}


def save():
    with LOCK:
        d = {t.arn: t.dump() for t in TASKS.values()}
    path = os.path.join(STATE_DIR, "tasks.json")
    with open(path + ".tmp", "w") as f:
        json.dump(d, f)
    os.replace(path + ".tmp", path)


def machine_sample(prev):
    dims = {"ReplicationInstanceIdentifier": INSTANCE_ID}
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    idle, total = cpu[3] + cpu[4], sum(cpu)
    if prev is not None and total > prev[1]:
        METRICS.put("AWS/DMS", "CPUUtilization", dims, 100.0 * (1 - (idle - prev[0]) / (total - prev[1])))
    mem = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            mem[k] = int(v.split()[0]) * 1024
    METRICS.put("AWS/DMS", "FreeableMemory", dims, mem.get("MemAvailable", 0))
    METRICS.put("AWS/DMS", "SwapUsage", dims, mem.get("SwapTotal", 0) - mem.get("SwapFree", 0))
    st = os.statvfs(STATE_DIR)
    METRICS.put("AWS/DMS", "FreeStorageSpace", dims, st.f_bavail * st.f_frsize)
    tgt = CFG.get("cluster_conninfo")
    if tgt:
        r = query(tgt, "SELECT numbackends FROM pg_stat_database WHERE datname = current_database()")
        if r:
            METRICS.put("AWS/RDS", "DatabaseConnections", {"DBClusterIdentifier": CLUSTER_ID}, r[0][0])
    return idle, total


def sampler():
    prev = None
    while True:
        try:
            prev = machine_sample(prev)
        except Exception as e:
            sys.stderr.write("sampler: %r\n" % e)
        for t in list(TASKS.values()):
            try:
                t.sample()
            except Exception as e:
                sys.stderr.write("sampler %s: %r\n" % (t.id, e))
        time.sleep(5)


# ------------------------------------------------------------------ HTTP

class ApiError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def shape(body, fields, required):
    if not isinstance(body, dict):
        raise ApiError("SerializationException", "the body is not a JSON object")
    for k in required:
        if k not in body:
            raise ApiError("ValidationException", "1 validation error detected: Value null at '%s' failed to "
                           "satisfy constraint: Member must not be null" % k)
    for k, v in body.items():
        t = fields.get(k)
        if t is None:
            raise ApiError("SerializationException", "Unknown member %s" % k)
        ok = {"int": isinstance(v, int) and not isinstance(v, bool),
              "number": isinstance(v, (int, float)) and not isinstance(v, bool),
              "str": isinstance(v, str), "bool": isinstance(v, bool),
              "filters": isinstance(v, list) and all(isinstance(x, dict) and isinstance(x.get("Name"), str)
                                                     and isinstance(x.get("Values"), list) for x in v),
              "list": isinstance(v, list), "dict": isinstance(v, dict)}[t]
        if not ok:
            raise ApiError("SerializationException", "%s has the wrong type" % k)


def filter_values(body, name):
    return [v for f in body.get("Filters", []) if f["Name"] == name for v in f["Values"]]


DMS_OPS = {
    "DescribeReplicationTasks": ({"Filters": "filters", "MaxRecords": "int", "Marker": "str",
                                  "WithoutSettings": "bool"}, []),
    "DescribeTableStatistics": ({"ReplicationTaskArn": "str", "MaxRecords": "int", "Marker": "str",
                                 "Filters": "filters"}, ["ReplicationTaskArn"]),
    "DescribeReplicationInstances": ({"Filters": "filters", "MaxRecords": "int", "Marker": "str"}, []),
    "DescribeEndpoints": ({"Filters": "filters", "MaxRecords": "int", "Marker": "str"}, []),
    "StartReplicationTask": ({"ReplicationTaskArn": "str", "StartReplicationTaskType": "str",
                              "CdcStartTime": "number", "CdcStartPosition": "str", "CdcStopPosition": "str"},
                             ["ReplicationTaskArn", "StartReplicationTaskType"]),
    "StopReplicationTask": ({"ReplicationTaskArn": "str"}, ["ReplicationTaskArn"]),
    "ModifyReplicationTask": ({"ReplicationTaskArn": "str", "ReplicationTaskIdentifier": "str",
                               "MigrationType": "str", "TableMappings": "str", "ReplicationTaskSettings": "str",
                               "CdcStartTime": "number", "CdcStartPosition": "str", "CdcStopPosition": "str",
                               "TaskData": "str"}, ["ReplicationTaskArn"]),
}


def task_of(arn):
    t = TASKS.get(arn)
    if t is None:
        raise ApiError("ResourceNotFoundFault", "Replication Task not found")
    return t


def dms(op, body):
    if op not in DMS_OPS:
        raise ApiError("UnknownOperationException", "the emulator has no operation %s" % op)
    shape(body, *DMS_OPS[op])
    if op == "DescribeReplicationTasks":
        arns = filter_values(body, "replication-task-arn")
        ids = filter_values(body, "replication-task-id")
        found = [t for t in TASKS.values() if (not arns and not ids) or t.arn in arns or t.id in ids]
        if not found:
            raise ApiError("ResourceNotFoundFault", "No Tasks found matching provided filters")
        with LOCK:
            return {"ReplicationTasks": [t.json(not body.get("WithoutSettings", False)) for t in found]}
    if op == "DescribeTableStatistics":
        t = task_of(body["ReplicationTaskArn"])
        mr = body.get("MaxRecords", 100)
        if not 10 <= mr <= 500:
            raise ApiError("InvalidParameterValueException", "MaxRecords must be between 10 and 500")
        rows = t.table_statistics()
        start = int(body.get("Marker") or 0)
        ans = {"ReplicationTaskArn": t.arn, "TableStatistics": rows[start:start + mr]}
        if start + mr < len(rows):
            ans["Marker"] = str(start + mr)
        return ans
    if op == "DescribeReplicationInstances":
        return {"ReplicationInstances": [{
            "ReplicationInstanceIdentifier": INSTANCE_ID, "ReplicationInstanceArn": INSTANCE_ARN,
            "ReplicationInstanceClass": "dms.lab.emulator", "ReplicationInstanceStatus": "available",
            "InstanceCreateTime": iso(STARTED_AT), "EngineVersion": "emulated"}]}
    if op == "DescribeEndpoints":
        arns = filter_values(body, "endpoint-arn")
        out = []
        for eid, e in CFG["endpoints"].items():
            arn = endpoint_arn(eid)
            if arns and arn not in arns:
                continue
            j = {"EndpointIdentifier": e["id"], "EndpointArn": arn,
                 "EndpointType": e["type"].upper(), "EngineName": e["engine"], "Status": "active",
                 "ServerName": "127.0.0.1", "Port": e["port"], "DatabaseName": e["database"]}
            pg = {"DatabaseName": e["database"], "Port": e["port"], "ServerName": "127.0.0.1"}
            if e["type"] == "source":
                pg.update(HeartbeatEnable=e.get("heartbeat", False), PluginName=e.get("plugin"),
                          FailTasksOnLobTruncation=True)
                if e.get("slot_name"):
                    pg["SlotName"] = e["slot_name"]
            j["PostgreSQLSettings"] = pg
            out.append(j)
        if not out:
            raise ApiError("ResourceNotFoundFault", "No Endpoints found matching provided filters")
        return {"Endpoints": out}
    t = task_of(body["ReplicationTaskArn"])
    if op == "StartReplicationTask":
        typ = body["StartReplicationTaskType"]
        if typ not in ("start-replication", "resume-processing", "reload-target"):
            raise ApiError("InvalidParameterValueException", "Invalid StartReplicationTaskType %s" % typ)
        if "CdcStartTime" in body and "CdcStartPosition" in body:
            raise ApiError("InvalidParameterCombinationException",
                           "CdcStartTime and CdcStartPosition cannot both be specified")
        if "CdcStartTime" in body:
            raise ApiError("InvalidParameterValueException",
                           "CdcStartTime is not supported for a PostgreSQL source: use CdcStartPosition with "
                           "the source endpoint's slotName")
        pos = body.get("CdcStartPosition")
        if pos is not None and not LSN_RE.match(pos):
            raise ApiError("InvalidParameterValueException",
                           "CdcStartPosition %s is not a PostgreSQL LSN (X/Y)" % pos)
        if typ == "reload-target":
            raise ApiError("InvalidParameterCombinationException",
                           "reload-target is not emulated (a cutover never reloads its target)")
        with LOCK:
            if t.status not in ("ready", "stopped", "failed"):
                raise ApiError("InvalidResourceStateFault",
                               "Replication task is currently %s, it cannot be started" % t.status)
            if typ == "resume-processing" and not t.started:
                raise ApiError("InvalidParameterCombinationException",
                               "resume-processing: the task has never run (start-replication first)")
            t.status = "starting"
            t.pending = {"type": typ, "position": pos, "stop": body.get("CdcStopPosition")}
            t.until = now() + STARTING_S
            t.last_failure = None
            j = t.json()
        save()
        t.wake.set()
        return {"ReplicationTask": j}
    if op == "StopReplicationTask":
        with LOCK:
            if t.status != "running":
                raise ApiError("InvalidResourceStateFault",
                               "Replication task is currently %s, it cannot be stopped" % t.status)
            t.status = "stopping"
            t.until = now() + STOPPING_S
            j = t.json()
        save()
        t.wake.set()
        return {"ReplicationTask": j}
    if op == "ModifyReplicationTask":
        mt = body.get("MigrationType")
        if mt is not None and mt not in ("full-load", "cdc", "full-load-and-cdc"):
            raise ApiError("InvalidParameterValueException", "Invalid MigrationType %s" % mt)
        if "ReplicationTaskSettings" in body:
            try:
                settings = json.loads(body["ReplicationTaskSettings"])
            except ValueError:
                raise ApiError("InvalidParameterValueException", "ReplicationTaskSettings is not JSON")
        if "TableMappings" in body:
            try:
                mappings = json.loads(body["TableMappings"])
            except ValueError:
                raise ApiError("InvalidParameterValueException", "TableMappings is not JSON")
            if not isinstance(mappings, dict) or not isinstance(mappings.get("rules"), list):
                raise ApiError("InvalidParameterValueException", "TableMappings has no rules array")
        pos = body.get("CdcStartPosition")
        if pos is not None and not LSN_RE.match(pos):
            raise ApiError("InvalidParameterValueException",
                           "CdcStartPosition %s is not a PostgreSQL LSN (X/Y)" % pos)
        if "CdcStartTime" in body:
            raise ApiError("InvalidParameterValueException",
                           "CdcStartTime is not supported for a PostgreSQL source")
        for k in ("ReplicationTaskIdentifier", "TaskData"):
            if k in body:
                raise ApiError("InvalidParameterCombinationException", "%s: not emulated" % k)
        with LOCK:
            if t.status not in ("ready", "stopped", "failed"):
                raise ApiError("InvalidResourceStateFault",
                               "Replication task is currently %s, it cannot be modified" % t.status)
            if mt is not None:
                t.migration_type = mt
            if "ReplicationTaskSettings" in body:
                t.settings = settings
            if "TableMappings" in body:
                t.table_mappings = mappings
            if pos is not None:
                t.cdc_start = pos
            if "CdcStopPosition" in body:
                t.cdc_stop = body["CdcStopPosition"]
            t.before, t.status = t.status, "modifying"
            t.until = now() + 1
            j = t.json()
        save()
        t.wake.set()
        return {"ReplicationTask": j}
    raise ApiError("UnknownOperationException", op)


def get_metric_data(body):
    shape(body, {"MetricDataQueries": "list", "StartTime": "number", "EndTime": "number", "NextToken": "str",
                 "ScanBy": "str", "MaxDatapoints": "int", "LabelOptions": "dict"},
          ["MetricDataQueries", "StartTime", "EndTime"])
    qs = body["MetricDataQueries"]
    if not 1 <= len(qs) <= 500:
        raise ApiError("ValidationError", "MetricDataQueries must hold 1 to 500 queries")
    start, end = float(body["StartTime"]), float(body["EndTime"])
    if end <= start:
        raise ApiError("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
    res = []
    for q in qs:
        ms = q.get("MetricStat") or {}
        m = ms.get("Metric") or {}
        if not (isinstance(q.get("Id"), str) and re.match(r"^[a-z][A-Za-z0-9_]*$", q["Id"])
                and m.get("Namespace") and m.get("MetricName") and isinstance(ms.get("Period"), int)
                and ms.get("Period") % 60 == 0 and ms.get("Stat")):
            raise ApiError("ValidationError", "malformed query %r" % q.get("Id"))
        dims = {d["Name"]: d["Value"] for d in m.get("Dimensions", [])}
        pts = METRICS.get(m["Namespace"], m["MetricName"], dims, ms["Stat"], ms["Period"], start, end)
        res.append({"Id": q["Id"], "Label": m["MetricName"], "Timestamps": [p[0] for p in pts],
                    "Values": [p[1] for p in pts], "StatusCode": "Complete"})
    return {"MetricDataResults": res, "Messages": []}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cutover-lab-dms-emulator"

    def log_message(self, *a):
        pass

    def answer(self, status, obj, ctype):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "lab-%d" % int(now() * 1e6))
        self.end_headers()
        self.wfile.write(data)

    def verify(self, body):
        a = parse_authorization(self.headers.get("Authorization") or "")
        if a is None:
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
        secret = keys().get(a["key"])
        if secret is None:
            raise ApiError("UnrecognizedClientException", "The security token included in the request is invalid.")
        for need in ("host", "x-amz-date"):
            if need not in a["signed"]:
                raise ApiError("InvalidSignatureException", "'%s' must be a signed header" % need, 403)
        amz = self.headers.get("X-Amz-Date")
        t = amz_time(amz)
        if t is None or not amz.startswith(a["date"]):
            raise ApiError("IncompleteSignatureException", "X-Amz-Date is missing or does not match the "
                           "credential scope", 403)
        if abs(t - now()) > SKEW_SECONDS:
            raise ApiError("InvalidSignatureException", "Signature expired: %s is now earlier than %s "
                           "(%s - 15 min.)" % (amz, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now() - SKEW_SECONDS)),
                                               time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())), 403)
        if a["region"] != REGION:
            raise ApiError("InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'"
                           % a["region"], 403)
        path, _, q = self.path.partition("?")
        sig, _, _ = sigv4_expected("POST", path, q, self.headers.items(), body, secret, a["signed"], amz, a["scope"])
        if not hmac.compare_digest(sig, a["signature"]):
            raise ApiError("InvalidSignatureException",
                           "The request signature we calculated does not match the signature you provided. "
                           "Check your AWS Secret Access Key and signing method. Consult the service "
                           "documentation for details.", 403)
        return a

    def do_GET(self):
        self.answer(404, {"message": "not found"}, "application/json")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        target = self.headers.get("X-Amz-Target") or ""
        ctype = self.headers.get("Content-Type") or ""
        op = target.split(".")[-1]
        cw = target.startswith("GraniteServiceVersion20100801.")
        actype = "application/x-amz-json-1.0" if cw else "application/x-amz-json-1.1"
        entry = {"op": op, "service": "cloudwatch" if cw else "dms"}
        try:
            a = self.verify(body)
            entry["signature_ok"] = True
            want = ("monitoring", "application/x-amz-json-1.0") if cw else ("dms", "application/x-amz-json-1.1")
            if not cw and not target.startswith("AmazonDMSv20160101."):
                raise ApiError("UnknownOperationException", "unknown target %s" % target)
            if a["service"] != want[0] or ctype != want[1]:
                raise ApiError("SerializationException", "expected service %s and Content-Type %s" % want)
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "the body is not JSON")
            if op in ("StartReplicationTask", "StopReplicationTask", "ModifyReplicationTask"):
                entry["body"] = req         # what was asked, for the tests
            if cw:
                if op != "GetMetricData":
                    raise ApiError("UnknownOperationException", "the emulator has no operation %s" % op)
                ans = get_metric_data(req)
            else:
                ans = dms(op, req)
            entry["status"] = 200
            log(entry)
            self.answer(200, ans, actype)
        except ApiError as e:
            entry.setdefault("signature_ok", False)
            entry.update(status=e.status, error=e.code)
            log(entry)
            self.answer(e.status, {"__type": e.code, "message": e.message}, actype)
        except psycopg2.Error as e:
            entry.update(status=500, error="InternalFailure")
            log(entry)
            self.answer(500, {"__type": "InternalFailure", "message": "database: %s" %
                              str(e).strip().splitlines()[0]}, actype)


def setup():
    """The tasks, as the state file last saw them and the subscriptions
    say they are now."""
    try:
        state = json.load(open(os.path.join(STATE_DIR, "tasks.json")))
    except (OSError, ValueError):
        state = {}
    for spec in CFG["tasks"]:
        t = Task(spec)
        if t.arn in state:
            t.load(state[t.arn])
        t.reconcile()
        TASKS[t.arn] = t
    save()
    for t in TASKS.values():
        threading.Thread(target=t.run, daemon=True).start()
    threading.Thread(target=sampler, daemon=True).start()


def main():
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    setup()
    srv = ThreadingHTTPServer(("127.0.0.1", int(CFG.get("port", 0))), Handler)
    srv.daemon_threads = True
    path = os.path.join(STATE_DIR, "port")
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(path + ".tmp", path)
    sys.stderr.write("listening on 127.0.0.1:%d\n" % srv.server_address[1])
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
