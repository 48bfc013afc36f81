// Browser tests of the setup page: headless Chromium (playwright-core) on the
// page served by the splunkd stand-in (standin.mjs) from an unpacked package.
//   node test.mjs APP_DIR KEY_PEM CERT_PEM
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startStandin } from './standin.mjs';

const [appDir, keyFile, certFile] = process.argv.slice(2);
const standin = await startStandin({ appDir, key: readFileSync(keyFile), cert: readFileSync(certFile) });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

const TEREDO = 'DNS Join - Teredo or 6to4 tunnel attempts';
const PDNS = 'DNS Join - Passive DNS collection';

// Searches answered the way splunkd answers them when everything is set up.
function goodSearches(st) {
    st.search = (search) => {
        if (search.includes('`dnsjoin_dns_events`')) {
            return { status: 200, body: { messages: [], results: [{ sourcetype: 'dnsmasq:transaction', count: '1200' }, { sourcetype: 'stream:dns', count: '34' }] } };
        }
        if (search.includes('`dnsjoin_fw_events`')) {
            return { status: 200, body: { messages: [], results: [{ sourcetype: 'linux:netfilter', count: '9599' }] } };
        }
        if (/\|\s*dnsjoin\b/.test(search)) {
            return { status: 200, body: { messages: [{ type: 'INFO', text: 'dnsjoin 0.1.0: 1 events (0 DNS, 1 network), 0 DNS answers; input unknown' }], results: [{ _time: '1700000000' }] } };
        }
        return { status: 400, body: { messages: [{ type: 'FATAL', text: `unexpected search ${search}` }] } };
    };
    st.kvstore = { status: 200, docs: [{ _key: 'k', rrname: 'example.com', rrtype: 'A', rdata: '192.0.2.1' }] };
}

async function open(prepare) {
    const st = standin.reset();
    goodSearches(st);
    if (prepare) prepare(st);
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(standin.url());
    await page.waitForSelector('[data-test=setup]', { timeout: 20000 });
    // The health checks run on load; wait until none is still running.
    await page.waitForFunction(() => document.querySelectorAll('[data-test^="health-"][data-status="running"]').length === 0
        && document.querySelectorAll('[data-test^="health-"][data-status]').length === 4, null, { timeout: 20000 });
    return { st, page, context, pageErrors };
}

// What every case must hold: the page used the session and the CSRF key on
// every splunkd call, asked for JSON, and called nothing the stand-in lacks.
function common({ st, pageErrors }) {
    assert.deepEqual(st.refused, [], 'requests refused for a missing session or CSRF key');
    assert.deepEqual(st.unknown.filter((u) => !u.endsWith('/favicon.ico')), [], 'endpoints the page should not call');
    for (const r of st.requests) {
        assert.ok(r.formKey, `${r.method} ${r.path} without X-Splunk-Form-Key`);
        assert.equal(r.outputMode, 'json', `${r.method} ${r.path} without output_mode=json`);
    }
    assert.deepEqual(pageErrors, [], 'errors thrown in the page');
}

const field = (page, id) => page.locator(`[data-test="field-${id}"] input`);
const toggle = (page, test) => page.locator(`[data-test="${test}"] button[role=switch]`);
const help = (page, id) => page.locator(`[data-test="field-${id}"] [data-test=help]`);
const health = async (page, id) => ({
    status: await page.getAttribute(`[data-test="health-${id}"]`, 'data-status'),
    text: await page.locator(`[data-test="health-${id}"] [data-test=health-text]`).innerText(),
});
// A react-ui Message reads as its kind for screen readers ("Alert" for an
// error, "Warning", "Success"), then its text: both are checked.
function message(shown) {
    const i = shown.indexOf('\n');
    return { kind: shown.slice(0, i), text: shown.slice(i + 1) };
}
async function messages(page, test) {
    return (await page.locator(`[data-test=${test}]`).allInnerTexts()).map(message);
}
async function saveAndWait(page, kind) {
    await page.click('[data-test=save]');
    await page.waitForSelector('[data-test=save-result]', { timeout: 20000 });
    const m = message(await page.locator('[data-test=save-result]').innerText());
    assert.equal(m.kind, kind, `save result kind: ${m.text}`);
    return m.text;
}

const cases = [];
const test = (name, fn) => cases.push([name, fn]);

test('saving writes exactly the changed settings, then is_configured', async () => {
    const t = await open();
    const { page, st } = t;
    assert.equal(await field(page, 'input:path').inputValue(), '/var/log/dnsmasq.log', 'the shipped input is shown');
    await field(page, 'macro:dnsjoin_dns_index').fill('dns');
    await field(page, 'macro:dnsjoin_fw_index').fill('firewall, netfw');
    await field(page, 'kv:timeout').fill('20');
    await toggle(page, `saved-${TEREDO}`).click();
    await toggle(page, `saved-${PDNS}`).click();
    await toggle(page, 'input-enabled').click();
    await field(page, 'input:path').fill('/var/log/pihole/pihole.log');
    await field(page, 'input:timezone').fill('Europe/Berlin');
    await field(page, 'input:index').fill('dns');
    const text = await saveAndWait(page, 'Success');
    assert.match(text, /^Saved\. The add-on is configured/);
    assert.deepEqual(st.writes, [
        { path: 'configs/conf-macros/dnsjoin_dns_index', body: { definition: '(index=dns)' } },
        { path: 'configs/conf-macros/dnsjoin_fw_index', body: { definition: '(index=firewall OR index=netfw)' } },
        { path: 'configs/conf-dnsjoin/kvstore', body: { timeout: '20' } },
        { path: `saved/searches/${TEREDO}`, body: { disabled: '0' } },
        { path: `saved/searches/${PDNS}`, body: { disabled: '0' } },
        { path: 'data/inputs/dnsmasq_log/dnsmasq_queries', body: { path: '/var/log/pihole/pihole.log', timezone: 'Europe/Berlin', index: 'dns' } },
        { path: 'data/inputs/dnsmasq_log/dnsmasq_queries/enable', body: {} },
        { path: 'configs/conf-app/install', body: { is_configured: '1' } },
    ]);
    // The page reads the settings back: the saved values are shown.
    assert.equal(await field(page, 'macro:dnsjoin_fw_index').inputValue(), 'firewall, netfw');
    assert.equal(await toggle(page, `saved-${TEREDO}`).getAttribute('aria-checked'), 'true');
    common(t);
    await t.context.close();
});

test('a second save without changes only marks the add-on configured', async () => {
    const t = await open();
    await saveAndWait(t.page, 'Success');
    assert.deepEqual(t.st.writes, [{ path: 'configs/conf-app/install', body: { is_configured: '1' } }]);
    common(t);
    await t.context.close();
});

test('an input is created when none exists', async () => {
    const t = await open((st) => { st.inputs = {}; });
    const { page, st } = t;
    await toggle(page, 'input-enabled').click();
    await field(page, 'input:path').fill('/var/log/dnsmasq.log');
    await field(page, 'input:index').fill('dns');
    assert.match(await saveAndWait(page, 'Success'), /^Saved/);
    assert.deepEqual(st.writes, [
        { path: 'data/inputs/dnsmasq_log', body: { name: 'dnsmasq_queries', path: '/var/log/dnsmasq.log', index: 'dns', sourcetype: 'dnsmasq:transaction' } },
        { path: 'configs/conf-app/install', body: { is_configured: '1' } },
    ]);
    common(t);
    await t.context.close();
});

test('invalid input is refused in the page and nothing is written', async () => {
    const t = await open();
    const { page, st } = t;
    await field(page, 'macro:dnsjoin_dns_index').fill('dns, nosuch');
    await field(page, 'macro:dnsjoin_proxy_index').fill('bad/name');
    await field(page, 'kv:timeout').fill('0');
    await field(page, 'kv:retries').fill('eleven');
    await toggle(page, 'input-enabled').click();
    await field(page, 'input:path').fill('');
    await field(page, 'input:timezone').fill('Mars/Olympus_Mons');
    await field(page, 'input:index').fill('nosuch');
    const text = await saveAndWait(page, 'Alert');
    assert.equal(text, '7 settings need attention (marked below). Nothing was saved.');
    assert.equal(await help(page, 'macro:dnsjoin_dns_index').innerText(), 'There is no index "nosuch" on this Splunk server (Settings > Indexes lists them).');
    assert.match(await help(page, 'macro:dnsjoin_proxy_index').innerText(), /^"bad\/name" is not an index name/);
    assert.equal(await help(page, 'kv:timeout').innerText(), '0 is out of range: enter a number from 1 to 86400.');
    assert.equal(await help(page, 'kv:retries').innerText(), 'Enter a whole number from 0 to 10.');
    assert.match(await help(page, 'input:path').innerText(), /^Enter the path of the dnsmasq log/);
    assert.match(await help(page, 'input:timezone').innerText(), /^"Mars\/Olympus_Mons" is not an IANA time zone name/);
    assert.match(await help(page, 'input:index').innerText(), /^There is no index "nosuch"/);
    assert.equal(await page.getAttribute('[data-test="field-kv:connect_timeout"]', 'data-test-error') ?? 'none', 'none');
    assert.deepEqual(st.writes, []);
    assert.equal(st.requests.filter((r) => r.method === 'POST' && !r.path.endsWith('/search/jobs')).length, 0, 'no POST but searches');
    // Fixing the fields lets the save through.
    await field(page, 'macro:dnsjoin_dns_index').fill('dns');
    await field(page, 'macro:dnsjoin_proxy_index').fill('prox*');
    await field(page, 'kv:timeout').fill('86400');
    await field(page, 'kv:retries').fill('10');
    await field(page, 'input:path').fill('/var/log/dnsmasq.log');
    await field(page, 'input:timezone').fill('UTC');
    await field(page, 'input:index').fill('dns');
    assert.match(await saveAndWait(page, 'Success'), /^Saved/);
    assert.deepEqual(st.writes.find((w) => w.path === 'configs/conf-macros/dnsjoin_proxy_index'), { path: 'configs/conf-macros/dnsjoin_proxy_index', body: { definition: '(index=prox*)' } });
    common(t);
    await t.context.close();
});

for (const [status, text, want] of [
    [401, 'call not properly authenticated', /^Your Splunk session has ended \(HTTP 401\) while saving the DNS indexes \(macro dnsjoin_dns_index\)\. Sign in again and reload this page\. splunkd said: "call not properly authenticated"/],
    [403, 'You (user=admin) do not have permission to perform this operation (requires capability: admin_all_objects).', /^Splunk refused saving the DNS indexes \(macro dnsjoin_dns_index\) \(HTTP 403\): your roles do not allow it\. splunkd said: "You \(user=admin\) do not have permission/],
    [500, 'Internal server error: conf write failed', /^splunkd failed while saving the DNS indexes \(macro dnsjoin_dns_index\) \(HTTP 500\)\. splunkd said: "Internal server error: conf write failed"/],
]) {
    test(`a ${status} from splunkd on save is shown, and the save stops there`, async () => {
        const t = await open((st) => st.faults.push({ method: 'POST', path: /conf-macros\/dnsjoin_dns_index$/, status, text }));
        const { page, st } = t;
        await field(page, 'macro:dnsjoin_dns_index').fill('dns');
        await field(page, 'kv:timeout').fill('20');
        const shown = await saveAndWait(page, 'Alert');
        assert.match(shown, want);
        assert.deepEqual(st.writes, [], 'nothing after the failed write, and no is_configured');
        common(t);
        await t.context.close();
    });
}

test('a 500 while reading a setting is shown, the rest of the page works', async () => {
    const t = await open((st) => st.faults.push({ method: 'GET', path: /data\/inputs\/dnsmasq_log$/, status: 500, text: 'modular input scheme not loaded' }));
    const problems = await messages(t.page, 'load-problem');
    assert.deepEqual(problems, [{ kind: 'Alert', text: 'splunkd failed while reading the dnsmasq_log inputs (HTTP 500). splunkd said: "modular input scheme not loaded"' }]);
    assert.equal(await field(t.page, 'macro:dnsjoin_dns_index').isEditable(), true);
    common(t);
    await t.context.close();
});

test('health: all good', async () => {
    const t = await open((st) => { st.conf.macros.dnsjoin_dns_index.definition = '(index=dns)'; });
    const all = {};
    for (const id of ['dns', 'fw', 'command', 'kvstore']) all[id] = await health(t.page, id);
    assert.deepEqual(all, {
        dns: { status: 'ok', text: '1,234 DNS events in the last hour, by sourcetype: dnsmasq:transaction (1,200), stream:dns (34).' },
        fw: { status: 'ok', text: '9,599 firewall and flow events in the last hour, by sourcetype: linux:netfilter (9,599).' },
        command: { status: 'ok', text: '| dnsjoin runs: version 0.1.0.' },
        kvstore: { status: 'ok', text: 'The KV store collection dnsjoin_pdns is reachable and holds records.' },
    });
    const searches = t.st.requests.filter((r) => r.path.endsWith('/search/jobs'));
    assert.equal(searches.length, 3);
    common(t);
    await t.context.close();
});

test('health: no DNS events', async () => {
    const t = await open((st) => {
        st.conf.macros.dnsjoin_dns_index.definition = '(index=dns)';
        const inner = st.search;
        st.search = (s, p) => {
            if (s.includes('`dnsjoin_dns_events`')) {
                assert.equal(p.earliest_time, '-1h');
                return { status: 200, body: { messages: [], results: [] } };
            }
            return inner(s, p);
        };
    });
    const h = await health(t.page, 'dns');
    assert.equal(h.status, 'missing');
    assert.match(h.text, /^No DNS events in the last hour\. The DNS indexes are dns: check that they hold DNS data tagged dns and resolution/);
    assert.equal((await health(t.page, 'fw')).status, 'ok');
    common(t);
    await t.context.close();
});

test('health: the dnsjoin command is missing', async () => {
    const t = await open((st) => {
        const inner = st.search;
        st.search = (s, p) => (/\|\s*dnsjoin\b/.test(s)
            ? { status: 400, body: { messages: [{ type: 'FATAL', text: "Unknown search command 'dnsjoin'." }] } }
            : inner(s, p));
    });
    const h = await health(t.page, 'command');
    assert.equal(h.status, 'error');
    assert.match(h.text, /^\| dnsjoin does not run: Unknown search command 'dnsjoin'\. Check that the package for this server's processor is installed/);
    common(t);
    await t.context.close();
});

test('health: the dnsjoin binary is another version than the app', async () => {
    const t = await open((st) => {
        const inner = st.search;
        st.search = (s, p) => (/\|\s*dnsjoin\b/.test(s)
            ? { status: 200, body: { messages: [{ type: 'INFO', text: 'dnsjoin 0.0.9: 1 events (0 DNS, 1 network), 0 DNS answers; input unknown' }], results: [{ _time: '1700000000' }] } }
            : inner(s, p));
    });
    const h = await health(t.page, 'command');
    assert.equal(h.status, 'error');
    assert.equal(h.text, '| dnsjoin runs, but its binary is version 0.0.9 and the app is version 0.1.0: the package was only partly replaced. Install the package again and restart Splunk.');
    common(t);
    await t.context.close();
});

test('health: the dnsjoin command fails', async () => {
    const t = await open((st) => {
        const inner = st.search;
        st.search = (s, p) => (/\|\s*dnsjoin\b/.test(s)
            ? { status: 200, body: { messages: [{ type: 'ERROR', text: "Error in 'dnsjoin' command: External search command exited unexpectedly with non-zero error code 126." }], results: [] } }
            : inner(s, p));
    });
    const h = await health(t.page, 'command');
    assert.equal(h.status, 'error');
    assert.match(h.text, /^\| dnsjoin does not run: Error in 'dnsjoin' command: External search command exited unexpectedly with non-zero error code 126\./);
    common(t);
    await t.context.close();
});

test('health: the KV store is unreachable', async () => {
    const t = await open((st) => { st.kvstore = { status: 503, text: 'KV Store is disabled. Please enable it to start the data store.' }; });
    const h = await health(t.page, 'kvstore');
    assert.equal(h.status, 'error');
    assert.match(h.text, /^The KV store collection dnsjoin_pdns cannot be read: splunkd failed while reading the KV store collection dnsjoin_pdns \(HTTP 503\)\. splunkd said: "KV Store is disabled\./);
    assert.match(h.text, /splunk show kvstore-status/);
    common(t);
    await t.context.close();
});

test('a user without admin_all_objects sees why the page cannot save', async () => {
    const t = await open((st) => { st.user = { name: 'alice', roles: ['user', 'power'], capabilities: ['search', 'schedule_search'] }; });
    const { page, st } = t;
    const [m] = await messages(page, 'no-permission');
    assert.equal(m.kind, 'Warning');
    const why = m.text;
    assert.match(why, /^You are signed in as alice \(roles: user, power\), which lacks the admin_all_objects capability that changing an app's configuration needs\./);
    assert.match(why, /an administrator \(role admin or sc_admin\) has to save them/);
    assert.equal(await page.locator('[data-test=save]').isDisabled(), true);
    assert.equal(await field(page, 'macro:dnsjoin_dns_index').isEditable(), false);
    await page.locator('[data-test=save]').click({ force: true });
    await page.waitForTimeout(300);
    assert.deepEqual(st.writes, []);
    // The health panel still works for this user.
    assert.equal((await health(page, 'dns')).status, 'ok');
    common(t);
    await t.context.close();
});

test('an admin sees no permission warning', async () => {
    const t = await open();
    assert.equal(await t.page.locator('[data-test=no-permission]').count(), 0);
    assert.equal(await t.page.locator('[data-test=save]').isDisabled(), false);
    common(t);
    await t.context.close();
});

let failed = 0;
for (const [name, fn] of cases) {
    try {
        await fn();
        console.log(`PASS ${name}`);
    } catch (e) {
        failed++;
        console.log(`FAIL ${name}\n    ${String(e.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
    }
}
await browser.close();
await standin.close();
console.log(`setup: ${cases.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
