#!/usr/bin/env python3
"""Every use of the add-on's commands in what the app ships - searchbnf.conf
examples, savedsearches.conf and the dashboards - must be accepted by the
binary's own argument parser, so the documentation cannot drift from the code.

    test_searches.py PACKAGE BIN_DIR

For each use, `BIN_DIR/scpdrive --getinfo-only --args '<args>' -- BIN_DIR/dnsjoin
<sub-command>` must exit 0. Each option in a command's searchbnf syntax is
also tried alone with a value of its declared type. When scpdrive or a
sub-command is not built yet, that case prints SKIP instead of failing; the
extraction itself is always tested.
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_app  # noqa: E402

SUBCOMMAND = {"dnsjoin": "join", "dnstimechart": "timechart",
              "dnsprofile": "profile", "dnspdns": "pdns"}

# A value for each placeholder type used in searchbnf syntax.
SAMPLE = {"timespan": "1h", "int": "10", "bool": "t", "field": "dest_ip", "size": "2GB",
          "collection": "dnsjoin_pdns", "glob": "*.microsoft.com", "ip-or-cidr": "10.0.0.0/8", "ip-or-cidr-list": "10.0.0.53,192.168.1.0/24", "domain-list": "corp.example,lab.local",
          "timezone": "Europe/Berlin"}

# Field names for <field> options, by option name.
FIELD_SAMPLE = {"ip": "dest_ip", "client": "src_ip", "query": "query", "answer": "answer"}

# Values for drilldown row tokens ($row.<field>.value$).
ROW_SAMPLE = {"src": "10.0.0.57", "dest_ip": "65.55.158.118",
              "dns_query": "teredo.ipv6.microsoft.com"}


def split_pipeline(search):
    """Pipelines of an SPL search, each a list of segments: '|' inside
    double quotes or inside [...] subsearches does not split; each subsearch
    is returned as a pipeline of its own after the outer one."""
    segs, subs = [], []
    depth, quoted, esc = 0, False, False
    cur, sub = [], []
    for ch in search:
        if quoted:
            (sub if depth else cur).append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
            (sub if depth else cur).append(ch)
        elif ch == "[":
            depth += 1
            if depth > 1:
                sub.append(ch)
        elif ch == "]" and depth:
            depth -= 1
            if depth:
                sub.append(ch)
            else:
                subs.append("".join(sub))
                sub = []
        elif depth:
            sub.append(ch)
        elif ch == "|":
            segs.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    segs.append("".join(cur))
    out = [segs]
    for s in subs:
        out.extend(split_pipeline(s))
    return out


def command_uses(search):
    """(command, argument text) for each use of the add-on's commands. The
    first segment of a pipeline is a search, never one of these commands."""
    out = []
    for pipeline in split_pipeline(search):
        for seg in pipeline[1:]:
            m = re.match(r"\s*(%s)(?:\s+(.*?))?\s*$" % "|".join(SUBCOMMAND), seg, re.S)
            if m:
                out.append((m.group(1), m.group(2) or ""))
    return out


def expand_macros(search, macros, depth=0):
    """The search with its `macro` and `macro(a,b)` calls expanded from
    macros.conf, as splunkd does before it parses the pipeline (so an
    option a macro supplies reaches the argument check)."""
    if depth > 20:
        raise KeyError("macro expansion deeper than 20 levels")

    def rep(m):
        call = m.group(1).strip()
        am = re.fullmatch(r"([\w.:-]+)\((.*)\)", call, re.S)
        if am:
            vals = [v.strip() for v in am.group(2).split(",")] if am.group(2).strip() else []
            st = macros.get("%s(%d)" % (am.group(1), len(vals)))
            if st is None:
                raise KeyError("no macro %s(%d)" % (am.group(1), len(vals)))
            body = st.get("definition", "")
            names = [a.strip() for a in st.get("args", "").split(",") if a.strip()]
            for n, v in zip(names, vals):
                body = body.replace("$%s$" % n, v)
        else:
            st = macros.get(call)
            if st is None:
                raise KeyError("no macro %s" % call)
            body = st.get("definition", "")
        return expand_macros(body, macros, depth + 1)
    return re.sub(r"`([^`]+)`", rep, search)


def dashboard_tokens(pkg):
    """token -> default value, from every dashboard input."""
    toks = {}
    for p in check_app.views(pkg):
        try:
            root = check_app.ET.fromstring(pkg.data[p])
        except check_app.ET.ParseError:
            continue
        defn, err = check_app.studio_definition(root)
        if err:
            continue
        for inp in (defn.get("inputs") or {}).values():
            o = inp.get("options") or {}
            if "token" in o and isinstance(o.get("defaultValue"), str):
                toks[o["token"]] = o["defaultValue"]
    return toks


def substitute(text, toks):
    """Replace $token$ with its input's default (or a row sample value)."""
    def rep(m):
        name = m.group(1)
        if name in toks:
            return toks[name]
        rm = re.fullmatch(r"row\.(\w+)\.value", name)
        if rm and rm.group(1) in ROW_SAMPLE:
            return ROW_SAMPLE[rm.group(1)]
        raise KeyError("no value for token $%s$" % name)
    return re.sub(r"\$([\w.]+)\$", rep, text)


def syntax_cases(pkg):
    """(command, args) for every option of every command's searchbnf syntax."""
    bnf = check_app.conf_dict(pkg.text("default/searchbnf.conf") or "")
    out = []
    for cmd in SUBCOMMAND:
        syn = bnf.get("%s-command" % cmd, {}).get("syntax", "")
        for name, typ in re.findall(r"\b(\w+)=(<[\w-]+>|\([^)]*\))", syn):
            if typ == "<field>":
                vals = [FIELD_SAMPLE.get(name, "dest_ip")]
            elif typ.startswith("<"):
                vals = [SAMPLE[typ[1:-1]]]
            else:
                vals = typ[1:-1].split("|")
            for v in vals:
                out.append((cmd, "%s=%s" % (name, v)))
        for word in re.findall(r"\((\w+)\)\?", syn):
            out.append((cmd, word))
        m = re.search(r"\((by) <(\w+)>\)", syn)
        if m:
            out.append((cmd, "by sourcetype"))
    return out


# ----------------------------------------------------- extraction self-tests

def self_test():
    cases = [
        ("`dnsjoin_events` | dnsjoin window=1h | search dns_match!=none",
         [("dnsjoin", "window=1h")]),
        ('x | dnstimechart span=1h domain="a|b" | table _time',
         [("dnstimechart", 'span=1h domain="a|b"')]),
        ('x | dnsprofile | where len(tunnel) > 0', [("dnsprofile", "")]),
        ('x | append [search y | dnsjoin scope=client] | dnspdns',
         [("dnspdns", ""), ("dnsjoin", "scope=client")]),
        ('x | append [dnsjoin] | dnsjoin', [("dnsjoin", "")]),
        ('x | search dnsjoin=1 | stats count by dnsjoin_x', []),
        ('x | dnsjoin\n  window=2h\n', [("dnsjoin", "window=2h")]),
        ('dnsjoin window=1h | stats count', []),
        ('x | eval s="\\"|dnsjoin" | dnsjoin skew=1s', [("dnsjoin", "skew=1s")]),
    ]
    bad = 0
    for text, want in cases:
        got = command_uses(text)
        if got != want:
            print("FAIL extraction of %r: got %r, want %r" % (text, got, want))
            bad += 1
    toks = {"match": "domain", "q": "*"}
    got = substitute('dnstimechart $match$="$q$" src=$row.src.value$', toks)
    if got != 'dnstimechart domain="*" src=10.0.0.57':
        print("FAIL token substitution: %r" % got)
        bad += 1
    try:
        substitute("$nope$", toks)
        print("FAIL unknown token accepted")
        bad += 1
    except KeyError:
        pass
    macros = {"m": {"definition": "local_resolvers=\"10.0.0.53\""},
              "ev": {"definition": "(`idx` tag=dns)"}, "idx": {"definition": "(index=dns)"},
              "w(1)": {"definition": "window=$span$", "args": "span"}}
    for text, want in [("`ev` | dnsjoin `m` `w(2h)`",
                        '((index=dns) tag=dns) | dnsjoin local_resolvers="10.0.0.53" window=2h')]:
        got = expand_macros(text, macros)
        if got != want:
            print("FAIL macro expansion of %r: got %r, want %r" % (text, got, want))
            bad += 1
    for text in ["`nope`", "`w(1h,2h)`"]:
        try:
            expand_macros(text, macros)
            print("FAIL unknown macro %r accepted" % text)
            bad += 1
        except KeyError:
            pass
    return bad


# ----------------------------------------------------------------- driver

def run_parser(bindir, cmd, args):
    """'pass', 'fail: ...' or 'skip: ...' for one use."""
    scpdrive = os.path.join(bindir, "scpdrive")
    dnsjoin = os.path.join(bindir, "dnsjoin")
    if not os.access(scpdrive, os.X_OK):
        return "skip: %s is not built" % scpdrive
    if not os.access(dnsjoin, os.X_OK):
        return "skip: %s is not built" % dnsjoin
    try:
        p = subprocess.run([scpdrive, "--getinfo-only", "--timeout", "10", "--args", args, "--",
                            dnsjoin, SUBCOMMAND[cmd]], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    except subprocess.TimeoutExpired:
        return "fail: timed out"
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode == 0:
        return "pass"
    if "unknown sub-command" in err:
        return "skip: bin/dnsjoin has no '%s' sub-command yet" % SUBCOMMAND[cmd]
    lines = [l for l in err.splitlines() if l.strip()]
    return "fail: exit %d: %s" % (p.returncode, " / ".join(lines[-3:]))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    pkg = check_app.Package(argv[0])
    if pkg.error:
        print("FAIL cannot read %s: %s" % (argv[0], pkg.error))
        return 1
    bindir = argv[1]
    failed = self_test()
    passed = skipped = 0

    toks = dashboard_tokens(pkg)
    macros = check_app.conf_dict(pkg.text("default/macros.conf") or "")
    uses = []
    for where, search in check_app.shipped_searches(pkg):
        try:
            search = expand_macros(search, macros)
        except KeyError as e:
            print("FAIL %s: %s" % (where, e.args[0]))
            failed += 1
            continue
        for cmd, args in command_uses(search):
            try:
                uses.append((where, cmd, substitute(args, toks)))
            except KeyError as e:
                print("FAIL %s: %s" % (where, e.args[0]))
                failed += 1
    # Every command must be exercised by what the app ships (at least its
    # two searchbnf examples), or the extraction has gone wrong.
    for cmd in SUBCOMMAND:
        n = sum(1 for _, c, _ in uses if c == cmd)
        if n < 2:
            print("FAIL only %d shipped uses of %s were found" % (n, cmd))
            failed += 1
    cases = [(w, c, a) for w, c, a in uses] + \
        [("searchbnf syntax of %s" % c, c, a) for c, a in syntax_cases(pkg)]
    for where, cmd, args in cases:
        res = run_parser(bindir, cmd, args)
        label = "%s | %s %s" % (where, cmd, args)
        if res == "pass":
            passed += 1
            print("PASS %s" % label)
        elif res.startswith("skip"):
            skipped += 1
            print("SKIP %s (%s)" % (label, res[len("skip: "):]))
        else:
            failed += 1
            print("FAIL %s (%s)" % (label, res[len("fail: "):]))
    print("searches: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
