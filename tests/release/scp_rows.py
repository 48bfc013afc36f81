#!/usr/bin/env python3
"""scp_rows.py REQUESTS REPLIES: a passthrough reply stream returns every row.

REQUESTS is what splunkd wrote to the command (a real recording), REPLIES
what the command wrote back.  Both are split into chunked-protocol frames
("chunked 1.0,<meta>,<body>\\n"); after the getinfo exchange, each execute
reply must hold the rows of its request, field for field and byte for byte
(CSV quoting may differ), and the last reply must say finished.  Exits 1
with the first difference.
"""
import csv
import io
import json
import re
import sys

HEADER = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")


def frames(data):
    out, i = [], 0
    while i < len(data):
        m = HEADER.match(data, i)
        if m is None:
            raise SystemExit("bad frame header at byte %d" % i)
        ml, bl = int(m.group(1)), int(m.group(2))
        s = m.end()
        if s + ml + bl > len(data):
            raise SystemExit("frame at byte %d is cut short" % i)
        out.append((data[s:s + ml], data[s + ml:s + ml + bl]))
        i = s + ml + bl
    return out


def rows(body):
    # bytes in, bytes out: decode as latin-1 so every byte survives the CSV reader
    text = body.decode("latin-1")
    return [[f.encode("latin-1") for f in r] for r in csv.reader(io.StringIO(text, newline=""))]


def main():
    req = frames(open(sys.argv[1], "rb").read())
    rep = frames(open(sys.argv[2], "rb").read())
    if len(rep) != len(req):
        raise SystemExit("%d requests but %d replies" % (len(req), len(rep)))
    total = 0
    for k in range(1, len(req)):
        a, b = rows(req[k][1]), rows(rep[k][1])
        if a != b:
            for n, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    raise SystemExit("chunk %d row %d differs: %r / %r" % (k, n, x[:3], y[:3]))
            raise SystemExit("chunk %d: %d rows sent, %d returned" % (k, len(a), len(b)))
        total += max(len(a) - 1, 0)
    last = json.loads(rep[-1][0] or b"{}")
    if not last.get("finished"):
        raise SystemExit("the last reply does not say finished")
    print("%d rows back, byte for byte, in %d execute replies" % (total, len(rep) - 1))


if __name__ == "__main__":
    main()
