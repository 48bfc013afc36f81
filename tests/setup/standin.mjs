// A loopback stand-in for Splunk Web and splunkd, enough for the setup page:
// it serves the view from an unpacked package the way Splunk Web does (the
// view's HTML template with make_url() filled in, /config with window.$C, the
// app's static files, the session and CSRF cookies), and answers the REST
// endpoints the page calls under /<locale>/splunkd/__raw with splunkd's JSON
// shapes (entry[].name, entry[].content, messages). Every POST that succeeds
// is recorded in state.writes; requests without the session cookie or the
// X-Splunk-Form-Key header are refused as Splunk Web refuses them.
import https from 'node:https';
import { readFileSync, existsSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { randomBytes } from 'node:crypto';

const APP = 'TA-dnsjoin';
const RAW = '/en-US/splunkd/__raw';

// Stanzas of a .conf file: { name: { key: value } }.
export function readConf(path) {
    const out = {};
    let cur = null;
    for (const raw of readFileSync(path, 'utf8').split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const m = line.match(/^\[(.*)\]$/);
        if (m) {
            cur = out[m[1]] = out[m[1]] || {};
        } else if (cur) {
            const i = line.indexOf('=');
            if (i > 0) cur[line.slice(0, i).trim()] = line.slice(i + 1).trim();
        }
    }
    return out;
}

// The splunkd state a case starts from: the package's own defaults, an
// admin, a few indexes, and searches that find nothing.
export function freshState(appDir) {
    const conf = (n) => readConf(join(appDir, 'default', `${n}.conf`));
    const inputs = {};
    for (const [stanza, kv] of Object.entries(conf('inputs'))) {
        const m = stanza.match(/^dnsmasq_log:\/\/(.+)$/);
        if (m) inputs[m[1]] = { index: 'default', ...kv };
    }
    const saved = {};
    for (const [name, kv] of Object.entries(conf('savedsearches'))) saved[name] = { ...kv };
    return {
        user: {
            name: 'admin', roles: ['admin'],
            capabilities: ['admin_all_objects', 'edit_monitor', 'list_inputs', 'search', 'schedule_search'],
        },
        indexes: ['_audit', '_internal', 'main', 'dns', 'firewall', 'netfw', 'proxy'],
        conf: { macros: conf('macros'), dnsjoin: conf('dnsjoin'), app: conf('app') },
        saved,
        inputs,
        kvstore: { status: 200, docs: [] },
        // (search, params) -> { status, body }
        search: () => ({ status: 200, body: { messages: [], results: [] } }),
        faults: [],       // { method, path: RegExp, status, text }
        writes: [],       // { path, body } of every POST that changed something
        requests: [],     // every splunkd request: { method, path, formKey, outputMode }
        refused: [],      // requests refused for a missing session or CSRF key
        unknown: [],      // endpoints the stand-in does not implement
    };
}

const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
};
const msg = (type, text) => ({ messages: [{ type, text }] });
const entry = (name, content, extra = {}) => ({ name, id: name, content, acl: { app: APP, owner: 'nobody', sharing: 'app' }, ...extra });
const feed = (list) => ({ entry: list, paging: { total: list.length, perPage: 0, offset: 0 }, messages: [] });

function cookies(req) {
    const out = {};
    for (const part of (req.headers.cookie || '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    }
    return out;
}

// The splunkd side: path below /services or /servicesNS, already decoded.
function api(st, method, path, query, body) {
    const ns = `/servicesNS/nobody/${APP}/`;
    let m;
    const conf = (file) => st.conf[file];
    if (method === 'GET' && path === '/services/authentication/current-context') {
        return [200, feed([entry('context', { username: st.user.name, roles: st.user.roles, capabilities: st.user.capabilities })])];
    }
    if (method === 'GET' && path === '/services/data/indexes') {
        return [200, feed(st.indexes.map((n) => entry(n, { totalEventCount: '0' })))];
    }
    if ((m = path.match(/^\/servicesNS\/nobody\/TA-dnsjoin\/configs\/conf-(macros|dnsjoin|app)\/([^/]+)$/))) {
        const stanza = conf(m[1])[m[2]];
        if (!stanza) return [404, msg('ERROR', `Could not find object id=${m[2]}`)];
        if (method === 'POST') {
            Object.assign(stanza, body);
            st.writes.push({ path: path.slice(ns.length), body });
        }
        return [200, feed([entry(m[2], { ...stanza })])];
    }
    if (method === 'GET' && path === `${ns}saved/searches`) {
        return [200, feed(Object.entries(st.saved).map(([n, kv]) => entry(n, { ...kv, disabled: kv.disabled === '1' })))];
    }
    if ((m = path.match(/^\/servicesNS\/nobody\/TA-dnsjoin\/saved\/searches\/([^/]+)$/))) {
        const s = st.saved[m[1]];
        if (!s) return [404, msg('ERROR', `Could not find object id=${m[1]}`)];
        if (method === 'POST') {
            Object.assign(s, body);
            st.writes.push({ path: `saved/searches/${m[1]}`, body });
        }
        return [200, feed([entry(m[1], { ...s })])];
    }
    if (path === `${ns}data/inputs/dnsmasq_log`) {
        if (method === 'GET') {
            return [200, feed(Object.entries(st.inputs).map(([n, kv]) => entry(n, { ...kv, disabled: kv.disabled === '1' })))];
        }
        const { name, ...rest } = body;
        if (!name) return [400, msg('ERROR', 'Missing argument: name')];
        if (st.inputs[name]) return [409, msg('ERROR', `An object with name=${name} already exists`)];
        if (!rest.path) return [400, msg('ERROR', 'Missing argument: path')];
        st.inputs[name] = { index: 'default', ...rest, disabled: '0' };
        st.writes.push({ path: 'data/inputs/dnsmasq_log', body });
        return [201, feed([entry(name, { ...st.inputs[name] })])];
    }
    if ((m = path.match(/^\/servicesNS\/nobody\/TA-dnsjoin\/data\/inputs\/dnsmasq_log\/([^/]+?)(\/(enable|disable))?$/))) {
        const inp = st.inputs[m[1]];
        if (!inp) return [404, msg('ERROR', `Could not find object id=${m[1]}`)];
        if (method === 'POST') {
            if (m[3]) inp.disabled = m[3] === 'enable' ? '0' : '1';
            else Object.assign(inp, body);
            st.writes.push({ path: `data/inputs/dnsmasq_log/${m[1]}${m[2] || ''}`, body });
        }
        return [200, feed([entry(m[1], { ...inp })])];
    }
    if (method === 'GET' && path === `${ns}apps/local/${APP}`) {
        const a = conf('app');
        return [200, feed([entry(APP, { version: a.launcher.version, label: a.ui.label, configured: a.install.is_configured === '1' })])];
    }
    if (method === 'GET' && path === `${ns}storage/collections/data/dnsjoin_pdns`) {
        if (st.kvstore.status !== 200) return [st.kvstore.status, msg('ERROR', st.kvstore.text)];
        return [200, st.kvstore.docs];
    }
    if (method === 'POST' && (m = path.match(/^\/servicesNS\/([^/]+)\/TA-dnsjoin\/search\/jobs$/))) {
        if (body.exec_mode !== 'oneshot') return [400, msg('ERROR', 'the stand-in runs oneshot searches only')];
        const r = st.search(body.search, body);
        return [r.status, r.body];
    }
    return null;
}

export function startStandin({ appDir, key, cert }) {
    const session = randomBytes(16).toString('hex');
    const token = randomBytes(16).toString('hex');
    const ctl = { state: freshState(appDir) };
    let port = 0;

    const server = https.createServer({ key, cert }, (req, res) => {
        const url = new URL(req.url, 'https://127.0.0.1');
        const path = decodeURIComponent(url.pathname);
        let raw = '';
        req.on('data', (c) => { raw += c; });
        req.on('end', () => {
            const st = ctl.state;
            // Splunk Web: the page, its configuration and static files.
            let m;
            if (req.method === 'GET' && (m = path.match(/^\/en-US\/app\/TA-dnsjoin\/([a-z_]+)$/))) {
                const viewFile = join(appDir, 'default', 'data', 'ui', 'views', `${m[1]}.xml`);
                if (!existsSync(viewFile)) return send(res, 404, 'no such view', 'text/plain');
                const t = readFileSync(viewFile, 'utf8').match(/template="TA-dnsjoin:\/templates\/([^"]+)"/);
                if (!t) return send(res, 500, 'the view has no template', 'text/plain');
                let html = readFileSync(join(appDir, 'appserver', 'templates', t[1]), 'utf8');
                html = html.replace(/\$\{make_url\('([^']+)'\)\}/g, (_, p) => `/en-US${p}`);
                if (html.includes('${')) return send(res, 500, 'template expression the stand-in cannot render', 'text/plain');
                res.writeHead(200, {
                    'Content-Type': 'text/html; charset=utf-8',
                    'Set-Cookie': [`splunkd_${port}=${session}; Path=/; Secure; HttpOnly`,
                        `splunkweb_csrf_token_${port}=${token}; Path=/; Secure`],
                });
                return res.end(html);
            }
            if (req.method === 'GET' && path === '/en-US/config') {
                const $C = {
                    LOCALE: 'en-US', MRSPARKLE_ROOT_PATH: '', MRSPARKLE_PORT_NUMBER: String(port),
                    SPLUNKD_PATH: RAW, USERNAME: st.user.name, APP_BUILD: 1, BUILD_NUMBER: 1, BUILD_PUSH_NUMBER: 0,
                    VERSION_LABEL: '9.2.0',
                };
                return send(res, 200, `window.$C = ${JSON.stringify($C)};`, 'application/javascript');
            }
            if (req.method === 'GET' && (path === '/en-US/static/js/i18n.js' || path === '/en-US/i18ncatalog')) {
                return send(res, 200, '/* i18n catalog: the page has only English text */', 'application/javascript');
            }
            if (req.method === 'GET' && path.startsWith(`/en-US/static/app/${APP}/`)) {
                const rel = normalize(path.slice(`/en-US/static/app/${APP}/`.length));
                const f = join(appDir, 'appserver', 'static', rel);
                if (rel.startsWith('..') || !existsSync(f)) return send(res, 404, 'not found', 'text/plain');
                return send(res, 200, readFileSync(f), 'application/javascript');
            }
            if (!path.startsWith(`${RAW}/`)) {
                st.unknown.push(`${req.method} ${path}`);
                return send(res, 404, 'not found', 'text/plain');
            }
            // splunkd through Splunk Web's proxy.
            const apiPath = path.slice(RAW.length);
            const form = Object.fromEntries(new URLSearchParams(raw));
            const formKey = req.headers['x-splunk-form-key'];
            const outputMode = form.output_mode || url.searchParams.get('output_mode');
            st.requests.push({ method: req.method, path: apiPath, formKey: formKey === token, outputMode });
            if (cookies(req)[`splunkd_${port}`] !== session) {
                st.refused.push(`${req.method} ${apiPath}: no session`);
                return send(res, 401, msg('ERROR', 'call not properly authenticated'));
            }
            if (req.method !== 'GET' && formKey !== token) {
                st.refused.push(`${req.method} ${apiPath}: CSRF form key`);
                return send(res, 401, msg('ERROR', 'Splunk Web CSRF validation failed'));
            }
            const fault = st.faults.find((f) => f.method === req.method && f.path.test(apiPath));
            if (fault) return send(res, fault.status, msg('ERROR', fault.text));
            delete form.output_mode;
            const r = api(st, req.method, apiPath, url.searchParams, form);
            if (!r) {
                st.unknown.push(`${req.method} ${apiPath}`);
                return send(res, 404, msg('ERROR', `Not Found: ${apiPath}`));
            }
            return send(res, r[0], r[1]);
        });
    });
    return new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () => {
            port = server.address().port;
            resolve({
                port,
                url: (view = 'dnsjoin_setup') => `https://127.0.0.1:${port}/en-US/app/${APP}/${view}`,
                reset: () => { ctl.state = freshState(appDir); return ctl.state; },
                get state() { return ctl.state; },
                close: () => new Promise((r) => server.close(r)),
            });
        });
    });
}
