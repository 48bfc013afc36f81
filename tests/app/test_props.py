#!/usr/bin/env python3
"""Search-time field extractions of the add-on's sourcetypes, checked
outside Splunk: the REGEX/FORMAT transforms that props.conf names are applied
to log lines (Python's re accepts the PCRE subset they use), and the
netfilter action lookup is evaluated as Splunk's WILDCARD lookup does
(case-insensitive, first matching row wins).

    test_props.py [APP_DIR]

Lines of every format the sourcetypes claim are built in below; the netfilter
samples under ../shared/samples are also run when present (skipped with a
message otherwise).
"""
import csv
import fnmatch
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_app  # noqa: E402

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
SAMPLES = os.path.join(ROOT, "..", "shared", "samples")


def load(name):
    with open(os.path.join(ROOT, "default", name), encoding="utf-8") as f:
        return check_app.conf_dict(f.read())


PROPS = load("props.conf")
TRANSFORMS = load("transforms.conf")


def extract(sourcetype, raw):
    """Fields the sourcetype's REPORT- transforms produce for raw."""
    fields = {}
    st = PROPS[sourcetype]
    for key in sorted(k for k in st if k.startswith("REPORT-")):
        for name in [n.strip() for n in st[key].split(",")]:
            tr = TRANSFORMS[name]
            m = re.search(tr["REGEX"], raw)
            if not m:
                continue
            for pair in tr["FORMAT"].split():
                k, v = pair.split("::", 1)
                val = re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))) or "", v)
                if "$" in v and m.group(int(re.search(r"\$(\d+)", v).group(1))) is None:
                    continue  # group did not take part: Splunk sets no field
                fields.setdefault(k, val)
    return fields


def action_for(prefix):
    """dnsjoin_netfilter_actions lookup (WILDCARD, case-insensitive, first match)."""
    tr = TRANSFORMS["dnsjoin_netfilter_actions"]
    with open(os.path.join(ROOT, "lookups", tr["filename"]), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if prefix is not None and fnmatch.fnmatchcase(prefix.lower(), row["log_prefix"].lower()):
                return row["action"]
    return tr.get("default_match")


passed = failed = 0


def check(label, got, want):
    global passed, failed
    bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    if bad:
        failed += 1
        print("FAIL %s: %s" % (label, ", ".join("%s=%r want %r" % (k, g, w)
                                                for k, (g, w) in sorted(bad.items()))))
    else:
        passed += 1
        print("PASS %s" % label)


# dnsmasq: each header form, plain and extra mode, each line kind.
DNSMASQ = [
    ("dnsmasq file, plain query",
     "Nov  6 10:30:11 dnsmasq[3001]: query[A] teredo.ipv6.microsoft.com from 10.0.0.57",
     {"dnsmasq_kind": "query", "query_type": "A", "query": "teredo.ipv6.microsoft.com",
      "dnsmasq_from": "10.0.0.57", "serial": None}),
    ("dnsmasq file, extra query",
     "Nov  6 10:30:11 dnsmasq[3001]: 6 127.0.0.2/40006 query[AAAA] example.org from 127.0.0.2",
     {"serial": "6", "src": "127.0.0.2", "src_port": "40006", "dnsmasq_kind": "query",
      "query_type": "AAAA", "query": "example.org"}),
    ("dnsmasq file, extra config answer",
     "Nov  6 10:30:11 dnsmasq[3001]: 6 127.0.0.2/40006 config teredo.ipv6.microsoft.com is 65.55.158.118",
     {"serial": "6", "src": "127.0.0.2", "dnsmasq_kind": "config",
      "query": "teredo.ipv6.microsoft.com", "dnsmasq_value": "65.55.158.118"}),
    ("BSD syslog, reply with CNAME",
     "Nov  6 10:30:11 router dnsmasq[3001]: reply lh6.googleusercontent.com is <CNAME>",
     {"dnsmasq_kind": "reply", "query": "lh6.googleusercontent.com", "dnsmasq_value": "<CNAME>"}),
    ("rsyslog ISO, cached NXDOMAIN",
     "2025-10-01T10:53:56.659901+00:00 host1 dnsmasq[3001]: 25 127.0.0.3/40020 cached nx-2.example.com is NXDOMAIN",
     {"serial": "25", "src": "127.0.0.3", "src_port": "40020", "dnsmasq_kind": "cached",
      "query": "nx-2.example.com", "dnsmasq_value": "NXDOMAIN"}),
    ("OpenWrt logread, forwarded",
     "Sun Nov  2 13:16:56 2025 daemon.info dnsmasq[29795]: forwarded example.org to 192.0.2.1#5353",
     {"dnsmasq_kind": "forwarded", "query": "example.org", "dest": "192.0.2.1#5353"}),
    ("RFC 5424, extra reply IPv6",
     "<30>1 2025-11-06T11:32:42.868451+00:00 router dnsmasq 3001 - - 9 [fe80::1%eth0]/5353 reply example.org is 2001:db8::1",
     {"serial": "9", "dnsmasq_kind": "reply", "query": "example.org", "dnsmasq_value": "2001:db8::1"}),
    ("duplicate reply",
     "Nov  6 10:30:12 dnsmasq[3001]: 30 127.0.0.3/40033 reply query is duplicate",
     {"serial": "30", "src": "127.0.0.3", "dnsmasq_kind": "duplicate", "query": None}),
    ("dnssec-query without client",
     "Nov  6 10:30:12 dnsmasq[3001]: 31 dnssec-query[DS] ttvnw.net to 208.67.222.222",
     {"serial": "31", "dnsmasq_kind": "dnssec-query", "query_type": "DS", "query": "ttvnw.net",
      "dest": "208.67.222.222", "src": None}),
    ("hosts file answer",
     "Nov  6 10:30:12 dnsmasq[3001]: /etc/hosts localhost is 127.0.0.1",
     {"dnsmasq_kind": "/etc/hosts", "query": "localhost", "dnsmasq_value": "127.0.0.1"}),
    ("start-up line has no DNS fields",
     "Nov  6 10:30:00 dnsmasq[3001]: started, version 2.90 cachesize 150",
     {"dnsmasq_kind": None, "query": None}),
    ("proto mode, TCP query",
     "Dec  6 14:39:05 dnsmasq[701]: TCP 118 192.168.1.7/40000 query[A] deny.example from 192.168.1.7",
     {"dnsmasq_proto": "TCP", "serial": "118", "src": "192.168.1.7", "src_port": "40000",
      "dnsmasq_kind": "query", "query_type": "A", "query": "deny.example"}),
    ("proto mode, Pi-hole gravity block",
     "Dec  6 14:39:05 dnsmasq[700]: UDP 14 192.168.1.5/5000 gravity blocked ads.example is 0.0.0.0",
     {"dnsmasq_proto": "UDP", "serial": "14", "dnsmasq_kind": "gravity blocked",
      "query": "ads.example", "dnsmasq_value": "0.0.0.0"}),
    ("Pi-hole upstream block",
     "Dec  6 14:39:06 dnsmasq[700]: UDP 24 192.168.1.9/5008 blocked upstream with 0.0.0.0 up.example is 0.0.0.0",
     {"dnsmasq_kind": "blocked upstream with 0.0.0.0", "query": "up.example", "dnsmasq_value": "0.0.0.0"}),
    ("proto mode duplicate",
     "Dec  6 14:39:07 dnsmasq[700]: UDP 14 192.168.1.14/5024 reply query is duplicate",
     {"dnsmasq_proto": "UDP", "serial": "14", "dnsmasq_kind": "duplicate"}),
    ("DHCP line has no DNS fields",
     "Nov  6 10:30:00 dnsmasq-dhcp[3001]: DHCPACK(eth0) 10.0.0.57 00:11:22:33:44:55 win7",
     {"dnsmasq_kind": None, "query": None}),
]

# netfilter: one line per prefix style the lookup must classify.
NETFILTER = [
    ("iptables DROP prefix",
     "Sep 27 20:56:38 host kernel: [  203.842973] IPTABLES-DROP: IN=eth0 OUT= MAC=00:00 "
     "SRC=10.0.0.57 DST=65.55.158.118 LEN=76 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=49007 DPT=3544 LEN=56",
     {"log_prefix": "IPTABLES-DROP:", "src_ip": "10.0.0.57", "dest_ip": "65.55.158.118",
      "nf_proto": "UDP", "src_port": "49007", "dest_port": "3544", "nf_in": "eth0"}, "blocked"),
    ("no prefix",
     "Jun  8 14:34:33 host kernel: [50028442.088484] IN=enp1s0 OUT= MAC=00:08 SRC=192.0.2.7 "
     "DST=198.51.100.9 LEN=40 TOS=0x00 PREC=0x00 TTL=245 ID=37308 PROTO=TCP SPT=8080 DPT=8123 WINDOW=1024",
     {"log_prefix": None, "src_port": "8080", "dest_port": "8123"}, "flow"),
    ("Proxmox policy DROP",
     "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0 MAC=24:8a SRC=10.3.94.11 "
     "DST=10.3.94.12 LEN=52 TOS=0x00 PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 LEN=32",
     {"log_prefix": "policy DROP:"}, "blocked"),
    ("Proxmox ACCEPT",
     "0 0 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 ACCEPT: IN=vmbr0 MAC=24:8a SRC=10.3.95.34 "
     "DST=10.3.94.12 LEN=60 TOS=0x00 PREC=0x00 TTL=62 ID=64432 DF PROTO=TCP SPT=56386 DPT=8006 SYN",
     {"log_prefix": "ACCEPT:"}, "allowed"),
    ("UniFi drop rule with DESCR",
     'Jun 13 23:29:15 UDMP [WAN_LOCAL-D-2147483647] DESCR="[WAN_LOCAL]Block All Traffic" IN=eth8 OUT= '
     "MAC=74:ac SRC=192.168.1.1 DST=192.168.1.25 LEN=122 TOS=00 PREC=0x00 TTL=49 ID=45366 DF PROTO=UDP SPT=38451 DPT=54329 LEN=102",
     {"log_prefix": "[WAN_LOCAL-D-2147483647]", "nf_descr": "[WAN_LOCAL]Block All Traffic"}, "blocked"),
    ("UniFi accept rule",
     'Jun 13 23:29:15 UDMP [LAN_IN-A-3000] DESCR="allow dns" IN=br0 OUT=eth8 MAC=74:ac SRC=192.168.1.2 '
     "DST=192.168.1.25 LEN=122 TOS=00 PREC=0x00 TTL=49 ID=45366 DF PROTO=UDP SPT=38451 DPT=53 LEN=102",
     {"log_prefix": "[LAN_IN-A-3000]", "nf_out": "eth8"}, "allowed"),
    ("SuSEfirewall accept",
     "Mar  8 20:16:44 black kernel: [20474.050964] SFW2-INext-ACC-TCP IN=eth0 OUT= MAC=28:45 "
     "SRC=192.168.0.101 DST=192.168.0.100 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=6429 DF PROTO=TCP SPT=59282 DPT=631 SYN",
     {"log_prefix": "SFW2-INext-ACC-TCP"}, "allowed"),
    ("ICMP has no ports",
     "Sep 27 20:56:38 host kernel: REJECT-IN: IN=eth0 OUT= MAC=00:00 SRC=2001:db8::1 DST=2001:db8::2 "
     "LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1",
     {"log_prefix": "REJECT-IN:", "nf_proto": "ICMPv6", "src_port": None,
      "src_ip": "2001:db8::1", "icmp_type": "128", "icmp_code": "0"}, "blocked"),
]


def main():
    global passed, failed
    for label, raw, want in DNSMASQ:
        check("dnsmasq: " + label, extract("dnsmasq", raw), want)
    for label, raw, want, action in NETFILTER:
        f = extract("linux:netfilter", raw)
        f["action"] = action_for(f.get("log_prefix"))
        check("linux:netfilter: " + label, f, dict(want, action=action))

    # Every netfilter line in the shared samples gets addresses, a protocol
    # and, when it has a log prefix, a verdict from the lookup.
    files = ["crowdsec-hub/iptables-logs.log", "crowdsec-hub/proxmox-iptables.log",
             "crowdsec-hub/unifi-logs.log", "logstash-patterns-core/netfilter_lines.txt"]
    if not os.path.isdir(SAMPLES):
        print("SKIP: %s not found; shared netfilter samples not checked" % os.path.normpath(SAMPLES))
    else:
        for name in files:
            path = os.path.join(SAMPLES, name)
            if not os.path.exists(path):
                print("SKIP: sample %s not found" % name)
                continue
            n = with_action = 0
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith("#") or " SRC=" not in line or " IN=" not in line:
                        continue
                    f = extract("linux:netfilter", line.rstrip("\n"))
                    n += 1
                    act = action_for(f.get("log_prefix"))
                    # A line with a log prefix must get a verdict from the lookup.
                    want = ("allowed", "blocked") if f.get("log_prefix") else ("flow",)
                    if f.get("src_ip") and f.get("dest_ip") and f.get("nf_proto") and act in want:
                        with_action += 1
                    else:
                        print("  not extracted: prefix=%r action=%r: %s" % (
                            f.get("log_prefix"), act, line.strip()[:100]))
            if n and with_action == n:
                passed += 1
                print("PASS sample %s: %d lines with addresses, protocol and an action" % (name, n))
            else:
                failed += 1
                print("FAIL sample %s: %d of %d lines fully extracted" % (name, with_action, n))
    # Real dnsmasq captures kept by the modular input's tests: every query
    # line is classified, extra-mode lines carry serial and client port, and
    # the non-query lines (start-up, upstream list) get no DNS fields.
    cap = os.path.join(ROOT, "tests", "data", "dnsmasq", "capture")
    logs = sorted(f for f in os.listdir(cap) if f.endswith(".log")) if os.path.isdir(cap) else []
    if not logs:
        print("SKIP: no dnsmasq captures in tests/data/dnsmasq/capture")
    for name in logs:
        bad = []
        n = 0
        with open(os.path.join(cap, name), encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.rstrip("\n")
                msg = line.split("]: ", 1)[-1]
                f = extract("dnsmasq", line)
                info = re.match(r"(started|compile time|using |cleared|read |exiting|reading )", msg)
                if info:
                    ok = "dnsmasq_kind" not in f
                else:
                    n += 1
                    ok = "dnsmasq_kind" in f
                    if ok and re.match(r"\d+ \S+/\d+ ", msg):
                        ok = bool(f.get("serial")) and bool(f.get("src_port"))
                if not ok:
                    bad.append(line)
        if bad:
            failed += 1
            print("FAIL capture %s: %d lines misread, e.g. %s" % (name, len(bad), bad[0]))
        else:
            passed += 1
            print("PASS capture %s: %d query log lines classified" % (name, n))
    print("extractions: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
