#!/usr/bin/env python3
"""Checks timeline.svg against the report's own JSON: the structure, not
the pixels. Prints one line per failed check and exits 1 when any failed.

    report-svg.py timeline.svg report.json

- it is SVG 1,200 px wide; the banner says rehearsal or production
- one row per phase then per rollback, in order, top to bottom
- every phase of every attempt has its bar in its own row, in time order;
  every rollback its bar in its row
- every write pause is shaded once with its measured seconds, over its
  own cut (drain .. switch) or rollback, and labelled with that figure
- the switch timeouts are marked; a zoomed panel per pause
- the lag curve lies in the lag chart, the gate line at max_lag_seconds
- no two texts overlap (their boxes, from the font size and length), none
  runs off the page, no leader line runs through a text
- the footer carries the event log's last hash
"""
import json
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
PHASES = ["pre_validation", "sync_wait", "drain", "final_sync", "stop_replication",
          "sequence_sync", "switch", "post_validation"]
bad = []


def check(cond, what):
    if not cond:
        bad.append(what)


def f(e, a):
    return float(e.get(a))


def main():
    root = ET.parse(sys.argv[1]).getroot()
    rep = json.load(open(sys.argv[2]))
    els = list(root.iter())

    def cls(c):
        return [e for e in els if e.get("class") == c]

    check(root.tag == NS + "svg", "the root is <svg>")
    check(root.get("width") == "1200", "1,200 px wide (got %s)" % root.get("width"))
    look = rep["run"]["look"]
    check(root.get("data-look") == look, "the svg says %s" % look)
    banner = cls("banner")
    check(len(banner) == 1 and banner[0].get("data-look") == look, "one %s banner" % look)
    title = "".join(cls("banner-title")[0].itertext()) if cls("banner-title") else ""
    want = {"rehearsal": "REHEARSAL", "production": "PRODUCTION"}.get(look, "NOT MARKED")
    check(title.startswith(want), "the banner reads %s (got %r)" % (want, title))

    # Rows: the phases, then the rollbacks.
    labels = sorted(cls("row-label"), key=lambda e: int(e.get("data-row")))
    names = ["".join(e.itertext()) for e in labels]
    want_rows = PHASES + ["rollback %d" % rb["number"] for rb in rep["rollbacks"]]
    check(names == want_rows, "rows %s (got %s)" % (want_rows, names))
    ys = [f(e, "y") for e in labels]
    check(all(a < b for a, b in zip(ys, ys[1:])), "rows go down the page in order")
    centre = dict(zip(names, [y - 4.5 for y in ys]))

    def in_row(rect, row):
        mid = f(rect, "y") + f(rect, "height") / 2
        return abs(mid - centre[row]) <= 1.0

    bars = {}
    for b in cls("bar"):
        bars[(int(b.get("data-attempt")), b.get("data-phase"))] = b
    for at in rep["attempts"]:
        xs = []
        for ph in at["phases"]:
            b = bars.get((at["attempt"], ph["name"]))
            check(b is not None, "a bar for %s of attempt %d" % (ph["name"], at["attempt"]))
            if b is None:
                continue
            check(in_row(b, ph["name"]), "the bar of %s (attempt %d) is in its row"
                  % (ph["name"], at["attempt"]))
            check(b.get("data-status") == ph["status"], "%s of attempt %d is %s"
                  % (ph["name"], at["attempt"], ph["status"]))
            xs.append(f(b, "x"))
        check(xs == sorted(xs), "the phases of attempt %d are in time order" % at["attempt"])
    check(len(bars) == sum(len(a["phases"]) for a in rep["attempts"]), "no other phase bar")
    for a1, a2 in zip(rep["attempts"], rep["attempts"][1:]):
        b1 = bars.get((a1["attempt"], "pre_validation"))
        b2 = bars.get((a2["attempt"], "pre_validation"))
        if b1 is not None and b2 is not None:
            check(f(b1, "x") < f(b2, "x"), "attempt %d is right of attempt %d"
                  % (a2["attempt"], a1["attempt"]))
    rbars = {int(b.get("data-rollback")): b for b in cls("rollback-bar")}
    for rb in rep["rollbacks"]:
        b = rbars.get(rb["number"])
        check(b is not None and in_row(b, "rollback %d" % rb["number"]),
              "rollback %d has its bar in its row" % rb["number"])

    # The write pauses: shaded once each, over what they belong to.
    shades = cls("pause")
    check(len(shades) == len(rep["write_pauses"]), "%d shaded pauses (got %d)"
          % (len(rep["write_pauses"]), len(shades)))
    labels = cls("pause-label")
    for i, p in enumerate(rep["write_pauses"], 1):
        s = [e for e in shades if e.get("data-pause") == str(i)]
        if len(s) != 1:
            bad.append("pause %d is shaded once" % i)
            continue
        s = s[0]
        x0, x1 = f(s, "x"), f(s, "x") + f(s, "width")
        if p["seconds"] is not None:
            check(abs(float(s.get("data-seconds")) - p["seconds"]) < 0.0005,
                  "pause %d carries %.3f s" % (i, p["seconds"]))
            text = "%.3f s" % p["seconds"]
            check(any(text in "".join(e.itertext()) and e.get("data-pause") == str(i)
                      for e in labels), "pause %d is labelled %s" % (i, text))
        if p["kind"] == "cut":
            d = bars.get((p["attempt"], "drain"))
            sw = bars.get((p["attempt"], "switch"))
            check(d is not None and x0 >= f(d, "x") - 1.5, "the cut of attempt %d starts "
                  "with its drain" % p["attempt"])
            if p["ended_by"] == "switch" and sw is not None:
                check(x1 <= f(sw, "x") + f(sw, "width") + 1.5, "the cut of attempt %d "
                      "ends with its switch" % p["attempt"])
        else:
            b = rbars.get(p["rollback"])
            check(b is not None and x0 >= f(b, "x") - 1.5 and
                  x1 <= f(b, "x") + f(b, "width") + 1.5,
                  "rollback %d's pause lies in the rollback" % p["rollback"])
        check(s.get("data-kind") == p["kind"], "pause %d is a %s" % (i, p["kind"]))
    check(len(cls("switch-timeout")) == len(rep["switch_timeouts"]),
          "%d switch timeouts marked" % len(rep["switch_timeouts"]))
    zooms = [e for e in els if e.get("class") == "zoom"]
    check(len(zooms) == min(len(rep["write_pauses"]), 4), "a zoom per pause")
    for z, p in zip(zooms, rep["write_pauses"][-4:]):
        check(z.get("data-kind") == p["kind"] and z.get("data-attempt") == str(p["attempt"]),
              "zoom %s is of its pause" % z.get("id"))

    # The lag chart.
    frame = cls("lag-frame")
    check(len(frame) == 1, "one lag chart")
    if frame:
        fy0, fy1 = f(frame[0], "y"), f(frame[0], "y") + f(frame[0], "height")
        fx0, fx1 = f(frame[0], "x"), f(frame[0], "x") + f(frame[0], "width")
        pts = 0
        for pl in cls("lag"):
            for xy in pl.get("points").split():
                x, y = map(float, xy.split(","))
                pts += 1
                check(fx0 - 0.5 <= x <= fx1 + 0.5 and fy0 - 0.5 <= y <= fy1 + 0.5,
                      "lag point %s inside the chart" % xy)
        known = [s for s in rep["lag"]["samples"] if s["end_to_end_seconds"] is not None]
        check(pts == len(known), "every known lag sample is drawn (%d of %d)"
              % (pts, len(known)))
        gate = cls("gate")
        if rep["lag"]["threshold_seconds"] is not None:
            check(len(gate) == 1 and abs(float(gate[0].get("data-seconds")) -
                                         rep["lag"]["threshold_seconds"]) < 1e-9,
                  "the gate line at max_lag_seconds")

    # No two texts overlap.
    boxes = []
    for e in els:
        if e.tag != NS + "text":
            continue
        t = "".join(e.itertext())
        size = float(e.get("font-size", "13"))
        w = len(t) * size * 0.6
        x = f(e, "x")
        anchor = e.get("text-anchor", "start")
        x0 = x - w if anchor == "end" else x - w / 2 if anchor == "middle" else x
        y = f(e, "y")
        boxes.append((x0, x0 + w, y - 0.8 * size, y + 0.2 * size, t))
    width, height = float(root.get("width")), float(root.get("height"))
    for b in boxes:
        check(b[0] >= 0 and b[1] <= width and b[2] >= 0 and b[3] <= height,
              "the text %r lies on the page" % b[4])
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                bad.append("texts overlap: %r and %r" % (a[4], b[4]))

    # No leader line of a label above the chart runs through a text.
    for ln in cls("leader"):
        x, y0, y1 = f(ln, "x1"), f(ln, "y1") + 1, f(ln, "y2")
        for b in boxes:
            if b[0] + 1 < x < b[1] - 1 and b[2] < y1 and y0 < b[3]:
                bad.append("a leader line at x=%.1f runs through %r" % (x, b[4]))

    foot = "".join("".join(e.itertext()) for e in cls("log-verify"))
    check(rep["event_log"]["last_hash"] in foot, "the footer has the log's last hash")

    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
