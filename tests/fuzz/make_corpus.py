#!/usr/bin/env python3
"""Build the seed corpora tests/fuzz/corpus/<target>/ from the test data.

Run from the repository root:  python3 tests/fuzz/make_corpus.py [OUTDIR [TARGET...]]
(with TARGETs, only those corpora are written: a new target's seeds can be
made without touching the merged corpora of the others).

Sources: tests/data/ (copied or cut into pieces) and, when ../shared exists,
the splunkd recordings in ../shared/recordings/.  The recordings are never
copied: only small derived seeds are written (the getinfo metadata with its
session key replaced, the first rows of a body, a session shortened to two
execute requests with the lengths recomputed).  After a fuzzing run,
tests/fuzz/run.sh merges what was found back into the committed corpus with
libFuzzer's -merge=1, which keeps only inputs that add coverage.
"""
import gzip
import warnings
import hashlib
import struct
import ipaddress
import os
import re
import sys

ROOT = os.getcwd()
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests/fuzz/corpus")
SHARED = os.path.join(ROOT, "..", "shared", "recordings")
HDR = re.compile(rb"chunked 1\.0,(\d+),(\d+)\n")
DUMMY_KEY = b"fuzz-dummy-session-key-0000"
ONLY = set(sys.argv[2:])


def put(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def frames(stream):
    """(meta, body) pairs of a well-formed stream; stops at the first bad one."""
    out, off = [], 0
    while off < len(stream):
        m = HDR.match(stream, off)
        if not m:
            break
        ml, bl = int(m.group(1)), int(m.group(2))
        s = m.end()
        if s + ml + bl > len(stream):
            break
        out.append((stream[s:s + ml], stream[s + ml:s + ml + bl]))
        off = s + ml + bl
    return out


def frame(meta, body=b""):
    return b"chunked 1.0,%d,%d\n" % (len(meta), len(body)) + meta + body


def csv_head(body, rows):
    """The header line and the first `rows` records of a CSV body (records
    may span lines inside quotes)."""
    out, quoted, seen = bytearray(), False, -1
    for b in body:
        out.append(b)
        if b == 0x22:
            quoted = not quoted
        elif b == 0x0A and not quoted:
            seen += 1
            if seen >= rows:
                break
    return bytes(out)


def scrub(meta):
    return re.sub(rb'"session_key"\s*:\s*"[^"]*"', b'"session_key":"' + DUMMY_KEY + b'"', meta)


def session_seeds(name, stream, rows=3, executes=2):
    fr = frames(stream)
    if not fr:
        return
    small = [(scrub(fr[0][0]), fr[0][1])]
    for meta, body in fr[1:1 + executes]:
        small.append((meta, csv_head(body, rows)))
    if len(fr) > 1 + executes:
        small.append((fr[-1][0], csv_head(fr[-1][1], rows)))
    s = b"".join(frame(m, b) for m, b in small)
    for t in ("fuzz_session", "fuzz_chunk"):
        put(t, name + ".in", s)
    for i, (m, b) in enumerate(small):
        put("fuzz_meta", "%s.%d.json" % (name, i), m)
        if b:
            put("fuzz_csv", "%s.%d.csv" % (name, i), b)


def main():
    warnings.simplefilter("ignore", DeprecationWarning)
    # --- protocol sessions in tests/data/scp
    scp = os.path.join(ROOT, "tests/data/scp")
    for f in sorted(os.listdir(scp)):
        p = os.path.join(scp, f)
        if f.endswith(".in") and os.path.isfile(p):
            session_seeds(f[:-3], read(p), rows=1000, executes=1000)
    mal = os.path.join(scp, "malformed")
    for f in sorted(os.listdir(mal)):
        if f.endswith(".in"):
            data = read(os.path.join(mal, f))
            put("fuzz_session", "malformed_" + f, data)
            put("fuzz_chunk", "malformed_" + f, data)
            for i, (m, b) in enumerate(frames(data)):
                put("fuzz_meta", "malformed_%s.%d.json" % (f[:-3], i), m)

    # --- recordings: derived, never copied
    if os.path.isdir(SHARED):
        for f in sorted(os.listdir(SHARED)):
            if f.endswith(".input.gz"):
                with gzip.open(os.path.join(SHARED, f)) as g:
                    session_seeds("rec_" + f[:-len(".input.gz")], g.read())
    else:
        print("make_corpus: ../shared/recordings absent; recording seeds skipped")

    # --- CSV: the join cases
    jd = os.path.join(ROOT, "tests/data/join")
    for case in sorted(os.listdir(jd)):
        for f in ("input.csv", "expected.csv"):
            p = os.path.join(jd, case, f)
            if os.path.exists(p):
                put("fuzz_csv", "join_%s_%s" % (case, f), read(p))
        p = os.path.join(jd, case, "args")
        if os.path.exists(p):
            a = read(p).strip().split()
            put("fuzz_args", "join_" + case, b"\n".join(a))
    for name, args in [
        ("all_options", "window=2h\nskew=5s\nscope=client\nip=dest\nclient=src\n"
                        "query=q\nanswer=a\nmaxnames=20\nmaxbuffer=500MB"),
        ("bare_words", "by\nsrc_ip\nlimit=5\norder=desc\ndebug=true\nspan=1d"),
        ("bad_values", "window=0s\nskew=-1\nmaxnames=100000\nmaxbuffer=12QB\nip="),
        ("quotes", "query=\"a b\"\n=x\nname==y\nunknown=1"),
    ]:
        put("fuzz_args", name, args)

    # --- held-row packing: consecutive rows of the join cases, 0x1F between
    for case in sorted(os.listdir(jd)):
        p = os.path.join(jd, case, "input.csv")
        if os.path.exists(p):
            rows = read(p).splitlines()[1:]
            for i in range(0, min(len(rows) - 1, 6), 2):
                put("fuzz_rowpack", "join_%s_%d" % (case, i), rows[i] + b"\x1f" + rows[i + 1])
    put("fuzz_rowpack", "self", b"Nov 14 21:58:12 fw01 kernel: SRC=10.20.0.124 DST=54.220.4.5")
    put("fuzz_rowpack", "empty_row", b"abcdefgh\x1f")
    put("fuzz_rowpack", "empty_ref", b"\x1fabcdefgh")

    # --- active hours: a base hour (4 bytes), then (offset, count) adds
    def adds(base, ops):
        return struct.pack("<I", base) + b"".join(struct.pack("<HB", o, c) for o, c in ops)
    put("fuzz_hourset", "descending_busy", adds(480000, [(300 - k // 3, k % 7) for k in range(300)]))
    put("fuzz_hourset", "ascending_long_gaps_top",
        adds(0xFFFFFFFF, [(k * 97, 200 + k % 56) for k in range(40)]))
    put("fuzz_hourset", "scattered_from_zero",
        adds(0, [((k * 2654435761) % 4096, (k * 40503) % 256) for k in range(200)]))

    # --- flows: flags, protocol, ports, seed, two addresses, a message;
    # one per row of the Community ID spec table (tests/data/community_id)
    def flow(flags, proto, sp, dp, seed, a, b, tail=b""):
        return bytes([flags, proto]) + struct.pack(">HHH", sp, dp, seed) + a + b + tail
    spec = os.path.join(ROOT, "tests/data/community_id/spec.tsv")
    for i, line in enumerate(read(spec).decode().splitlines()):
        f = line.split("\t")  # proto, src, dst, sport, dport, seed, id
        if line.startswith("#") or len(f) < 7:
            continue
        a, b = ipaddress.ip_address(f[1]), ipaddress.ip_address(f[2])
        ports = f[3] != "" and f[3] != "-"
        sp, dp = (int(f[3]), int(f[4])) if ports else (0, 0)
        put("fuzz_flow", "spec_%02d" % i,
            flow(int(a.version == 6) | (2 if ports else 0), int(f[0]), sp, dp, int(f[5]),
                 a.packed, b.packed))
    put("fuzz_flow", "mixed_families",
        flow(6, 6, 1, 2, 0, bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8])))
    put("fuzz_flow", "dot_long_message",
        flow(2, 6, 50000, 853, 0, bytes([10, 0, 0, 1]), bytes([8, 8, 8, 8]), bytes((70 + k) % 256 for k in range(200))))

    # --- IP addresses: one seed per line of the address tables
    ipd = os.path.join(ROOT, "tests/data/ipaddr")
    seen = set()
    for f in sorted(os.listdir(ipd)):
        for line in read(os.path.join(ipd, f)).splitlines():
            if not line or line.startswith(b"#"):
                continue
            text = line.split(b"\t")[0]
            text = text.decode("unicode_escape").encode("latin-1") if b"\\" in text else text
            if text in seen:
                continue
            seen.add(text)
            put("fuzz_ipaddr", hashlib.sha1(text).hexdigest()[:12], text)

    # --- dnsmasq lines: the line table and slices of the captured logs
    lines = [l[2:] for l in read(os.path.join(ROOT, "tests/data/dnsmasq/lines.txt")).splitlines()
             if l.startswith(b"< ")]
    for i in range(0, len(lines), 8):
        put("fuzz_dmline", "lines_%03d" % i, b"\n".join(lines[i:i + 8]) + b"\n")
    cap = os.path.join(ROOT, "tests/data/dnsmasq/capture")
    for f in sorted(os.listdir(cap)):
        if f.endswith(".log"):
            ls = read(os.path.join(cap, f)).splitlines(True)
            for i in range(0, min(len(ls), 240), 60):
                put("fuzz_dmline", "%s_%03d" % (f[:-4], i), b"".join(ls[i:i + 60]))

    # --- modular input XML (splunkd's run-mode and validation documents)
    run = ('<?xml version="1.0" encoding="UTF-8"?>\n<input>\n'
           '  <server_host>sh1</server_host>\n  <server_uri>https://127.0.0.1:8089</server_uri>\n'
           '  <session_key>fuzz-dummy-session-key-0000</session_key>\n'
           '  <checkpoint_dir>/opt/splunk/var/lib/splunk/modinputs/dnsmasq_log</checkpoint_dir>\n'
           '  <configuration>\n    <stanza name="dnsmasq_log://main" app="TA-dnsjoin">\n'
           '      <param name="path">/var/log/dnsmasq.log</param>\n'
           '      <param name="timezone">Europe/Berlin &amp; co &#x41;&#66;</param>\n'
           '      <param name="index">dns</param>\n      <param name="empty"></param>\n'
           '      <!-- comment --><param name="cdata"><![CDATA[a<b>&c]]></param>\n'
           '    </stanza>\n  </configuration>\n</input>\n')
    items = ('<?xml version="1.0" encoding="utf-8"?>\n<items>\n'
             '  <server_host>sh1</server_host>\n  <server_uri>https://127.0.0.1:8089</server_uri>\n'
             '  <session_key>fuzz-dummy-session-key-0000</session_key>\n'
             '  <checkpoint_dir>/tmp/ckpt</checkpoint_dir>\n'
             '  <item name="main">\n    <param name="path">/var/log/dnsmasq.log</param>\n'
             '    <param name="flush_after">5</param>\n  </item>\n</items>\n')
    put("fuzz_xmlin", "run_utf8.xml", run)
    put("fuzz_xmlin", "validate_utf8.xml", items)
    put("fuzz_xmlin", "run_utf16le_bom.xml", b"\xff\xfe" + run.replace("UTF-8", "UTF-16").encode("utf-16-le"))
    put("fuzz_xmlin", "validate_utf16be.xml", items.replace("utf-8", "UTF-16").encode("utf-16-be"))
    put("fuzz_xmlin", "pi_and_doctype.xml", '<?xml version="1.0"?><!-- x --><?pi data?><input>'
        '<configuration><stanza name="s"><param name="a">&lt;&gt;&quot;&apos;</param>'
        '</stanza></configuration></input>')

    # --- KV store answers (fuzz_rest): answers separated by 0x1E, an
    # optional "NNN " status in front (below 100: a transport failure).
    # Shapes from SPLUNK_APP.md 13 and tests/kv/kvstub.py; addresses are
    # the ones the target asks for.
    def doc(key, name, typ, rdata, tf, tl, count, client=None, **extra):
        d = '{"_key":"%s","rrname":"%s","rrtype":"%s","rdata":"%s","time_first":%s,' \
            '"time_last":%s,"count":%s' % (key, name, typ, rdata, tf, tl, count)
        if client is not None:
            d += ',"last_client":"%s"' % client
        for k, v in extra.items():
            d += ',"%s":%s' % (k, v)
        return d + "}"
    page = "[" + ",".join([
        doc("a.example|A|192.0.2.1", "a.example", "A", "192.0.2.1", 1699990000, 1700000500, 4,
            "10.1.1.2", _user='"nobody"'),
        doc("b.example|AAAA|2001:db8::1", "b.example", "AAAA", "2001:db8::1", '"1699000000"',
            '"1700000000.25"', '"7"', "10.1.1.3"),
        doc("mail.example.org|A|10.0.0.53", "mail.example.org", "A", "10.0.0.53", 1.6e9,
            1700000001.5, 2),
        doc("other|A|192.0.2.1", "other.example", "A", "192.0.2.1", 1, 2, -5, "x"),
        '{"_key":"partial","rrtype":"A","rdata":"192.0.2.1"}', '7', 'null', '"s"',
    ]) + "]"
    error = '{"messages":[{"type":"ERROR","text":"%s"}]}'
    seeds = {
        "page_docs.json": page,
        "page_empty.json": "[]",
        "page_full_then_empty": "[" + ",".join(["0"] * 1000) + "]\x1e[]",
        "in_refused_or_page": "400 " + error % "Invalid query: unknown operator $in"
                              + "\x1e" + page,
        "unauthorized": "401 " + error % "call not properly authenticated",
        "forbidden": "403 " + error % "User does not have permission",
        "no_collection": "404 " + error % "Collection not found",
        "busy_then_ok": "503 " + error % "KV Store is initializing" + "\x1e429 \x1e" + page,
        "server_error": "500 " + error % "internal error",
        "reset_retry": "000 \x1e001 \x1e" + page,
        "too_big": "004 ",
        "batch_save_reply": page + '\x1e["a.example|A|192.0.2.1","b.example|AAAA|2001:db8::1",'
                                   '"mail.example.org|A|10.0.0.53"]',
        "batch_save_413": "[]\x1e413 " + error % "Request too large",
        "not_array": '{"_key":"a.example|A|192.0.2.1","rrname":"a.example"}',
        "truncated": page[:len(page) // 2],
        "garbage": "\x00\xff<html><body>502 Bad Gateway</body></html>\r\n",
        "numbers_edge": "[" + ",".join([
            doc("e1", "a.example", "A", "192.0.2.1", "9223372036854775807",
                "-9223372036854775808", "18446744073709551615"),
            doc("e2", "a.example", "A", "192.0.2.1", "1e300", "-1e300", "1.5"),
            doc("e3", "a.example", "A", "192.0.2.1", '"1e3"', '"-0.000001"', '"x"'),
            doc("e4", "a.example", "A", "192.0.2.1", "9999999999999", "9999999999999", 1),
        ]) + "]",
        "strings_edge": "[" + ",".join([
            doc("s1", "a\\u0000.example", "A\\u0000", "192.0.2.1", 1, 2, 3, "\\ud83d\\ude00"),
            doc("s2", "", "A", "::ffff:192.0.2.1", 1, 2, 3, ""),
            doc("s3", "a.example", "AAAAAAAAAA", "[2001:db8::1]", 1, 2, 3),
        ]) + "]",
        "deep": "[" * 300 + "]" * 300,
    }
    for name, text in seeds.items():
        put("fuzz_rest", name, text.encode("latin-1"))

    # fuzz_mapmerge: map-phase rows for the reduce.  Byte 0: bit 0 the
    # command (0 dnspdns, 1 dnstimechart), bits 1..3 its argument set
    # (pdns_args / tc_args in fuzz_mapmerge.c); then chunks split by 0x1E,
    # rows by LF, cells by 0x1F in the command's column order:
    #   dnspdns       _time rrname rdata first last count client query answer src
    #   dnstimechart  _time bin series count sourcetype host src_ip dest_ip __dnsjoin_w
    # (dnspdns's argument sets 6 and 7 are dnsprofile's: see below)
    def mm(sel, *chunks):
        return bytes([sel]) + b"\x1e".join(
            b"\n".join(b"\x1f".join(c.encode() for c in row) for row in chunk)
            for chunk in chunks)
    p1 = ["1700003600", "a.example", "192.0.2.1", "1700000000", "1700003600", "3", "10.0.0.5"]
    p2 = ["1700007200", "a.example", "192.0.2.1", "1699990000", "1700007200", "4", "10.0.0.6"]
    dns = ["1700000100", "", "", "", "", "", "", "b.example", "198.51.100.7", "10.0.0.9"]
    U64 = "18446744073709551615"
    pdns = {
        "valid_two_chunks": mm(2, [p1], [p2, dns]),
        "valid_ipv6_equal_times": mm(0, [["5", "v6.example", "2001:db8::1", "5", "5", "1", "fe80::1"],
                                         ["5", "v6.example", "2001:db8::1", "5", "5", "1", "fe80::0"]]),
        "count_max": mm(2, [p1[:5] + [U64, "c"]]),
        "count_overflow_sum": mm(2, [p1[:5] + [U64, "c"]], [p2[:5] + ["1", "c"]]),
        "count_zero": mm(0, [p1[:5] + ["0", "c"]]),
        "count_negative": mm(0, [p1[:5] + ["-1", "c"]]),
        "count_huge": mm(0, [p1[:5] + ["1" + "0" * 40, "c"]]),
        "count_nonnumeric": mm(0, [p1[:5] + ["3x", "c"]]),
        "count_empty_name_set": mm(0, [["1", "n.example", "192.0.2.9", "1", "1", "", ""]]),
        "first_after_last": mm(0, [["9", "a.example", "192.0.2.1", "10", "9", "1", ""]]),
        "time_negative": mm(0, [["-5", "a.example", "192.0.2.1", "-10", "-5", "2", "x"]]),
        "time_fraction": mm(0, [["1.5", "a.example", "192.0.2.1", "1.5", "2", "1", ""]]),
        "time_huge": mm(0, [["1", "a.example", "192.0.2.1", "-9223372036854", "9223372036854", "1", ""]]),
        "empty_name": mm(0, [["1", "", "192.0.2.1", "1", "1", "1", ""]]),
        "long_name": mm(0, [["1", "x" * 300, "192.0.2.1", "1", "1", "1", ""]]),
        "bad_rdata": mm(0, [["1", "a.example", "192.0.2.256", "1", "1", "1", ""]]),
        "sinkhole_rdata": mm(0, [["1", "ads.example", "0.0.0.0", "1", "1", "7", ""]]),
        "quoted_cells": mm(0, [["1", 'q,"x".example', "192.0.2.1", "1", "1", "1", "a\r\nb"]]),
        "map_phase_given_partials": mm(8, [p1, dns]),
    }
    for name, data in pdns.items():
        put("fuzz_mapmerge", "pdns_" + name, data)
    t1 = ["1700000000", "1699999200", "fw", "5"]
    t2 = ["1700003600", "1700002800", "dns", "2"]
    ev = ["1700000001", "", "", "", "fw", "h1", "10.0.0.5", "192.0.2.1"]
    tc = {
        "valid_two_chunks": mm(1, [t1, ev], [t2]),
        "valid_null_series": mm(1, [["1700000000", "1699999200", "", "3"]]),
        "day_bins": mm(3, [["1699920000", "1699920000", "fw", "1"],
                           ["1700006400", "1700006400", "OTHER", "2"]]),
        "five_minutes_by_host": mm(5, [["1700000100", "1700000100", "h1", "9"]]),
        "week_bins_limit": mm(7, [["1698796800", "1698796800", "a", "1"], ["1701388800", "1701388800", "b", "1"],
                         ["1701388800", "1701388800", "c", "1"]]),
        "berlin_hours": mm(9, [["1700002800", "1700002800", "x", "1"]]),
        "thirty_seconds": mm(15, [["30", "30", "x", "1"], ["-30", "-30", "y", "1"]]),
        "count_max": mm(1, [t1[:3] + [U64]]),
        "count_overflow_sum": mm(1, [t1[:3] + [U64]], [t2[:2] + ["other", "1"]]),
        "count_zero": mm(1, [t1[:3] + ["0"]]),
        "count_negative": mm(1, [t1[:3] + ["-2"]]),
        "count_huge": mm(1, [t1[:3] + ["9" * 30]]),
        "count_nonnumeric": mm(1, [t1[:3] + ["five"]]),
        "bin_not_start": mm(1, [["1700000001", "1700000001", "fw", "1"]]),
        "bin_nonnumeric": mm(1, [["x", "soon", "fw", "1"]]),
        "bin_empty_count_set": mm(1, [["1700000000", "", "fw", "1"]]),
        "bin_huge": mm(1, [["1", "99999999999999999", "fw", "1"]]),
        "bin_fraction": mm(1, [["1", "1699999200.5", "fw", "1"]]),
        "filter_with_partials": mm(11, [t1]),
        "map_phase_given_partials": mm(13, [t1, ev]),
        "many_series_limit": mm(7, [["1698796800", "1698796800", "s%d" % i, str(i + 1)] for i in range(20)]),
        # weighted rows (argument set 5: mapphase=t with src=)
        "weighted_two_chunks": mm(11, [ev + ["5"], ev[:6] + ["10.0.0.6", "192.0.2.2", ""]],
                                  [ev + ["2"]]),
        "weight_max": mm(11, [ev + ["4611686018427387904"]]),
        "weight_negative": mm(11, [ev + ["-1"]]),
        "weight_exponent": mm(11, [ev + ["1e3"]]),
    }
    for name, data in tc.items():
        put("fuzz_mapmerge", "tc_" + name, data)
    # dnsprofile (byte 0 low nibble 0x0C: the reduce of weighted rows with
    # mapphase=t, 0x0E: a single phase; bits 4..6 pf_args), in the columns
    # of its map phase: _time query answer src dest_ip dest src_ip
    # dest_port transport sourcetype action url __mv_answer __dnsjoin_w
    def pr(t, w, query="", answer="", src="", dest_ip="", src_ip="", port="", tr="", st="",
           action="", url="", mv=""):
        return [t, query, answer, src, dest_ip, "", src_ip, port, tr, st, action, url, mv, w]
    q1 = pr("1700000000.000", "3", query="a.example", answer="192.0.2.1", src="10.0.0.5",
            st="dnsmasq:transaction")
    q2 = pr("1700000001", "1", query="b.example", answer="192.0.2.2\n192.0.2.3", src="10.0.0.5",
            st="dnsmasq:transaction", mv="$192.0.2.2$;$192.0.2.3$")
    def fw(w, t="1700000010", ip="192.0.2.1"):
        return pr(t, w, dest_ip=ip, src_ip="10.0.0.5", port="443", tr="tcp",
                  st="linux:netfilter", action="blocked")
    teredo = pr("1700000020", "", dest_ip="65.55.158.118", src_ip="10.0.0.6", port="3544",
                tr="udp", st="linux:netfilter", action="blocked")
    proxy = pr("1700000030", "2", src_ip="10.0.0.5", st="squid", url="http://a.example/x")
    W62 = "4611686018427387904"  # 2^62, WROWS_WEIGHT_MAX
    pf = {
        "valid_two_chunks": mm(0x0C, [q1, q2, fw("7")], [teredo, proxy]),
        "equal_rows_two_chunks": mm(0x0C, [q1, fw("3")], [fw("4")]),
        "weight_max": mm(0x0C, [fw(W62)]),
        "weight_sum_at_max": mm(0x0C, [fw("2305843009213693952")], [fw("2305843009213693952")]),
        "weight_max_with_dns": mm(0x0C, [q1, fw(W62)]),
        "weight_max_plus_one": mm(0x0C, [fw("4611686018427387905")]),
        "weight_sum_past_max": mm(0x0C, [fw(W62)], [fw("1", t="1700000011")]),
        "weight_2p64": mm(0x0C, [fw("18446744073709551616")]),
        "weight_negative": mm(0x0C, [q1, fw("-1")]),
        "weight_zero": mm(0x0C, [fw("0")]),
        "weight_exponent": mm(0x0C, [fw("1e3")]),
        "weight_trailing": mm(0x0C, [fw("12abc")]),
        "weight_space": mm(0x0C, [fw(" 5")]),
        "client_scope": mm(0x2C, [q1, q2, fw("2"), fw("1", ip="192.0.2.3")]),
        "map_phase": mm(0x4C, [q1, fw("5"), proxy], [fw("5")]),
        "maxbuffer": mm(0x6C, [fw("1", t=str(1700000000 + i), ip="192.0.2.%d" % (i % 250 + 1))
                               for i in range(300)]),
        "single_weights": mm(0x0E, [q1, q2, fw(W62), teredo, proxy]),
        "single_weight_zero": mm(0x0E, [q1, fw("0")]),
    }
    for name, data in pf.items():
        put("fuzz_mapmerge", "pf_" + name, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
