#!/bin/sh
# Parser throughput of dnsmasq_log --file on a generated extra-mode log:
# MB/s, lines/s, peak RSS; median of RUNS runs (default 5).
# Usage: bench/dnsmasq/run.sh BIN_DIR [MEGABYTES]
set -eu
bin=$(cd "${1:-bin}" && pwd)/dnsmasq_log
mb=${2:-${DNSMASQ_BENCH_MB:-200}}
runs=${RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
log=${TMPDIR:-/tmp}/dnsmasq_bench_${mb}MB.log
[ -s "$log" ] || python3 "$here/gen.py" "$log" "$mb"
python3 - "$bin" "$log" "$runs" <<'PY'
import os, resource, statistics, subprocess, sys, time
binp, log, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
size = os.path.getsize(log)
lines = sum(1 for _ in open(log, "rb"))
times, rss = [], []
for i in range(runs):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(binp, [binp, "--file", log, "--timezone", "UTC", "--year", "2024"])
    _, status, ru = os.wait4(pid, 0)
    times.append(time.monotonic() - t0)
    rss.append(ru.ru_maxrss)
    if status != 0:
        sys.exit("dnsmasq_log failed with status %d" % status)
m = statistics.median(times)
print("dnsmasq_log --file: %.1f MB in %d lines; median of %d runs %.3f s: %.1f MB/s, %.0f lines/s, peak RSS %.1f MB"
      % (size / 1e6, lines, runs, m, size / 1e6 / m, lines / m, max(rss) / 1024))
PY
