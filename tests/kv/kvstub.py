#!/usr/bin/env python3
"""A stand-in for splunkd's KV store data endpoints, for tests (standard
library only).

What it imitates, and where that comes from (the project's summary of
Splunk's REST API reference, SPLUNK_APP.md section 13, which cites the
"KV store endpoints" reference, the Python SDK's client and integration
tests, and solnlib):

  base   /servicesNS/<owner>/<app>/storage/collections/data/<collection>
  GET    <base>?query=<json>&fields=..&sort=..&limit=N&skip=N   -> JSON array
  GET    <base>/<_key>                  -> the document, 404 when absent
  POST   <base>            (one object) -> {"_key": ...}; generated if absent;
                                           409 if the _key exists [U in 13.1]
  POST   <base>/<_key>     (one object) -> replaces the document
  DELETE <base>/<_key>                  -> deletes one
  DELETE <base>?query=<json>            -> deletes the matches (all without query)
  POST   <base>/batch_save (JSON array) -> inserts or replaces by _key; the
                                           saved keys (response shape is [U])
  POST   <base>/batch_find (array of {"query":..}) -> array of result arrays
  Query operators: equality, $gt $gte $lt $lte $ne, $and $or $not, and $in
  (which splunkd's reference does not list: --no-in makes it a 400, the
  answer a splunkd without $in support is expected to give).
  fields=a,b (include) or a:0 (exclude), _key:0 allowed with includes.
  sort=f or f:1 / f:-1, comma separated.
  limits.conf [kvstore]: max_documents_per_batch_save (--max-batch, default
  50000: a larger batch is rejected with 400), max_rows_per_query
  (--max-rows, default 50000: a larger result is silently cut, as 13.3 says).
  Authentication: "Authorization: Splunk <session key>" (13.2); a wrong or
  missing key gets 401, a collection not in --collections gets 404, and
  errors carry splunkd's {"messages":[{"type":"ERROR","text":..}]} body.
  Types: collections.conf declares time_first, time_last and count as
  number; with enforceTypes = false a string that is a number is stored as
  a number (SDK test: "39" reads back 39), other values are kept.

Faults (test switches), read from the file given with --fault-file before
every request: one line "<mode> [count] [arg]"; count (default 1, 0 = for
ever) requests get the fault, then the line is emptied.
  503 | 429 | 500 | 401 | 403 | 404    answer with that status
  slow <seconds>                       wait before answering
  reset                                close the connection with a TCP RST
  badjson                              200 with a body that is not JSON
  notarray                             200 with a JSON object instead of a list
  big <bytes>                          200 with a JSON array of that size

Every request is logged as one JSON line to --log (method, path, query
parameters, documents in a batch_save, whether the key was right, status).
The log never contains the key itself.
"""
import argparse
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NUMBER_FIELDS = ("time_first", "time_last", "count")


class Store:
    def __init__(self, path, collections):
        self.path = path
        self.lock = threading.Lock()
        self.collections = collections
        self.data = {c: {} for c in collections}
        if path and os.path.exists(path):
            with open(path) as f:
                saved = json.load(f)
            for c, docs in saved.items():
                if c in self.data:
                    self.data[c] = docs

    def persist(self):
        if self.path:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.data, f)
            os.replace(tmp, self.path)


def convert(doc):
    out = dict(doc)
    for k in NUMBER_FIELDS:
        v = out.get(k)
        if isinstance(v, str):
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                pass
    return out


_IN_SETS = {}


def in_list(value, arr):
    """value in arr (a query's $in array), through a set made once per
    array: the same answer as a list scan, which stays for what a set cannot
    hold (arrays with objects or arrays in them, such values)."""
    s = _IN_SETS.get(id(arr))
    if s is None or s[0] is not arr:
        try:
            s = (arr, frozenset(arr))
        except TypeError:
            s = (arr, None)
        if len(_IN_SETS) > 64:
            _IN_SETS.clear()
        _IN_SETS[id(arr)] = s
    if s[1] is not None:
        try:
            return value in s[1]
        except TypeError:
            pass
    return value in arr


def match(doc, q):
    if not isinstance(q, dict):
        raise ValueError("query must be an object")
    for k, v in q.items():
        if k == "$and":
            if not all(match(doc, x) for x in v):
                return False
        elif k == "$or":
            if not any(match(doc, x) for x in v):
                return False
        elif k == "$not":
            if match(doc, v):
                return False
        elif isinstance(v, dict):
            dv = doc.get(k)
            for op, arg in v.items():
                if op == "$in":
                    if not isinstance(arg, list):
                        raise ValueError("$in needs an array")
                    ok = in_list(dv, arg)
                elif op == "$ne":
                    ok = dv != arg
                elif op in ("$gt", "$gte", "$lt", "$lte"):
                    try:
                        ok = {"$gt": dv > arg, "$gte": dv >= arg, "$lt": dv < arg,
                              "$lte": dv <= arg}[op] if dv is not None else False
                    except TypeError:
                        ok = False
                else:
                    raise ValueError("unknown operator " + op)
                if not ok:
                    return False
        elif doc.get(k) != v:
            return False
    return True


def uses_in(q):
    if isinstance(q, dict):
        return any(k == "$in" or uses_in(v) for k, v in q.items())
    if isinstance(q, list):
        return any(uses_in(x) for x in q)
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kvstub"
    # Headers and body leave in one write, without Nagle's algorithm: two
    # small writes per answer would wait for the client's delayed ACK
    # (tens of milliseconds a request, minutes for thousands of requests).
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    def log_json(self, **kw):
        kw["t"] = round(time.time(), 3)
        with self.server.log_lock:
            with open(self.server.opts.log, "a") as f:
                f.write(json.dumps(kw) + "\n")

    def take_fault(self):
        path = self.server.opts.fault_file
        if not path:
            return None
        with self.server.fault_lock:
            try:
                with open(path) as f:
                    line = f.read().split()
            except FileNotFoundError:
                return None
            if not line:
                return None
            mode = line[0]
            count = int(line[1]) if len(line) > 1 else 1
            arg = line[2] if len(line) > 2 else None
            if count == 1:
                rest = ""
            elif count == 0:
                rest = " ".join(line)
            else:
                rest = " ".join([mode, str(count - 1)] + ([arg] if arg else []))
            with open(path, "w") as f:
                f.write(rest)
            return mode, arg

    def send(self, status, obj=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        return status

    def error(self, status, text):
        return self.send(status, {"messages": [{"type": "ERROR", "text": text}]})

    def reset(self):
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            sock.close()
        except OSError:
            pass
        self.close_connection = True
        self.wfile = open(os.devnull, "wb")  # finish() must not write to the closed socket
        return 0

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        u = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        auth = self.headers.get("Authorization", "")
        key_ok = auth == "Splunk " + self.server.key
        entry = {"method": method, "path": u.path, "params": params, "key_ok": key_ok,
                 "body_bytes": len(body)}
        status = 0
        try:
            status = self.handle_request(method, u.path, params, body, key_ok, entry)
        finally:
            entry["status"] = status
            self.log_json(**entry)

    def handle_request(self, method, path, params, body, key_ok, entry):
        fault = self.take_fault()
        if fault:
            mode, arg = fault
            entry["fault"] = mode
            if mode in ("503", "429", "500", "401", "403", "404"):
                return self.error(int(mode), "injected fault " + mode)
            if mode == "slow":
                time.sleep(float(arg or 10))
            elif mode == "reset":
                return self.reset()
            elif mode == "badjson":
                return self.send(200, raw=b"[{\"_key\": oops")
            elif mode == "notarray":
                return self.send(200, {"unexpected": True})
            elif mode == "big":
                # a valid JSON array of about arg bytes (one padded document)
                pad = max(int(arg or 2000000) - 20, 0)
                return self.send(200, raw=b'[{"_key":"' + b"x" * pad + b'"}]')
        if not key_ok:
            return self.error(401, "call not properly authenticated")
        parts = path.split("/")
        # ['', 'servicesNS', owner, app, 'storage', 'collections', 'data', coll, ...]
        if len(parts) < 8 or parts[1] != "servicesNS" or parts[4:7] != ["storage", "collections",
                                                                         "data"]:
            return self.error(404, "unknown endpoint")
        coll = urllib.parse.unquote(parts[7])
        rest = [urllib.parse.unquote(p) for p in parts[8:]]
        entry["collection"] = coll
        store = self.server.store
        if coll not in store.data:
            return self.error(404, "Collection: %s does not exist" % coll)
        with store.lock:
            docs = store.data[coll]
            if method == "GET" and not rest:
                return self.query(docs, params, entry)
            if method == "GET" and len(rest) == 1:
                d = docs.get(rest[0])
                return self.send(200, d) if d else self.error(404, "Could not find object.")
            if method == "POST" and rest == ["batch_save"]:
                try:
                    arr = json.loads(body)
                    assert isinstance(arr, list) and all(isinstance(x, dict) for x in arr)
                except Exception:
                    return self.error(400, "Request body is not a JSON array of objects")
                entry["docs"] = len(arr)
                if len(arr) > self.server.opts.max_batch:
                    return self.error(400, "Request exceeds max_documents_per_batch_save")
                keys = []
                for d in arr:
                    d = convert(d)
                    k = d.get("_key") or uuid.uuid4().hex
                    d["_key"] = k
                    docs[k] = d
                    keys.append(k)
                store.persist()
                return self.send(200, keys)
            if method == "POST" and rest == ["batch_find"]:
                try:
                    qs = json.loads(body)
                    out = [[d for d in docs.values() if match(d, q.get("query", {}))] for q in qs]
                except Exception:
                    return self.error(400, "bad batch_find")
                return self.send(200, out)
            if method == "POST" and not rest:
                try:
                    d = convert(json.loads(body))
                    assert isinstance(d, dict)
                except Exception:
                    return self.error(400, "Request body is not a JSON object")
                k = d.get("_key") or uuid.uuid4().hex
                if k in docs:
                    return self.error(409, "A document with the same key already exists")
                d["_key"] = k
                docs[k] = d
                store.persist()
                return self.send(201, {"_key": k})
            if method == "POST" and len(rest) == 1:
                try:
                    d = convert(json.loads(body))
                    assert isinstance(d, dict)
                except Exception:
                    return self.error(400, "Request body is not a JSON object")
                d["_key"] = rest[0]
                docs[rest[0]] = d
                store.persist()
                return self.send(200, {"_key": rest[0]})
            if method == "DELETE" and len(rest) == 1:
                if rest[0] not in docs:
                    return self.error(404, "Could not find object.")
                del docs[rest[0]]
                store.persist()
                return self.send(200, raw=b"")
            if method == "DELETE" and not rest:
                try:
                    q = json.loads(params["query"]) if params.get("query") else {}
                    gone = [k for k, d in docs.items() if match(d, q)]
                except Exception:
                    return self.error(400, "bad query")
                for k in gone:
                    del docs[k]
                store.persist()
                return self.send(200, raw=b"")
        return self.error(404, "unknown endpoint")

    def query(self, docs, params, entry):
        try:
            q = json.loads(params["query"]) if params.get("query") else {}
            if self.server.opts.no_in and uses_in(q):
                return self.error(400, "unknown operator $in")
            res = [d for d in docs.values() if match(d, q)]
        except Exception as ex:  # noqa: BLE001
            return self.error(400, "bad query: %s" % ex)
        entry["query_terms"] = len(json.dumps(q))
        for spec in reversed([s for s in params.get("sort", "").split(",") if s]):
            name, _, direction = spec.partition(":")
            res.sort(key=lambda d: (d.get(name) is None, str(d.get(name))),
                     reverse=direction == "-1")
        skip = int(params.get("skip") or 0)
        limit = int(params.get("limit") or 0)
        res = res[skip:]
        if limit:
            res = res[:limit]
        res = res[: self.server.opts.max_rows]  # silently cut, like max_rows_per_query
        if params.get("fields"):
            inc, exc = [], []
            for f in params["fields"].split(","):
                name, _, flag = f.partition(":")
                (exc if flag == "0" else inc).append(name)
            if inc:
                res = [{k: v for k, v in d.items() if k in inc and k not in exc} for d in res]
            else:
                res = [{k: v for k, v in d.items() if k not in exc} for d in res]
        entry["rows"] = len(res)
        return self.send(200, res)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--keyfile", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--session-key-file", required=True)
    ap.add_argument("--db", default="")
    ap.add_argument("--log", required=True)
    ap.add_argument("--fault-file", default="")
    ap.add_argument("--collections", default="dnsjoin_pdns")
    ap.add_argument("--max-batch", type=int, default=50000)
    ap.add_argument("--max-rows", type=int, default=50000)
    ap.add_argument("--no-in", action="store_true")
    ap.add_argument("--bind", default="127.0.0.1")
    opts = ap.parse_args()

    with open(opts.session_key_file) as f:
        key = f.read().strip()
    srv = ThreadingHTTPServer((opts.bind, 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts.cert, opts.keyfile)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.opts = opts
    srv.key = key
    srv.store = Store(opts.db, opts.collections.split(","))
    srv.log_lock = threading.Lock()
    srv.fault_lock = threading.Lock()
    with open(opts.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(opts.port_file + ".tmp", opts.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
