#!/usr/bin/env python3
"""Compare dnsmasq_log JSON lines with a client-side truth file.

truth.tsv: src port query type status answers(comma-separated, sorted)
Extra mode (--exact): every truth row must match exactly one event on
(src, src_port, query, type) with the same answer set and reply code.
Plain mode: events carry no port, so rows are matched per (src, query,
type) in time order; prints the share of truth rows whose answer set and
reply code were reproduced.  Exit 1 when --exact and anything differs.
--log FILE (with --exact): after each mismatch, print the query log's lines
from 40 before that transaction's first to 80 after its last that are its
own, name the same query, or are "reply query is duplicate" lines right
after a reply to that query, so that a failure seen once can be read."""
import json, sys
from collections import defaultdict

STATUS = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}

def main():
    exact = "--exact" in sys.argv
    argv = sys.argv[1:]
    logfile = None
    if "--log" in argv:
        i = argv.index("--log")
        logfile = argv[i + 1]
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    events, truth = args[0], args[1]
    evs = [json.loads(l) for l in open(events) if l.strip()]
    rows = []
    for l in open(truth):
        f = l.rstrip("\n").split("\t")
        if len(f) < 6:
            continue
        src, port, q, t, st, ans = f
        if st == "NONE":          # the client got nothing (timeout): not comparable
            continue
        rows.append((src, int(port), q.lower(), t, STATUS.get(st, -1),
                     sorted(a for a in ans.split(",") if a)))
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
    if exact:
        idx = defaultdict(list)
        for e in evs:
            idx[(e["src"], e.get("src_port"), e["query"].lower(), e["query_type"])].append(e)
        for r in rows:
            got = idx.get((r[0], r[1], r[2], r[3]), [])
            if len(got) != 1:
                bad += 1
                msgs.append("%s: %d events" % (r, len(got)))
                continue
            e = got[0]
            if sorted(e["answer"]) == r[5] and e.get("reply_code_id") == r[4] \
                    and e["confidence"] == "exact":
                ok += 1
            else:
                bad += 1
                msgs.append("%s: got %s rc=%s" % (r, e["answer"], e.get("reply_code_id")))
                msgs.extend(raw(e.get("serial"), r[0], r[1], r[2]))
    else:
        idx = defaultdict(list)
        for e in evs:
            idx[(e["src"], e["query"].lower(), e["query_type"])].append(e)
        for k in idx:
            idx[k].sort(key=lambda e: e["time"])
        used = defaultdict(int)
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
                msgs.append("%s: not reproduced" % (r,))
    total = ok + bad
    print("%s: %d/%d transactions right (%.1f%%), %d events" %
          ("extra" if exact else "plain", ok, total, 100.0 * ok / max(total, 1), len(evs)))
    for m in msgs[:10 if not loglines else 200]:
        print("  " + m)
    if exact and (bad or total == 0):
        sys.exit(1)

main()
