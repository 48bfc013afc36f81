// The Dashboard Studio views of the app rendered in headless Chromium with
// Splunk's dashboard framework, on data the add-on's commands produced.
//
//   node run.mjs ROOT BIN STORY.csv STORY.truth OUTDIR [VIEW.xml ...]
//
// For every view (default: ROOT/default/data/ui/views/*.xml) it reads the
// definition, and for every data source:
//   ds.search  the query with the inputs' default tokens; macros expanded from
//              default/macros.conf; the base search (before the first |)
//              evaluated on the story's events (tags from default/eventtypes.conf
//              and tags.conf, FIELDALIAS from default/props.conf); the custom
//              command (default/commands.conf) run by BIN/scpdrive with the
//              query's own arguments; the SPL after it translated by spl.mjs;
//   ds.chain   the parent's results through the chain's query, the same way.
// Then it renders the view (DashboardCore + EnterpriseViewOnlyPreset, the
// data sources answered from those results), checks every visualization in
// the DOM, and saves OUTDIR/<view>.png.
//
// Differences from Splunk, on purpose:
//   - time range: the story's events are from Nov 2023, so the time-range
//     input's token (tr.earliest / tr.latest, default -24h@h,now) is set to the
//     story's first and last hour (gen_story's truth file: start, end) and the
//     same range goes to scpdrive as searchinfo earliest/latest;
//   - sourcetype squid: this app ships no eventtype for it; a proxy add-on
//     (the Squid one tags its events web and proxy) is assumed, so squid
//     events carry tag=web here;
//   - props EVAL- calculated fields are not computed: the story generator
//     writes the CIM fields (query, answer, transport, action ...) already;
//     FIELDALIAS are applied (src_ip AS src for linux:netfilter, which
//     timechart ... by src needs);
//   - strftime() formats in UTC (the page is rendered in UTC too).
// Not covered here (Splunk Web needed): the time-range input changing the
// searches, the dropdown/text inputs with other than their default values,
// drilldowns (drilldown.linkToSearch opens Splunk's search page; the preset
// has no handler for it, so the page registers one that does nothing), and
// commands that need splunkd (dnspdns writes the KV store; rest, inputlookup,
// savedsearch).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as spl from './spl.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [root, bin, storyCsv, truthFile, outDir, ...viewArgs] = process.argv.slice(2);
if (!outDir) {
    console.error('usage: node run.mjs ROOT BIN STORY.csv STORY.truth OUTDIR [VIEW.xml ...]');
    process.exit(2);
}
const t0 = Date.now();
const conf = (name) => spl.parseConf(fs.readFileSync(path.join(root, 'default', name), 'utf8'));
const macros = conf('macros.conf');
const commands = conf('commands.conf');
const eventtypes = conf('eventtypes.conf');
const tagsConf = conf('tags.conf');
const props = conf('props.conf');
const ASSUMED_TAGS = { squid: ['web', 'proxy'] };
const NEEDS_SPLUNKD = {
    dnspdns: 'dnspdns reads and writes the passive DNS table in the KV store (splunkd)',
    rest: 'rest asks splunkd', inputlookup: 'inputlookup reads a lookup or KV store collection in splunkd',
    savedsearch: 'savedsearch runs a saved search in splunkd', loadjob: 'loadjob reads a job in splunkd',
};

const truth = Object.fromEntries(fs.readFileSync(truthFile, 'utf8').split('\n')
    .filter((l) => /^[a-z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const earliest = Number(truth.start), latest = Number(truth.end);
if (!(earliest > 0 && latest > earliest)) throw new Error(`no start/end in ${truthFile}`);

// ------------------------------------------------------------ the events
const story = spl.csvToRows(fs.readFileSync(storyCsv, 'utf8'));
const aliases = {}; // sourcetype -> [[from, to]]
for (const [st, kv] of Object.entries(props)) {
    for (const [k, v] of Object.entries(kv)) {
        if (!k.startsWith('FIELDALIAS-')) continue;
        const parts = v.split(/\s+/);
        for (let i = 0; i + 2 < parts.length; i += 3) {
            if ((parts[i + 1] || '').toUpperCase() !== 'AS') throw new Error(`props [${st}] ${k}: only "a AS b" is applied`);
            (aliases[st] = aliases[st] || []).push([parts[i], parts[i + 2]]);
        }
    }
}
const events = story.rows.map((r) => {
    const o = { ...r };
    for (const [from, to] of aliases[r.sourcetype] || []) if (o[from] !== null && o[from] !== undefined) o[to] = o[from];
    return o;
});
const eventFields = [...story.fields];
for (const list of Object.values(aliases)) for (const [, to] of list) if (!eventFields.includes(to)) eventFields.push(to);
const etMatchers = Object.entries(eventtypes).map(([name, st]) => ({ name, f: spl.compileSearch(st.search || '') }));
const etCache = new WeakMap();
const eventtypesOf = (row) => {
    if (!etCache.has(row)) etCache.set(row, etMatchers.filter((e) => e.f(row)).map((e) => e.name));
    return etCache.get(row);
};
const tagsOf = (row) => {
    const tags = new Set(ASSUMED_TAGS[row.sourcetype] || []);
    for (const et of eventtypesOf(row)) {
        for (const [tag, on] of Object.entries(tagsConf[`eventtype=${et}`] || {})) if (on === 'enabled') tags.add(tag);
    }
    return [...tags];
};
const searchCtx = { tagsOf, eventtypesOf, earliest, latest };

// ------------------------------------------------------------ data sources
const work = fs.mkdtempSync(path.join(outDir, 'work-'));
const runCache = new Map();
const baseCache = new Map(); // base search -> its events as a CSV file
function runCommand(base, cmdName, args) {
    const key = JSON.stringify([base, cmdName, args]);
    if (runCache.has(key)) return runCache.get(key);
    const st = commands[cmdName];
    if (!baseCache.has(base)) {
        const file = path.join(work, `in-${baseCache.size}.csv`);
        const rows = events.filter(spl.compileSearch(base, searchCtx));
        fs.writeFileSync(file, spl.rowsToCsv(eventFields, rows));
        baseCache.set(base, { file, n: rows.length });
    }
    const { file: inFile, n: nIn } = baseCache.get(base);
    const argv = [];
    for (let i = 1; st[`command.arg.${i}`] !== undefined; i++) argv.push(st[`command.arg.${i}`]);
    const r = spawnSync(path.join(bin, 'scpdrive'), [
        '--order', 'desc', '--earliest', String(earliest), '--latest', String(latest),
        '--command', cmdName, '--args', args, inFile, '--', path.join(bin, st.filename), ...argv,
    ], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120000 });
    if (r.status !== 0) throw new Error(`scpdrive ${cmdName} ${args}: exit ${r.status}\n${r.stderr}`);
    const out = { ...spl.csvToRows(r.stdout), eventsIn: nIn };
    runCache.set(key, out);
    return out;
}

function tokenDefaults(def) {
    const tokens = {};
    for (const inp of Object.values(def.inputs || {})) {
        const o = inp.options || {};
        if (!o.token) continue;
        if (inp.type === 'input.timerange') {
            tokens[`${o.token}.earliest`] = String(earliest);
            tokens[`${o.token}.latest`] = String(latest);
        } else if (o.defaultValue !== undefined) {
            tokens[o.token] = Array.isArray(o.defaultValue) ? o.defaultValue.join(' ') : String(o.defaultValue);
        }
    }
    for (const [k, v] of Object.entries(def.defaults?.tokens?.default || {})) if (!(k in tokens)) tokens[k] = String(v.value ?? v);
    return tokens;
}

function answer(def, tokens) {
    const res = {};
    const resolve = (id, seen = []) => {
        if (res[id]) return res[id];
        const ds = def.dataSources[id];
        if (!ds) throw new Error(`data source ${id} is not defined`);
        if (seen.includes(id)) throw new Error(`chain cycle at ${id}`);
        const query = ds.options?.query ?? '';
        const r = { id, type: ds.type, query: null };
        res[id] = r;
        try {
            r.query = spl.substituteTokens(query, tokens);
            const expanded = spl.expandMacros(r.query, macros);
            let stages = spl.splitPipeline(expanded);
            let data;
            if (ds.type === 'ds.chain') {
                const parent = resolve(ds.options.extend, [...seen, id]);
                if (parent.notCovered) { r.notCovered = `extends ${ds.options.extend}, which is not covered`; return r; }
                if (parent.error) throw new Error(`extends ${ds.options.extend}, which failed`);
                if (stages[0] !== '') throw new Error('a chain query must start with |');
                stages = stages.slice(1);
                data = { fields: parent.fields, rows: parent.rows };
                r.how = `${ds.options.extend} | ${stages.join(' | ')}`;
            } else if (ds.type === 'ds.search') {
                if (stages[0] === '') {
                    const cmd = (stages[1] || '').split(/\s/)[0];
                    r.notCovered = NEEDS_SPLUNKD[cmd] || `a generating search (| ${cmd}) is not translated`;
                    return r;
                }
                const base = stages[0];
                const m = /^([a-z_]+)\b\s*(.*)$/s.exec(stages[1] || '');
                if (!m || !commands[m[1]]) throw new Error(`the first command after the base search is not one of the add-on's (${Object.keys(commands).join(', ')}): ${stages[1]}`);
                const blocked = stages.slice(1).map((s) => s.split(/\s/)[0]).find((c) => NEEDS_SPLUNKD[c]);
                if (blocked) { r.notCovered = NEEDS_SPLUNKD[blocked]; return r; }
                const out = runCommand(base, m[1], m[2]);
                data = { fields: out.fields, rows: out.rows };
                r.how = `${out.eventsIn} story events | scpdrive ${m[1]} ${m[2]}${stages.length > 2 ? ' | ' + stages.slice(2).join(' | ') : ''}`;
                stages = stages.slice(2);
            } else {
                r.notCovered = `data source type ${ds.type} is not translated`;
                return r;
            }
            const outd = spl.runStages(stages, data, searchCtx);
            r.fields = outd.fields;
            r.rows = outd.rows;
        } catch (e) {
            r.error = String(e.message || e);
        }
        return r;
    };
    for (const id of Object.keys(def.dataSources || {})) resolve(id);
    return res;
}

// Splunk's JSON results give _time as ISO 8601 text; other cells as text or
// arrays (multivalue).
const first = (v) => (Array.isArray(v) ? v[0] : v);
const isoTime = (v) => {
    const d = new Date(Number(v) * 1000);
    return d.toISOString().replace('Z', '+00:00');
};
function toColumns(r) {
    const fields = r.fields.filter((f) => r.rows.some((row) => row[f] !== null && row[f] !== undefined) || !f.startsWith('_') || f === '_time');
    const columns = fields.map((f) => r.rows.map((row) => {
        const v = row[f] ?? null;
        return f === '_time' && v !== null ? isoTime(v) : v;
    }));
    return { fields, columns };
}

// ------------------------------------------------------------ browser
const { chromium } = await import('playwright-core');
const esbuild = await import('esbuild');
const bundle = await esbuild.build({
    entryPoints: [path.join(here, 'page.jsx')], bundle: true, write: true, outdir: work, entryNames: 'bundle', format: 'iife',
    minify: true, logLevel: 'error', loader: { '.js': 'jsx' }, target: 'chrome110',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
});
void bundle;
const bundleJs = fs.readFileSync(path.join(work, 'bundle.js'), 'utf8');
const bundleCss = fs.existsSync(path.join(work, 'bundle.css')) ? fs.readFileSync(path.join(work, 'bundle.css'), 'utf8') : '';
const tBuild = Date.now();

const views = viewArgs.length ? viewArgs
    : fs.readdirSync(path.join(root, 'default/data/ui/views')).filter((f) => f.endsWith('.xml')).sort()
        .map((f) => path.join(root, 'default/data/ui/views', f));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
let failures = 0;
const summary = [];
try {
    for (const viewFile of views) {
        const name = path.basename(viewFile, '.xml');
        const xml = fs.readFileSync(viewFile, 'utf8');
        if (!/<dashboard[^>]*version="2"/.test(xml)) { console.log(`== ${name}: not a Dashboard Studio view, skipped`); continue; }
        const m = /<definition>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/definition>/.exec(xml);
        if (!m) throw new Error(`${viewFile}: no <definition><![CDATA[...]]>`);
        const def = JSON.parse(m[1]);
        const fail = (msg) => { failures++; console.log(`  FAIL: ${msg}`); };
        console.log(`== ${name} (${def.title})`);
        const tokens = tokenDefaults(def);
        const res = answer(def, tokens);
        const pageResults = {};
        for (const [id, r] of Object.entries(res)) {
            if (r.error) { pageResults[id] = { query: r.query, error: r.error }; fail(`data source ${id}: ${r.error}`); continue; }
            if (r.notCovered) { pageResults[id] = { query: r.query, fields: [], columns: [] }; continue; }
            pageResults[id] = { query: r.query, ...toColumns(r) };
            console.log(`  data source ${id} (${r.type}): ${r.rows.length} rows <- ${r.how}`);
        }

        // tall enough for the whole absolute layout (plus the inputs), so the PNG shows every panel
        const layoutH = Math.max(0, ...Object.values(def.layout?.layoutDefinitions || {}).map((l) => Number(l.options?.height) || 0));
        const page = await browser.newPage({ viewport: { width: 1500, height: Math.max(1200, layoutH + 240) }, timezoneId: 'UTC' });
        const pageErrors = [];
        page.on('pageerror', (e) => pageErrors.push(String(e.message || e)));
        const html = `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>
<link rel="stylesheet" href="/bundle.css"><style>html,body,#root{margin:0;height:100%;background:#0b0c0e}</style></head>
<body><div id="root"></div><script>window.__DASH__=${JSON.stringify({ definition: def, results: pageResults }).replace(/</g, '\\u003c')};</script>
<script src="/bundle.js"></script></body></html>`;
        await page.route('http://dashboards.test/**', (route) => {
            const u = new URL(route.request().url());
            if (u.pathname === '/') return route.fulfill({ contentType: 'text/html', body: html });
            if (u.pathname === '/bundle.css') return route.fulfill({ contentType: 'text/css', body: bundleCss });
            if (u.pathname === '/bundle.js') return route.fulfill({ contentType: 'application/javascript', body: bundleJs });
            return route.fulfill({ status: 404, body: '' });
        });
        await page.route(/^(?!http:\/\/dashboards\.test\/)/, (route) => route.abort());
        await page.goto('http://dashboards.test/', { waitUntil: 'load' });

        const vizIds = Object.keys(def.visualizations || {});
        const layoutItems = new Set(Object.values(def.layout?.layoutDefinitions || {}).flatMap((l) => (l.structure || []).map((s) => s.item)));
        // wait until every laid-out visualization's element is there and settled
        try {
            await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`[data-id="${id}"]`)), [...layoutItems].filter((i) => vizIds.includes(i)), { timeout: 30000 });
        } catch {
            fail(`not every visualization appeared within 30 s (${pageErrors.join('; ')})`);
        }
        await page.waitForTimeout(2500);
        const vv = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
            const el = document.querySelector(`[data-id="${id}"]`);
            if (!el) return [id, null];
            const text = el.innerText || '';
            return [id, {
                text: text.slice(0, 4000),
                svg: el.querySelectorAll('svg path, svg rect, svg circle').length,
                canvas: [...el.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0).length,
                tableRows: el.querySelectorAll('tbody tr').length,
                html: el.innerHTML.length,
                errorEls: [...el.querySelectorAll('[data-test*="error" i], [data-test*="message" i], [class*="Error" i], [role="alert"]')]
                    .map((e) => `${e.getAttribute('data-test') || e.className}: ${(e.innerText || '').slice(0, 200)}`),
            }];
        })), vizIds);
        console.log(`  visualizations:`);
        for (const id of vizIds) {
            const viz = def.visualizations[id];
            const dsId = viz.dataSources?.primary;
            const r = dsId ? res[dsId] : null;
            const got = vv[id];
            const line = (s) => console.log(`    ${id} ${viz.type}: ${s}`);
            if (!layoutItems.has(id)) { line('not in the layout, not rendered'); continue; }
            if (!got) { fail(`${id}: no element [data-id=${id}] in the page`); continue; }
            if (r && r.notCovered) { line(`not covered: ${r.notCovered}`); continue; }
            const errs = got.errorEls.filter((e) => e.trim() !== ':' && !/^\s*:?\s*$/.test(e));
            if (errs.length) fail(`${id}: error element(s): ${errs.join(' | ')}`);
            // (tables and markdown hold free text, e.g. dnsprofile's finding: only their message elements count)
            if (/\b(error|failed|no results|not defined|cannot)\b/i.test(got.text) && !['splunk.markdown', 'splunk.table'].includes(viz.type))
                fail(`${id}: message in the panel: ${got.text.replace(/\s+/g, ' ').slice(0, 300)}`);
            if (!dsId) {
                if (viz.type === 'splunk.markdown') {
                    const want = (viz.options?.markdown || '').replace(/[*`_#>]/g, '').split(/\s+/).slice(0, 4).join(' ');
                    if (!got.text.replace(/\s+/g, ' ').includes(want)) fail(`${id}: markdown text "${want}" not rendered`);
                    line(`rendered (no data source)`);
                } else line('no data source');
                continue;
            }
            if (!r || r.error) { fail(`${id}: its data source ${dsId} failed`); continue; }
            const n = r.rows.length;
            if (n === 0) { fail(`${id}: ${dsId} has no rows (an empty series)`); continue; }
            if (viz.type === 'splunk.table') {
                const pageSize = viz.options?.count ?? 10;
                const want = Math.min(n, pageSize);
                if (got.tableRows !== want) fail(`${id}: ${got.tableRows} table rows rendered, expected ${want} (${n} result rows, page size ${pageSize})`);
                const firstCol = r.fields.find((f) => !f.startsWith('_'));
                const v0 = r.rows[0][firstCol];
                const v0s = Array.isArray(v0) ? v0[0] : v0;
                if (v0s && !got.text.includes(v0s)) fail(`${id}: first row's ${firstCol} "${v0s}" not in the table`);
                line(`${got.tableRows} rows rendered of ${n} (page size ${pageSize})`);
            } else if (viz.type === 'splunk.singlevalue') {
                const lastRow = r.rows[n - 1];
                const v = lastRow[r.fields.find((f) => !f.startsWith('_'))];
                const shown = got.text.replace(viz.title || '', '').replace(/\s+/g, ' ').trim();
                const want = [String(v), Number(v).toLocaleString('en-US')];
                if (!want.includes(shown)) fail(`${id}: shows "${shown}", expected ${v}`);
                line(`shows ${v} (${n} row)`);
            } else {
                // charts: drawn marks, and every series holds data
                const series = r.fields.filter((f) => !f.startsWith('_'));
                const numeric = series.filter((f) => r.rows.some((row) => row[f] !== null && !Number.isNaN(Number(row[f]))));
                if (!numeric.length) fail(`${id}: no numeric series in ${dsId} (${r.fields.join(',')})`);
                const nonzero = numeric.filter((f) => r.rows.some((row) => Number(row[f]) > 0));
                if (!nonzero.length) fail(`${id}: every series of ${dsId} is zero`);
                if (got.svg + got.canvas === 0) fail(`${id}: nothing drawn (no svg marks or canvas)`);
                // the legend (line, column) or the slice labels (pie) name every series
                const names = viz.type === 'splunk.pie' ? r.rows.map((row) => String(first(row[r.fields[0]]))) : numeric;
                if (names.length <= 20) {
                    const missing = names.filter((nm) => !got.text.includes(nm));
                    if (missing.length) fail(`${id}: series not drawn (not in its legend or labels): ${missing.join(', ')}`);
                }
                const what = viz.type === 'splunk.pie' ? `slices ${names.join(', ')} by ${numeric.join(', ')}` : `series ${numeric.join(', ')} (${nonzero.length} non-zero)`;
                line(`${n} rows, ${what}; drawn: ${got.svg} svg marks, ${got.canvas} canvas`);
            }
        }
        for (const [id, r] of Object.entries(res)) if (r.notCovered) console.log(`  not covered: data source ${id}: ${r.notCovered}`);
        const unusedDs = Object.keys(def.dataSources || {}).filter((id) => !Object.values(def.visualizations || {}).some((v) => Object.values(v.dataSources || {}).includes(id))
            && !Object.values(def.dataSources).some((d) => d.options?.extend === id));
        for (const id of unusedDs) console.log(`  note: data source ${id} is used by no visualization`);
        for (const inp of Object.values(def.inputs || {})) {
            if (inp.type === 'input.timerange') console.log(`  not covered: ${inp.title || inp.type} (${inp.type}): set to the story's range ${new Date(earliest * 1000).toISOString()} .. ${new Date(latest * 1000).toISOString()} instead of ${inp.options?.defaultValue}; changing it needs Splunk Web (the Enterprise time-range input shows "Cannot access splunkweb." here)`);
            else console.log(`  not covered: input "${inp.title}" (${inp.type}) other than its default ${JSON.stringify(inp.options?.defaultValue)}`);
        }
        for (const [id, v] of Object.entries(def.visualizations || {})) {
            for (const h of v.eventHandlers || []) console.log(`  not covered: ${id} ${h.type} (needs Splunk Web's search page)`);
        }
        if (pageErrors.length) fail(`page errors: ${pageErrors.join(' | ')}`);
        const validation = await page.evaluate(() => window.__VALIDATION_ERRORS__);
        if (validation.length) fail(`definition validation: ${validation.join(' | ')}`);
        const dsLog = await page.evaluate(() => window.__DS_LOG__);
        for (const id of Object.keys(res)) {
            const used = Object.values(def.visualizations || {}).some((v) => Object.values(v.dataSources || {}).includes(id));
            if (used && !dsLog.some((l) => l.id === id)) fail(`data source ${id} was never requested by the dashboard`);
        }
        const png = path.join(outDir, `${name}.png`);
        await page.screenshot({ path: png, fullPage: true });
        console.log(`  saved ${path.relative(root, png)}`);
        summary.push(name);
        await page.close();
    }
} finally {
    await browser.close();
    fs.rmSync(work, { recursive: true, force: true });
}
const t1 = Date.now();
console.log(`-- ${summary.length} dashboard(s), bundle ${((tBuild - t0) / 1000).toFixed(1)} s, total ${((t1 - t0) / 1000).toFixed(1)} s`);
if (failures) { console.log(`FAIL: ${failures} check(s) failed`); process.exit(1); }
console.log('PASS: every visualization rendered with its data');
