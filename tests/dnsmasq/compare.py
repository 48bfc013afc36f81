#!/usr/bin/env python3
"""Compare dnsmasq_log JSON lines with a client-side truth file.

truth.tsv: src port query type status answers(comma-separated, sorted)
[transport(udp|tcp)]
Exact mode (--exact; extra and proto logs): every truth row must match
exactly one event on (src, src_port, query, type) with the same answer set
and reply code, and every event must belong to a client of the truth file.
Plain mode: events carry no port, so rows are matched per (src, query,
type) in time order; prints the share of truth rows whose answer set and
reply code were reproduced.  Exit 1 when --exact and anything differs.
--transport: instead, check that the event of every truth row carries that
row's transport; exit 3 (not checked) when no event has a transport field.
--from T, --to T: only events whose time lies in [T, T'] (one daemon's part
of a log that several daemons wrote in turn).
--label NAME: the name the summary line starts with.
--log FILE (with --exact): after each mismatch, print the query log's lines
from 40 before that transaction's first to 80 after its last that are its
own, name the same query, or are "reply query is duplicate" lines right
after a reply to that query, so that a failure seen once can be read."""
import json, sys
from collections import defaultdict

STATUS = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}

def option(argv, name, conv=str):
    if name not in argv:
        return None
    i = argv.index(name)
    v = conv(argv[i + 1])
    del argv[i:i + 2]
    return v

def main():
    argv = sys.argv[1:]
    logfile = option(argv, "--log")
    t_from = option(argv, "--from", int)
    t_to = option(argv, "--to", int)
    label = option(argv, "--label")
    exact = "--exact" in argv
    transport = "--transport" in argv
    args = [a for a in argv if not a.startswith("--")]
    events, truth = args[0], args[1]
    evs = [json.loads(l) for l in open(events) if l.strip()]
    evs = [e for e in evs if (t_from is None or e["time"] >= t_from)
           and (t_to is None or e["time"] <= t_to)]
    rows = []
    clients = set()               # every client, also those that got nothing
    timeouts = 0
    for l in open(truth):
        f = l.rstrip("\n").split("\t")
        if len(f) < 6:
            continue
        src, port, q, t, st, ans = f[:6]
        tr = f[6] if len(f) > 6 else None
        clients.add((src, int(port)))
        if st == "NONE":          # the client got nothing (timeout): not comparable
            timeouts += 1
            continue
        rows.append((src, int(port), q.lower(), t, STATUS.get(st, -1),
                     sorted(a for a in ans.split(",") if a), tr))
    if transport:
        sys.exit(check_transport(evs, rows, label))
    ok = bad = 0
    msgs = []
    loglines = open(logfile, errors="replace").read().splitlines() if logfile else []

    def raw(serial, src, port, query):
        """The log's lines around one transaction ("SERIAL SRC/PORT ...")."""
        key = " %s %s/%s " % (serial, src, port)
        own = [i for i, l in enumerate(loglines) if key in l]
        if not own:
            return ["    | (no log line for%s)" % key]
        out, follows = [], False
        for l in loglines[max(own[0] - 40, 0):own[-1] + 80]:
            dup = l.endswith("query is duplicate")
            if key in l or (" %s " % query) in l or (dup and follows):
                out.append("    | " + l)
                follows = (" reply %s " % query) in l or (dup and follows)
            else:
                follows = False
        return out
    stray = 0
    if exact:
        idx = defaultdict(list)
        for e in evs:
            idx[(e["src"], e.get("src_port"), e["query"].lower(), e["query_type"])].append(e)
            if (e["src"], e.get("src_port")) not in clients:
                stray += 1
                msgs.append("event of no client: %s" % json.dumps(e))
        for r in rows:
            got = idx.get((r[0], r[1], r[2], r[3]), [])
            if len(got) != 1:
                bad += 1
                msgs.append("%s: %d events" % (r[:6], len(got)))
                continue
            e = got[0]
            if sorted(e["answer"]) == r[5] and e.get("reply_code_id") == r[4] \
                    and e["confidence"] == "exact":
                ok += 1
            else:
                bad += 1
                msgs.append("%s: got %s rc=%s confidence=%s" % (
                    r[:6], e["answer"], e.get("reply_code_id"), e.get("confidence")))
                if loglines:
                    msgs.extend(raw(e.get("serial"), r[0], r[1], r[2]))
    else:
        idx = defaultdict(list)
        for e in evs:
            idx[(e["src"], e["query"].lower(), e["query_type"])].append(e)
        for k in idx:
            idx[k].sort(key=lambda e: e["time"])
        for r in sorted(rows, key=lambda r: r[1]):
            k = (r[0], r[2], r[3])
            cands = idx.get(k, [])
            hit = None
            for i, e in enumerate(cands):
                if not e.get("_used") and sorted(e["answer"]) == r[5] \
                        and e.get("reply_code_id") == r[4]:
                    hit = e
                    break
            if hit is not None:
                hit["_used"] = True
                ok += 1
            else:
                bad += 1
                msgs.append("%s: not reproduced" % (r[:6],))
    total = ok + bad
    print("%s: %d/%d transactions right (%.1f%%), %d events%s%s" %
          (label or ("extra" if exact else "plain"), ok, total, 100.0 * ok / max(total, 1),
           len(evs), ", %d not of any client" % stray if stray else "",
           ", %d clients timed out (not compared)" % timeouts if timeouts else ""))
    if not evs:
        msgs = ["(dnsmasq_log made no transaction of this log)"]
    cap = 10 if not loglines else 200
    for m in msgs[:cap]:
        print("  " + m)
    if len(msgs) > cap:
        print("  (%d more)" % (len(msgs) - cap))
    if exact and (bad or stray or total == 0):
        sys.exit(1)

def check_transport(evs, rows, label):
    """0: every row's event has the row's transport; 1: not; 3: no event
    has the field at all (the parser does not write it)."""
    if not any("transport" in e for e in evs):
        print("%s: no event has a transport field" % (label or "transport"))
        return 3
    idx = defaultdict(list)
    for e in evs:
        idx[(e["src"], e.get("src_port"), e["query"].lower(), e["query_type"])].append(e)
    right = defaultdict(int)
    total = defaultdict(int)
    msgs = []
    for r in rows:
        if r[6] is None:
            continue
        total[r[6]] += 1
        got = idx.get((r[0], r[1], r[2], r[3]), [])
        if len(got) == 1 and got[0].get("transport") == r[6]:
            right[r[6]] += 1
        else:
            msgs.append("%s %s: %s" % (r[:4], r[6],
                        [e.get("transport", "(none)") for e in got] or "no event"))
    print("%s: tcp clients %d/%d with transport=tcp, udp clients %d/%d with transport=udp" %
          (label or "transport", right["tcp"], total["tcp"], right["udp"], total["udp"]))
    for m in msgs[:10]:
        print("  " + m)
    return 1 if msgs or total["tcp"] == 0 else 0

main()
