#!/usr/bin/env python3
"""Negative tests for check_app.py: for every package rule, build a copy of
a good package broken in exactly that way and assert that the checker
reports that rule (FAIL, or WARN for the report-only rules).

    test_negative.py PACKAGE [--studio-validator DIR]

The good package must itself pass every rule. With --studio-validator, the
broken dashboards of tests/data/dashboards/bad/ (each one edit of a shipped
definition) must each be accepted by @splunk/dashboard-definition's default
schema and rejected, at the edited path, by the strict one that
validate_dashboards.js builds from EnterpriseViewOnlyPreset. When a binary is not built
yet, /bin/true stands in for it in these test copies only, so the binary
rules are exercised all the same (the real package is never modified).
"""
import io
import json
import os
import re
import shutil
import sys
import tarfile
import subprocess
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_app  # noqa: E402
import make_icons  # noqa: E402

APP = check_app.APP
HERE = os.path.dirname(os.path.abspath(__file__))
BAD_DASHBOARDS = os.path.join(HERE, "..", "data", "dashboards", "bad")


class Tree:
    """An editable in-memory copy of a package: archive member name ->
    [TarInfo, bytes or None]. Paths given to the helpers are relative to
    the app folder."""

    def __init__(self, path):
        self.entries = {}
        with tarfile.open(path, "r:gz") as tf:
            for ti in tf:
                data = tf.extractfile(ti).read() if ti.isfile() else None
                self.entries[ti.name] = [ti, data]

    def copy(self):
        t = Tree.__new__(Tree)
        t.entries = {}
        for k, (ti, data) in self.entries.items():
            t.entries[k] = [_copy_info(ti), data]
        return t

    def name(self, rel):
        return "%s/%s" % (APP, rel) if rel else APP

    def get(self, rel):
        return self.entries[self.name(rel)][1]

    def text(self, rel):
        return self.get(rel).decode("utf-8")

    def put(self, rel, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode("utf-8")
        parts = rel.split("/")
        for i in range(1, len(parts)):
            d = self.name("/".join(parts[:i]))
            if d not in self.entries:
                ti = tarfile.TarInfo(d)
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                self.entries[d] = [ti, None]
        n = self.name(rel)
        if n in self.entries:
            ti = self.entries[n][0]
        else:
            ti = tarfile.TarInfo(n)
            ti.mode = mode
        ti.size = len(data)
        self.entries[n] = [ti, data]

    def edit(self, rel, fn):
        self.put(rel, fn(self.text(rel)))

    def sub(self, rel, pattern, repl, count=1):
        """Regex substitution that must change something."""
        def f(t):
            new, n = re.subn(pattern, repl, t, count=count, flags=re.M)
            assert n, "pattern %r not found in %s" % (pattern, rel)
            return new
        self.edit(rel, f)

    def remove(self, rel):
        n = self.name(rel)
        for k in [k for k in self.entries if k == n or k.startswith(n + "/")]:
            del self.entries[k]

    def chmod(self, rel, mode):
        self.entries[self.name(rel)][0].mode = mode

    def add_raw(self, ti, data=None):
        self.entries[ti.name] = [ti, data]

    def rename_top(self, new):
        out = {}
        for k, (ti, data) in self.entries.items():
            nk = new + k[len(APP):]
            ti.name = nk
            out[nk] = [ti, data]
        self.entries = out

    def write(self, path):
        with tarfile.open(path, "w:gz", compresslevel=1) as tf:
            for k in sorted(self.entries):
                ti, data = self.entries[k]
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)


def _copy_info(ti):
    n = tarfile.TarInfo(ti.name)
    for a in ("size", "mtime", "mode", "type", "linkname", "uid", "gid", "uname", "gname"):
        setattr(n, a, getattr(ti, a))
    return n


def bad_dashboards():
    """The broken-dashboard cases: file name -> case (dashboard, what, and
    "set" (the key must exist) or "add" (it must not), JSON pointer ->
    value, and error: the path the strict validator must report)."""
    out = {}
    for n in sorted(os.listdir(BAD_DASHBOARDS)):
        if n.endswith(".json"):
            with open(os.path.join(BAD_DASHBOARDS, n)) as f:
                out[n[:-5]] = json.load(f)
    return out


def view_path(dashboard):
    return "default/data/ui/views/%s.xml" % dashboard


def broken_definition(tree, case):
    """The shipped definition of case["dashboard"] with the case's edits."""
    root = ET.fromstring(tree.get(view_path(case["dashboard"])))
    defn, err = check_app.studio_definition(root)
    assert not err, err
    for op in ("set", "add"):
        for ptr, value in case.get(op, {}).items():
            keys = ptr.strip("/").split("/")
            node = defn
            for k in keys[:-1]:
                assert isinstance(node, dict) and k in node, "%s: no %s" % (ptr, k)
                node = node[k]
            exists = keys[-1] in node
            assert exists == (op == "set"), "%s: %s a key that %s" % (
                ptr, op, "exists" if exists else "does not exist")
            node[keys[-1]] = value
    return defn


def put_definition(tree, dashboard, defn):
    body = json.dumps(defn, indent=2)

    def f(text):
        new, n = re.subn(r"<!\[CDATA\[.*?\]\]>", lambda m: "<![CDATA[\n" + body + "\n]]>",
                         text, count=1, flags=re.S)
        assert n, "no CDATA in %s" % view_path(dashboard)
        return new
    tree.edit(view_path(dashboard), f)


def run_validator(validator, schema, files):
    validator = os.path.abspath(validator)
    pr = subprocess.run(["node", os.path.join(validator, "validate_dashboards.js"),
                         "--schema", schema, "--json"] + files, cwd=validator,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    try:
        return json.loads(pr.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"": [{"path": "", "message": "validator exited %d: %s" % (
            pr.returncode, pr.stdout.decode("utf-8", "replace")[-500:])}]}


def strictness(base, validator, tmp):
    """(passed, failed): every broken dashboard is accepted by the default
    schema and rejected at its edited path by the strict one."""
    passed = failed = 0
    files = {}
    for name, case in bad_dashboards().items():
        try:
            defn = broken_definition(base, case)
        except AssertionError as e:
            print("FAIL [dashboards] %s: could not build it: %s" % (name, e))
            failed += 1
            continue
        files[name] = os.path.join(tmp, name + ".json")
        with open(files[name], "w") as f:
            json.dump(defn, f)
    if not files:
        return passed, failed
    loose = run_validator(validator, "default", list(files.values()))
    strict = run_validator(validator, "strict", list(files.values()))
    for name, path in files.items():
        case = bad_dashboards()[name]
        label = "[dashboards] %s (%s: %s)" % (name, case["dashboard"], case["what"])
        fn = os.path.basename(path)
        d, s = loose.get(fn), strict.get(fn)
        if d != []:
            print("FAIL %s: the default schema does not accept it: %s" % (label, d))
            failed += 1
        elif not s or not any(p["path"] == case["error"] for p in s):
            print("FAIL %s: the strict schema does not reject it at %s: %s" % (
                label, case["error"], s))
            failed += 1
        else:
            print("PASS %s -> default accepts, strict rejects: %s %s" % (
                label, s[0]["path"], s[0]["message"]))
            passed += 1
    return passed, failed


def small_elf():
    with open("/bin/true", "rb") as f:
        return f.read()


def pe_stub():
    return b"MZ" + b"\0" * 62


def add_key_before_first_stanza(t):
    return "oops = 1\n" + t


def drop_example2(t):
    out = []
    in_profile = False
    for line in t.split("\n"):
        if line.startswith("["):
            in_profile = line == "[dnsprofile-command]"
        if in_profile and re.match(r"(example|comment)[2-9] =", line):
            continue
        out.append(line)
    return "\n".join(out)


# Each case: (rule, expected status, description, mutation(tree) or a
# function(tree, path) that writes the broken archive itself).
def cases():
    c = []

    def case(rule, desc, status="FAIL"):
        def deco(fn):
            c.append((rule, status, desc, fn))
            return fn
        return deco

    @case(1, "not a gzip file")
    def _(t, path):
        with open(path, "wb") as f:
            f.write(b"this is not a package\n")

    @case(1, "empty gzip tar")
    def _(t, path):
        with tarfile.open(path, "w:gz"):
            pass

    @case(2, "top folder renamed")
    def _(t):
        t.rename_top("TA-other")

    @case(2, "a second top-level entry")
    def _(t):
        ti = tarfile.TarInfo("extra.txt")
        ti.size = 2
        t.add_raw(ti, b"x\n")

    @case(3, "member name starting with ./")
    def _(t):
        ti = tarfile.TarInfo("./%s/default/x.txt" % APP)
        ti.size = 2
        ti.mode = 0o644
        t.add_raw(ti, b"x\n")

    @case(3, "symbolic link")
    def _(t):
        ti = tarfile.TarInfo("%s/lookups/link.csv" % APP)
        ti.type = tarfile.SYMTYPE
        ti.linkname = "/etc/passwd"
        t.add_raw(ti)

    @case(3, "member path with ..")
    def _(t):
        ti = tarfile.TarInfo("%s/../escape.txt" % APP)
        ti.size = 2
        ti.mode = 0o644
        t.add_raw(ti, b"x\n")

    @case(4, "hidden file")
    def _(t):
        t.put("default/.DS_Store", b"\0\0")

    @case(4, "__MACOSX folder")
    def _(t):
        t.put("__MACOSX/default/._app.conf", b"\0")

    @case(5, "local/ folder")
    def _(t):
        t.put("local/app.conf", "[ui]\nlabel = x\n")

    @case(5, "metadata/local.meta")
    def _(t):
        t.put("metadata/local.meta", "[]\n")

    @case(6, "compiled Python")
    def _(t):
        t.put("bin/__pycache__/x.cpython-311.pyc", b"\0")

    @case(7, "conf file name with a space")
    def _(t):
        t.put("default/my props.conf", "[x]\n")

    @case(8, "world-writable file")
    def _(t):
        t.chmod("default/app.conf", 0o666)

    @case(8, "directory mode 0700")
    def _(t):
        t.chmod("lookups", 0o700)

    @case(8, "binary not executable")
    def _(t):
        t.chmod("bin/dnsmasq_log", 0o644)

    @case(8, "member not owned by root")
    def _(t):
        t.entries[t.name("default/props.conf")][0].uid = 1000

    @case(9, "execute bit outside bin/")
    def _(t):
        t.chmod("lookups/tunnel_endpoints.csv", 0o755)

    @case(10, "tests folder shipped")
    def _(t):
        t.put("tests/app/check.sh", "#!/bin/sh\n")

    @case(10, "object file left over")
    def _(t):
        t.put("bin/main.o", b"\0")

    @case(11, "no default/app.conf")
    def _(t):
        t.remove("default/app.conf")

    @case(12, "no README")
    def _(t):
        t.remove("README.md")

    @case(13, "is_configured = true")
    def _(t):
        t.sub("default/app.conf", r"^is_configured = .*$", "is_configured = true")

    @case(14, "build not an integer")
    def _(t):
        t.sub("default/app.conf", r"^build = .*$", "build = 1.5")

    @case(15, "install_source_checksum set")
    def _(t):
        t.sub("default/app.conf", r"^\[install\]$", "[install]\ninstall_source_checksum = 0123abcd")

    @case(16, "[launcher] version differs from [id] version")
    def _(t):
        t.sub("default/app.conf", r"(\[launcher\][^\[]*?)^version = .*$", r"\1version = 9.9.9")

    @case(16, "version is not semver")
    def _(t):
        t.sub("default/app.conf", r"^version = .*$", "version = 1.0", count=0)

    @case(17, "[id] name differs from [package] id")
    def _(t):
        t.sub("default/app.conf", r"^name = .*$", "name = TA-other")

    @case(17, "manifest name differs")
    def _(t):
        t.sub("app.manifest", r'"name": "TA-dnsjoin"', '"name": "TA-other"')

    @case(18, "label too short")
    def _(t):
        t.sub("default/app.conf", r"^label = .*$", "label = DNS")

    @case(18, "label reserved for Splunk")
    def _(t):
        t.sub("default/app.conf", r"^label = .*$", "label = Splunk Add-on for DNS Join")

    @case(19, "custom conf without reload trigger")
    def _(t):
        t.sub("default/app.conf", r"^reload\.dnsjoin = simple$", "")

    @case(19, "trigger for a Splunk conf")
    def _(t):
        t.sub("default/app.conf", r"^reload\.dnsjoin = simple$",
              "reload.dnsjoin = simple\nreload.props = simple")

    @case(20, "check_for_updates = true", status="WARN")
    def _(t):
        t.sub("default/app.conf", r"^check_for_updates = .*$", "check_for_updates = true")

    @case(20, "custom conf not replicated in a cluster", status="WARN")
    def _(t):
        t.remove("default/server.conf")

    @case(21, "wrong schemaVersion")
    def _(t):
        t.sub("app.manifest", r'"schemaVersion": "2.0.0"', '"schemaVersion": "1.0.0"')

    @case(21, "unknown targetWorkloads value")
    def _(t):
        t.sub("app.manifest", r'"_forwarders"', '"_everywhere"')

    @case(21, "manifest not JSON")
    def _(t):
        t.put("app.manifest", "{ not json")

    @case(22, "extra file in metadata/")
    def _(t):
        t.put("metadata/extra.meta", "[]\n")

    @case(22, "no default.meta")
    def _(t):
        t.remove("metadata/default.meta")

    @case(23, "write access for everyone")
    def _(t):
        t.sub("metadata/default.meta", r"write : \[ admin, sc_admin \]", "write : [ * ]")

    @case(23, "sc_admin missing")
    def _(t):
        t.sub("metadata/default.meta", r"write : \[ admin, sc_admin \]", "write : [ admin ]")

    @case(24, "commands not exported")
    def _(t):
        t.sub("metadata/default.meta", r"^\[commands\]\nexport = system", "[commands]\nexport = none")

    @case(25, "key not allowed for a chunked command")
    def _(t):
        t.sub("default/commands.conf", r"^command\.arg\.1 = join$", "command.arg.1 = join\nlocal = true")

    @case(26, "filename names a missing file")
    def _(t):
        t.sub("default/commands.conf", r"^filename = dnsjoin$", "filename = dnsjoin_missing")

    @case(26, "binary removed")
    def _(t):
        t.remove("bin/dnsjoin")

    @case(27, "fewer than two examples")
    def _(t):
        t.edit("default/searchbnf.conf", drop_example2)

    @case(27, "usage not public")
    def _(t):
        t.sub("default/searchbnf.conf", r"^usage = public$", "usage = private")

    @case(27, "long syntax without simplesyntax")
    def _(t):
        t.sub("default/searchbnf.conf", r"^simplesyntax = dnstimechart .*\n", "")

    @case(27, "a <term> without a stanza")
    def _(t):
        t.sub("default/searchbnf.conf", r"^\[ip-or-cidr\]$", "[ip-or-range]")

    @case(27, "command without a stanza")
    def _(t):
        t.sub("default/searchbnf.conf", r"^\[dnspdns-command\]$", "[dnspdns-cmd]")

    @case(28, "key before the first stanza")
    def _(t):
        t.edit("README/inputs.conf.spec", add_key_before_first_stanza)

    @case(28, "[default] stanza in a spec")
    def _(t):
        t.edit("README/dnsjoin.conf.spec", lambda s: s + "\n[default]\nx = <string>\n")

    @case(28, "spec without stanzas")
    def _(t):
        t.put("README/dnsjoin.conf.spec", "# nothing here\n")

    @case(29, "custom conf without spec")
    def _(t):
        t.remove("README/dnsjoin.conf.spec")

    @case(30, "modular input stanza without parameters")
    def _(t):
        t.put("README/inputs.conf.spec", "[dnsmasq_log://<name>]\n* No parameters.\n")

    @case(30, "modular input without a spec")
    def _(t):
        t.remove("README/inputs.conf.spec")

    @case(31, "modular input executable missing")
    def _(t):
        t.remove("bin/dnsmasq_log")

    @case(32, "example input enabled")
    def _(t):
        t.sub("default/inputs.conf", r"^disabled = 1$", "disabled = 0")

    @case(32, "forbidden tcp input")
    def _(t):
        t.edit("default/inputs.conf", lambda s: s + "\n[tcp://514]\ndisabled = 1\n")

    view = "default/data/ui/views/tunnel_watch.xml"

    @case(33, "Simple XML view")
    def _(t):
        t.put(view, '<dashboard version="1.1"><label>x</label><row><panel><html>x</html>'
                    '</panel></row></dashboard>')

    @case(33, "definition is not JSON")
    def _(t):
        t.sub(view, r'"title": "Tunnel watch",', '"title": "Tunnel watch",,')

    @case(33, "layout places an undefined visualization")
    def _(t):
        t.sub(view, r'"item": "viz_total"', '"item": "viz_missing"')

    @case(33, "view does not parse")
    def _(t):
        t.sub(view, r"</dashboard>", "</dashbord>")

    @case(34, "non-XML file in views/")
    def _(t):
        t.put("default/data/ui/views/notes.txt", "x")

    @case(34, "HTML dashboard")
    def _(t):
        t.put("default/data/ui/html/x.html", "<html/>")

    @case(35, "nav names a missing view")
    def _(t):
        t.sub("default/data/ui/nav/default.xml", r'<view name="tunnel_watch"/>',
              '<view name="tunnel_watch"/><view name="no_such_view"/>')

    @case(36, "definition rejected by @splunk/dashboard-validation")
    def _(t):
        t.sub(view, r'"layoutDefinitions"', '"layoutDefinitionz"')

    @case(36, "unknown visualization type (strict schema only)")
    def _(t):
        bad = bad_dashboards()["unknown_viz_type"]
        put_definition(t, bad["dashboard"], broken_definition(t, bad))

    saved = "default/savedsearches.conf"

    @case(37, "no dispatch.latest_time")
    def _(t):
        t.sub(saved, r"^dispatch\.latest_time = .*\n", "")

    @case(37, "no dispatch.earliest_time")
    def _(t):
        t.sub(saved, r"^dispatch\.earliest_time = .*\n", "")

    @case(38, "real-time schedule")
    def _(t):
        t.sub(saved, r"^dispatch\.earliest_time = .*$", "dispatch.earliest_time = rt-1h")

    @case(39, "every five minutes")
    def _(t):
        t.sub(saved, r"^cron_schedule = .*$", "cron_schedule = */5 * * * *")

    @case(39, "every 15 minutes (more than hourly)")
    def _(t):
        t.sub(saved, r"^cron_schedule = .*$", "cron_schedule = 0,15,30,45 * * * *")

    @case(39, "invalid cron")
    def _(t):
        t.sub(saved, r"^cron_schedule = .*$", "cron_schedule = 61 * * *")

    @case(40, "script alert action")
    def _(t):
        t.sub(saved, r"^quantity = 0$", "quantity = 0\naction.script.filename = run.sh")

    @case(40, "populate_lookup action")
    def _(t):
        t.sub(saved, r"^quantity = 0$", "quantity = 0\naction.populate_lookup = 1")

    @case(41, "scheduled search enabled")
    def _(t):
        t.sub(saved, r"^disabled = 1$", "disabled = 0")

    @case(42, "non-image file in static/")
    def _(t):
        t.put("static/notes.json", "{}")

    @case(42, "folder in static/")
    def _(t):
        t.put("static/img/x.png", make_icons.png(1, [b"\0\0\0\0"]))

    @case(43, "icon of the wrong size")
    def _(t):
        t.put("static/appIcon.png", make_icons.png(48, make_icons.render(48)))

    @case(43, "icon is not a PNG")
    def _(t):
        t.put("static/appIcon_2x.png", b"GIF89a")

    @case(43, "icon missing")
    def _(t):
        t.remove("static/appIcon.png")

    @case(44, "CSV without a header")
    def _(t):
        t.put("lookups/empty.csv", "")

    @case(44, "ragged CSV")
    def _(t):
        t.put("lookups/ragged.csv", "a,b\n1,2,3\n")

    @case(44, "binary file in lookups/")
    def _(t):
        t.put("lookups/blob.bin", b"\xff\xfe\0\x01")

    @case(45, "setup.xml")
    def _(t):
        t.put("default/setup.xml", "<setup/>")

    @case(46, "binary not declared in the README")
    def _(t):
        t.sub("README.md", r"^- `bin/dnsmasq_log`.*$", "- the input program")

    @case(46, "declaration without its c_src file")
    def _(t):
        t.sub("README.md", r"`c_src/cmd/dnsjoin_main\.c`", "the sources")

    @case(46, "no declaration section")
    def _(t):
        t.sub("README.md", r"^#+ Binary File Declaration$", "## Binaries")

    @case(47, "executable binary outside bin/")
    def _(t):
        t.put("default/helper", small_elf())

    @case(48, "Windows executable", status="WARN")
    def _(t):
        t.put("bin/helper.exe", pe_stub(), mode=0o755)

    # The base package warns here on purpose: the dnsjoin binary travels to
    # the indexers (their map phases), x86-64 builds included.  Keeping it
    # off them, as a Splunk Cloud stack would, clears the warning.
    @case(49, "x86-64 command binary kept off indexers", status="PASS")
    def _(t):
        t.put("default/distsearch.conf",
              "[replicationDenylist]\nall = apps[/\\\\]TA-dnsjoin[/\\\\].*bin[/\\\\]dnsjoin$\n")

    @case(50, "deny-listed conf file")
    def _(t):
        t.put("default/sourcetypes.conf", "[x]\n")

    @case(50, "passwords.conf")
    def _(t):
        t.put("default/passwords.conf", "[credential::x:]\npassword = y\n")

    @case(51, "indexes.conf")
    def _(t):
        t.put("default/indexes.conf", "[dns]\nhomePath = $SPLUNK_DB/dns/db\n")

    @case(52, "saved search with a hard-coded index")
    def _(t):
        t.sub(saved, r"^search = `dnsjoin_events` \| dnstimechart",
              "search = index=main | dnstimechart")

    @case(52, "dashboard search without the macro")
    def _(t):
        t.sub(view, r'"query": "`dnsjoin_events` \| dnsjoin', '"query": "index=fw | dnsjoin')

    setup_view = "default/data/ui/views/dnsjoin_setup.xml"

    @case(33, "HTML template view that is not the setup view")
    def _(t):
        t.put("default/data/ui/views/other.xml", t.text(setup_view))

    @case(33, "setup view whose template is not shipped")
    def _(t):
        t.remove("appserver/templates/setup.html")

    @case(53, "setup page bundle not built")
    def _(t):
        t.remove("appserver/static/setup.js")

    @case(53, "setup page sources shipped")
    def _(t):
        t.put("appserver/src/setup.jsx", "export default 1;\n")

    @case(53, "setup page package.json shipped")
    def _(t):
        t.put("appserver/static/package.json", "{}\n")

    @case(53, "setup_view names a missing view")
    def _(t):
        t.remove(setup_view)

    return c


def main(argv):
    args = list(argv)
    validator = None
    if "--studio-validator" in args:
        i = args.index("--studio-validator")
        validator = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    base = Tree(args[0])
    # Stand-ins for binaries that are not built yet (test copies only).
    for b in ("dnsjoin", "dnsmasq_log"):
        if base.name("bin/" + b) not in base.entries:
            print("note: bin/%s is not in the package; /bin/true stands in for it here" % b)
            base.put("bin/" + b, small_elf(), mode=0o755)

    passed = failed = skipped = 0
    tmp = tempfile.mkdtemp(prefix="dnsjoin-negative.")
    try:
        good = os.path.join(tmp, "good.tar.gz")
        base.write(good)
        # rule 49 (report only) warns on the base package: its x86-64
        # dnsjoin is not kept off the indexers, as their map phases run it
        bad_rules = [r for r in check_app.check_package(good, studio_validator=validator)
                     if r.status in ("FAIL", "WARN") and (r.rule, r.status) != (49, "WARN")]
        if bad_rules:
            for r in bad_rules:
                print("FAIL base package: rule %d %s: %s" % (r.rule, r.status, r.fails + r.warns))
            failed += 1
        else:
            print("PASS base package passes every rule")
            passed += 1

        covered = set()
        for i, (rule, want, desc, fn) in enumerate(cases()):
            covered.add(rule)
            label = "[%02d] %s" % (rule, desc)
            if rule == 36 and not validator:
                print("SKIP %s (Node.js validator not available)" % label)
                skipped += 1
                continue
            t = base.copy()
            path = os.path.join(tmp, "case%03d.tar.gz" % i)
            try:
                if fn.__code__.co_argcount == 2:
                    fn(t, path)
                else:
                    fn(t)
                    t.write(path)
            except AssertionError as e:
                print("FAIL %s: could not build the broken package: %s" % (label, e))
                failed += 1
                continue
            # Node.js takes about half a second a run: only the Studio case uses it.
            res = {r.rule: r for r in check_app.check_package(
                path, studio_validator=validator if rule == 36 else None)}
            got = res[rule].status
            if got == want:
                print("PASS %s -> %s" % (label, got))
                passed += 1
            else:
                print("FAIL %s -> %s, want %s" % (label, got, want))
                failed += 1
        if validator:
            p, f = strictness(base, validator, tmp)
            passed += p
            failed += f
        else:
            print("SKIP [dashboards] strict schema negatives (Node.js validator not available)")
            skipped += 1
        missing = sorted(set(check_app.TITLES) - covered)
        if missing:
            print("FAIL rules without a negative test: %s" % missing)
            failed += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("negative: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
