#!/usr/bin/env python3
"""Package checker for TA-dnsjoin.

Reads a package (.tar.gz) without extracting it and verifies the rules listed
under "Package checks" in the project's Splunk app reference (rule numbers are
kept), plus rule 52: every search the app ships starts from a dnsjoin_* macro,
and rule 53: the setup page ships as its built bundle, without its sources.
Each rule is printed with PASS, FAIL, WARN (reported, not fatal) or SKIP;
the exit status is 1 when any rule FAILs.

    check_app.py PACKAGE [--allow-missing-binaries] [--studio-validator DIR]

--allow-missing-binaries  a binary named by commands.conf or a modular input
                          that is absent is a SKIP instead of a FAIL (used while
                          the C programs are not built yet).
--studio-validator DIR    DIR/validate_dashboards.js plus DIR/node_modules with
                          @splunk/dashboard-validation: run it on every Studio
                          definition (rule 36); without it rule 36 is a SKIP.

Standard library only.
"""
import csv
import gzip
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET

APP = "TA-dnsjoin"
UI_LABEL = "DNS Join Add-on for Splunk"
COMMANDS = ("dnsjoin", "dnstimechart", "dnsprofile", "dnspdns")

# Splunk-defined configuration files (those with a .spec shipped by Splunk).
SPLUNK_CONFS = {
    "alert_actions", "app", "audit", "authentication", "authorize", "bookmarks",
    "checklist", "collections", "commands", "crawl", "datamodels", "datatypesbnf",
    "default-mode", "deploymentclient", "deployment", "distsearch", "event_renderers",
    "eventdiscoverer", "eventtypes", "federated", "fields", "global-banner", "health",
    "indexes", "inputs", "instance", "limits", "literals", "macros", "messages",
    "metric_alerts", "metric_rollups", "multikv", "outputs", "passwords",
    "procmon-filters", "props", "pubsub", "restmap", "savedsearches", "searchbnf",
    "segmenters", "server", "serverclass", "source-classifier", "sourcetypes",
    "splunk-launch", "tags", "telemetry", "times", "transactiontypes", "transforms",
    "ui-prefs", "ui-tour", "user-prefs", "user-seed", "viewstates", "visualizations",
    "web", "wmi", "workflow_actions", "workload_policy", "workload_pools",
    "workload_rules", "web-features", "splunk_monitoring_console_assets",
}

# Terms Splunk's own searchbnf.conf defines.
BNF_BUILTIN_TERMS = {"field", "int", "bool", "timespan", "string", "num", "wc-field",
                     "field-list", "wc-string", "search-pipeline"}
CHUNKED_KEYS = {"chunked", "filename", "is_risky", "maxchunksize", "maxwait", "python.version"}
ARCH_DIRS = ("linux_x86_64", "linux_x86", "linux_aarch64", "darwin_x86_64",
             "windows_x86_64", "windows_x86")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {"com%d" % i for i in range(1, 10)} | \
    {"lpt%d" % i for i in range(1, 10)}
DEPLOYMENTS = {"*", "_standalone", "_distributed", "_search_head_clustering"}
WORKLOADS = {"*", "_search_heads", "_indexers", "_forwarders"}
BUILTIN_SCHEMES = {"monitor", "batch", "tcp", "udp", "splunktcp", "fifo", "fschange", "http",
                   "script", "perfmon", "WinEventLog", "admon", "WinRegMon", "WinHostMon",
                   "WinNetMon", "WinPrintMon", "powershell", "powershell2", "journald",
                   "splunktcptoken", "remote_queue", "SSL", "default"}
BUILTIN_VIEWS = {"search", "datasets", "reports", "alerts", "dashboards", "analytics_workspace",
                 "home", "field_extractor"}
DENIED_CONFS = re.compile(r"^(audit|bookmarks|crawl|datatypesbnf|default-mode|deployment.*|health|"
                          r"literals|messages|pubsub|segmenters|serverclass.*|source-classifier|"
                          r"sourcetypes|splunk-launch|telemetry|user-seed|wmi|workload_.*)\.conf$")

TITLES = {
    1: "package is a readable, non-empty gzip-compressed tar",
    2: "exactly one top-level directory, TA-dnsjoin, equal to [package] id",
    3: "no member path starting with ./ or /, containing .., or a link/device",
    4: "no hidden files or directories, no __MACOSX",
    5: "no local/, metadata/local.meta, users/",
    6: "no *.pyc, *.pyo, __pycache__",
    7: "no .conf file or default/data/ file with a space in its name",
    8: "permissions: dirs 0755, files 0644, executables 0755, root-owned, nothing group/world-writable",
    9: "execute bit only on files inside a bin directory",
    10: "no tests, benchmarks, CI files or build leftovers",
    11: "default/app.conf exists and is not the only file",
    12: "root README.md or README.txt exists",
    13: "app.conf [install] is_configured is false",
    14: "app.conf [install] build is a positive integer",
    15: "no install_source_checksum / install_source_local_checksum",
    16: "[launcher] version is semver and equals [id] version and app.manifest version",
    17: "[package] id = folder = [id] name = app.manifest name, and is a valid id",
    18: "[ui] label is valid and is \"%s\"" % UI_LABEL,
    19: "reload triggers for every custom conf and none for Splunk confs",
    20: "check_for_updates off (not on Splunkbase) and search head cluster replication of custom confs (report only)",
    21: "app.manifest: schema 2.0.0, id, supportedDeployments, targetWorkloads",
    22: "metadata/ holds exactly default.meta",
    23: "default.meta [] grants write to admin and sc_admin only",
    24: "commands, macros, eventtypes and tags are exported system-wide",
    25: "chunked commands use only allowed commands.conf keys",
    26: "every commands.conf filename exists in bin/ with mode 0755",
    27: "searchbnf.conf: full [<cmd>-command] stanza for every command",
    28: "README/*.conf.spec files are well-formed",
    29: "every custom conf in default/ has a README/<name>.conf.spec",
    30: "README/inputs.conf.spec declares every modular input with parameters",
    31: "an executable exists for every modular input scheme",
    32: "default/inputs.conf: no forbidden stanzas, examples disabled",
    33: "views parse: dashboards are Dashboard Studio version 2 with a consistent JSON definition; the setup view is a <view> of the app's setup template",
    34: "no data/ui/html; views/, nav/, panels/ hold only .xml",
    35: "nav/default.xml parses and every view it names exists",
    36: "Studio definitions pass @splunk/dashboard-validation",
    37: "scheduled searches set dispatch.earliest_time and dispatch.latest_time",
    38: "no real-time times in scheduled searches",
    39: "cron_schedule is valid and runs at most hourly",
    40: "no action.script.filename or action.populate_lookup",
    41: "every scheduled search ships disabled",
    42: "static/ holds only .png, .txt, .md files and no folders",
    43: "app icons are PNGs of exactly 36x36 and 72x72",
    44: "lookups/ holds only CSV (with a header row) or allowed lookup files",
    45: "no default/setup.xml",
    46: "every binary is declared in README \"Binary File Declaration\" with its c_src/ file",
    47: "no executable binary outside a bin directory",
    48: "no Windows executables or batch files (report only)",
    49: "commands.conf binaries are aarch64 or kept off indexers by distsearch.conf (report only)",
    50: "no deny-listed conf files",
    51: "no indexes.conf or authorize.conf",
    52: "every shipped search starts from a dnsjoin_* macro and names no index",
    53: "the setup view's template and built bundle are shipped; no appserver sources, package.json or node_modules",
}
# Rules whose findings are reported but never fail the package.
REPORT_ONLY = {20, 48, 49}


class Result:
    def __init__(self, rule):
        self.rule = rule
        self.fails = []
        self.warns = []
        self.skips = []

    def fail(self, msg):
        self.fails.append(msg)

    def warn(self, msg):
        (self.warns if self.rule in REPORT_ONLY else self.fails).append(msg)

    def skip(self, msg):
        self.skips.append(msg)

    @property
    def status(self):
        if self.fails:
            return "FAIL"
        if self.warns:
            return "WARN"
        if self.skips:
            return "SKIP"
        return "PASS"


# ---------------------------------------------------------------- conf files

def parse_conf(text):
    """Splunk .conf text -> list of (stanza, [(key, value, lineno)]).

    Keys before the first stanza go to "default"; a trailing backslash joins
    the next line. Comments are lines starting with '#'.
    """
    stanzas = [["default", [], 0]]
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        no = i + 1
        i += 1
        while line.endswith("\\") and i < len(lines):
            line = line[:-1] + "\n" + lines[i]
            i += 1
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("[") and s.endswith("]"):
            stanzas.append([s[1:-1], [], no])
            continue
        if "=" in s:
            k, v = s.split("=", 1)
            stanzas[-1][1].append((k.strip(), v.strip(), no))
    return stanzas


def conf_dict(text):
    """Stanza -> {key: value} (last value wins, as in Splunk)."""
    out = {}
    for name, kvs, _ in parse_conf(text):
        d = out.setdefault(name, {})
        for k, v, _ in kvs:
            d[k] = v
    return out


def is_true(v):
    return str(v).strip().lower() in ("1", "true", "t", "yes", "y")


def is_false(v):
    return str(v).strip().lower() in ("0", "false", "f", "no", "n")


# ------------------------------------------------------------------ package

class Package:
    """The members of the archive, held in memory (nothing is extracted)."""

    def __init__(self, path):
        self.path = path
        self.members = []        # TarInfo, in archive order
        self.data = {}           # relative path (below the top folder) -> bytes
        self.info = {}           # relative path -> TarInfo
        self.top = set()
        self.error = None
        try:
            with open(path, "rb") as f:
                magic = f.read(2)
            if magic != b"\x1f\x8b":
                raise ValueError("not gzip-compressed")
            with tarfile.open(path, "r:gz") as tf:
                for ti in tf:
                    self.members.append(ti)
                    name = ti.name
                    parts = [p for p in name.split("/") if p not in ("", ".")]
                    if parts:
                        self.top.add(parts[0])
                    rel = "/".join(parts[1:])
                    if ti.isfile():
                        self.data[rel] = tf.extractfile(ti).read()
                    if rel:
                        self.info[rel] = ti
        except (OSError, ValueError, tarfile.TarError, EOFError, gzip.BadGzipFile) as e:
            self.error = str(e) or e.__class__.__name__

    def files(self, prefix=""):
        return sorted(p for p in self.data if p.startswith(prefix))

    def text(self, rel):
        b = self.data.get(rel)
        return None if b is None else b.decode("utf-8", "replace")

    def conf(self, name):
        t = self.text("default/%s.conf" % name)
        return None if t is None else conf_dict(t)

    def exists(self, rel):
        return rel in self.info or rel in self.data

    def isdir(self, rel):
        ti = self.info.get(rel)
        if ti is not None and ti.isdir():
            return True
        return any(p.startswith(rel.rstrip("/") + "/") for p in self.info)


def binary_kind(b):
    """What `file` would call an executable, shared object or archive."""
    if b[:4] == b"\x7fELF":
        return "ELF"
    if b[:2] == b"MZ":
        return "PE"
    if b[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                 b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"):
        return "Mach-O"
    if b[:8] == b"!<arch>\n":
        return "ar archive"
    if b[:4] == b"PK\x03\x04":
        return "zip archive"
    return None


def elf_machine(b):
    """e_machine of an ELF image (62 = x86-64, 183 = aarch64)."""
    if len(b) < 20:
        return None
    little = b[5] == 1
    return int.from_bytes(b[18:20], "little" if little else "big")


def in_bin_dir(rel):
    return "bin" in rel.split("/")[:-1]


# -------------------------------------------------------------------- rules

def r_archive(pkg, r):
    if pkg.error:
        r.fail("cannot read %s as a gzip tar: %s" % (pkg.path, pkg.error))
    elif not pkg.members:
        r.fail("archive is empty")
    elif not pkg.data:
        r.fail("archive holds no files")


def r_top(pkg, r):
    if pkg.top != {APP}:
        r.fail("top-level entries %s, want exactly %s/" % (sorted(pkg.top), APP))
    app = pkg.conf("app") or {}
    pid = app.get("package", {}).get("id")
    if pid != APP:
        r.fail("[package] id is %r, want %r (the folder name)" % (pid, APP))


def r_members(pkg, r):
    for ti in pkg.members:
        n = ti.name
        if n.startswith("./") or n.startswith("/"):
            r.fail("member %r starts with ./ or /" % n)
        if ".." in n.split("/"):
            r.fail("member %r contains .." % n)
        if not (ti.isfile() or ti.isdir()):
            r.fail("member %r is a link, device or fifo" % n)


def r_hidden(pkg, r):
    for ti in pkg.members:
        for part in ti.name.split("/"):
            if part.startswith(".") and part not in (".", ".."):
                r.fail("hidden entry %r" % ti.name)
                break
            if part == "__MACOSX":
                r.fail("__MACOSX entry %r" % ti.name)
                break


def r_local(pkg, r):
    for rel in pkg.info:
        first = rel.split("/")[0]
        if first in ("local", "users") or rel == "metadata/local.meta":
            r.fail("%s must not be shipped" % rel)


def r_pyc(pkg, r):
    for rel in pkg.info:
        if rel.endswith((".pyc", ".pyo")) or "__pycache__" in rel.split("/"):
            r.fail("compiled Python %s" % rel)


def r_spaces(pkg, r):
    for rel in pkg.info:
        base = rel.rsplit("/", 1)[-1]
        if (base.endswith(".conf") or rel.startswith("default/data/")) and " " in base:
            r.fail("space in the name of %r" % rel)


def r_modes(pkg, r):
    for ti in pkg.members:
        mode = stat.S_IMODE(ti.mode)
        if mode & 0o022:
            r.fail("%s is group- or world-writable (%04o)" % (ti.name, mode))
        if ti.uid != 0 or ti.gid != 0:
            r.fail("%s is owned by %d:%d, want 0:0" % (ti.name, ti.uid, ti.gid))
        if ti.isdir():
            if mode != 0o755:
                r.fail("directory %s has mode %04o, want 0755" % (ti.name, mode))
        elif ti.isfile():
            rel = "/".join(ti.name.split("/")[1:])
            want = {0o644, 0o755} if in_bin_dir(rel) else {0o644}
            if mode not in want:
                r.fail("file %s has mode %04o, want %s" % (
                    ti.name, mode, " or ".join("%04o" % m for m in sorted(want))))
            elif in_bin_dir(rel) and binary_kind(pkg.data.get(rel, b"")) and mode != 0o755:
                r.fail("executable %s has mode %04o, want 0755" % (ti.name, mode))


def r_exec_bit(pkg, r):
    for ti in pkg.members:
        if ti.isfile() and ti.mode & 0o111:
            rel = "/".join(ti.name.split("/")[1:])
            if not in_bin_dir(rel):
                r.fail("%s is executable outside a bin directory" % ti.name)


LEFTOVER_DIRS = {"tests", "test", "bench", ".ci", "dist", "build", "node_modules", "c_src"}
LEFTOVER_FILE = re.compile(r"(\.(o|a|d|gcda|gcno|orig|rej|swp|mk|tar|tgz|tar\.gz)|~)$|"
                           r"^(core(\.\d+)?|vgcore\.\d+|Makefile|GNUmakefile)$")


def r_leftovers(pkg, r):
    for rel in pkg.info:
        parts = rel.split("/")
        if parts[0] in LEFTOVER_DIRS:
            r.fail("%s is a development file, not part of the app" % rel)
        elif pkg.info[rel].isfile() and LEFTOVER_FILE.search(parts[-1]):
            r.fail("%s is a build leftover" % rel)


def r_appconf(pkg, r):
    if "default/app.conf" not in pkg.data:
        r.fail("default/app.conf is missing")
    elif len(pkg.data) < 2:
        r.fail("default/app.conf is the only file")


def r_readme(pkg, r):
    if "README.md" not in pkg.data and "README.txt" not in pkg.data:
        r.fail("no README.md or README.txt at the top of the app")


def app_conf(pkg, r):
    app = pkg.conf("app")
    if app is None:
        r.fail("default/app.conf is missing")
        return {}
    return app


def r_configured(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    v = app.get("install", {}).get("is_configured")
    if v is None:
        r.fail("[install] is_configured is not set (want false)")
    elif not is_false(v):
        r.fail("[install] is_configured = %s, want false" % v)


def r_build(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    v = app.get("install", {}).get("build")
    if v is None or not re.fullmatch(r"[1-9]\d*", v):
        r.fail("[install] build = %r, want a positive integer" % v)


def r_checksum(pkg, r):
    t = pkg.text("default/app.conf")
    if t is None:
        return
    for name, kvs, _ in parse_conf(t):
        for k, _, no in kvs:
            if k in ("install_source_checksum", "install_source_local_checksum"):
                r.fail("[%s] %s set on line %d" % (name, k, no))


def manifest(pkg):
    t = pkg.text("app.manifest")
    if t is None:
        return None, "app.manifest is missing"
    try:
        return json.loads(t), None
    except ValueError as e:
        return None, "app.manifest is not valid JSON: %s" % e


def r_version(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    lv = app.get("launcher", {}).get("version")
    iv = app.get("id", {}).get("version")
    if lv is None or not SEMVER.match(lv):
        r.fail("[launcher] version %r is not semver 2.0.0" % lv)
    if iv != lv:
        r.fail("[id] version %r differs from [launcher] version %r" % (iv, lv))
    m, err = manifest(pkg)
    if err:
        r.fail(err)
        return
    mv = (((m or {}).get("info") or {}).get("id") or {}).get("version")
    if mv != lv:
        r.fail("app.manifest info.id.version %r differs from [launcher] version %r" % (mv, lv))


def r_id(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    pid = app.get("package", {}).get("id")
    nm = app.get("id", {}).get("name")
    folder = sorted(pkg.top)[0] if len(pkg.top) == 1 else None
    m, err = manifest(pkg)
    mn = None if err else (((m or {}).get("info") or {}).get("id") or {}).get("name")
    for what, v in (("folder", folder), ("[id] name", nm), ("app.manifest info.id.name", mn)):
        if v != pid:
            r.fail("%s %r differs from [package] id %r" % (what, v, pid))
    if pid is None:
        return
    if not re.fullmatch(r"[A-Za-z_.-][A-Za-z0-9_.-]*", pid):
        r.fail("[package] id %r has characters outside letters, digits, . _ -" % pid)
    if pid.endswith((".", ".tar", ".tgz", ".tar.gz", ".spl")):
        r.fail("[package] id %r ends in a forbidden suffix" % pid)
    if pid.lower() in WINDOWS_RESERVED:
        r.fail("[package] id %r is a Windows reserved name" % pid)


def r_label(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    label = app.get("ui", {}).get("label")
    if label is None:
        r.fail("[ui] label is missing")
        return
    if not 5 <= len(label) <= 80:
        r.fail("[ui] label %r is not 5-80 characters" % label)
    if label.startswith(("Splunk App for", "Splunk Add-on for")):
        r.fail("[ui] label %r starts with a name reserved for Splunk" % label)
    if label != UI_LABEL:
        r.fail("[ui] label %r, want %r" % (label, UI_LABEL))


def custom_confs(pkg):
    out = []
    for rel in pkg.files("default/"):
        if rel.count("/") == 1 and rel.endswith(".conf"):
            name = rel[len("default/"):-len(".conf")]
            if name not in SPLUNK_CONFS:
                out.append(name)
    return out


def r_triggers(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    trig = app.get("triggers", {})
    for name in custom_confs(pkg):
        v = trig.get("reload.%s" % name)
        if v is None:
            r.fail("custom conf %s.conf has no [triggers] reload.%s" % (name, name))
    for k in trig:
        if k.startswith("reload.") and k[len("reload."):] in SPLUNK_CONFS:
            r.fail("[triggers] %s names a Splunk-defined conf" % k)


def r_report_app(pkg, r):
    app = app_conf(pkg, r)
    if not app:
        return
    # The app is not on Splunkbase: with updates checked, Splunk Web asks
    # Splunkbase about an app id it does not know.
    if not is_false(app.get("package", {}).get("check_for_updates", "true")):
        r.warn("[package] check_for_updates is on, but the app is not on Splunkbase")
    server = pkg.conf("server") or {}
    shc = server.get("shclustering", {})
    for name in custom_confs(pkg):
        if not is_true(shc.get("conf_replication_include.%s" % name, "false")):
            r.warn("%s.conf is not replicated in a search head cluster "
                   "(server.conf [shclustering] conf_replication_include.%s)" % (name, name))


def r_manifest(pkg, r):
    m, err = manifest(pkg)
    if err:
        r.fail(err)
        return
    if not isinstance(m, dict):
        r.fail("app.manifest is not a JSON object")
        return
    if m.get("schemaVersion") != "2.0.0":
        r.fail("schemaVersion %r, want \"2.0.0\"" % m.get("schemaVersion"))
    ident = ((m.get("info") or {}).get("id") or {})
    if ident.get("name") != APP:
        r.fail("info.id.name %r, want %r" % (ident.get("name"), APP))
    if not SEMVER.match(str(ident.get("version"))):
        r.fail("info.id.version %r is not semver" % ident.get("version"))
    for key, allowed in (("supportedDeployments", DEPLOYMENTS), ("targetWorkloads", WORKLOADS)):
        v = m.get(key)
        if not isinstance(v, list) or not v:
            r.fail("%s must be a non-empty list" % key)
            continue
        bad = [x for x in v if x not in allowed]
        if bad:
            r.fail("%s has values outside %s: %s" % (key, sorted(allowed), bad))
    if "_search_heads" not in (m.get("targetWorkloads") or []) and \
            "*" not in (m.get("targetWorkloads") or []):
        r.fail("targetWorkloads must include _search_heads: the commands run there")


def r_metadata(pkg, r):
    if "default/commands.conf" in pkg.data and "metadata/default.meta" not in pkg.data:
        r.fail("metadata/default.meta is missing while default/commands.conf exists")
    elif "metadata/default.meta" not in pkg.data:
        r.fail("metadata/default.meta is missing")
    for rel in pkg.info:
        if rel.startswith("metadata/") and rel != "metadata/default.meta":
            r.fail("metadata/ may hold only default.meta, found %s" % rel)


def roles(v):
    m = re.search(r"\[([^\]]*)\]", v or "")
    return [x.strip() for x in m.group(1).split(",") if x.strip()] if m else []


def access_part(access, what):
    m = re.search(r"\b%s\s*:\s*\[[^\]]*\]" % what, access or "")
    return m.group(0) if m else None


def r_meta_write(pkg, r):
    t = pkg.text("metadata/default.meta")
    if t is None:
        r.fail("metadata/default.meta is missing")
        return
    meta = conf_dict(t)
    if "" not in meta:
        r.fail("default.meta has no global [] stanza")
        return
    w = access_part(meta[""].get("access"), "write")
    if w is None:
        r.fail("global stanza grants no write roles")
        return
    rs = roles(w)
    if "*" in rs:
        r.fail("global stanza grants write to everyone (*)")
    for need in ("admin", "sc_admin"):
        if need not in rs:
            r.fail("global stanza does not grant write to %s" % need)
    extra = [x for x in rs if x not in ("admin", "sc_admin", "*")]
    if extra:
        r.fail("global stanza grants write to roles other than admin and sc_admin: %s" % extra)


def r_export(pkg, r):
    t = pkg.text("metadata/default.meta")
    if t is None:
        r.fail("metadata/default.meta is missing")
        return
    meta = conf_dict(t)
    glob = meta.get("", {}).get("export")
    for kind in ("commands", "macros", "eventtypes", "tags"):
        v = meta.get(kind, {}).get("export", glob)
        if v != "system":
            r.fail("%s are not exported (export = %s)" % (kind, v))


def r_chunked_keys(pkg, r):
    cmds = pkg.conf("commands")
    if cmds is None:
        r.fail("default/commands.conf is missing")
        return
    for name, kv in cmds.items():
        if name == "default" and not kv:
            continue
        if is_true(kv.get("chunked", "false")):
            for k in kv:
                if k not in CHUNKED_KEYS and not re.fullmatch(r"command\.arg\.[1-9]\d*", k):
                    r.fail("[%s] %s is not allowed for a chunked command" % (name, k))


def find_exec(pkg, base, exts):
    """Package paths of bin/<base><ext> or <arch>/bin/<base><ext>."""
    found = []
    for d in ["bin"] + ["%s/bin" % a for a in ARCH_DIRS]:
        for ext in exts:
            p = "%s/%s%s" % (d, base, ext)
            if p in pkg.data:
                found.append(p)
    return found


def r_command_files(pkg, r, allow_missing):
    cmds = pkg.conf("commands") or {}
    for name, kv in cmds.items():
        fn = kv.get("filename")
        if fn is None:
            if name != "default":
                r.fail("[%s] has no filename" % name)
            continue
        if "/" in fn:
            r.fail("[%s] filename %r must be a bare file name" % (name, fn))
            continue
        base, ext = os.path.splitext(fn)
        if ext and ext not in (".py", ".sh", ".pl", ".js", ".exe", ".bat", ".cmd"):
            r.fail("[%s] filename %r has an unsupported extension" % (name, fn))
        paths = find_exec(pkg, fn, [""])
        if not paths:
            msg = "[%s] filename %s is not in bin/ or <arch>/bin/" % (name, fn)
            (r.skip if allow_missing else r.fail)(msg + (" (not built yet)" if allow_missing else ""))
        for p in paths:
            mode = stat.S_IMODE(pkg.info[p].mode)
            if mode != 0o755:
                r.fail("%s has mode %04o, want 0755" % (p, mode))


def syntax_options(syntax):
    """Option names (name=...) and bare keywords of a searchbnf syntax."""
    return re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)=", syntax or "")


def r_searchbnf(pkg, r):
    t = pkg.text("default/searchbnf.conf")
    if t is None:
        r.fail("default/searchbnf.conf is missing")
        return
    bnf = conf_dict(t)
    cmds = pkg.conf("commands") or {}
    names = [n for n in cmds if n != "default"] or list(COMMANDS)
    for c in sorted(set(names) | set(COMMANDS)):
        st = bnf.get("%s-command" % c)
        if st is None:
            r.fail("no [%s-command] stanza" % c)
            continue
        for k in ("syntax", "shortdesc", "description", "usage", "related", "tags"):
            if not st.get(k):
                r.fail("[%s-command] has no %s" % (c, k))
        if st.get("usage") and st["usage"] != "public":
            r.fail("[%s-command] usage = %s, want public" % (c, st["usage"]))
        syn = st.get("syntax", "")
        if syn and not syn.split()[0] == c:
            r.fail("[%s-command] syntax does not start with %s" % (c, c))
        pairs = [k for k in st if re.fullmatch(r"example\d+", k)
                 and st.get("comment" + k[len("example"):])]
        if len(pairs) < 2:
            r.fail("[%s-command] has %d example/comment pairs, want at least 2" % (c, len(pairs)))
        if len(syn) > 200 and not st.get("simplesyntax"):
            r.fail("[%s-command] has a long syntax and no simplesyntax" % c)
        # every <term> names Splunk's own or a stanza of this file
        for term in sorted(set(re.findall(r"<([A-Za-z][\w-]*)>", syn + " " + st.get("simplesyntax", "")))):
            if term not in BNF_BUILTIN_TERMS and term not in bnf:
                r.fail("[%s-command] uses <%s>, which has no [%s] stanza" % (c, term, term))


def r_specs(pkg, r):
    specs = [p for p in pkg.files("README/") if p.endswith(".conf.spec")]
    for p in specs:
        raw = pkg.data[p]
        if b"\r" in raw:
            r.fail("%s has CR line breaks" % p)
        t = raw.decode("utf-8", "replace")
        if t and not t.endswith("\n"):
            r.fail("%s does not end with a line break" % p)
        seen_stanza = False
        stanzas = set()
        keys = set()
        in_text = False
        for no, line in enumerate(t.split("\n"), 1):
            if line.strip().startswith("*"):
                in_text = True
            s = line.strip()
            if not s or s.startswith("#") or s.startswith("*"):
                continue
            if line[:1] in (" ", "\t") and in_text:
                continue  # indented continuation of a '*' description
            in_text = False
            if s.startswith("[") and s.endswith("]"):
                seen_stanza = True
                if s == "[default]":
                    r.fail("%s:%d has a [default] stanza" % (p, no))
                if s in stanzas:
                    r.warn("%s:%d duplicate stanza %s" % (p, no, s))
                stanzas.add(s)
                keys = set()
                continue
            if "=" in s:
                if not seen_stanza:
                    r.fail("%s:%d key before the first stanza" % (p, no))
                k = s.split("=", 1)[0].strip()
                if k in keys:
                    r.warn("%s:%d duplicate key %s" % (p, no, k))
                keys.add(k)
                continue
            r.fail("%s:%d is neither a stanza, a setting nor a '*' description: %r" % (p, no, s[:60]))
        if not stanzas:
            r.fail("%s has no stanza" % p)


def r_spec_exists(pkg, r):
    for name in custom_confs(pkg):
        if "README/%s.conf.spec" % name not in pkg.data:
            r.fail("custom conf %s.conf has no README/%s.conf.spec" % (name, name))


def modinput_schemes(pkg):
    """Schemes declared by the spec, and non-built-in schemes used in inputs.conf."""
    spec = pkg.text("README/inputs.conf.spec")
    declared = {}
    if spec is not None:
        for name, kvs, _ in parse_conf(spec):
            m = re.fullmatch(r"([A-Za-z0-9_.-]+)://<[^>]+>", name)
            if m:
                declared[m.group(1)] = len(kvs)
    used = set()
    inputs = pkg.conf("inputs") or {}
    for name in inputs:
        m = re.match(r"([A-Za-z0-9_.-]+)://", name)
        scheme = m.group(1) if m else name
        if m and scheme not in BUILTIN_SCHEMES:
            used.add(scheme)
        elif not m and name not in BUILTIN_SCHEMES and ":" not in name and name != "default":
            used.add(name)
    return declared, used


def r_inputs_spec(pkg, r):
    declared, used = modinput_schemes(pkg)
    if used and "README/inputs.conf.spec" not in pkg.data:
        r.fail("default/inputs.conf uses %s but README/inputs.conf.spec is missing" % sorted(used))
        return
    for s in sorted(used - set(declared)):
        r.fail("scheme %s is used in inputs.conf but has no [%s://<name>] stanza in the spec" % (s, s))
    for s, n in sorted(declared.items()):
        if n == 0:
            r.fail("[%s://<name>] in README/inputs.conf.spec has no parameters" % s)


def r_inputs_exec(pkg, r, allow_missing):
    declared, used = modinput_schemes(pkg)
    for s in sorted(set(declared) | used):
        if not find_exec(pkg, s, ["", ".sh", ".py"]):
            msg = "no executable bin/%s for the %s modular input" % (s, s)
            (r.skip if allow_missing else r.fail)(msg + (" (not built yet)" if allow_missing else ""))


def r_inputs_conf(pkg, r):
    inputs = pkg.conf("inputs")
    if inputs is None:
        return
    for name, kv in inputs.items():
        low = name.lower()
        if re.match(r"(tcp|udp|splunktcp|fifo|http)://", low) or low.startswith(
                ("fschange:", "remote_queue:", "splunktcptoken")) or low in ("ssl", "http", "splunktcp"):
            r.fail("forbidden input stanza [%s]" % name)
        if low.startswith("batch://") and kv.get("move_policy") != "sinkhole":
            r.fail("[%s] must use move_policy = sinkhole" % name)
        if low.startswith("script://") and not name[len("script://"):].startswith(
                ("$SPLUNK_HOME/etc/apps/%s/bin/" % APP, "./bin/")):
            r.fail("[%s] script is outside the app's bin/" % name)
        if "://" in name and not is_true(kv.get("disabled", "false")):
            r.fail("example input [%s] is not disabled = 1" % name)


def studio_definition(root):
    d = root.find("definition")
    if d is None or d.text is None:
        return None, "no <definition>"
    try:
        return json.loads(d.text), None
    except ValueError as e:
        return None, "definition is not valid JSON: %s" % e


def studio_refs(defn):
    """Cross-reference problems in a Studio definition."""
    errs = []
    viz = defn.get("visualizations") or {}
    ds = defn.get("dataSources") or {}
    inputs = defn.get("inputs") or {}
    layout = defn.get("layout") or {}
    placed = set()
    for lid, ld in (layout.get("layoutDefinitions") or {}).items():
        for item in ld.get("structure") or []:
            ref = item.get("item")
            if ref not in viz and ref not in inputs:
                errs.append("layout %s places %r, which is not defined" % (lid, ref))
            placed.add(ref)
    for tab in ((layout.get("tabs") or {}).get("items") or []):
        if tab.get("layoutId") not in (layout.get("layoutDefinitions") or {}):
            errs.append("tab names layout %r, which is not defined" % tab.get("layoutId"))
    for v in viz:
        if v not in placed:
            errs.append("visualization %s is in no layout" % v)
    for gi in layout.get("globalInputs") or []:
        if gi not in inputs:
            errs.append("global input %r is not defined" % gi)
    for vid, v in viz.items():
        for role, ref in (v.get("dataSources") or {}).items():
            if ref not in ds:
                errs.append("visualization %s uses data source %r, which is not defined" % (vid, ref))
    for did, d in ds.items():
        if d.get("type") == "ds.chain" and (d.get("options") or {}).get("extend") not in ds:
            errs.append("chained data source %s extends an undefined source" % did)
    return errs


def views(pkg):
    return [p for p in pkg.files("default/data/ui/views/")]


def r_views(pkg, r):
    vs = views(pkg)
    if not vs:
        r.fail("no views in default/data/ui/views/")
    for p in vs:
        if not p.endswith(".xml"):
            continue
        try:
            root = ET.fromstring(pkg.data[p])
        except ET.ParseError as e:
            r.fail("%s does not parse: %s" % (p, e))
            continue
        ver = root.get("version")
        if root.tag == "view":
            err = setup_view_problem(pkg, p, root)
            if err:
                r.fail(err)
            continue
        if root.tag not in ("dashboard", "form"):
            r.fail("%s root is <%s>, want <dashboard> or <form>" % (p, root.tag))
            continue
        if root.tag == "dashboard" and ver == "2":
            defn, err = studio_definition(root)
            if err:
                r.fail("%s: %s" % (p, err))
                continue
            for e in studio_refs(defn):
                r.fail("%s: %s" % (p, e))
        elif ver == "1.1":
            r.fail("%s is Simple XML; every view must be Dashboard Studio version 2" % p)
        else:
            r.fail("%s has version %r: Simple XML needs 1.1, Studio 2" % (p, ver))


SETUP_TEMPLATE = re.compile(r"^%s:/templates/([A-Za-z0-9_\-]+\.html)$" % re.escape(APP))
STATIC_REF = re.compile(r"/static/app/%s/([^'\"?#]+)" % re.escape(APP))


def setup_view_name(pkg):
    return ((pkg.conf("app") or {}).get("ui", {}).get("setup_view") or "").strip()


def setup_view_problem(pkg, path, root):
    """Only the view app.conf [ui] setup_view names may be an HTML template
    view (a Splunk UI Toolkit page), and its template must be shipped."""
    name = os.path.basename(path)[:-4]
    if name != setup_view_name(pkg):
        return "%s is a <view>, allowed only for the setup view ([ui] setup_view)" % path
    m = SETUP_TEMPLATE.match(root.get("template") or "")
    if root.get("type") != "html" or not m:
        return "%s: want type=\"html\" template=\"%s:/templates/<name>.html\"" % (path, APP)
    if "appserver/templates/" + m.group(1) not in pkg.data:
        return "%s: appserver/templates/%s is not in the package" % (path, m.group(1))
    return None


def r_setup_bundle(pkg, r):
    for rel, ti in pkg.info.items():
        parts = rel.split("/")
        if parts[0] != "appserver" or len(parts) < 2:
            continue
        if parts[1] not in ("static", "templates"):
            r.fail("%s: only appserver/static/ and appserver/templates/ ship" % rel)
        elif ti.isfile() and (parts[-1] in ("package.json", "package-lock.json") or
                              re.search(r"\.(jsx|tsx?|mjs|map)$", parts[-1])):
            r.fail("%s is a source or build file of the setup page" % rel)
    name = setup_view_name(pkg)
    if not name:
        if any(p.startswith("appserver/templates/") for p in pkg.data):
            r.fail("appserver/templates/ is shipped but app.conf sets no [ui] setup_view")
        return
    view = "default/data/ui/views/%s.xml" % name
    if view not in pkg.data:
        r.fail("[ui] setup_view = %s, but %s is not in the package" % (name, view))
        return
    try:
        root = ET.fromstring(pkg.data[view])
    except ET.ParseError:
        return  # rule 33 reports it
    m = SETUP_TEMPLATE.match(root.get("template") or "")
    tpl = m and pkg.text("appserver/templates/" + m.group(1))
    if not tpl:
        return  # rule 33 reports it
    refs = STATIC_REF.findall(tpl)
    if not refs:
        r.fail("appserver/templates/%s loads no script from /static/app/%s/" % (m.group(1), APP))
    for ref in refs:
        b = pkg.data.get("appserver/static/" + ref)
        if b is None:
            r.fail("appserver/templates/%s loads %s, which is not built into appserver/static/" % (m.group(1), ref))
        elif not b.strip():
            r.fail("appserver/static/%s is empty" % ref)


def r_ui_files(pkg, r):
    for rel in pkg.info:
        if rel.startswith("default/data/ui/html"):
            r.fail("%s: HTML dashboards are not allowed" % rel)
        for d in ("views", "nav", "panels"):
            pre = "default/data/ui/%s/" % d
            if rel.startswith(pre) and pkg.info[rel].isfile() and not rel.endswith(".xml"):
                r.fail("%s is not an .xml file" % rel)
            if rel.startswith(pre) and pkg.info[rel].isdir():
                r.fail("%s: no folders inside data/ui/%s" % (rel, d))


def r_nav(pkg, r):
    t = pkg.data.get("default/data/ui/nav/default.xml")
    if t is None:
        r.fail("default/data/ui/nav/default.xml is missing")
        return
    try:
        root = ET.fromstring(t)
    except ET.ParseError as e:
        r.fail("nav/default.xml does not parse: %s" % e)
        return
    have = {os.path.basename(p)[:-4] for p in views(pkg) if p.endswith(".xml")}
    for v in root.iter("view"):
        n = v.get("name")
        if n not in have and n not in BUILTIN_VIEWS:
            r.fail("nav names view %r, which does not exist" % n)


def r_studio_validator(pkg, r, validator_dir):
    script = validator_dir and os.path.join(validator_dir, "validate_dashboards.js")
    node = shutil.which("node")
    if not script or not os.path.exists(script) or not node:
        r.skip("Node.js or @splunk/dashboard-validation not available")
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for p in views(pkg):
            if not p.endswith(".xml"):
                continue
            try:
                root = ET.fromstring(pkg.data[p])
            except ET.ParseError:
                continue
            defn, err = studio_definition(root) if root.get("version") == "2" else (None, "x")
            if err:
                continue
            out = os.path.join(tmp, os.path.basename(p) + ".json")
            with open(out, "w") as f:
                json.dump(defn, f)
            files.append(out)
        if not files:
            r.skip("no Studio definitions to validate")
            return
        pr = subprocess.run([node, script] + files, cwd=validator_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if pr.returncode != 0:
            for line in pr.stdout.decode("utf-8", "replace").strip().splitlines():
                r.fail(line.replace(tmp + os.sep, ""))
            if not r.fails:
                r.fail("validator exited %d" % pr.returncode)


def saved(pkg):
    s = pkg.conf("savedsearches") or {}
    return {k: v for k, v in s.items() if k != "default"}


def scheduled(pkg):
    return {k: v for k, v in saved(pkg).items() if is_true(v.get("enableSched", "0"))}


def r_dispatch(pkg, r):
    for name, kv in scheduled(pkg).items():
        search = kv.get("search", "")
        if not kv.get("dispatch.earliest_time") and not (
                search.lstrip().startswith("|") or "earliest" in search):
            r.fail("[%s] has no dispatch.earliest_time" % name)
        elif not kv.get("dispatch.earliest_time"):
            r.fail("[%s] has no dispatch.earliest_time (project rule)" % name)
        if not kv.get("dispatch.latest_time"):
            r.fail("[%s] has no dispatch.latest_time" % name)


def r_realtime(pkg, r):
    for name, kv in scheduled(pkg).items():
        for k in ("dispatch.earliest_time", "dispatch.latest_time"):
            if kv.get(k, "").strip().lower().startswith("rt"):
                r.fail("[%s] %s = %s is real-time" % (name, k, kv[k]))


CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cron_values(field, lo, hi):
    """Set of values a cron field matches, or None when it is invalid."""
    out = set()
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return None
        if m.group(1) == "*":
            a, b = lo, hi
        else:
            a = int(m.group(2))
            b = int(m.group(3)) if m.group(3) else (hi if m.group(4) else a)
        step = int(m.group(4)) if m.group(4) else 1
        if not (lo <= a <= hi and lo <= b <= hi and a <= b and step >= 1):
            return None
        out.update(range(a, b + 1, step))
    return out


# The passive DNS collector is specified to run every 15 minutes (4 runs an
# hour, inside AppInspect's 12); every other search runs at most hourly.
FREQUENT_OK = {"DNS Join - Passive DNS collection"}


def r_cron(pkg, r):
    for name, kv in scheduled(pkg).items():
        cron = kv.get("cron_schedule")
        if not cron:
            r.fail("[%s] is scheduled but has no cron_schedule" % name)
            continue
        fields = cron.split()
        vals = None
        if len(fields) == 5:
            vals = [cron_values(f, lo, hi) for f, (lo, hi) in zip(fields, CRON_RANGES)]
        if vals is None or None in vals:
            r.fail("[%s] cron_schedule %r is not valid 5-field cron" % (name, cron))
            continue
        per_hour = len(vals[0])
        if per_hour > 12:
            r.fail("[%s] cron_schedule %r runs %d times an hour (more than 12)" % (name, cron, per_hour))
        elif per_hour > 1 and name not in FREQUENT_OK:
            r.fail("[%s] cron_schedule %r runs %d times an hour; at most hourly" % (name, cron, per_hour))


def r_actions(pkg, r):
    for name, kv in saved(pkg).items():
        for k in kv:
            if k == "action.script.filename" or k.startswith("action.populate_lookup"):
                r.fail("[%s] sets %s" % (name, k))


def r_disabled(pkg, r):
    for name, kv in scheduled(pkg).items():
        if not is_true(kv.get("disabled", "0")):
            r.fail("[%s] is scheduled and not disabled = 1" % name)


def r_static(pkg, r):
    for rel, ti in pkg.info.items():
        if not rel.startswith("static/"):
            continue
        if ti.isdir() or rel.count("/") > 1:
            r.fail("%s: no folders inside static/" % rel)
        elif not rel.lower().endswith((".png", ".txt", ".md")):
            r.fail("%s is not a .png, .txt or .md file" % rel)


def png_size(b):
    if len(b) < 24 or b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
        return None
    return int.from_bytes(b[16:20], "big"), int.from_bytes(b[20:24], "big")


def r_icons(pkg, r):
    want = {"appIcon.png": (36, 36, True), "appIcon_2x.png": (72, 72, True),
            "appIconAlt.png": (36, 36, False), "appIconAlt_2x.png": (72, 72, False),
            "appLogo.png": (160, 40, False), "appLogo_2x.png": (320, 80, False)}
    for name, (w, h, required) in want.items():
        b = pkg.data.get("static/" + name)
        if b is None:
            if required:
                r.fail("static/%s is missing" % name)
            continue
        sz = png_size(b)
        if sz is None:
            r.fail("static/%s is not a PNG" % name)
        elif sz[0] > w or sz[1] > h:
            r.fail("static/%s is %dx%d, larger than %dx%d" % (name, sz[0], sz[1], w, h))
        elif required and sz != (w, h):
            r.fail("static/%s is %dx%d, want exactly %dx%d" % (name, sz[0], sz[1], w, h))


def r_lookups(pkg, r):
    for rel, ti in pkg.info.items():
        if not rel.startswith("lookups/") or ti.isdir():
            continue
        b = pkg.data.get(rel, b"")
        low = rel.lower()
        if low.endswith((".csv.gz", ".csv.tgz", ".kmz")):
            continue
        try:
            rows = list(csv.reader(io.StringIO(b.decode("utf-8"))))
        except (UnicodeDecodeError, csv.Error) as e:
            r.fail("%s does not parse as CSV: %s" % (rel, e))
            continue
        if not low.endswith((".csv", ".csv.default")) and len(rows) < 1:
            r.fail("%s is not an allowed lookup file" % rel)
            continue
        if not rows or not rows[0] or any(not c.strip() for c in rows[0]):
            r.fail("%s has no header row" % rel)
            continue
        for i, row in enumerate(rows[1:], 2):
            if row and len(row) != len(rows[0]):
                r.fail("%s:%d has %d columns, the header %d" % (rel, i, len(row), len(rows[0])))
                break


def r_setup(pkg, r):
    if "default/setup.xml" in pkg.data:
        r.fail("default/setup.xml is not allowed")


def readme_declaration(pkg):
    """Lines of the README's "Binary File Declaration" section."""
    t = pkg.text("README.md") or pkg.text("README.txt") or ""
    lines = t.split("\n")
    out, level = None, None
    for line in lines:
        m = re.match(r"^(#+)\s*(.*?)\s*#*\s*$", line)
        if m and out is None and m.group(2).lower() == "binary file declaration":
            out, level = [], len(m.group(1))
            continue
        if out is not None:
            if m and len(m.group(1)) <= level:
                break
            out.append(line)
    return out


def binaries(pkg):
    return sorted((rel, k) for rel in pkg.data for k in [binary_kind(pkg.data[rel])] if k)


def r_declared(pkg, r):
    decl = readme_declaration(pkg)
    srcs = {os.path.splitext(os.path.basename(p))[0] for p in pkg.data
            if p.endswith((".c", ".cpp", ".h", ".java"))}
    for rel, kind in binaries(pkg):
        base = os.path.splitext(os.path.basename(rel))[0]
        if decl is None:
            r.fail("%s (%s) but the README has no \"Binary File Declaration\" section" % (rel, kind))
            continue
        lines = [l for l in decl if re.search(r"(^|[^\w/])%s\b" % re.escape(rel), l)]
        if not lines:
            if base in srcs:
                r.fail("%s is not named in the Binary File Declaration (its source is shipped, "
                       "but this project declares every binary)" % rel)
            else:
                r.fail("%s (%s) is not named in the README's Binary File Declaration" % (rel, kind))
        elif not any(re.search(r"c_src/[\w./-]+\.c\b", l) for l in lines):
            r.fail("the declaration of %s does not name the c_src/ file that builds it" % rel)


def r_exec_outside_bin(pkg, r):
    for rel, kind in binaries(pkg):
        if kind in ("ELF", "PE", "Mach-O") and not in_bin_dir(rel):
            r.fail("%s (%s) is outside a bin directory" % (rel, kind))


def r_windows(pkg, r):
    for rel in pkg.data:
        if rel.lower().endswith((".exe", ".bat", ".cmd", ".dll", ".msi", ".ps1", ".vbs")) or \
                binary_kind(pkg.data[rel]) == "PE":
            r.warn("%s is a Windows-specific component" % rel)


def r_aarch64(pkg, r):
    ds = pkg.conf("distsearch") or {}
    pats = []
    for st in ("replicationDenylist", "replicationBlacklist"):
        for k, v in ds.get(st, {}).items():
            try:
                pats.append(re.compile(v))
            except re.error:
                r.warn("distsearch.conf [%s] %s is not a valid regex" % (st, k))
    cmds = pkg.conf("commands") or {}
    for name, kv in cmds.items():
        fn = kv.get("filename")
        if not fn:
            continue
        for p in find_exec(pkg, fn, [""]):
            b = pkg.data[p]
            if b[:4] != b"\x7fELF" or elf_machine(b) == 183:
                continue
            target = "apps/%s/%s" % (APP, p)
            if not any(x.search(target) for x in pats):
                r.warn("[%s] %s is not aarch64 and not in a distsearch.conf replication "
                       "denylist (Splunk Cloud indexers)" % (name, p))


def r_denied_confs(pkg, r):
    for rel in pkg.data:
        base = rel.rsplit("/", 1)[-1]
        if base == "instance.cfg" or DENIED_CONFS.match(base):
            r.fail("%s is a deny-listed configuration file" % rel)
        elif base == "passwords.conf":
            r.fail("%s: credentials must not be shipped" % rel)


def r_no_index_auth(pkg, r):
    for name in ("indexes", "authorize"):
        if "default/%s.conf" % name in pkg.data:
            r.fail("default/%s.conf is not shipped by this add-on" % name)


# ------------------------------------------------- shipped searches (rule 52)

CMD_USE = re.compile(r"\|\s*(%s)\b" % "|".join(COMMANDS))


def shipped_searches(pkg):
    """(where, search text) for every search in saved searches, searchbnf
    examples and dashboards (data sources and drilldowns)."""
    out = []
    for name, kv in saved(pkg).items():
        if kv.get("search"):
            out.append(("savedsearches.conf [%s]" % name, kv["search"]))
    bnf = conf_dict(pkg.text("default/searchbnf.conf") or "")
    for st, kv in bnf.items():
        for k, v in kv.items():
            if re.fullmatch(r"example\d+", k):
                out.append(("searchbnf.conf [%s] %s" % (st, k), v))
    for p in views(pkg):
        try:
            root = ET.fromstring(pkg.data[p])
        except ET.ParseError:
            continue
        defn, err = studio_definition(root)
        if err:
            continue

        def walk(node, path):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "query" and isinstance(v, str):
                        out.append(("%s %s" % (os.path.basename(p), path + "/query"), v))
                    else:
                        walk(v, path + "/" + k)
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (path, i))
        walk(defn, "")
    return out


def r_macros(pkg, r):
    found = 0
    for where, s in shipped_searches(pkg):
        text = s.strip()
        if text.startswith("|"):
            # A chained data source continues another search.
            continue
        found += 1
        if not re.match(r"`dnsjoin_[a-z_]+`", text):
            r.fail("%s does not start from a dnsjoin_* macro: %s" % (where, text[:70]))
        if re.search(r"\bindex\s*=", text):
            r.fail("%s names an index: %s" % (where, text[:70]))
    if not found:
        r.fail("no shipped searches found")


# --------------------------------------------------------------------- main

RULES = [
    (1, r_archive), (2, r_top), (3, r_members), (4, r_hidden), (5, r_local), (6, r_pyc),
    (7, r_spaces), (8, r_modes), (9, r_exec_bit), (10, r_leftovers), (11, r_appconf),
    (12, r_readme), (13, r_configured), (14, r_build), (15, r_checksum), (16, r_version),
    (17, r_id), (18, r_label), (19, r_triggers), (20, r_report_app), (21, r_manifest),
    (22, r_metadata), (23, r_meta_write), (24, r_export), (25, r_chunked_keys),
    (26, "command_files"), (27, r_searchbnf), (28, r_specs), (29, r_spec_exists),
    (30, r_inputs_spec), (31, "inputs_exec"), (32, r_inputs_conf), (33, r_views),
    (34, r_ui_files), (35, r_nav), (36, "studio"), (37, r_dispatch), (38, r_realtime),
    (39, r_cron), (40, r_actions), (41, r_disabled), (42, r_static), (43, r_icons),
    (44, r_lookups), (45, r_setup), (46, r_declared), (47, r_exec_outside_bin),
    (48, r_windows), (49, r_aarch64), (50, r_denied_confs), (51, r_no_index_auth),
    (52, r_macros), (53, r_setup_bundle),
]


def check_package(path, allow_missing_binaries=False, studio_validator=None):
    """Run every rule on the package at path; returns a list of Result."""
    pkg = Package(path)
    results = []
    for num, fn in RULES:
        r = Result(num)
        if pkg.error and num != 1:
            r.skip("package unreadable")
        else:
            try:
                if fn == "command_files":
                    r_command_files(pkg, r, allow_missing_binaries)
                elif fn == "inputs_exec":
                    r_inputs_exec(pkg, r, allow_missing_binaries)
                elif fn == "studio":
                    r_studio_validator(pkg, r, studio_validator)
                else:
                    fn(pkg, r)
            except Exception as e:  # a checker bug must not look like a pass
                r.fail("checker error: %s: %s" % (e.__class__.__name__, e))
        results.append(r)
    return results


def main(argv):
    args = list(argv)
    allow = False
    validator = None
    if "--allow-missing-binaries" in args:
        args.remove("--allow-missing-binaries")
        allow = True
    if "--studio-validator" in args:
        i = args.index("--studio-validator")
        validator = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    results = check_package(args[0], allow, validator)
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        print("%-4s [%02d] %s" % (r.status, r.rule, TITLES[r.rule]))
        for m in r.fails + r.warns + r.skips:
            print("            %s" % m)
    print("%d rules: %d pass, %d fail, %d warn, %d skip" % (
        len(results), counts.get("PASS", 0), counts.get("FAIL", 0),
        counts.get("WARN", 0), counts.get("SKIP", 0)))
    return 1 if counts.get("FAIL") else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
