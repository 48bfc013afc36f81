#!/usr/bin/env python3
"""CIM compliance of the add-on's search-time fields, checked against
Splunk's own CIM compliance definitions (../shared/cim/*.json from the
repository root; skipped with a message when absent).

    test_cim.py [APP_DIR [BIN_DIR]]

For every event of the test data the search-time pipeline is emulated as
Splunk runs it: REPORT- transforms (test_props.extract), KV_MODE=json,
FIELDALIAS-, EVAL- (all computed from the fields before any EVAL), LOOKUP-,
then eventtypes and tags. The tags select the data model datasets; for each
dataset field: a required field must be present, a conditional one where
its condition holds, a not_allowed_in_search one absent; every value must be
in expected_values and pass the validity expression; a fields_cluster is all
present or all absent. The only allowed exceptions are the rows of the
"Exceptions" table in docs/CIM.md.

EVAL expressions, conditions and eventtype searches are evaluated by the
small SPL evaluator below; an operator or function it does not know is an
error, never a pass.

Events: tests/data/cim/ (own lines), the dnsmasq captures under
tests/data/dnsmasq/capture/ as raw lines (dnsmasq) and as transactions
(BIN_DIR/dnsmasq_log --file X --timezone UTC), and the netfilter samples
under ../shared/samples/.
"""
import csv
import datetime
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(ROOT, "bin")
SHARED = os.path.join(ROOT, "..", "shared")
CIM_DIR = os.path.join(SHARED, "cim")
SAMPLES = os.path.join(SHARED, "samples")

sys.argv = [sys.argv[0], ROOT]      # test_props reads the app folder from argv[1]
sys.path.insert(0, HERE)
import check_app  # noqa: E402
import test_props  # noqa: E402


class EvalError(Exception):
    """An expression this evaluator cannot evaluate: the test fails."""


# ------------------------------------------------------------------ values
# A field value is a str, a list of str (multivalue) or absent (None).
# Eval results are None (null), bool, int/float, str or list.

NUM_RE = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def first(v):
    if isinstance(v, list):
        return v[0] if v else None
    return v


def as_num(v):
    v = first(v)
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    if NUM_RE.match(v):
        f = float(v)
        return int(f) if f == int(f) and "." not in v and "e" not in v.lower() else f
    return None


def as_str(v):
    v = first(v)
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def truth(v):
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    raise EvalError("non-boolean %r used as a condition" % (v,))


def pcre(rx):
    """PCRE -> Python re: subroutine calls (?N) are replaced by group N's
    text (fails on real recursion). Atomic groups need Python 3.11."""
    if "(?" not in rx or not re.search(r"\(\?\d+\)", rx):
        return rx
    groups, stack, i, n = {}, [], 0, 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < len(rx) and rx[j] == "^":
                j += 1
            if j < len(rx) and rx[j] == "]":
                j += 1
            while j < len(rx) and rx[j] != "]":
                j += 2 if rx[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            if rx[i + 1:i + 2] != "?":
                n += 1
                stack.append((n, i))
            else:
                stack.append((None, i))
        elif c == ")":
            num, start = stack.pop()
            if num:
                groups[num] = rx[start + 1:i]
        i += 1

    def expand(text, depth):
        if depth > 10:
            raise EvalError("recursive regex subroutine in %r" % rx)
        return re.sub(r"\(\?(\d+)\)", lambda m: "(?:%s)" % expand(groups[int(m.group(1))], depth + 1), text)
    return expand(rx, 0)


_rx_cache = {}


def wildcard(value, pattern):
    """Splunk wildcard match: only * is special, case-sensitive (callers
    lower-case both sides where Splunk ignores case)."""
    rx = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(rx, value, re.S) is not None


def regex(rx):
    if rx not in _rx_cache:
        try:
            _rx_cache[rx] = re.compile(pcre(rx))
        except re.error as e:
            raise EvalError("regex %r: %s" % (rx, e))
    return _rx_cache[rx]


# ------------------------------------------------------------------ tokens
TOKEN = re.compile(r'''\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<qfield>'(?:[^'\\]|\\.)*')
  | (?P<num>\d+(?:\.\d+)?(?![\w.]))
  | (?P<op>==|!=|<=|>=|[=<>+\-*/%.!(),|])
  | (?P<word>[A-Za-z_][\w.{}:*-]*|\*[\w.{}:*-]*)
)''', re.X)


def tokenize(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise EvalError("cannot read %r at %r" % (text, text[pos:pos + 20]))
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r'\\(["\\])', r"\1", val[1:-1])
        elif kind == "qfield":
            val = val[1:-1]
        out.append((kind, val))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


# ------------------------------------------------------------------ eval
class Eval:
    """Recursive-descent evaluator of SPL eval expressions over a field dict."""

    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.ast = self.expr()
        if self.i != len(self.toks):
            raise EvalError("trailing %r in %r" % (self.toks[self.i:], text))

    def peek(self, *vals):
        if self.i < len(self.toks):
            k, v = self.toks[self.i]
            if k in ("op", "word") and (v.upper() if k == "word" else v) in vals:
                return v
        return None

    def take(self, *vals):
        v = self.peek(*vals)
        if v is None:
            raise EvalError("expected %s in %r" % ("/".join(vals), self.text))
        self.i += 1
        return v

    def expr(self):
        node = self.and_()
        while self.peek("OR"):
            self.i += 1
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.peek("AND"):
            self.i += 1
            node = ("and", node, self.not_())
        return node

    def not_(self):
        if self.peek("NOT", "!"):
            self.i += 1
            return ("not", self.not_())
        return self.cmp()

    def cmp(self):
        node = self.add()
        op = self.peek("==", "=", "!=", "<", ">", "<=", ">=", "LIKE")
        if op:
            self.i += 1
            node = ("cmp", op.upper() if op.isalpha() else op, node, self.add())
        return node

    def add(self):
        node = self.mul()
        while True:
            op = self.peek("+", "-", ".")
            if not op:
                return node
            self.i += 1
            node = ("arith", op, node, self.mul())

    def mul(self):
        node = self.unary()
        while True:
            op = self.peek("*", "/", "%")
            if not op:
                return node
            self.i += 1
            node = ("arith", op, node, self.unary())

    def unary(self):
        if self.peek("-"):
            self.i += 1
            return ("neg", self.unary())
        return self.atom()

    def atom(self):
        if self.i >= len(self.toks):
            raise EvalError("unexpected end of %r" % self.text)
        k, v = self.toks[self.i]
        self.i += 1
        if k == "str":
            return ("lit", v)
        if k == "num":
            return ("lit", float(v) if "." in v else int(v))
        if k == "qfield":
            return ("field", v)
        if k == "op" and v == "(":
            node = self.expr()
            self.take(")")
            return node
        if k == "word":
            if self.peek("("):
                self.i += 1
                args = []
                if not self.peek(")"):
                    args.append(self.expr())
                    while self.peek(","):
                        self.i += 1
                        args.append(self.expr())
                self.take(")")
                return ("call", v.lower(), args)
            return ("field", v)
        raise EvalError("unexpected %r in %r" % (v, self.text))

    def __call__(self, fields):
        return ev(self.ast, fields)


def compare(op, a, b):
    if a is None or b is None:
        return None
    if op == "LIKE":
        return like(a, b)
    na, nb = as_num(a), as_num(b)
    if na is not None and nb is not None:
        x, y = na, nb
    else:
        x, y = as_str(a), as_str(b)
    return {"==": x == y, "=": x == y, "!=": x != y, "<": x < y, ">": x > y,
            "<=": x <= y, ">=": x >= y}[op]


def like(a, pattern):
    a, pattern = as_str(a), as_str(pattern)
    if a is None or pattern is None:
        return None
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, a, re.S) is not None


def ev(node, f):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return f.get(node[1])
    if kind == "or":
        return truth(ev(node[1], f)) or truth(ev(node[2], f))
    if kind == "and":
        return truth(ev(node[1], f)) and truth(ev(node[2], f))
    if kind == "not":
        return not truth(ev(node[1], f))
    if kind == "cmp":
        return compare(node[1], ev(node[2], f), ev(node[3], f))
    if kind == "neg":
        n = as_num(ev(node[1], f))
        return None if n is None else -n
    if kind == "arith":
        a, b = ev(node[2], f), ev(node[3], f)
        if a is None or b is None:
            return None
        if node[1] == ".":
            return as_str(a) + as_str(b)
        x, y = as_num(a), as_num(b)
        if x is None or y is None:
            if node[1] == "+":
                return as_str(a) + as_str(b)
            return None
        if node[1] in "/%" and y == 0:
            return None
        return {"+": x + y, "-": x - y, "*": x * y, "/": x / y, "%": x % y}[node[1]]
    if kind == "call":
        return call(node[1], node[2], f)
    raise EvalError("node %r" % (node,))


def call(name, args, f):
    def arg(i):
        return ev(args[i], f)

    def need(n):
        if len(args) != n:
            raise EvalError("%s() takes %d arguments, got %d" % (name, n, len(args)))
    if name == "if":
        need(3)
        return arg(1) if truth(arg(0)) else arg(2)
    if name == "case":
        if len(args) % 2:
            raise EvalError("case() needs condition/value pairs")
        for i in range(0, len(args), 2):
            if truth(arg(i)):
                return arg(i + 1)
        return None
    if name == "coalesce":
        for i in range(len(args)):
            v = arg(i)
            if v is not None and v != []:
                return v
        return None
    if name == "null":
        need(0)
        return None
    if name == "true":
        need(0)
        return True
    if name == "false":
        need(0)
        return False
    if name in ("isnull", "isnotnull"):
        need(1)
        v = arg(0)
        absent = v is None or v == []
        return absent if name == "isnull" else not absent
    if name == "isnum":
        need(1)
        v = arg(0)
        return v is not None and not isinstance(v, bool) and as_num(v) is not None
    if name == "isstr":
        need(1)
        v = arg(0)
        return isinstance(first(v), str) and as_num(v) is None
    if name == "isint":
        need(1)
        n = as_num(arg(0))
        return isinstance(n, int)
    if name == "len":
        need(1)
        s = as_str(arg(0))
        return None if s is None else len(s)
    if name in ("lower", "upper"):
        need(1)
        s = as_str(arg(0))
        return None if s is None else (s.lower() if name == "lower" else s.upper())
    if name == "match":
        need(2)
        s, rx = as_str(arg(0)), as_str(arg(1))
        if s is None or rx is None:
            return None
        return regex(rx).search(s) is not None
    if name == "like":
        need(2)
        return like(arg(0), arg(1))
    if name == "replace":
        need(3)
        s, rx, rep = as_str(arg(0)), as_str(arg(1)), as_str(arg(2))
        if s is None or rx is None or rep is None:
            return None
        return regex(rx).sub(lambda m: re.sub(r"\\(\d)", lambda g: m.group(int(g.group(1))) or "", rep), s)
    if name == "mvcount":
        need(1)
        v = arg(0)
        if v is None or v == []:
            return None
        return len(v) if isinstance(v, list) else 1
    if name == "tonumber":
        need(1)
        return as_num(arg(0))
    if name == "tostring":
        need(1)
        return as_str(arg(0))
    if name == "in":
        v = as_str(arg(0))
        if v is None:
            return None
        return any(v == as_str(arg(i)) for i in range(1, len(args)))
    raise EvalError("eval function %s() is not implemented" % name)


_eval_cache = {}


def evaluate(text, fields):
    if text not in _eval_cache:
        _eval_cache[text] = Eval(text)
    return _eval_cache[text](fields)


# ------------------------------------------------------------------ search
def search_terms(text):
    """Search-language tokens: (, ), AND, OR, NOT, or (field, op, value)."""
    out = []
    rx = re.compile(r'\s*(?:(\()|(\))|([A-Za-z_][\w.{}:]*)\s*(!=|=)\s*("(?:[^"\\]|\\.)*"|[^\s()]+)|(\S+))')
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = rx.match(text, pos)
        if not m:
            raise EvalError("cannot read search %r" % text)
        pos = m.end()
        if m.group(1):
            out.append("(")
        elif m.group(2):
            out.append(")")
        elif m.group(3):
            val = m.group(5)
            if val.startswith('"'):
                val = re.sub(r'\\(["\\])', r"\1", val[1:-1])
            out.append((m.group(3), m.group(4), val))
        elif m.group(6).upper() in ("AND", "OR", "NOT"):
            out.append(m.group(6).upper())
        else:
            raise EvalError("search term %r (free text) is not implemented" % m.group(6))
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return out


def search_match(text, fields):
    """SPL search semantics: implicit AND, values case-insensitive with *
    wildcards, a multivalue field matches if any value does; field!=v needs
    the field. "| where <eval>" evaluates an eval expression."""
    text = text.strip()
    if text.startswith("|"):
        m = re.match(r"\|\s*where\s+(.*)$", text, re.S)
        if not m:
            raise EvalError("search command in %r is not implemented" % text)
        return truth(evaluate(m.group(1), fields))
    toks = search_terms(text)
    pos = [0]

    def term_ok(t):
        name, op, val = t
        v = fields.get(name)
        vals = [] if v is None else (v if isinstance(v, list) else [v])
        vals = [as_str(x) for x in vals if as_str(x) != ""]
        hit = any(wildcard(x.lower(), val.lower()) for x in vals)
        return hit if op == "=" else (bool(vals) and not hit)

    def p_or():
        r = p_and()
        while pos[0] < len(toks) and toks[pos[0]] == "OR":
            pos[0] += 1
            r = p_and() or r
        return r

    def p_and():
        r = p_not()
        while pos[0] < len(toks) and toks[pos[0]] not in ("OR", ")"):
            if toks[pos[0]] == "AND":
                pos[0] += 1
            r = p_not() and r
        return r

    def p_not():
        if pos[0] < len(toks) and toks[pos[0]] == "NOT":
            pos[0] += 1
            return not p_not()
        t = toks[pos[0]]
        pos[0] += 1
        if t == "(":
            r = p_or()
            if pos[0] >= len(toks) or toks[pos[0]] != ")":
                raise EvalError("unbalanced parentheses in %r" % text)
            pos[0] += 1
            return r
        if isinstance(t, tuple):
            return term_ok(t)
        raise EvalError("unexpected %r in search %r" % (t, text))
    if not toks:
        return True
    r = p_or()
    if pos[0] != len(toks):
        raise EvalError("trailing terms in search %r" % text)
    return r


# ------------------------------------------------------------------ pipeline
PROPS = test_props.PROPS
TRANSFORMS = test_props.TRANSFORMS


def load_conf(name):
    with open(os.path.join(ROOT, "default", name), encoding="utf-8") as f:
        return check_app.conf_dict(f.read())


EVENTTYPES = load_conf("eventtypes.conf")
TAGS = load_conf("tags.conf")


def flatten_json(obj, prefix, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            flatten_json(v, prefix + "." + k if prefix else k, out)
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)):
                flatten_json(v, prefix + "{}", out)
            elif v is not None:
                out.setdefault(prefix + "{}", []).append(as_str(v))
    elif obj is not None:
        out[prefix] = as_str(obj)


def lookup(fields, spec):
    """LOOKUP-x = <lookup> <in> [AS <ev>] ... OUTPUT|OUTPUTNEW <out> [AS <ev>] ..."""
    words = spec.split()
    name, rest = words[0], words[1:]
    kw = [i for i, w in enumerate(rest) if w.upper() in ("OUTPUT", "OUTPUTNEW")]
    if not kw:
        raise EvalError("LOOKUP without OUTPUT: %r" % spec)
    ins, outs, mode = rest[:kw[0]], rest[kw[0] + 1:], rest[kw[0]].upper()

    def pairs(ws):
        res, i = [], 0
        while i < len(ws):
            if i + 2 < len(ws) and ws[i + 1].upper() == "AS":
                res.append((ws[i], ws[i + 2]))
                i += 3
            else:
                res.append((ws[i], ws[i]))
                i += 1
        return res
    tr = TRANSFORMS[name]
    ins, outs = pairs(ins), pairs(outs)
    # An event without the input field gets nothing from the lookup.
    if any(fields.get(ev_name) is None for _, ev_name in ins):
        return
    wild = set()
    m = re.match(r"WILDCARD\((.*)\)", tr.get("match_type", ""))
    if m:
        wild = {x.strip() for x in m.group(1).split(",")}
    cs = not check_app.is_false(tr.get("case_sensitive_match", "true"))
    with open(os.path.join(ROOT, "lookups", tr["filename"]), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    hits = []
    for row in rows:
        ok = True
        for col, ev_name in ins:
            a, b = as_str(fields[ev_name]), row[col]
            if not cs:
                a, b = a.lower(), b.lower()
            ok = ok and (wildcard(a, b) if col in wild else a == b)
        if ok:
            hits.append(row)
    hits = hits[:int(tr.get("max_matches", "1000"))]
    for col, ev_name in outs:
        if mode == "OUTPUTNEW" and fields.get(ev_name) is not None:
            continue
        vals = [r[col] for r in hits if r.get(col)]
        if not vals and len(hits) < int(tr.get("min_matches", "0")) and "default_match" in tr:
            vals = [tr["default_match"]]
        if vals:
            fields[ev_name] = vals[0] if len(vals) == 1 else vals
        else:
            fields.pop(ev_name, None)


def pipeline(sourcetype, raw, host="testhost", source="test"):
    st = PROPS[sourcetype]
    f = {"_raw": raw, "sourcetype": sourcetype, "host": host, "source": source}
    for k, v in test_props.extract(sourcetype, raw).items():
        if v != "":
            f.setdefault(k, v)
    mode = st.get("KV_MODE", "auto").lower()
    if mode == "json":
        flatten_json(json.loads(raw), "", f)
    elif mode != "none":
        raise EvalError("KV_MODE=%s is not emulated" % mode)
    for key in sorted(k for k in st if k.startswith("FIELDALIAS-")):
        w = st[key].split()
        for i in range(0, len(w), 3):
            if w[i + 1].upper() != "AS":
                raise EvalError("FIELDALIAS %r" % st[key])
            if f.get(w[i]) is not None:
                f[w[i + 2]] = f[w[i]]
    before = dict(f)
    results = {}
    for key in sorted(k for k in st if k.startswith("EVAL-")):
        results[key[5:]] = evaluate(st[key], before)
    for name, v in results.items():
        if v is None or v == []:
            f.pop(name, None)
        else:
            f[name] = [as_str(x) for x in v] if isinstance(v, list) else as_str(v)
    for key in sorted(k for k in st if k.startswith("LOOKUP-")):
        lookup(f, st[key])
    if any(k.startswith("EXTRACT-") for k in st):
        raise EvalError("EXTRACT- is not emulated")
    types = [name for name, et in EVENTTYPES.items() if "search" in et and search_match(et["search"], f)]
    tags = set()
    for stanza, kv in TAGS.items():
        fld, eq, val = stanza.partition("=")
        if not eq or not kv:
            continue
        if (fld == "eventtype" and val in types) or (fld != "eventtype" and search_match(stanza, f)):
            tags.update(t for t, on in kv.items() if on.strip() == "enabled")
    f["eventtype"] = types
    f["tag"] = sorted(tags)
    return f


# ------------------------------------------------------------------ models
def load_models():
    models = []
    for name in sorted(os.listdir(CIM_DIR)):
        if name.endswith(".json"):
            with open(os.path.join(CIM_DIR, name), encoding="utf-8") as fh:
                models.append(json.load(fh))
    return models


def datasets(model):
    """(root dataset name, chain of datasets from the root) for every dataset."""
    out = []

    def walk(ds, chain):
        chain = chain + [ds]
        out.append(chain)
        for c in ds.get("child_dataset", []):
            walk(c, chain)
    for ds in model["objects"]:
        walk(ds, [])
    return out


def in_dataset(chain, f):
    for ds in chain:
        if not any(all(t in f["tag"] for t in group) for group in ds["tags"]):
            return False
        if ds.get("search_constraints") and not search_match(ds["search_constraints"], f):
            return False
    return True


def present(f, name):
    v = f.get(name)
    if isinstance(v, list):
        return any(x != "" for x in v)
    return v is not None and v != ""


# ------------------------------------------------------------------ exceptions
def load_exceptions():
    """Rows of the table under "## Exceptions" in docs/CIM.md:
    | sourcetype | dataset | field | allows | where | reason |
    allows: absent, invalid, or value <pattern>; where: a search or empty."""
    path = os.path.join(ROOT, "docs", "CIM.md")
    rows, on = [], False
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("## "):
                on = line.strip().lower() == "## exceptions"
                continue
            if not on or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0].lower() == "sourcetype" or set(cells[0]) <= set("-: "):
                continue
            if len(cells) != 6:
                raise EvalError("exception row needs 6 cells: %r" % line)
            st, ds, field, allows, where, reason = [c.replace("`", "") for c in cells]
            if not (allows in ("absent", "invalid") or allows.startswith("value ")):
                raise EvalError("exception kind %r in %r" % (allows, line))
            if not reason:
                raise EvalError("exception without a reason: %r" % line)
            rows.append({"sourcetype": st, "dataset": ds, "field": field, "allows": allows,
                         "where": where.replace("\\|", "|"), "reason": reason, "used": 0})
    return rows


def excepted(exc, f, dataset, field, kind, value=None):
    for e in exc:
        if e["sourcetype"] != f["sourcetype"] or e["dataset"] != dataset or e["field"] != field:
            continue
        if kind == "value":
            if not e["allows"].startswith("value ") or not wildcard(value, e["allows"][6:].strip()):
                continue
        elif e["allows"] != kind:
            continue
        if e["where"] and not search_match(e["where"], f):
            continue
        e["used"] += 1
        return True
    return False


# ------------------------------------------------------------------ check
class Result:
    def __init__(self):
        self.events = {}          # (group, sourcetype) -> events checked
        self.tagged = {}          # sourcetype -> events in a dataset
        self.fields = set()       # (model, dataset, field) checked
        self.checks = 0
        self.failures = {}        # message -> [count, example]
        self.failed = 0

    def fail(self, msg, example):
        self.failed += 1
        if msg not in self.failures:
            self.failures[msg] = [0, example]
        self.failures[msg][0] += 1


def check_event(res, models, exc, group, f):
    st = f["sourcetype"]
    res.events[(group, st)] = res.events.get((group, st), 0) + 1
    short = f["_raw"][:160]
    for model in models:
        chains = [c for c in datasets(model) if in_dataset(c, f)]
        if not chains:
            continue
        res.tagged[st] = res.tagged.get(st, 0) + 1
        seen = set()
        for chain in chains:
            dname = chain[0]["name"]
            for ds in chain:
                for fd in ds.get("fields", []):
                    name = fd["name"]
                    if (dname, name) in seen:
                        continue
                    seen.add((dname, name))
                    res.fields.add((model["model_name"], dname, name))
                    check_field(res, exc, f, dname, fd, short)
                for cluster in ds.get("fields_cluster", []):
                    have = [c for c in cluster if present(f, c)]
                    res.checks += 1
                    if have and len(have) != len(cluster):
                        if not all(excepted(exc, f, dname, c, "absent") for c in cluster if c not in have):
                            res.fail("%s %s: fields_cluster %s incomplete (has %s)" % (st, dname, cluster, have), short)


def check_field(res, exc, f, dname, fd, short):
    st, name, kind = f["sourcetype"], fd["name"], fd["type"]
    here = present(f, name)
    res.checks += 1
    if kind == "not_allowed_in_search":
        if here:
            res.fail("%s %s.%s: not allowed in search, but present" % (st, dname, name), short)
        return
    if kind not in ("required", "conditional", "optional"):
        raise EvalError("field type %r of %s" % (kind, name))
    needed = kind == "required" or (kind == "conditional" and search_match(fd["condition"], f))
    if not here:
        if needed and not excepted(exc, f, dname, name, "absent"):
            why = "required" if kind == "required" else "condition %s holds" % fd["condition"][:60]
            res.fail("%s %s.%s: absent (%s)" % (st, dname, name, why), short)
        return
    vals = f[name] if isinstance(f[name], list) else [f[name]]
    if "expected_values" in fd:
        res.checks += 1
        for v in vals:
            if v not in fd["expected_values"] and not excepted(exc, f, dname, name, "value", v):
                res.fail("%s %s.%s: value %r not in expected_values" % (st, dname, name, v), short)
    if fd.get("validity"):
        res.checks += 1
        if evaluate(fd["validity"], f) is None and not excepted(exc, f, dname, name, "invalid"):
            res.fail("%s %s.%s=%r fails validity %s" % (st, dname, name, f[name], fd["validity"]), short)


# ------------------------------------------------------------------ timestamps
SPLUNK_TIME = {"%b": "%b", "%d": "%d", "%H": "%H", "%M": "%M", "%S": "%S", "%Y": "%Y", "%a": "%a"}


def timestamp_ok(sourcetype, raw):
    """TIME_PREFIX/TIME_FORMAT/MAX_TIMESTAMP_LOOKAHEAD read a time from raw."""
    st = PROPS[sourcetype]
    m = re.search(st["TIME_PREFIX"], raw)
    if not m:
        return False
    text = raw[m.end():m.end() + int(st["MAX_TIMESTAMP_LOOKAHEAD"])]
    fmt = st["TIME_FORMAT"]
    if fmt == "%s":
        return re.match(r"\d{9,10}(?!\d)", text) is not None
    for tok in re.findall(r"%.", fmt):
        if tok not in SPLUNK_TIME:
            raise EvalError("TIME_FORMAT token %s is not emulated" % tok)
    try:
        datetime.datetime.strptime(text.strip() if "%Y" in fmt else "2000 " + text, fmt if "%Y" in fmt else "%Y " + fmt)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------ events
def raw_lines(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                yield line


def transactions(path):
    exe = os.path.join(BIN, "dnsmasq_log")
    p = subprocess.run([exe, "--file", path, "--timezone", "UTC"], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("dnsmasq_log --file %s: exit %d: %s" % (path, p.returncode, p.stderr.strip()[-300:]))
    return [line for line in p.stdout.splitlines() if line.strip()]


def main():
    if not os.path.isdir(CIM_DIR) or not any(n.endswith(".json") for n in os.listdir(CIM_DIR)):
        print("SKIP: %s not found; CIM compliance not checked" % os.path.normpath(CIM_DIR))
        return 0
    models = load_models()
    exc = load_exceptions()
    res = Result()
    notes = []
    groups = []            # (group, sourcetype, [raw])
    cim = os.path.join(ROOT, "tests", "data", "cim")
    groups.append(("tests/data/cim/netfilter.log", "linux:netfilter", list(raw_lines(os.path.join(cim, "netfilter.log")))))
    dm_files = [os.path.join(cim, "dnsmasq-proto.log")]
    cap = os.path.join(ROOT, "tests", "data", "dnsmasq", "capture")
    if os.path.isdir(cap):
        dm_files += [os.path.join(cap, n) for n in sorted(os.listdir(cap)) if n.endswith(".log")]
    have_bin = os.access(os.path.join(BIN, "dnsmasq_log"), os.X_OK)
    if not have_bin:
        notes.append("SKIP: %s/dnsmasq_log not built; dnsmasq:transaction events not checked" % BIN)
    for path in dm_files:
        rel = os.path.relpath(path, ROOT)
        groups.append((rel, "dnsmasq", list(raw_lines(path))))
        if have_bin:
            groups.append((rel + " (dnsmasq_log)", "dnsmasq:transaction", transactions(path)))
    nf_samples = ["crowdsec-hub/iptables-logs.log", "crowdsec-hub/proxmox-iptables.log",
                  "crowdsec-hub/unifi-logs.log", "logstash-patterns-core/netfilter_lines.txt"]
    sample_lines = []
    if os.path.isdir(SAMPLES):
        for name in nf_samples:
            path = os.path.join(SAMPLES, name)
            if not os.path.exists(path):
                notes.append("SKIP: sample %s not found" % name)
                continue
            # crowdsec's iptables file holds deliberately broken lines: only
            # lines with addresses are netfilter packets.
            lines = [ln for ln in raw_lines(path) if " SRC=" in ln and " DST=" in ln]
            sample_lines += lines
            groups.append(("samples/" + name, "linux:netfilter", lines))
    else:
        notes.append("SKIP: %s not found; shared netfilter samples not checked" % os.path.normpath(SAMPLES))

    stamp_bad = []
    for group, st, lines in groups:
        own = not group.startswith("samples/")
        for raw in lines:
            f = pipeline(st, raw, source=group)
            check_event(res, models, exc, group, f)
            if own and not timestamp_ok(st, raw):
                stamp_bad.append((group, raw))
    # Every shipped sourcetype has events in a CIM dataset.
    for st in PROPS:
        if not st.startswith(("source::", "host::")) and st not in ("default",) and not st.startswith("#"):
            if st in ("dnsmasq:transaction",) and not have_bin:
                continue
            if res.tagged.get(st, 0) == 0:
                res.fail("sourcetype %s: no event falls into any CIM dataset" % st, "")
    if stamp_bad:
        for group, raw in stamp_bad[:3]:
            res.fail("timestamp not read by TIME_PREFIX/TIME_FORMAT/MAX_TIMESTAMP_LOOKAHEAD (%s)" % group, raw[:120])
        res.failed += len(stamp_bad) - min(3, len(stamp_bad))
    # The opt-in syslog rename: every netfilter line, and no dnsmasq line.
    tr = TRANSFORMS.get("dnsjoin_syslog_to_netfilter")
    with open(os.path.join(ROOT, "default", "props.conf"), encoding="utf-8") as fh:
        props_text = fh.read()
    if not tr or not re.search(r"(?m)^#\s*TRANSFORMS-\S+\s*=\s*dnsjoin_syslog_to_netfilter\s*$", props_text):
        res.fail("syslog rename: transform dnsjoin_syslog_to_netfilter or its commented opt-in in props.conf missing", "")
    else:
        nf = [raw for g, st, lines in groups if st == "linux:netfilter" for raw in lines
              if re.search(r"(?:^|\s)IN=", raw)]
        dm = [raw for g, st, lines in groups if st == "dnsmasq" for raw in lines]
        miss = [r for r in nf if not re.search(tr["REGEX"], r)]
        wrong = [r for r in dm if re.search(tr["REGEX"], r)]
        res.checks += len(nf) + len(dm)
        if miss or wrong or tr.get("DEST_KEY") != "MetaData:Sourcetype" or tr.get("FORMAT") != "sourcetype::linux:netfilter":
            res.fail("syslog rename: %d netfilter lines missed, %d dnsmasq lines taken" % (len(miss), len(wrong)),
                     (miss or wrong or [""])[0][:120])
        else:
            print("PASS syslog rename (opt-in): all %d netfilter lines renamed, none of %d dnsmasq lines" % (len(nf), len(dm)))
    if sample_lines:
        ok = sum(1 for r in sample_lines if timestamp_ok("linux:netfilter", r))
        print("INFO netfilter samples: %d of %d lines have the default timestamp form (the rest: Proxmox's own log, docs/CIM.md)"
              % (ok, len(sample_lines)))

    for n in notes:
        print(n)
    for (group, st), n in sorted(res.events.items()):
        print("events  %-62s %-20s %5d" % (group, st, n))
    for msg, (count, example) in sorted(res.failures.items()):
        print("FAIL %s  [%d event(s)]" % (msg, count))
        if example:
            print("     e.g. %s" % example)
    print("exceptions (docs/CIM.md):")
    for e in exc:
        print("  %-20s %-12s %-16s %-22s %5d event(s)%s" % (
            e["sourcetype"], e["dataset"], e["field"], e["allows"], e["used"],
            "" if e["used"] else "  (not needed by this data)"))
    total = sum(res.events.values())
    print("cim: %d events (%s), %d dataset fields, %d checks, %d exceptions listed (%d used), %d failures"
          % (total, ", ".join("%s %d" % (st, n) for st, n in sorted(res.tagged.items())),
             len(res.fields), res.checks, len(exc), sum(1 for e in exc if e["used"]), res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EvalError as e:
        print("FAIL: cannot evaluate: %s" % e)
        sys.exit(1)
