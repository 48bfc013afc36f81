// A small translation of the SPL the dashboards use around the add-on's own
// commands, so their data sources can be answered without Splunk:
//   - .conf reading (macros, eventtypes, tags, props FIELDALIAS) and macro
//     expansion as Splunk does it (`name`, `name(a,b)` with $arg$ in the body);
//   - the search language of a base search and of `search` (field=value with
//     * globs, !=, field=*, AND/OR/NOT, parentheses, tag=, eventtype=);
//   - the result commands search, where, eval, table, sort, head, stats and
//     timechart, limited to what the views use (anything else throws, so a new
//     query the translation cannot answer fails the suite instead of passing
//     with invented data);
//   - CSV with quoted cells holding newlines, and Splunk's __mv_ encoding.
// Rows are plain objects: field -> string, or an array of strings for a
// multivalue field; a missing field is null.

// ---------------------------------------------------------------- CSV
export function parseCsv(text) {
    const rows = [];
    let row = [], cell = '', i = 0, quoted = false, any = false;
    const n = text.length;
    while (i < n) {
        const c = text[i];
        if (quoted) {
            if (c === '"') {
                if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
                quoted = false; i++; continue;
            }
            cell += c; i++; continue;
        }
        if (c === '"') { quoted = true; any = true; i++; continue; }
        if (c === ',') { row.push(cell); cell = ''; any = true; i++; continue; }
        if (c === '\r' && text[i + 1] === '\n') i++;
        if (c === '\n' || c === '\r') {
            row.push(cell); rows.push(row); row = []; cell = ''; any = false; i++; continue;
        }
        cell += c; any = true; i++;
    }
    if (quoted) throw new Error('CSV: unterminated quoted cell');
    if (any || cell !== '' || row.length) { row.push(cell); rows.push(row); }
    return rows;
}

// $a$;$b$ -> ['a', 'b'] ($$ is a literal $)
export function decodeMv(s) {
    const out = [];
    let i = 0;
    while (i < s.length) {
        if (s[i] !== '$') throw new Error(`__mv_ value not in $..$ form: ${s}`);
        let v = '';
        i++;
        for (;;) {
            if (i >= s.length) throw new Error(`__mv_ value unterminated: ${s}`);
            if (s[i] === '$') {
                if (s[i + 1] === '$') { v += '$'; i += 2; continue; }
                i++; break;
            }
            v += s[i++];
        }
        out.push(v);
        if (i < s.length) {
            if (s[i] !== ';') throw new Error(`__mv_ value: expected ; in ${s}`);
            i++;
        }
    }
    return out;
}

// CSV text (header first) -> { fields, rows }. Empty cells are null; a
// non-empty __mv_X column makes X an array.
export function csvToRows(text) {
    const table = parseCsv(text);
    if (table.length === 0) return { fields: [], rows: [] };
    const header = table[0];
    const fields = header.filter((h) => !h.startsWith('__mv_'));
    const rows = [];
    for (let r = 1; r < table.length; r++) {
        const cells = table[r];
        if (cells.length === 1 && cells[0] === '' && header.length > 1) continue;
        if (cells.length !== header.length)
            throw new Error(`CSV row ${r}: ${cells.length} cells, header has ${header.length}`);
        const o = {};
        header.forEach((h, k) => { if (!h.startsWith('__mv_')) o[h] = cells[k] === '' ? null : cells[k]; });
        header.forEach((h, k) => {
            if (h.startsWith('__mv_') && cells[k] !== '') o[h.slice(5)] = decodeMv(cells[k]);
        });
        rows.push(o);
    }
    return { fields, rows };
}

const csvCell = (v) => (/[",\r\n]/.test(v) || v === '' ? `"${v.replace(/"/g, '""')}"` : v);

// { fields, rows } -> CSV text with __mv_ columns for array values.
export function rowsToCsv(fields, rows) {
    const mv = fields.filter((f) => rows.some((r) => Array.isArray(r[f])));
    const head = [...fields, ...mv.map((f) => `__mv_${f}`)];
    const lines = [head.map(csvCell).join(',')];
    for (const r of rows) {
        const cells = fields.map((f) => {
            const v = r[f];
            if (v === null || v === undefined) return '';
            return csvCell(Array.isArray(v) ? v.join('\n') : String(v));
        });
        for (const f of mv) {
            const v = r[f];
            cells.push(Array.isArray(v) ? csvCell(v.map((x) => `$${x.replace(/\$/g, '$$$$')}$`).join(';')) : '');
        }
        lines.push(cells.join(','));
    }
    return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- .conf
// -> { stanza: { key: value } }; continuation lines ending in \ joined.
export function parseConf(text) {
    const out = {};
    let cur = null;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
        let line = lines[i];
        while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + '\n' + lines[++i];
        const t = line.trim();
        if (t === '' || t.startsWith('#')) continue;
        const m = /^\[(.*)\]$/.exec(t);
        if (m) { cur = out[m[1]] = out[m[1]] || {}; continue; }
        const eq = t.indexOf('=');
        if (eq < 0 || !cur) continue;
        cur[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
    }
    return out;
}

// Splits a macro call's argument text at top-level commas.
function splitArgs(s) {
    const out = [];
    let cur = '', q = false, depth = 0;
    for (let i = 0; i < s.length; i++) {
        const c = s[i];
        if (q) { cur += c; if (c === '\\') cur += s[++i] ?? ''; else if (c === '"') q = false; continue; }
        if (c === '"') { q = true; cur += c; continue; }
        if (c === '(') depth++;
        if (c === ')') depth--;
        if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
        cur += c;
    }
    out.push(cur.trim());
    return out;
}

// Expands `name` and `name(a, b)` from macros.conf stanzas ([name] or
// [name(N)] with args = x,y and $x$ in the definition), recursively.
export function expandMacros(query, macros, depth = 0) {
    if (depth > 30) throw new Error('macro expansion: too deep (a cycle?)');
    let changed = false;
    const out = query.replace(/`([^`]+)`/g, (_, call) => {
        changed = true;
        const m = /^\s*([A-Za-z0-9_.:-]+)\s*(?:\((.*)\))?\s*$/s.exec(call);
        if (!m) throw new Error(`macro call not understood: \`${call}\``);
        const name = m[1];
        const args = m[2] === undefined ? [] : splitArgs(m[2]);
        const key = args.length ? `${name}(${args.length})` : name;
        const st = macros[key];
        if (!st || st.definition === undefined) throw new Error(`macro not defined in macros.conf: ${key}`);
        let def = st.definition;
        if (args.length) {
            const names = (st.args || '').split(',').map((x) => x.trim()).filter(Boolean);
            if (names.length !== args.length) throw new Error(`macro ${key}: args = ${st.args}`);
            names.forEach((a, k) => { def = def.split(`$${a}$`).join(args[k]); });
        }
        return def;
    });
    return changed ? expandMacros(out, macros, depth + 1) : out;
}

// ---------------------------------------------------------------- pipeline
// Splits at | outside quotes, parentheses and brackets.
export function splitPipeline(q) {
    const parts = [];
    let cur = '', quote = false, depth = 0;
    for (let i = 0; i < q.length; i++) {
        const c = q[i];
        if (quote) { cur += c; if (c === '\\') cur += q[++i] ?? ''; else if (c === '"') quote = false; continue; }
        if (c === '"') { quote = true; cur += c; continue; }
        if (c === '(' || c === '[') depth++;
        if (c === ')' || c === ']') depth--;
        if (c === '|' && depth === 0) { parts.push(cur.trim()); cur = ''; continue; }
        cur += c;
    }
    if (quote) throw new Error(`unbalanced quotes in: ${q}`);
    parts.push(cur.trim());
    return parts;
}

// Words of a search (mode 'search': a word is anything but blanks, quotes,
// ( ) , = ! < >) or of an eval expression (mode 'expr': names, numbers and
// the operators ( ) , = == != < > <= >= + - * / . %). Quoted strings are
// 'str' tokens; 'single quotes' name a field in expressions.
export function lex(s, mode = 'search') {
    const toks = [];
    let i = 0;
    while (i < s.length) {
        const c = s[i];
        if (/\s/.test(c)) { i++; continue; }
        if (c === '"') {
            let v = '';
            i++;
            while (i < s.length && s[i] !== '"') {
                if (s[i] === '\\' && i + 1 < s.length) { v += s[i + 1]; i += 2; continue; }
                v += s[i++];
            }
            if (i >= s.length) throw new Error(`unterminated string in: ${s}`);
            i++;
            toks.push({ t: 'str', v });
            continue;
        }
        if (c === "'" && mode === 'expr') {
            const j = s.indexOf("'", i + 1);
            if (j < 0) throw new Error(`unterminated field name in: ${s}`);
            toks.push({ t: 'word', v: s.slice(i + 1, j) });
            i = j + 1;
            continue;
        }
        const two = s.slice(i, i + 2);
        if (['!=', '<=', '>=', '=='].includes(two)) { toks.push({ t: 'op', v: two }); i += 2; continue; }
        const ops = mode === 'expr' ? '()=,<>+-*/.%' : '()=,<>';
        if (ops.includes(c) && !(mode === 'expr' && c === '.' && /[0-9]/.test(s[i + 1] || ''))) {
            toks.push({ t: 'op', v: c }); i++; continue;
        }
        let j = i;
        if (mode === 'expr') {
            const m = /^(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_{}]*)/.exec(s.slice(i));
            if (!m) throw new Error(`eval: unexpected character ${c} in: ${s}`);
            j = i + m[0].length;
        } else {
            while (j < s.length && !/[\s"()=,<>!]/.test(s[j])) j++;
            if (j === i) throw new Error(`search: unexpected character ${c} in: ${s}`);
        }
        const w = s.slice(i, j);
        toks.push(/^[0-9]*\.?[0-9]+$/.test(w) ? { t: 'num', v: w } : { t: 'word', v: w });
        i = j;
    }
    return toks;
}

// ---------------------------------------------------------------- values
const isNum = (v) => typeof v === 'number' || (typeof v === 'string' && /^\s*-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$/.test(v));
const vals = (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);
const first = (v) => (Array.isArray(v) ? (v.length ? v[0] : null) : v ?? null);

function globRe(pat) {
    const esc = pat.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    return new RegExp(`^${esc}$`, 'is');
}

// ---------------------------------------------------------------- search
// A search expression over events: terms field=value / field!=value /
// field<N etc., implicit AND, OR, NOT, parentheses; tag= and eventtype= use
// ctx.tagsOf(row) / ctx.eventtypesOf(row). Bare words are not supported.
export function compileSearch(text, ctx = {}) {
    const toks = lex(text);
    let p = 0;
    const peek = () => toks[p];
    const isKw = (k) => peek() && peek().t === 'word' && peek().v === k;
    function orExpr() {
        let left = andExpr();
        while (isKw('OR')) { p++; const l = left, r = andExpr(); left = (row) => l(row) || r(row); }
        return left;
    }
    function andExpr() {
        const terms = [];
        for (;;) {
            const t = peek();
            if (!t || (t.t === 'op' && t.v === ')') || (t.t === 'word' && t.v === 'OR')) break;
            if (t.t === 'word' && t.v === 'AND') { p++; continue; }
            terms.push(notExpr());
        }
        return (row) => terms.every((f) => f(row));
    }
    function notExpr() {
        if (isKw('NOT')) { p++; const f = notExpr(); return (row) => !f(row); }
        const t = peek();
        if (t.t === 'op' && t.v === '(') {
            p++;
            const f = orExpr();
            if (!peek() || peek().v !== ')') throw new Error(`search: missing ) in: ${text}`);
            p++;
            return f;
        }
        return term();
    }
    function term() {
        const f = toks[p++];
        const op = toks[p];
        if (f.t !== 'word' || !op || op.t !== 'op' || !['=', '!=', '<', '>', '<=', '>='].includes(op.v))
            throw new Error(`search: only field comparisons are translated, not "${f.v}" in: ${text}`);
        p++;
        const vt = toks[p++];
        if (!vt || !['word', 'str', 'num'].includes(vt.t)) throw new Error(`search: value missing after ${f.v}${op.v} in: ${text}`);
        const field = f.v, value = vt.v;
        const get = field === 'tag' ? (row) => (ctx.tagsOf ? ctx.tagsOf(row) : [])
            : field === 'eventtype' ? (row) => (ctx.eventtypesOf ? ctx.eventtypesOf(row) : [])
            : (row) => vals(row[field]);
        if (op.v === '=' || op.v === '!=') {
            const re = globRe(value);
            const any = (row) => get(row).some((v) => re.test(String(v)));
            // field!=v: the field exists and no value matches (as Splunk)
            return op.v === '=' ? any : (row) => get(row).length > 0 && !any(row);
        }
        const num = Number(value);
        const cmp = { '<': (a) => a < num, '>': (a) => a > num, '<=': (a) => a <= num, '>=': (a) => a >= num }[op.v];
        return (row) => get(row).some((v) => isNum(v) && cmp(Number(v)));
    }
    if (toks.length === 0) return () => true;
    const f = orExpr();
    if (p !== toks.length) throw new Error(`search: unexpected "${toks[p].v}" in: ${text}`);
    return f;
}

// ---------------------------------------------------------------- eval expressions
// Enough of eval's language for where/eval: literals, fields, + - * / . %,
// comparisons, AND OR NOT, and the functions below.
function pad(n, w = 2) { return String(n).padStart(w, '0'); }
export function strftimeUtc(t, fmt) {
    const d = new Date(Number(t) * 1000);
    const map = {
        Y: () => d.getUTCFullYear(), m: () => pad(d.getUTCMonth() + 1), d: () => pad(d.getUTCDate()),
        H: () => pad(d.getUTCHours()), M: () => pad(d.getUTCMinutes()), S: () => pad(d.getUTCSeconds()),
        '%': () => '%',
    };
    return fmt.replace(/%(.)/g, (all, c) => {
        if (!map[c]) throw new Error(`strftime: %${c} is not translated`);
        return map[c]();
    });
}

const FUNCS = {
    len: (a) => (a === null ? null : String(first(a)).length),
    isnull: (a) => a === null,
    isnotnull: (a) => a !== null,
    coalesce: (...a) => a.find((x) => x !== null) ?? null,
    lower: (a) => (a === null ? null : String(first(a)).toLowerCase()),
    upper: (a) => (a === null ? null : String(first(a)).toUpperCase()),
    tostring: (a) => (a === null ? null : String(first(a))),
    tonumber: (a) => (a !== null && isNum(first(a)) ? Number(first(a)) : null),
    round: (a, n = 0) => (a === null || !isNum(first(a)) ? null : Number(Number(first(a)).toFixed(Number(n)))),
    mvcount: (a) => (a === null ? null : vals(a).length),
    strftime: (t, f) => (t === null || !isNum(first(t)) ? null : strftimeUtc(first(t), String(f))),
    if: null, // lazy, below
};

export function compileExpr(text) {
    const toks = lex(text, 'expr');
    let p = 0;
    const peek = () => toks[p];
    const take = (v) => { if (peek() && peek().v === v && peek().t !== 'str') { p++; return true; } return false; };
    const kw = (k) => peek() && peek().t === 'word' && peek().v === k;
    function or() { let l = and(); while (kw('OR')) { p++; const a = l, b = and(); l = (r) => truthy(a(r)) || truthy(b(r)); } return l; }
    function and() { let l = not(); while (kw('AND')) { p++; const a = l, b = not(); l = (r) => truthy(a(r)) && truthy(b(r)); } return l; }
    function not() { if (kw('NOT')) { p++; const a = not(); return (r) => !truthy(a(r)); } return cmp(); }
    function cmp() {
        const l = add();
        const t = peek();
        if (t && t.t === 'op' && ['=', '==', '!=', '<', '>', '<=', '>='].includes(t.v)) {
            p++;
            const r = add();
            return (row) => compare(t.v, l(row), r(row));
        }
        return l;
    }
    function add() {
        let l = mul();
        for (;;) {
            const t = peek();
            if (!t || t.t !== 'op' || !['+', '-', '.'].includes(t.v)) return l;
            p++;
            const a = l, b = mul(), o = t.v;
            l = (row) => {
                const x = first(a(row)), y = first(b(row));
                if (x === null || y === null) return null;
                if (o === '.') return `${x}${y}`;
                if (o === '+' && !(isNum(x) && isNum(y))) return `${x}${y}`;
                return o === '+' ? Number(x) + Number(y) : Number(x) - Number(y);
            };
        }
    }
    function mul() {
        let l = unary();
        for (;;) {
            const t = peek();
            if (!t || t.t !== 'op' || !['*', '/', '%'].includes(t.v)) return l;
            p++;
            const a = l, b = unary(), o = t.v;
            l = (row) => {
                const x = first(a(row)), y = first(b(row));
                if (!isNum(x) || !isNum(y)) return null;
                return o === '*' ? x * y : o === '/' ? x / y : x % y;
            };
        }
    }
    function unary() {
        if (take('-')) { const a = unary(); return (r) => { const x = first(a(r)); return isNum(x) ? -Number(x) : null; }; }
        return atom();
    }
    function atom() {
        const t = toks[p++];
        if (!t) throw new Error(`eval: expression ends early: ${text}`);
        if (t.t === 'num') return () => Number(t.v);
        if (t.t === 'str') return () => t.v;
        if (t.t === 'op' && t.v === '(') { const e = or(); if (!take(')')) throw new Error(`eval: missing ) in ${text}`); return e; }
        if (t.t !== 'word') throw new Error(`eval: unexpected "${t.v}" in ${text}`);
        if (peek() && peek().t === 'op' && peek().v === '(') {
            p++;
            const args = [];
            if (!take(')')) {
                do { args.push(or()); } while (take(','));
                if (!take(')')) throw new Error(`eval: missing ) after ${t.v}( in ${text}`);
            }
            const name = t.v.toLowerCase();
            if (name === 'if') {
                if (args.length !== 3) throw new Error('eval: if() takes 3 arguments');
                return (r) => (truthy(args[0](r)) ? args[1](r) : args[2](r));
            }
            if (name === 'null') return () => null;
            if (name === 'true') return () => true;
            if (name === 'false') return () => false;
            const fn = FUNCS[name];
            if (!fn) throw new Error(`eval: function ${t.v}() is not translated`);
            return (r) => fn(...args.map((a) => a(r)));
        }
        if (t.v === 'true' || t.v === 'false') return () => t.v === 'true';
        return (r) => r[t.v] ?? null;
    }
    const e = or();
    if (p !== toks.length) throw new Error(`eval: unexpected "${toks[p].v}" in ${text}`);
    return e;
}

const truthy = (v) => v === true;

function compare(op, a, b) {
    const x = first(a), y = first(b);
    if (x === null || y === null) return false;
    let c;
    if (isNum(x) && isNum(y)) c = Number(x) - Number(y);
    else c = String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    switch (op) {
    case '=': case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '>': return c > 0;
    case '<=': return c <= 0;
    default: return c >= 0;
    }
}

// ---------------------------------------------------------------- commands
function cmdSearch(args, data, ctx) {
    const f = compileSearch(args, ctx);
    return { fields: data.fields, rows: data.rows.filter(f) };
}

function cmdWhere(args, data) {
    const f = compileExpr(args);
    return { fields: data.fields, rows: data.rows.filter((r) => f(r) === true) };
}

// eval a=expr, b=expr (assignments at top-level commas, left to right)
function cmdEval(args, data) {
    const parts = splitArgs(args).map((s) => {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=(?!=)(.*)$/s.exec(s);
        if (!m) throw new Error(`eval: not an assignment: ${s}`);
        return { field: m[1], f: compileExpr(m[2]) };
    });
    const fields = [...data.fields];
    for (const { field } of parts) if (!fields.includes(field)) fields.push(field);
    const rows = data.rows.map((r) => {
        const o = { ...r };
        for (const { field, f } of parts) o[field] = normal(f(o));
        return o;
    });
    return { fields, rows };
}
const normal = (v) => (v === null || v === undefined ? null : typeof v === 'boolean' ? String(v) : Array.isArray(v) ? v : typeof v === 'number' ? fmtNum(v) : v);
function fmtNum(n) { return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15))); }

function cmdTable(args, data) {
    const pats = args.split(/[\s,]+/).filter(Boolean);
    const fields = [];
    for (const pat of pats) {
        const re = globRe(pat);
        const hits = pat.includes('*') ? data.fields.filter((f) => re.test(f)) : [pat];
        for (const h of hits) if (!fields.includes(h)) fields.push(h);
    }
    return { fields, rows: data.rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null]))) };
}

function cmdHead(args, data) {
    const a = args.trim();
    const m = /^(?:limit=)?([0-9]+)$/.exec(a);
    if (a !== '' && !m) throw new Error(`head: only "head N" is translated, not: head ${args}`);
    const n = m ? Number(m[1]) : 10;
    return { fields: data.fields, rows: data.rows.slice(0, n) };
}

// sort [N] [+|-]field ... ; numbers before strings, numeric when both are.
function cmdSort(args, data) {
    const toks = args.trim().split(/[\s,]+/).filter(Boolean);
    let limit = 10000;
    if (toks.length && /^[0-9]+$/.test(toks[0])) limit = Number(toks.shift()) || Infinity;
    if (toks.length && /^limit=[0-9]+$/.test(toks[0])) limit = Number(toks.shift().slice(6)) || Infinity;
    const keys = [];
    let pending = null;
    for (const t of toks) {
        if (t === '-' || t === '+') { pending = t; continue; }
        let dir = pending || '+', f = t;
        if (t[0] === '-' || t[0] === '+') { dir = t[0]; f = t.slice(1); }
        if (/^[a-z]+\(/.test(f)) throw new Error(`sort: ${f} is not translated`);
        keys.push({ f, desc: dir === '-' });
        pending = null;
    }
    if (!keys.length) throw new Error(`sort: no field in: sort ${args}`);
    const cmpv = (a, b) => {
        if (a === null && b === null) return 0;
        if (a === null) return 1;
        if (b === null) return -1;
        const an = isNum(a), bn = isNum(b);
        if (an && bn) return Number(a) - Number(b);
        if (an !== bn) return an ? -1 : 1;
        return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    };
    const rows = data.rows.map((r, i) => ({ r, i })).sort((x, y) => {
        for (const k of keys) {
            const a = first(x.r[k.f]), b = first(y.r[k.f]);
            if (a === null || b === null) { const c = cmpv(a, b); if (c) return c; continue; }
            const c = cmpv(a, b);
            if (c) return k.desc ? -c : c;
        }
        return x.i - y.i;
    }).map((x) => x.r);
    return { fields: data.fields, rows: rows.slice(0, limit) };
}

// stats fn(field) [AS name] ... [by f1 f2]
function parseAggs(text) {
    const aggs = [];
    const re = /\s*([a-z_][a-z0-9_]*)(?:\(([^)]*)\))?(?:\s+(?:AS|as)\s+("[^"]+"|[^\s,]+))?\s*,?/gy;
    let m;
    while (re.lastIndex < text.length && (m = re.exec(text))) {
        if (m[0].trim() === '') break;
        const fn = m[1];
        const field = m[2] === undefined ? null : m[2].trim();
        const name = m[3] ? m[3].replace(/^"|"$/g, '') : field === null ? fn : `${fn}(${field})`;
        aggs.push({ fn, field, name });
    }
    if (re.lastIndex < text.length && text.slice(re.lastIndex).trim()) throw new Error(`stats: not understood: ${text.slice(re.lastIndex)}`);
    return aggs;
}

function aggregate(fn, field, rows) {
    const all = field === null ? null : rows.flatMap((r) => vals(r[field]));
    const nums = all === null ? null : all.filter(isNum).map(Number);
    switch (fn) {
    case 'count': return String(field === null ? rows.length : all.length);
    case 'dc': return String(new Set(all).size);
    case 'sum': return nums.length ? fmtNum(nums.reduce((a, b) => a + b, 0)) : null;
    case 'avg': return nums.length ? fmtNum(nums.reduce((a, b) => a + b, 0) / nums.length) : null;
    case 'min': case 'max': {
        if (!all.length) return null;
        if (nums.length === all.length) return fmtNum(fn === 'min' ? Math.min(...nums) : Math.max(...nums));
        const s = [...all].map(String).sort();
        return fn === 'min' ? s[0] : s[s.length - 1];
    }
    case 'values': {
        const s = [...new Set(all.map(String))].sort();
        return s.length === 0 ? null : s.length === 1 ? s[0] : s;
    }
    case 'list': return all.length === 0 ? null : all.length === 1 ? all[0] : all.slice(0, 100);
    default: throw new Error(`stats: ${fn}() is not translated`);
    }
}

function cmdStats(args, data) {
    const m = /^(.*?)(?:\s+by\s+(.+))?$/is.exec(args.trim());
    const aggs = parseAggs(m[1]);
    if (!aggs.length) throw new Error(`stats: no function in: stats ${args}`);
    const by = m[2] ? m[2].split(/[\s,]+/).filter(Boolean) : [];
    const fields = [...by, ...aggs.map((a) => a.name)];
    if (!by.length) {
        const o = {};
        for (const a of aggs) o[a.name] = aggregate(a.fn, a.field, data.rows);
        return { fields, rows: [o] };
    }
    // one group per combination of by values (multivalue: one per value),
    // rows without a by field dropped, groups in ascending order
    const groups = new Map();
    for (const r of data.rows) {
        let combos = [[]];
        for (const b of by) {
            const vs = vals(r[b]);
            combos = combos.flatMap((c) => vs.map((v) => [...c, String(v)]));
        }
        for (const c of combos) {
            const k = JSON.stringify(c);
            if (!groups.has(k)) groups.set(k, { key: c, rows: [] });
            groups.get(k).rows.push(r);
        }
    }
    const keyCmp = (a, b) => {
        for (let i = 0; i < a.length; i++) {
            const an = isNum(a[i]), bn = isNum(b[i]);
            const c = an && bn ? Number(a[i]) - Number(b[i]) : a[i] < b[i] ? -1 : a[i] > b[i] ? 1 : 0;
            if (c) return c;
        }
        return 0;
    };
    const rows = [...groups.values()].sort((x, y) => keyCmp(x.key, y.key)).map((g) => {
        const o = {};
        by.forEach((b, i) => { o[b] = g.key[i]; });
        for (const a of aggs) o[a.name] = aggregate(a.fn, a.field, g.rows);
        return o;
    });
    return { fields, rows };
}

const SPAN = { s: 1, m: 60, h: 3600, d: 86400 };
function parseSpan(s) {
    const m = /^([0-9]+)(s|m|h|d)$/.exec(s || '');
    if (!m) throw new Error(`timechart: span=${s} is not translated`);
    return Number(m[1]) * SPAN[m[2]];
}

// timechart span=X [limit=N] count by field, over ctx.earliest..ctx.latest
// (the search's time range, bins filled with 0 as Splunk does); series
// beyond the limit are summed into OTHER, events without the field in NULL.
function cmdTimechart(args, data, ctx) {
    const m = /^((?:\s*[a-z]+=\S+)*)\s*count\s+by\s+([A-Za-z_][A-Za-z0-9_.]*)\s*$/.exec(args);
    if (!m) throw new Error(`timechart: only "span=.. limit=.. count by field" is translated, not: ${args}`);
    const opts = Object.fromEntries(m[1].trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
    for (const k of Object.keys(opts)) if (!['span', 'limit'].includes(k)) throw new Error(`timechart: ${k}= is not translated`);
    const span = parseSpan(opts.span);
    const limit = opts.limit === undefined ? 10 : Number(opts.limit);
    const by = m[2];
    const times = data.rows.map((r) => Number(first(r._time)));
    const lo = Math.floor((ctx.earliest ?? Math.min(...times)) / span) * span;
    const hi = ctx.latest ?? Math.max(...times) + 1;
    const counts = new Map(); // series -> Map(bin -> n)
    const totals = new Map();
    data.rows.forEach((r, i) => {
        const t = times[i];
        if (!(t >= lo && t < hi)) return;
        const bin = Math.floor(t / span) * span;
        const vs = vals(r[by]);
        for (const v of vs.length ? vs : ['NULL']) {
            if (!counts.has(v)) counts.set(v, new Map());
            const c = counts.get(v);
            c.set(bin, (c.get(bin) || 0) + 1);
            totals.set(v, (totals.get(v) || 0) + 1);
        }
    });
    let series = [...totals.keys()].filter((s) => s !== 'NULL');
    series.sort((a, b) => totals.get(b) - totals.get(a) || (a < b ? -1 : 1));
    let other = [];
    if (limit > 0 && series.length > limit) { other = series.slice(limit); series = series.slice(0, limit); }
    series.sort();
    const cols = [...series];
    if (totals.has('NULL')) cols.push('NULL');
    if (other.length) cols.push('OTHER');
    const rows = [];
    for (let b = lo; b < hi; b += span) {
        const o = { _time: String(b) };
        for (const s of series) o[s] = String(counts.get(s).get(b) || 0);
        if (totals.has('NULL')) o.NULL = String(counts.get('NULL').get(b) || 0);
        if (other.length) o.OTHER = String(other.reduce((n, s) => n + (counts.get(s).get(b) || 0), 0));
        rows.push(o);
    }
    return { fields: ['_time', ...cols], rows };
}

export const COMMANDS = {
    search: cmdSearch, where: cmdWhere, eval: cmdEval, table: cmdTable,
    head: cmdHead, sort: cmdSort, stats: cmdStats, timechart: cmdTimechart,
};

// Runs "cmd args | cmd args ..." (each stage without its leading |) on data.
export function runStages(stages, data, ctx = {}) {
    let d = data;
    for (const st of stages) {
        const m = /^([a-z]+)\b\s*(.*)$/s.exec(st.trim());
        if (!m || !COMMANDS[m[1]]) throw new Error(`SPL command not translated: ${st.trim().split(/\s/)[0]}`);
        d = COMMANDS[m[1]](m[2], d, ctx);
    }
    return d;
}

// Replaces $token$ (and $token|s$ etc.) from a map; unknown tokens throw.
export function substituteTokens(text, tokens) {
    return text.replace(/\$([A-Za-z0-9_.]+)(\|[a-z]+)?\$/g, (all, name) => {
        if (!(name in tokens)) throw new Error(`token $${name}$ has no value`);
        return tokens[name];
    });
}
