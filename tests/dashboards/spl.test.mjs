// Table-driven cases for spl.mjs: node --test tests/dashboards/spl.test.mjs
// (check.sh runs it before the browser suite).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as spl from './spl.mjs';

const rows = (fields, ...data) => ({ fields, rows: data.map((d) => Object.fromEntries(fields.map((f, i) => [f, d[i] ?? null]))) });
const run = (q, data, ctx = {}) => spl.runStages(spl.splitPipeline(q), data, ctx);
const col = (d, f) => d.rows.map((r) => r[f]);

test('CSV: quoted cells with commas, quotes and newlines; __mv_ columns', () => {
    const cases = [
        ['a,b\n1,2\n', [{ a: '1', b: '2' }]],
        ['a,b\r\n"x,y","say ""hi"""\r\n', [{ a: 'x,y', b: 'say "hi"' }]],
        ['a,b\n"line1\nline2",\n', [{ a: 'line1\nline2', b: null }]],
        ['a,__mv_a\n"p\nq","$p$;$q$"\n', [{ a: ['p', 'q'] }]],
        ['a,__mv_a\n"1$",$1$$$\n', [{ a: ['1$'] }]],
        ['a\n', []],
    ];
    for (const [text, want] of cases) assert.deepEqual(spl.csvToRows(text).rows, want, text);
    assert.throws(() => spl.parseCsv('a\n"open'), /unterminated/);
    const back = spl.csvToRows(spl.rowsToCsv(['a', 'b'], [{ a: ['x', 'y$'], b: 'c,"d"\ne' }, { a: null, b: '' }])).rows;
    assert.deepEqual(back, [{ a: ['x', 'y$'], b: 'c,"d"\ne' }, { a: null, b: null }]);
});

test('macros: `name`, `name(args)`, nesting, unknown macro', () => {
    const macros = spl.parseConf([
        '[idx]', 'definition = ()', '[ev]', 'definition = (`idx` tag=dns)',
        '[pick(2)]', 'args = f, v', 'definition = $f$="$v$"',
        '[loop]', 'definition = `loop`',
    ].join('\n'));
    const cases = [
        ['`ev` | x', '(() tag=dns) | x'],
        ['`pick(src, 10.0.0.1)`', 'src="10.0.0.1"'],
        ['`pick("a,b", z)` `idx`', '"a,b"="z" ()'],
        ['no macro', 'no macro'],
    ];
    for (const [q, want] of cases) assert.equal(spl.expandMacros(q, macros), want, q);
    assert.throws(() => spl.expandMacros('`nope`', macros), /not defined/);
    assert.throws(() => spl.expandMacros('`loop`', macros), /too deep/);
});

test('pipeline split keeps | inside quotes and parentheses', () => {
    const cases = [
        ['a | b | c', ['a', 'b', 'c']],
        ['| stats count', ['', 'stats count']],
        ['search x="a|b" | eval y=if(a=="|", 1, 2)', ['search x="a|b"', 'eval y=if(a=="|", 1, 2)']],
    ];
    for (const [q, want] of cases) assert.deepEqual(spl.splitPipeline(q), want, q);
});

test('search: globs, OR/AND/NOT, !=, parentheses, empty group, tags, numbers', () => {
    const ev = [
        { sourcetype: 'dns', src: '10.0.0.5', q: 'Teredo.ipv6.microsoft.com', n: '5' },
        { sourcetype: 'fw', src: '10.0.0.6', q: null, n: '50' },
        { sourcetype: 'fw', src: ['10.0.0.7', '10.0.0.8'], q: 'b.example', n: 'x' },
    ];
    const ctx = { tagsOf: (r) => (r.sourcetype === 'dns' ? ['dns', 'resolution'] : ['network']) };
    const cases = [
        ['q="*"', [0, 2]],
        ['q=teredo.*', [0]],
        ['q="*" OR src="*"', [0, 1, 2]],
        ['src=10.0.0.8', [2]],
        ['q!=b.example', [0]],
        ['NOT q=b.example', [0, 1]],
        ['src=10.0.0.* sourcetype=fw', [1, 2]],
        ['(() tag=dns tag=resolution) OR (() tag=network sourcetype=nope)', [0]],
        ['((()) tag=network)', [1, 2]],
        ['n>10', [1]],
        ['n<=5', [0]],
        ['', [0, 1, 2]],
    ];
    for (const [q, want] of cases) {
        const f = spl.compileSearch(q, ctx);
        assert.deepEqual(ev.map((r, i) => (f(r) ? i : -1)).filter((i) => i >= 0), want, q);
    }
    assert.throws(() => spl.compileSearch('teredo'), /only field comparisons/);
});

test('where and eval expressions', () => {
    const d = rows(['t', 'n', 'ts'], ['teredo', '3', '1699426860'], [null, '0', '1700002421'], ['', '7', null]);
    const cases = [
        ['where len(t) > 0', 't', ['teredo']],
        ['where n >= 3 AND isnotnull(t)', 't', ['teredo', '']],
        ['where n > 2', 'n', ['3', '7']],
        ['where NOT n = 0', 'n', ['3', '7']],
        ['eval x=n*2+1', 'x', ['7', '1', '15']],
        ['eval x=if(n > 2, "big", "small")', 'x', ['big', 'small', 'big']],
        ['eval x=coalesce(t, "none")', 'x', ['teredo', 'none', '']],
        ['eval ts=strftime(ts, "%Y-%m-%d %H:%M:%S")', 'ts', ['2023-11-08 07:01:00', '2023-11-14 22:53:41', null]],
        ['eval a=n+1, b=a*10', 'b', ['40', '10', '80']],
        ['eval s="p" . n', 's', ['p3', 'p0', 'p7']],
    ];
    for (const [q, f, want] of cases) assert.deepEqual(col(run(q, d), f), want, q);
    assert.throws(() => run('eval x=nosuch(n)', d), /not translated/);
    assert.throws(() => run('eval x=strftime(ts, "%j")', d), /not translated/);
});

test('table, head, sort', () => {
    const d = rows(['a', 'b', 'c_1', 'c_2'], ['x', '10', '1', '2'], ['y', '9', '3', '4'], ['z', '100', '5', '6'], ['w', null, '7', '8']);
    const cases = [
        ['table b a', (r) => [r.fields, r.rows[0]], [['b', 'a'], { b: '10', a: 'x' }]],
        ['table a c_*', (r) => r.fields, ['a', 'c_1', 'c_2']],
        ['head 2', (r) => col(r, 'a'), ['x', 'y']],
        ['head', (r) => r.rows.length, 4],
        ['sort - b', (r) => col(r, 'a'), ['z', 'x', 'y', 'w']],
        ['sort b', (r) => col(r, 'a'), ['y', 'x', 'z', 'w']],
        ['sort -a', (r) => col(r, 'a'), ['z', 'y', 'x', 'w']],
        ['sort 2 + a', (r) => col(r, 'a'), ['w', 'x']],
    ];
    for (const [q, get, want] of cases) assert.deepEqual(get(run(q, d)), want, q);
    assert.throws(() => run('head 5 keeplast=true', d), /only "head N"/);
});

test('stats: count, sum, values, min, max, dc, by (multivalue, nulls dropped, ordered)', () => {
    const d = rows(['src', 'n', 'tun', 'q'],
        ['10.0.0.9', '5', 'teredo', 'b'], ['10.0.0.10', '1', '6to4', 'a'],
        ['10.0.0.9', '7', 'teredo', ['c', 'a']], [null, '100', 'x', 'z']);
    const cases = [
        ['stats count', [{ count: '4' }]],
        // groups in lexicographic order of the by values, as Splunk's
        ['stats count by src', [{ src: '10.0.0.10', count: '1' }, { src: '10.0.0.9', count: '2' }]],
        ['stats sum(n) AS total min(n) AS lo max(n) AS hi by src', [
            { src: '10.0.0.10', total: '1', lo: '1', hi: '1' }, { src: '10.0.0.9', total: '12', lo: '5', hi: '7' }]],
        ['stats values(q) AS names dc(q) AS k by src', [
            { src: '10.0.0.10', names: 'a', k: '1' }, { src: '10.0.0.9', names: ['a', 'b', 'c'], k: '3' }]],
        ['stats dc(src) AS hosts', [{ hosts: '2' }]],
        ['stats count by q', [{ q: 'a', count: '2' }, { q: 'b', count: '1' }, { q: 'c', count: '1' }, { q: 'z', count: '1' }]],
        ['where len(tun) > 99 | stats dc(src) AS hosts', [{ hosts: '0' }]],
        ['stats count(q) AS c avg(n)', [{ c: '5', 'avg(n)': '28.25' }]],
    ];
    for (const [q, want] of cases) assert.deepEqual(run(q, d).rows, want, q);
    assert.throws(() => run('stats perc95(n)', d), /not translated/);
});

test('timechart span limit count by: bins over the search range, OTHER, NULL', () => {
    const h = 3600;
    const d = rows(['_time', 'src'],
        [String(0 * h + 5), 'a'], [String(0 * h + 9), 'b'], [String(2 * h), 'a'], [String(2 * h + 1), 'c'], [String(2 * h + 2), null]);
    const r = run('timechart span=1h limit=1 count by src', d, { earliest: 0, latest: 4 * h });
    assert.deepEqual(r.fields, ['_time', 'a', 'NULL', 'OTHER']);
    assert.deepEqual(r.rows, [
        { _time: '0', a: '1', NULL: '0', OTHER: '1' },
        { _time: '3600', a: '0', NULL: '0', OTHER: '0' },
        { _time: '7200', a: '1', NULL: '1', OTHER: '1' },
        { _time: '10800', a: '0', NULL: '0', OTHER: '0' },
    ]);
    const all = run('timechart span=1h limit=0 count by src', d, { earliest: 0, latest: 3 * h });
    assert.deepEqual(all.fields, ['_time', 'a', 'b', 'c', 'NULL']);
    assert.equal(all.rows.length, 3);
    assert.throws(() => run('timechart avg(x) by src', d), /only/);
    assert.throws(() => run('timechart span=1mon count by src', d), /not translated/);
});

test('unknown commands and tokens fail instead of passing', () => {
    assert.throws(() => run('rex field=a "(?<x>.)"', rows(['a'])), /not translated: rex/);
    assert.equal(spl.substituteTokens('$match$="$q$" $tr.earliest$', { match: 'domain', q: '*', 'tr.earliest': '0' }), 'domain="*" 0');
    assert.throws(() => spl.substituteTokens('$nope$', {}), /no value/);
});
