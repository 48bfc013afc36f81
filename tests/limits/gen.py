#!/usr/bin/env python3
"""Inputs for tests/limits/check.sh, sized against the values `make
small-limits` compiles in (Makefile SMALL_LIMITS); keep the two in step.

  gen.py CASE OUT [TMPDIR]  write the input of one case (cases.txt) to OUT
  gen.py replies FILE       print the inspector messages of the SCP reply
                            frames in FILE, one "LEVEL text" a line
"""
import json
import os
import sys

T0 = 1700000000
GETINFO = {
    "action": "getinfo", "preview": False, "streaming_command_will_restart": False,
    "searchinfo": {
        "args": [], "raw_args": [], "dispatch_dir": "/tmp/limits/dispatch", "sid": "limits.1",
        "app": "TA-dnsjoin", "owner": "admin", "username": "admin",
        "session_key": "limits-dummy-session-key", "splunkd_uri": "https://127.0.0.1:8089",
        "splunk_version": "9.2.0", "search": "%7C%20dnsjoin", "command": "dnsjoin",
        "maxresultrows": 50000, "earliest_time": "0", "latest_time": "0"}}


# ---- SCP frames -------------------------------------------------------------

def frame(meta, body=b"", meta_digits=0, body_digits=0):
    """A frame; the lengths zero-padded to that many digits (a longer header)."""
    return (b"chunked 1.0,%0*d,%0*d\n" % (meta_digits, len(meta), body_digits, len(body))
            + meta + body)


def getinfo(pad_to=0):
    m = json.dumps(GETINFO, separators=(",", ":")).encode()
    if pad_to:
        m = m[:-1] + b" " * (pad_to - len(m)) + b"}"  # JSON whitespace
        assert len(m) == pad_to
    return m


def execute(body, finished=True):
    meta = b'{"action":"execute","finished":%s}' % (b"true" if finished else b"false")
    return frame(meta, body)


NET_BODY = b"_time,src_ip,dest_ip\n%d,10.0.0.1,192.0.2.1\n" % T0


def raw_header(length):
    # 12 + 20 + 1 + b + 1 = length
    return frame(getinfo(), b"", 20, length - 34) + execute(NET_BODY)


def sized_body(target, rows=50):
    """A CSV body of exactly `target` bytes, values of at most 1000 bytes."""
    head = b"_time,sourcetype,p1,p2,p3,p4,p5,p6\n"
    out = [head]
    left = target - len(head)
    for r in range(rows):
        budget = left // (rows - r)
        left -= budget
        pre = b"%d,st," % (T0 + r)
        room = budget - len(pre) - 5 - 1  # five commas, newline
        vals = [room // 6 + (1 if k < room % 6 else 0) for k in range(6)]
        assert max(vals) <= 1000
        out.append(pre + b",".join(b"x" * v for v in vals) + b"\n")
    body = b"".join(out)
    assert len(body) == target, (len(body), target)
    return body


def raw_intern():
    # three chunks of 50 new columns each (and their __mv_ companions)
    out = [frame(getinfo())]
    for c in range(3):
        names = b",".join(b"c%d_%d" % (c, i) for i in range(50))
        vals = b",".join(b"v" for _ in range(50))
        out.append(execute(names + b"\n" + vals + b"\n", finished=(c == 2)))
    return b"".join(out)


RAW = {
    "header_at": lambda: raw_header(40),
    "header_over": lambda: raw_header(41),
    "meta_at": lambda: frame(getinfo(16384)) + execute(NET_BODY),
    "meta_over": lambda: frame(getinfo(16385)) + execute(NET_BODY),
    "body_at": lambda: frame(getinfo()) + execute(sized_body(262144)),
    # the header alone: the length is refused before the body is read
    "body_over": lambda: frame(getinfo()) + b'chunked 1.0,36,262145\n'
    b'{"action":"execute","finished":true}',
    "intern_over": raw_intern,
}


def replies(path):
    data = open(path, "rb").read()
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        ml, bl = (int(x) for x in data[i + len(b"chunked 1.0,"):nl].split(b","))
        meta = json.loads(data[nl + 1:nl + 1 + ml] or b"{}")
        for level, text in meta.get("inspector", {}).get("messages", []):
            print(level, text)
        i = nl + 1 + ml + bl


# ---- CSV for scpdrive ---------------------------------------------------------

def csv(header, rows):
    return "\n".join([header] + rows) + "\n"


def net_rows(n):
    return ["%d,10.0.0.1,192.0.%d.%d" % (T0 - i, i // 250, i % 250 + 1) for i in range(n)]


def dns_rows(n):
    return ["%d,h%d.example,192.0.%d.%d,10.0.0.1" % (T0 - i, i, i // 250, i % 250 + 1)
            for i in range(n)]


def shared_ip_rows(n):
    # n names answered with one (CDN) address, a second apart
    return ["%d,n%d.example,192.0.2.7,10.0.0.1" % (T0 - i, i) for i in range(n)]


def wide(ncols):
    names = ["f%d" % i for i in range(ncols - 1)]
    return csv("_time," + ",".join(names), ["%d," % T0 + ",".join("v" for _ in names)])


def long_name(n):
    return csv("_time,src_ip,dest_ip," + "n" * n, ["%d,10.0.0.1,192.0.2.1,v" % T0])


def field(n):
    return csv("_time,src_ip,dest_ip,note", ["%d,10.0.0.1,192.0.2.1,%s" % (T0, "x" * n)])


def reply_rows():
    # 40 rows of 3.6 kB: inside SCP_BODY_MAX and CSV_FIELD_MAX, but the
    # reply (the rows plus the join's fields) is over SCP_REPLY_MAX
    return csv("_time,src_ip,dest_ip,a,b,c,d",
               ["%d,10.0.0.1,192.0.2.1,%s" % (T0 - i, ",".join(["x" * 900] * 4))
                for i in range(40)])


def unordered(n):
    # times up and down: the join holds every row
    return csv("_time,src_ip,dest_ip,pad",
               ["%d,10.0.0.1,192.0.2.1,%s" % (T0 + (i * 7919) % n, "p" * 100)
                for i in range(n)])


def series(n):
    return csv("_time,sourcetype", ["%d,st%d" % (T0 - i, i) for i in range(n)])


def bins(n):
    # span=1s: the first and the last second give n bins
    return csv("_time,sourcetype", ["%d,st" % (T0 + n - 1), "%d,st" % T0])


def convs(n):
    return csv("_time,src_ip,dest_ip", net_rows(n))


def hours(n):
    # one conversation, one connection in each of n consecutive hours: a
    # byte each in its active hours
    return csv("_time,src_ip,dest_ip", ["%d,10.0.0.1,192.0.9.9" % (T0 - 3600 * i)
                                        for i in range(n)])


CSV = {
    "field_at": lambda: field(1000),
    "field_over": lambda: field(1001),
    # scpdrive sends an __mv_ column with every column
    "cols_at": lambda: wide(25),
    "cols_over": lambda: wide(26),
    "rows_at": lambda: convs(50),
    "rows_over": lambda: convs(51),
    "name_at": lambda: long_name(64),
    "name_over": lambda: long_name(65),
    "reply_over": reply_rows,
    "maxbuffer_over": lambda: unordered(40),
    "records_at": lambda: csv("_time,query,answer,src", dns_rows(50)),
    "records_over": lambda: csv("_time,query,answer,src", dns_rows(51)),
    "per_ip_at": lambda: csv("_time,query,answer,src", shared_ip_rows(10)),
    "per_ip_over": lambda: csv("_time,query,answer,src", shared_ip_rows(11)),
    "series_at": lambda: series(20),
    "series_over": lambda: series(21),
    "bins_at": lambda: bins(100),
    "bins_over": lambda: bins(101),
    "conv_at": lambda: convs(50),
    "conv_over": lambda: convs(50) + "%d,10.0.0.1,192.0.9.9\n" % T0,
    "hours_at": lambda: hours(64),
    "hours_over": lambda: hours(65),
    "pdns_at": lambda: csv("_time,query,answer,src", dns_rows(50)),
    "pdns_over": lambda: csv("_time,query,answer,src", dns_rows(51)),
}


# ---- dnsmasq log and modular input XML ----------------------------------------

def dm(sec, rest):
    return "Nov 26 11:35:%02d dnsmasq[100]: %s\n" % (sec, rest)


def dm_txn(serial, name, answers, sec=0):
    s = dm(sec, "%d 10.0.0.2/4000%d query[A] %s from 10.0.0.2" % (serial, serial % 10, name))
    for a in answers:
        s += dm(sec, "%d 10.0.0.2/4000%d reply %s is %s" % (serial, serial % 10, name, a))
    return s


def dm_line(n):
    # a query line padded to n bytes (newline excluded), between two good transactions
    line = dm(1, "2 10.0.0.2/40002 query[A] .example from 10.0.0.2").rstrip("\n")
    line = line.replace(".example", "l" * (n - len(line)) + ".example")
    assert len(line) == n
    return (dm_txn(1, "a.example", ["192.0.2.1"]) + line + "\n"
            + dm_txn(3, "b.example", ["192.0.2.3"], sec=2))


def dm_inflight(n):
    # n unanswered queries, then one answered
    s = "".join(dm(0, "%d 10.0.0.2/4%04d query[A] q%d.example from 10.0.0.2" % (i + 1, i, i))
                for i in range(n))
    return s + dm_txn(n + 1, "last.example", ["192.0.2.1"], sec=1)


def run_xml(log, n):
    # run mode: one query left open, then n answered transactions, whose
    # offsets are kept until the open one is done (the last stays open too:
    # more answer lines could follow it)
    with open(log, "w") as f:
        f.write(dm(0, "1 10.0.0.2/40000 query[A] open.example from 10.0.0.2")
                + "".join(dm_txn(i + 2, "d%d.example" % i, ["192.0.2.1"], sec=1)
                          for i in range(n)))
    return ("<input><server_host>t</server_host><server_uri>https://127.0.0.1:8089</server_uri>"
            "<session_key>1</session_key><checkpoint_dir>%s</checkpoint_dir>"
            '<configuration><stanza name="dnsmasq_log://r" app="TA-dnsjoin">'
            '<param name="path">%s</param><param name="start">beginning</param>'
            '<param name="flush_after">3600</param><param name="timezone">UTC</param>'
            '<param name="index">main</param><param name="interval">0</param>'
            "</stanza></configuration></input>" % (os.path.dirname(log), log))


def dm_answers(n):
    return dm_txn(1, "many.example", ["192.0.2.%d" % (i + 1) for i in range(n)])


def items_xml(path, size):
    x = ("<items><server_host>t</server_host><server_uri>https://127.0.0.1:8089</server_uri>"
         "<session_key>1</session_key><checkpoint_dir>/tmp</checkpoint_dir>"
         '<item name="r"><param name="path">%s</param><param name="timezone">UTC</param>'
         '<param name="flush_after">10</param><param name="start">end</param></item></items>'
         % path)
    return x + "\n" * (size - len(x))


TEXT = {
    "line_at": lambda tmp: dm_line(200),
    "line_over": lambda tmp: dm_line(201),
    "inflight_at": lambda tmp: dm_inflight(19),
    "inflight_over": lambda tmp: dm_inflight(20),
    "inflight_run_over": lambda tmp: run_xml(tmp, 42),
    "answers_at": lambda tmp: dm_answers(5),
    "answers_over": lambda tmp: dm_answers(6),
    "xml_at": lambda tmp: items_xml(tmp, 4096),
    "xml_over": lambda tmp: items_xml(tmp, 4097),
}


def main():
    if sys.argv[1] == "replies":
        replies(sys.argv[2])
        return
    case, out = sys.argv[1], sys.argv[2]
    tmp = sys.argv[3] if len(sys.argv) > 3 else "/tmp"
    if case in RAW:
        data = RAW[case]()
    elif case in CSV:
        data = CSV[case]().encode()
    elif case.startswith(("args_", "arglen_", "maxnames_", "url_")):
        data = csv("_time,src_ip,dest_ip", net_rows(1)).encode()
    elif case in TEXT:
        data = TEXT[case](tmp).encode()
    else:
        sys.exit("gen.py: no generator for case %s" % case)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
