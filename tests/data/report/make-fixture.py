#!/usr/bin/env python3
"""Writes the report's golden fixture (tests/integration/report.sh reads it).

    python3 tests/data/report/make-fixture.py      # rewrites the files here

  lab/                 a rehearsal lab: lab.json, cutover.conf, the lab
                       loads' pgbench logs and `lab status` judgements
  lab/state/           run 7f3c9a1e5b2d4c6f in staging, a rehearsal: set-up
                       and a validation before it; attempt 1 switches
                       (pause 0.341 s), the operator rolls back after the
                       switch (pause 0.560 s, PAUSE to RESUME); attempt 2,
                       12 minutes later, completes (pause 0.290 s)
  staging-1/           an earlier rehearsal's state directory, run
                       3a9e0b7c4d1f2e58: the final sync stalls, the switch
                       timeout undoes attempt 1; attempt 2 completes
                       (pause 0.331 s)
  earlier-report.json  `report --json` of a rehearsal before that (pause
                       0.412 s)

(recorded/ is not written here: it is the state directory of a real
`run --yes`, `rollback --yes`, `run --yes` in `cutover lab`, kept as it
was.)

The events are what the orchestrator logs (src/orch/orchestrator.c,
src/orch/step-*.c) with the hash chain of INTERFACE.md; the lag samples
are the one-second heartbeat's whole seconds, while phase.started carries the
driver's sub-second reading.
"""
import datetime as dt
import hashlib
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ZERO = "0" * 64


def ms(t):
    return int(t.timestamp() * 1000)


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def T(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc)


def add(t, seconds):
    return t + dt.timedelta(seconds=seconds)


class Log:
    def __init__(self, env, actor="sre@bastion-1"):
        self.lines = []
        self.prev = ZERO
        self.env = env
        self.actor = actor

    def ev(self, t, kind, phase, msg, data=None, actor=None):
        o = {"seq": len(self.lines) + 1, "ts": ts(t), "kind": kind,
             "phase": phase, "actor": actor or self.actor,
             "environment": self.env, "msg": msg, "data": data or {},
             "prev": self.prev}
        body = json.dumps(o, separators=(",", ":"), ensure_ascii=False)
        h = hashlib.sha256(body.encode()).hexdigest()
        self.lines.append(body[:-1] + ',"hash":"%s"}' % h)
        self.prev = h

    def write(self, path):
        with open(path, "w") as f:
            for line in self.lines:
                f.write(line + "\n")


TITLES = {
    "pre_validation": "replication healthy, row counts match, every table has a primary key",
    "sync_wait": "wait until the lag stays below the gate; then arm",
    "drain": "fence writes on the source and drain the application's connections",
    "final_sync": "a sentinel written after the fence must reach the target",
    "stop_replication": "stop forward replication, start reverse replication",
    "sequence_sync": "set the target's sequences ahead of the source's",
    "switch": "point the application at the target and let writes in",
    "post_validation": "full validation of the final state",
}
PHASES = list(TITLES)
TABLES = [("public.account_statements", 100000), ("public.accounts", 100000),
          ("public.audit_log", 50000), ("public.daily_balances", 100000),
          ("public.ledger_entries", 400000), ("public.payment_methods", 50000),
          ("public.transfers", 200000)]


def validation_file(state, mode, start, end, env, grown=0):
    name = ts(start).replace(":", "-") + "-" + mode + ".json"
    counts = [{"table": t, "source": n + (grown if t == "public.transfers" else 0),
               "target": n + (grown if t == "public.transfers" else 0),
               "diff": 0, "status": "pass"} for t, n in TABLES]
    checks = [
        {"name": "replication_status", "status": "pass", "detail": "running"},
        {"name": "replication_lag", "status": "pass", "detail": "0.2 s",
         "value_seconds": 0.2, "threshold_seconds": 5},
        {"name": "row_counts", "status": "pass",
         "detail": "7 tables, " + ("counted" if mode == "full" else "catalog estimates"),
         "method": "exact" if mode == "full" else "estimate", "tables": counts},
    ]
    if mode == "full":
        checks.append({"name": "checksums", "status": "pass", "detail": "7 tables match",
                       "method": "full",
                       "tables": [{"table": c["table"], "rows": c["source"],
                                   "chunks": c["source"] // 4096 + 1,
                                   "mismatched_chunks": 0, "mismatched_keys": [],
                                   "status": "pass"} for c in counts]})
    else:
        checks.append({"name": "checksums", "status": "skip",
                       "detail": "quick validation: no checksums"})
    checks += [
        {"name": "sequences", "status": "pass", "detail": "2 sequences"},
        {"name": "primary_keys", "status": "warn",
         "detail": "1 tables without a primary key (see their replica identity)",
         "tables_without_pk": [{"table": "public.audit_log", "replica_identity": "full"}]},
    ]
    doc = {"mode": mode, "started_at": ts(start), "finished_at": ts(end),
           "environment": env, "passed": True, "checks": checks}
    os.makedirs(os.path.join(state, "validation"), exist_ok=True)
    with open(os.path.join(state, "validation", name), "w") as f:
        json.dump(doc, f, indent="\t")
    # As the driver logged it, on a machine where the state directory was
    # elsewhere: the report finds the file in its own validation/.
    return "/srv/cutover/state/validation/" + name


def check_map(mode):
    return {"replication_status": "pass", "replication_lag": "pass" if mode == "quick" else "skip",
            "row_counts": "pass", "checksums": "skip" if mode == "quick" else "pass",
            "sequences": "pass", "primary_keys": "warn", "schema": "pass"}


def confirm(log, t, phase, how):
    q = "Run phase %d/8: %s — %s" % (PHASES.index(phase) + 1, phase, TITLES[phase])
    log.ev(t, "operator.confirm", phase, "%s: yes (%s)" % (q, how),
           {"question": q, "how": how})


class Run:
    """Emits one attempt's phases the way the orchestrator does."""

    def __init__(self, log, state, run_id, env, samples):
        self.log, self.state, self.run_id, self.env = log, state, run_id, env
        self.samples = samples
        self.attempt = 0

    def act(self, t, phase, step, what, detail, took, rollback=False):
        d = {"step": step, "attempt": self.attempt}
        if rollback:
            d["rollback"] = True
        if detail is not None:
            d["detail"] = detail
        self.log.ev(t, "action", phase, what, dict(d))
        d["ms"] = int(round(took * 1000))
        end = add(t, took)
        self.log.ev(end, "action.done", phase, "done: " + what, d)
        return end

    def validation(self, t, phase, mode, took, grown):
        end = add(t, took)
        f = validation_file(self.state, mode, add(t, 0.002), add(end, -0.003), self.env, grown)
        self.log.ev(end, "check", phase, "%s validation: passed" % mode,
                    {"checks": check_map(mode), "passed": True, "file": f})
        return end


def heartbeat(samples, start, end, lag_at):
    """One sample a second; whole seconds while forward replication runs."""
    t = start
    while t < end:
        v = lag_at(t)
        samples.append({"t": ms(t), "e2e": -1 if v is None else float(v),
                        "provider": -1 if v is None else round(max(0.0, v - 0.7) * 0.9 + 0.03, 3)})
        t = add(t, 1.0)


def cut(r, t, lags, pause_extra, how):
    """drain .. switch; returns (end, fence time, switched time)."""
    log = r.log
    a = r.attempt
    confirm(log, t, "drain", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "drain", "drain: " + TITLES["drain"],
           {"attempt": a, "lag_seconds": lags[0]})
    fence = add(t, 0.001)
    log.ev(fence, "run.window", "drain", "the write pause begins; the switch must be "
           "done within 60 s or the run undoes itself")
    t = r.act(add(fence, 0.001), "drain", "pgbouncer.pause",
              "pause the application's pool on pgbouncer (clients wait, they do not fail)",
              "PAUSE app", 0.007)
    t = r.act(add(t, 0.001), "drain", "sessions.terminate",
              "terminate the application's remaining sessions",
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
              "usename = ANY($1::text[]) AND pid <> pg_backend_pid()", 0.004)
    t = add(t, 0.015)
    log.ev(t, "check", "drain", "the fence holds: no application transaction runs on the source")
    t = add(t, 0.001)
    log.ev(t, "phase.done", "drain", "drain done in 0.0 s")
    confirm(log, add(t, 0.001), "final_sync", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "final_sync", "final_sync: " + TITLES["final_sync"],
           {"attempt": a, "lag_seconds": lags[1]})
    t = r.act(add(t, 0.003), "final_sync", "sentinel.sync", "write the sentinel on the source",
              "%s-a%d-final" % (r.run_id, a), 0.001)
    t = add(t, 0.160 + pause_extra)
    log.ev(t, "check", "final_sync", "final sync: the sentinel is on the target and the "
           "subscription applied past the position taken before it")
    t = add(t, 0.001)
    log.ev(t, "phase.done", "final_sync", "final_sync done in 0.2 s")
    confirm(log, add(t, 0.001), "stop_replication", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "stop_replication", "stop_replication: " + TITLES["stop_replication"],
           {"attempt": a, "lag_seconds": lags[2]})
    t = r.act(add(t, 0.001), "stop_replication", "replication.stop", "stop forward replication",
              "target: ALTER SUBSCRIPTION \"cutover_sub\" DISABLE", 0.019)
    t = r.act(add(t, 0.001), "stop_replication", "replication.reverse",
              "start reverse replication (target to source)",
              "target: CREATE PUBLICATION \"cutover_rev_pub\"; source: CREATE SUBSCRIPTION "
              "\"cutover_rev_sub\"", 0.032)
    t = add(t, 0.001)
    log.ev(t, "phase.done", "stop_replication", "stop_replication done in 0.1 s")
    confirm(log, add(t, 0.001), "sequence_sync", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "sequence_sync", "sequence_sync: " + TITLES["sequence_sync"],
           {"attempt": a, "lag_seconds": lags[2]})
    t = r.act(add(t, 0.002), "sequence_sync", "sequences.sync", "synchronise sequences",
              "setval on 2 sequences of the target to at least the source's value + 1000", 0.012)
    t = add(t, 0.001)
    log.ev(t, "phase.done", "sequence_sync", "sequence_sync done in 0.0 s")
    confirm(log, add(t, 0.001), "switch", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "switch", "switch: " + TITLES["switch"],
           {"attempt": a, "lag_seconds": lags[2]})
    t = r.act(add(t, 0.001), "switch", "pgbouncer.repoint",
              "point the application's database entry at the target",
              "/srv/lab/pgbouncer/databases.ini: app = host=127.0.0.1 port=5433 dbname=app", 0.002)
    t = r.act(t, "switch", "pgbouncer.repoint", "reload pgbouncer's configuration", "RELOAD", 0.002)
    t = r.act(add(t, 0.001), "switch", "pgbouncer.resume", "resume the application's pool on pgbouncer",
              "RESUME app", 0.002)
    sw = add(t, 0.002)
    pause = round((ms(sw) - ms(fence)) / 1000, 3)
    log.ev(sw, "run.switched", "switch", "the application writes to the target; the write "
           "pause lasted %.3f s" % pause, {"pause_seconds": pause})
    t = add(sw, 0.001)
    log.ev(t, "phase.done", "switch", "switch done in 0.0 s")
    return t, fence, sw


def front(r, t, how, quick_took, gate_t, grown, sync_lag=None):
    """pre_validation and sync_wait; returns the time sync_wait ends."""
    log = r.log
    a = r.attempt
    confirm(log, t, "pre_validation", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "pre_validation", "pre_validation: " + TITLES["pre_validation"],
           {"attempt": a})
    t = r.validation(t, "pre_validation", "quick", quick_took, grown)
    t = add(t, 0.002)
    log.ev(t, "phase.done", "pre_validation", "pre_validation done in %.1f s" % quick_took)
    confirm(log, add(t, 0.001), "sync_wait", how)
    t = add(t, 0.002)
    d = {"attempt": a}
    if sync_lag is not None:
        d["lag_seconds"] = sync_lag
    log.ev(t, "phase.started", "sync_wait", "sync_wait: " + TITLES["sync_wait"], d)
    t = add(t, gate_t)
    return t


def gate(r, t, lag):
    r.log.ev(t, "check", "sync_wait", "lag gate passed: %.2f s below 5.0 s for 30 s" % lag,
             {"lag_seconds": lag, "provider_lag_seconds": round(lag * 0.6, 3),
              "held_seconds": 30.012})
    t = add(t, 0.002)
    r.log.ev(t, "run.armed", "sync_wait", "armed: the next phase takes the fence; cancel "
             "with `a` in the console until then")
    t = add(t, 0.001)
    r.log.ev(t, "phase.done", "sync_wait", "sync_wait done")
    return add(t, 0.001)


def post(r, t, how, took, grown):
    confirm(r.log, t, "post_validation", how)
    t = add(t, 0.002)
    r.log.ev(t, "phase.started", "post_validation", "post_validation: " + TITLES["post_validation"],
             {"attempt": r.attempt, "lag_seconds": 0.91})
    t = r.validation(t, "post_validation", "full", took, grown)
    t = add(t, 0.002)
    r.log.ev(t, "phase.done", "post_validation", "post_validation done in %.1f s" % took)
    return t


def rollback_after_switch(r, t, reason):
    log = r.log
    rb = log.ev
    rb(t, "rollback.started", "post_validation", "rollback from post_validation: " + reason,
       {"reason": reason, "fenced": True, "switched": True, "replication": "reverse"})
    start = add(t, 0.002)
    e = r.act(start, "post_validation", "target.pause",
              "pause the application's pool on pgbouncer (clients wait, they do not fail)",
              "PAUSE app", 0.007, True)
    e = r.act(add(e, 0.001), "post_validation", "target.terminate",
              "terminate the application's remaining sessions",
              "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
              "usename = ANY($1::text[]) AND pid <> pg_backend_pid()", 0.008, True)
    e = r.act(add(e, 0.002), "post_validation", "sentinel.back", "write a sentinel on the target",
              "%s-a%d-back" % (r.run_id, r.attempt), 0.002, True)
    e = add(e, 0.379)
    rb(e, "check", "post_validation", "reverse catch-up: the sentinel is on the source")
    e = r.act(add(e, 0.002), "post_validation", "sequences.back", "synchronise sequences",
              "setval on 2 sequences of the source to at least the target's value + 1000", 0.008, True)
    e = r.act(add(e, 0.001), "post_validation", "pgbouncer.repoint",
              "point the application's database entry back at the source",
              "/srv/lab/pgbouncer/databases.ini: app = host=127.0.0.1 port=5432 dbname=app", 0.002, True)
    e = r.act(e, "post_validation", "pgbouncer.repoint", "reload pgbouncer's configuration",
              "RELOAD", 0.002, True)
    e = add(e, 0.001)
    rb(e, "check", "post_validation", "the application points at the source again")
    e = r.act(add(e, 0.001), "post_validation", "replication.reverse_stop", "stop reverse replication",
              "source: DROP SUBSCRIPTION IF EXISTS \"cutover_rev_sub\"", 0.062, True)
    e = r.act(add(e, 0.001), "post_validation", "replication.start", "start forward replication again",
              "target: ALTER SUBSCRIPTION \"cutover_sub\" ENABLE", 0.061, True)
    # Writes are let in again when RESUME has answered.
    writes = r.act(add(e, 0.003), "post_validation", "source.unfence",
                   "resume the application's pool on pgbouncer", "RESUME app", 0.017, True)
    e = add(writes, 0.004)
    rb(e, "check", "post_validation", "the source is writable again")
    e = add(e, 0.004)
    rb(e, "rollback.done", "post_validation", "rolled back: the source is writable and forward "
       "replication runs")
    return e, start, writes


# ------------------------------------------------------------------ lab run

def lab_run():
    lab = os.path.join(HERE, "lab")
    state = os.path.join(lab, "state")
    os.makedirs(state, exist_ok=True)
    log = Log("staging")
    samples = []
    run_id = "7f3c9a1e5b2d4c6f"
    r = Run(log, state, run_id, "staging", samples)

    t = T("2026-11-24 15:40:00.100")
    for side in ("target", "source"):
        for sql in ("CREATE SCHEMA IF NOT EXISTS cutover",
                    "CREATE TABLE IF NOT EXISTS cutover.heartbeat (...)",
                    "CREATE TABLE IF NOT EXISTS cutover.sentinel (...)",
                    "COMMENT ON SCHEMA cutover IS '...'"):
            log.ev(t, "action", None, "setup: create the cutover schema on the " + side,
                   {"side": side, "sql": sql})
            t = add(t, 0.012)
            log.ev(t, "action.done", None, "setup: create the cutover schema on the %s: done" % side)
            t = add(t, 0.001)
    log.ev(t, "action", None, "setup: create the heartbeat row on the source",
           {"side": "source", "sql": "INSERT INTO cutover.heartbeat (id, beat_ms, ts) VALUES (1, 0, now()) "
                                     "ON CONFLICT (id) DO NOTHING"})
    log.ev(add(t, 0.003), "action.done", None, "setup: create the heartbeat row on the source: done")

    # A validation by hand before the run.
    t = T("2026-11-24 15:41:08.000")
    f = validation_file(state, "quick", t, add(t, 2.5), "staging")
    log.ev(add(t, 2.52), "check", None, "validation quick: passed",
           {"mode": "quick", "passed": True, "file": f, "checks": check_map("quick")})

    # Attempt 1.
    t = T("2026-11-24 15:50:00.000")
    log.ev(t, "run.started", None, "run %s started in staging (rehearsal)" % run_id)
    r.attempt = 1
    how = 'typed "y" on the terminal'
    s_end = front(r, add(t, 0.001), how, 3.4, 38.0, 0)
    t = gate(r, s_end, 0.23)
    t, fence1, sw1 = cut(r, t, [0.23, 0.41, 0.91], 0.060, how)
    t = post(r, add(t, 0.001), how, 37.5, 120)
    heartbeat(samples, T("2026-11-24 15:50:01.000"), add(fence1, 0.22),
              lambda x: max(1, 4 - int((ms(x) - ms(T("2026-11-24 15:50:01.000"))) / 9000)))
    heartbeat(samples, add(fence1, 0.22 + 1), add(t, 0.5), lambda x: None)

    # The operator decides to go back, from the console.
    t = T("2026-11-24 15:53:02.100")
    log.ev(t, "operator.key", "post_validation", "R: roll back",
           {"key": "R", "request": "roll back", "via": "console"})
    log.ev(add(t, 1.9), "operator.confirm", "post_validation", "Roll back to the source: yes (key y)",
           {"question": "Roll back to the source", "how": "key y"})
    t, rb_start, rb_writes = rollback_after_switch(r, add(t, 1.902),
                                                   "requested by the operator")
    heartbeat(samples, add(rb_start, 0.6), add(t, 0.1), lambda x: None)

    # Attempt 2, twelve minutes later.
    t = T("2026-11-24 16:05:00.000")
    log.ev(t, "run.started", "pre_validation", "attempt 2 of run %s" % run_id)
    r.attempt = 2
    how = "--yes"
    s_end = front(r, add(t, 0.001), how, 3.1, 32.0, 180, sync_lag=2.64)
    t = gate(r, s_end, 0.31)
    t, fence2, sw2 = cut(r, t, [0.31, 0.28, 0.52], 0.009, how)
    t = post(r, add(t, 0.001), how, 35.2, 180)
    heartbeat(samples, T("2026-11-24 16:05:01.000"), add(fence2, 0.2),
              lambda x: max(1, 3 - int((ms(x) - ms(T("2026-11-24 16:05:01.000"))) / 11000)))
    heartbeat(samples, add(fence2, 1.2), add(t, 0.5), lambda x: None)
    log.write(os.path.join(state, "events.jsonl"))
    with open(os.path.join(state, "lag.jsonl"), "w") as fh:
        for s in sorted(samples, key=lambda s: s["t"]):
            fh.write('{"t":%d,"e2e":%.3f,"provider":%.3f}\n' % (s["t"], s["e2e"], s["provider"]))

    phases = []
    starts = {}
    for line in log.lines:
        e = json.loads(line)
        if e["kind"] == "phase.started" and e["data"].get("attempt") == 2:
            starts[e["phase"]] = e["ts"]
        if e["kind"] == "phase.done" and e["phase"] in starts:
            phases.append({"name": e["phase"], "status": "done",
                           "started_at": starts[e["phase"]], "finished_at": e["ts"]})
    st = {"version": 1, "run_id": run_id, "environment": "staging", "rehearsal": True,
          "phase": "post_validation", "phase_status": "done", "phases": phases,
          "fenced": True, "replication": "reverse", "switched": True, "attempt": 2,
          "armed": False, "completed": True, "created_at": "2026-11-24T15:50:00.000Z",
          "fenced_at": ts(fence2), "switched_at": ts(sw2), "fenced_roles": [],
          "readonly_set": False, "target_fenced": False,
          "sentinel_id": "%s-a2-final" % run_id, "sentinel_lsn": "0/3A2B1C8",
          "pgbouncer_original": "host=127.0.0.1 port=5432 dbname=app",
          "rollback_reason": None}
    with open(os.path.join(state, "state.json"), "w") as fh:
        json.dump(st, fh, indent="\t")
        fh.write("\n")

    # The lab around it.
    with open(os.path.join(lab, "lab.json"), "w") as fh:
        json.dump({"state": "up", "user": "postgres", "rows": 1000000,
                   "source_port": 5432, "target_port": 5433, "bouncer_port": 6432}, fh, indent="\t")
    with open(os.path.join(lab, "cutover.conf"), "w") as fh:
        fh.write("; the lab's configuration, as `cutover lab up` writes it\n"
                 "[cutover]\nenvironment = staging\nrehearsal = true\nstate_dir = ./state\n\n"
                 "[source]\nconninfo = host=127.0.0.1 port=6432 dbname=app user=postgres\n\n"
                 "[target]\nconninfo = host=127.0.0.1 port=5433 dbname=app user=postgres\n\n"
                 "[replication]\nprovider = postgres\n\n"
                 "[validation]\nmax_lag_seconds = 5\nlag_hold_seconds = 30\n")
    pauses1 = [(fence1, sw1), (rb_start, rb_writes)]
    pauses2 = [(fence2, sw2)]
    pgbench(lab, 1, T("2026-11-24 15:49:50.000"), T("2026-11-24 15:53:40.000"), pauses1, "source")
    pgbench(lab, 2, T("2026-11-24 16:04:55.000"), T("2026-11-24 16:06:30.000"), pauses2, "target")


def pgbench(lab, n, start, end, pauses, judged_on):
    """pgbench -l at 5 tx/s for each of 2 clients; a transaction scheduled
    in a write pause commits right after it (the clients wait)."""
    d = os.path.join(lab, "load", str(n))
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(n)
    pid = 4240 + n
    committed = 0
    for client in range(2):
        lines = []
        sched = ms(start) + client * 37
        txno = 0
        while sched < ms(end):
            lat = rnd.randint(1800, 4200)            # µs
            done = sched * 1000 + lat
            for p0, p1 in pauses:
                if ms(p0) <= sched < ms(p1):
                    done = ms(p1) * 1000 + lat
                    lat = done - sched * 1000
            lines.append("%d %d %d 0 %d %d %d" % (client, txno, lat, done // 1000000,
                                                  done % 1000000, rnd.randint(50, 400)))
            txno += 1
            committed += 1
            sched += 200
        name = "txn.%d" % pid if client == 0 else "txn.%d.%d" % (pid, client)
        with open(os.path.join(d, name), "w") as fh:
            fh.write("\n".join(lines) + "\n")
    secs = (ms(end) - ms(start)) // 1000
    with open(os.path.join(d, "load.json"), "w") as fh:
        json.dump({"id": n, "pid": pid, "monitor_pid": pid - 1, "rate": 10, "duration": secs,
                   "clients": 2, "started_ms": ms(start),
                   "log_prefix": "/srv/lab/load/%d/txn" % n, "client_ref_prefix": "L%d-" % n},
                  fh, indent="\t")
    with open(os.path.join(d, "exit.json"), "w") as fh:
        fh.write('{"exit": 0, "ended_ms": %d}\n' % ms(end))
    with open(os.path.join(d, "judgement.json"), "w") as fh:
        json.dump({"id": n, "running": False, "transactions": committed, "committed": committed,
                   "failed": 0, "compared": True, "judged_on": judged_on, "found": committed,
                   "lost": 0, "duplicated": 0, "unconfirmed": 0, "passed": True,
                   "verdict": "passed"}, fh, indent="\t")


# ------------------------------------------------------ an earlier rehearsal

def staging_1():
    state = os.path.join(HERE, "staging-1")
    os.makedirs(state, exist_ok=True)
    log = Log("staging", "dba@bastion-2")
    samples = []
    run_id = "3a9e0b7c4d1f2e58"
    r = Run(log, state, run_id, "staging", samples)
    t = T("2026-11-17 10:00:00.000")
    log.ev(t, "run.started", None, "run %s started in staging (rehearsal)" % run_id,
           {"run_id": run_id, "attempt": 1, "rehearsal": True})
    r.attempt = 1
    how = "--yes"
    s_end = front(r, add(t, 0.001), how, 3.9, 41.0, 0)
    t = gate(r, s_end, 0.44)
    # The cut starts; the final sync never sees its sentinel.
    confirm(log, t, "drain", how)
    t = add(t, 0.002)
    log.ev(t, "phase.started", "drain", "drain: " + TITLES["drain"],
           {"attempt": 1, "lag_seconds": 0.44})
    fence = add(t, 0.001)
    log.ev(fence, "run.window", "drain", "the write pause begins; the switch must be done "
           "within 60 s or the run undoes itself")
    t = r.act(add(fence, 0.001), "drain", "pgbouncer.pause",
              "pause the application's pool on pgbouncer (clients wait, they do not fail)",
              "PAUSE app", 0.008)
    t = add(t, 0.012)
    log.ev(t, "check", "drain", "the fence holds: no application transaction runs on the source")
    log.ev(add(t, 0.001), "phase.done", "drain", "drain done in 0.0 s")
    confirm(log, add(t, 0.002), "final_sync", how)
    t = add(t, 0.003)
    log.ev(t, "phase.started", "final_sync", "final_sync: " + TITLES["final_sync"],
           {"attempt": 1, "lag_seconds": 0.52})
    t = r.act(add(t, 0.002), "final_sync", "sentinel.sync", "write the sentinel on the source",
              "%s-a1-final" % run_id, 0.001)
    t = add(fence, 60.0)
    log.ev(t, "switch.timeout", "final_sync", "switch timeout: 60 s passed since the fence "
           "without a completed switch")
    reason = "switch timeout: 60 s passed since the fence without a completed switch"
    t = add(t, 0.001)
    log.ev(t, "rollback.started", "final_sync", "rollback from final_sync: " + reason,
           {"reason": reason, "fenced": True, "switched": False, "replication": "forward"})
    t = r.act(add(t, 0.002), "final_sync", "source.unfence", "resume the application's pool on pgbouncer",
              "RESUME app", 0.011, True)
    t = add(t, 0.003)
    log.ev(t, "check", "final_sync", "the source is writable again")
    t = add(t, 0.002)
    log.ev(t, "rollback.done", "final_sync", "rolled back: the source is writable and forward "
           "replication runs")
    heartbeat(samples, T("2026-11-17 10:00:01.000"), add(t, 0.5),
              lambda x: 1 if ms(x) < ms(fence) else 1 + (ms(x) - ms(fence)) // 1000)
    t = T("2026-11-17 10:20:00.000")
    log.ev(t, "run.started", "pre_validation", "attempt 2 of run %s" % run_id,
           {"run_id": run_id, "attempt": 2})
    r.attempt = 2
    s_end = front(r, add(t, 0.001), how, 3.6, 36.0, 40)
    t = gate(r, s_end, 0.38)
    t, fence2, sw2 = cut(r, t, [0.38, 0.36, 0.6], 0.050, how)
    t = post(r, add(t, 0.001), how, 39.8, 40)
    heartbeat(samples, T("2026-11-17 10:20:01.000"), add(fence2, 0.2), lambda x: 1)
    log.write(os.path.join(state, "events.jsonl"))
    with open(os.path.join(state, "lag.jsonl"), "w") as fh:
        for s in samples:
            fh.write('{"t":%d,"e2e":%.3f,"provider":%.3f}\n' % (s["t"], s["e2e"], s["provider"]))


def earlier_report():
    doc = {"version": 1,
           "run": {"run_id": "1c2d3e4f5a6b7c8d", "environment": "staging", "rehearsal": True},
           "runs": [{"run_id": "1c2d3e4f5a6b7c8d", "started_at": "2026-11-10T14:00:00.000Z",
                     "environment": "staging", "rehearsal": True, "outcome": "completed",
                     "duration_seconds": 96.512, "write_pause_seconds": 0.412,
                     "rollback_pause_seconds": None, "longest_pause_seconds": 0.412,
                     "worst_lag_seconds": 0.62,
                     "worst_lag_upper_bound": False, "validation_seconds": 44.1,
                     "rollbacks": 0, "attempts": 1, "source": None, "this_report": True}]}
    with open(os.path.join(HERE, "earlier-report.json"), "w") as fh:
        json.dump(doc, fh, indent="\t")
        fh.write("\n")


if __name__ == "__main__":
    lab_run()
    staging_1()
    earlier_report()
