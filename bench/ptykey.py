#!/usr/bin/env python3
"""bench/ptykey.py - drives `cutover console` through a pseudo-terminal and
measures, from outside, the time from a key press to the screen output that
reflects it: '?' until the help's title is written, any key until the
function bar is written again. Also idle CPU and resident memory.

  ptykey.py CUTOVER CONF [--keys N] [--validate] [--idle SECONDS]
"""
import os, pty, select, signal, struct, sys, time, fcntl, termios

def read_until(fd, marker, timeout):
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return None
        buf += chunk
        if marker in buf:
            return time.monotonic()
    return None

def drain(fd, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                return

def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def mem(pid):
    d = {}
    for line in open("/proc/%d/status" % pid):
        k, v = line.split(":", 1)
        d[k] = v.strip()
    return d.get("VmRSS"), d.get("VmHWM")

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def main():
    cutover, conf = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    nkeys = int(args[args.index("--keys") + 1]) if "--keys" in args else 200
    idle = int(args[args.index("--idle") + 1]) if "--idle" in args else 0
    validate = "--validate" in args
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        os.execv(cutover, [cutover, "-c", conf, "console"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    if read_until(fd, b"Tables", 60) is None:
        sys.exit("the console did not start")
    drain(fd, 3)
    if idle:
        c0, t0 = cpu_seconds(pid), time.monotonic()
        drain(fd, idle)
        c1, t1 = cpu_seconds(pid), time.monotonic()
        print("idle CPU: %.2f%% of a core over %.0f s" % (100 * (c1 - c0) / (t1 - t0), t1 - t0))
    if validate:
        os.write(fd, b"V")
        drain(fd, 2)
    lat = []
    for i in range(nkeys):
        t0 = time.monotonic()
        os.write(fd, b"?")
        t1 = read_until(fd, b"cutover keys", 5)
        if t1 is None:
            print("key %d: no help within 5 s" % i)
            continue
        lat.append((t1 - t0) * 1000)
        drain(fd, 0.02)
        t0 = time.monotonic()
        os.write(fd, b"x")
        t1 = read_until(fd, b"Zoom", 5)
        if t1 is not None:
            lat.append((t1 - t0) * 1000)
        drain(fd, 0.05)
    rss, hwm = mem(pid)
    if lat:
        print("key to screen: n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms" % (
            len(lat), pct(lat, 50), pct(lat, 99), max(lat)))
    print("resident memory: %s now, %s peak" % (rss, hwm))
    os.write(fd, b"q")
    time.sleep(0.5)
    try:
        os.write(fd, b"\t\r")
    except OSError:
        pass
    time.sleep(1)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)

main()
