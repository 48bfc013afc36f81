// Setup page of TA-dnsjoin: where the data is, the dnsmasq_log input, the
// scheduled searches, the KV store connection, and a health panel that says
// what is still missing.
import React, { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import SplunkThemeProvider from '@splunk/themes/SplunkThemeProvider';
import Button from '@splunk/react-ui/Button';
import ControlGroup from '@splunk/react-ui/ControlGroup';
import Heading from '@splunk/react-ui/Heading';
import Link from '@splunk/react-ui/Link';
import Message from '@splunk/react-ui/Message';
import P from '@splunk/react-ui/Paragraph';
import Switch from '@splunk/react-ui/Switch';
import Text from '@splunk/react-ui/Text';
import WaitSpinner from '@splunk/react-ui/WaitSpinner';
import { createURL } from '@splunk/splunk-utils/url';
import { APP, entries, get, isTrue, oneshot, post } from './rest';
import {
    COLLECTION, INPUT_DEFAULT_NAME, INPUT_SOURCETYPE, KVSTORE, MACROS, SAVED_PREFIX,
    macroToField, plan, validate,
} from './model';

const SAVE_CAPABILITY = 'admin_all_objects';
const page = {
    maxWidth: 860, margin: '0 auto', padding: '16px 24px 48px', fontSize: 14,
    fontFamily: "'Splunk Platform Sans', 'Proxima Nova', Roboto, Arial, Helvetica, sans-serif",
};
const section = { marginTop: 28 };

async function load() {
    const ctx = entries(await get('reading your user and its capabilities', 'authentication/current-context', {}, {}))[0];
    const content = (ctx && ctx.content) || {};
    const out = {
        user: content.username || (ctx && ctx.name) || '',
        roles: content.roles || [],
        capabilities: content.capabilities || [],
        problems: [],
        loadedAt: Date.now(), // a new health run after each save
    };
    const part = async (fn) => {
        try {
            await fn();
        } catch (e) {
            out.problems.push(e.message);
        }
    };
    out.indexes = [];
    await part(async () => {
        out.indexes = entries(await get('listing the indexes', 'data/indexes', { count: 0 }, {})).map((e) => e.name);
    });
    out.macros = {};
    for (const m of MACROS) {
        out.macros[m.name] = { value: '', custom: false };
        await part(async () => {
            const e = entries(await get(`reading the macro ${m.name}`, `configs/conf-macros/${m.name}`))[0];
            out.macros[m.name] = macroToField(e ? e.content.definition : '()');
        });
    }
    out.kvstore = { ca_file: '', verify: true };
    KVSTORE.forEach((k) => { out.kvstore[k.key] = ''; });
    await part(async () => {
        const c = entries(await get('reading dnsjoin.conf [kvstore]', 'configs/conf-dnsjoin/kvstore'))[0].content;
        KVSTORE.forEach((k) => { out.kvstore[k.key] = c[k.key] === undefined ? '' : String(c[k.key]); });
        out.kvstore.ca_file = c.ca_file || '';
        out.kvstore.verify = c.verify === undefined ? true : isTrue(c.verify);
    });
    out.saved = [];
    await part(async () => {
        out.saved = entries(await get('listing the saved searches', 'saved/searches', { count: 0, search: `name="${SAVED_PREFIX}*"` }))
            .filter((e) => e.name.startsWith(SAVED_PREFIX) && (!e.acl || e.acl.app === APP))
            .map((e) => ({ name: e.name, enabled: !isTrue(e.content.disabled), description: e.content.description || '' }));
    });
    out.input = { exists: false, name: INPUT_DEFAULT_NAME, path: '', timezone: '', index: '', sourcetype: INPUT_SOURCETYPE, enabled: false };
    await part(async () => {
        const list = entries(await get('reading the dnsmasq_log inputs', 'data/inputs/dnsmasq_log', { count: 0 }));
        list.sort((a, b) => (a.name < b.name ? -1 : 1));
        const e = list[0];
        if (e) {
            const c = e.content;
            out.input = {
                exists: true, name: e.name, path: c.path || '', timezone: c.timezone || '',
                index: c.index || 'default', sourcetype: c.sourcetype || '', enabled: !isTrue(c.disabled),
            };
        }
    });
    out.version = '';
    await part(async () => {
        const e = entries(await get('reading the add-on version', `apps/local/${APP}`))[0];
        out.version = (e && e.content.version) || '';
    });
    return out;
}

function formOf(orig) {
    const saved = {};
    orig.saved.forEach((s) => { saved[s.name] = s.enabled; });
    const macros = {};
    MACROS.forEach((m) => { macros[m.name] = orig.macros[m.name].value; });
    return { macros, kvstore: { ...orig.kvstore }, saved, input: { ...orig.input } };
}

// ---------------------------------------------------------------- health

const STATUS_LABEL = { ok: 'OK', missing: 'Missing', error: 'Failed', running: 'Checking' };
const STATUS_COLOR = { ok: '#1a7f37', missing: '#9a6700', error: '#c22', running: '#555' };

function fmt(n) {
    return Number(n).toLocaleString('en-US');
}

function searchError(messages) {
    const m = messages.find((x) => x.type === 'ERROR' || x.type === 'FATAL');
    return m ? m.text : '';
}

async function countBy(what, macro) {
    const r = await oneshot(`searching for ${what}`, `search \`${macro}\` | stats count by sourcetype | sort - count`, '-1h', 'now');
    const err = searchError(r.messages);
    if (err) throw new Error(err);
    const rows = r.results.filter((x) => Number(x.count) > 0);
    return { total: rows.reduce((a, x) => a + Number(x.count), 0), rows };
}

function bySourcetype(rows) {
    return rows.map((x) => `${x.sourcetype} (${fmt(x.count)})`).join(', ');
}

const CHECKS = [
    {
        id: 'dns',
        title: 'DNS events',
        run: async (cfg) => {
            const { total, rows } = await countBy('DNS events', 'dnsjoin_dns_events');
            if (total === 0) {
                return ['missing', `No DNS events in the last hour. The DNS indexes are ${cfg.dns || 'your default indexes'}: check that they hold DNS data tagged dns and resolution (a dnsmasq_log input, Splunk Stream, or a CIM add-on for your DNS server).`];
            }
            return ['ok', `${fmt(total)} DNS events in the last hour, by sourcetype: ${bySourcetype(rows)}.`];
        },
    },
    {
        id: 'fw',
        title: 'Firewall and flow events',
        run: async (cfg) => {
            const { total, rows } = await countBy('firewall events', 'dnsjoin_fw_events');
            if (total === 0) {
                return ['missing', `No firewall or flow events in the last hour. The firewall indexes are ${cfg.fw || 'your default indexes'}: check that they hold events tagged network and communicate (for example linux:netfilter).`];
            }
            return ['ok', `${fmt(total)} firewall and flow events in the last hour, by sourcetype: ${bySourcetype(rows)}.`];
        },
    },
    {
        id: 'command',
        title: 'The dnsjoin command',
        run: async (cfg) => {
            let r;
            try {
                r = await oneshot('running | dnsjoin', '| makeresults | dnsjoin');
            } catch (e) {
                if (e.status === 401 || e.status === 403) throw e;
                return ['error', `| dnsjoin does not run: ${e.detail || e.message} Check that the package for this server's processor is installed (bin/dnsjoin, or linux_x86_64/bin/dnsjoin).`];
            }
            const err = searchError(r.messages);
            if (err || r.results.length === 0) {
                return ['error', `| dnsjoin does not run: ${err || 'it returned no result'}. Check that the package for this server's processor is installed (bin/dnsjoin, or linux_x86_64/bin/dnsjoin).`];
            }
            // the binary names its version in its summary message ("dnsjoin 0.1.0: 1 events ...")
            const m = (r.messages || []).map((x) => /^dnsjoin (\S+): /.exec(x.text || '')).find(Boolean);
            const bin = m ? m[1] : '';
            if (bin && cfg.version && bin !== cfg.version) {
                return ['error', `| dnsjoin runs, but its binary is version ${bin} and the app is version ${cfg.version}: the package was only partly replaced. Install the package again and restart Splunk.`];
            }
            return ['ok', `| dnsjoin runs: version ${bin || cfg.version || 'unknown'}${bin ? '' : ' (the app\'s; the binary did not say)'}.`];
        },
    },
    {
        id: 'kvstore',
        title: 'KV store (passive DNS, history=)',
        run: async () => {
            let docs;
            try {
                docs = await get(`reading the KV store collection ${COLLECTION}`, `storage/collections/data/${COLLECTION}`, { limit: 1 });
            } catch (e) {
                if (e.status === 401) throw e;
                return ['error', `The KV store collection ${COLLECTION} cannot be read: ${e.message} dnspdns and history= need it: check that the KV store is enabled and running (splunk show kvstore-status).`];
            }
            if (!Array.isArray(docs) || docs.length === 0) {
                return ['ok', `The KV store collection ${COLLECTION} is reachable and still empty: enable the saved search "DNS Join - Passive DNS collection" to fill it.`];
            }
            return ['ok', `The KV store collection ${COLLECTION} is reachable and holds records.`];
        },
    },
];

function HealthRow({ check, state }) {
    const status = state ? state[0] : 'running';
    return (
        <div data-test={`health-${check.id}`} data-status={status} style={{ display: 'flex', gap: 12, padding: '8px 0', borderBottom: '1px solid #e1e6eb' }}>
            <div style={{ width: 80, fontWeight: 600, color: STATUS_COLOR[status] }}>{STATUS_LABEL[status]}</div>
            <div style={{ flex: 1 }}>
                <div style={{ fontWeight: 600 }}>{check.title}</div>
                <div data-test="health-text">{state ? state[1] : 'Checking...'}</div>
            </div>
        </div>
    );
}

function Health({ cfg }) {
    const [states, setStates] = useState({});
    const [running, setRunning] = useState(false);
    const run = useCallback(async () => {
        setRunning(true);
        setStates({});
        await Promise.all(CHECKS.map(async (c) => {
            let s;
            try {
                s = await c.run(cfg);
            } catch (e) {
                s = ['error', e.message];
            }
            setStates((prev) => ({ ...prev, [c.id]: s }));
        }));
        setRunning(false);
    }, [cfg]);
    useEffect(() => { run(); }, []); // eslint-disable-line react-hooks/exhaustive-deps
    return (
        <div style={section} data-test="health">
            <Heading level={2}>Health</Heading>
            <P>Short searches over the last hour: what still keeps the add-on from working. They run again after every save.</P>
            {CHECKS.map((c) => <HealthRow key={c.id} check={c} state={states[c.id]} />)}
            <div style={{ marginTop: 12 }}>
                <Button label={running ? 'Checking...' : 'Run the checks again'} disabled={running} onClick={run} data-test="health-run" />
            </div>
        </div>
    );
}

// ---------------------------------------------------------------- form

function Field({ id, label, help, errors, value, onChange, disabled, placeholder }) {
    return (
        <ControlGroup label={label} help={errors[id] || help} error={!!errors[id]} labelWidth={220} data-test={`field-${id}`}>
            <Text value={value} onChange={(e, { value: v }) => onChange(v)} disabled={disabled} placeholder={placeholder} inputId={`in-${id}`} name={id} />
        </ControlGroup>
    );
}

function Setup() {
    const [orig, setOrig] = useState(null);
    const [form, setForm] = useState(null);
    const [loadError, setLoadError] = useState('');
    const [errors, setErrors] = useState({});
    const [result, setResult] = useState(null);
    const [saving, setSaving] = useState(false);

    useEffect(() => {
        load().then((o) => { setOrig(o); setForm(formOf(o)); }, (e) => setLoadError(e.message));
    }, []);

    if (loadError) {
        return <div style={page}><Heading level={1}>Set up DNS Join Add-on for Splunk</Heading><Message type="error" data-test="load-error">{loadError}</Message></div>;
    }
    if (!form) {
        return <div style={page}><WaitSpinner size="medium" /> Reading the current settings...</div>;
    }
    const canSave = orig.capabilities.includes(SAVE_CAPABILITY);
    const set = (path, v) => setForm((f) => {
        const [a, b] = path;
        return { ...f, [a]: { ...f[a], [b]: v } };
    });
    const fieldProps = (sec, key, id) => ({ id, errors, value: form[sec][key], onChange: (v) => set([sec, key], v), disabled: !canSave || saving });

    const save = async () => {
        setResult(null);
        const errs = validate(form, orig, orig.indexes);
        setErrors(errs);
        const n = Object.keys(errs).length;
        if (n) {
            setResult({ type: 'error', text: `${n === 1 ? 'One setting needs' : `${n} settings need`} attention (marked below). Nothing was saved.` });
            return;
        }
        setSaving(true);
        const done = [];
        try {
            for (const [what, endpoint, body] of plan(form, orig)) {
                await post(what, endpoint, body); // eslint-disable-line no-await-in-loop
                done.push(what);
            }
            const fresh = await load();
            setOrig(fresh);
            setForm(formOf(fresh));
            setResult({ type: 'success', text: 'Saved. The add-on is configured; the health checks above ran again with the new settings.' });
        } catch (e) {
            const kept = done.length ? ` Saved before the error: ${done.join('; ')}.` : '';
            setResult({ type: 'error', text: `${e.message}${kept}` });
        }
        setSaving(false);
    };

    const macroHelp = (m) => (orig.macros[m.name].custom
        ? `A custom definition; replace it with index names to change it. Macro ${m.name}.`
        : `Index names separated by commas, for example ${m.example}. Empty: the searching user's default indexes. Macro ${m.name}.`);

    return (
        <div style={page} data-test="setup">
            <Heading level={1}>Set up DNS Join Add-on for Splunk</Heading>
            <P>
                Tell the add-on where your DNS, firewall and proxy events are, whether this server reads a
                dnsmasq or Pi-hole log, and which detections run. Every setting is saved in this app&apos;s
                local configuration and can be changed here again later.
            </P>
            {!canSave && (
                <Message type="warning" data-test="no-permission">
                    You are signed in as {orig.user}{orig.roles.length ? ` (roles: ${orig.roles.join(', ')})` : ''}, which
                    lacks the {SAVE_CAPABILITY} capability that changing an app&apos;s configuration needs. You can read the
                    settings and the health checks; an administrator (role admin or sc_admin) has to save them.
                </Message>
            )}
            {orig.problems.map((p) => <Message key={p} type="error" data-test="load-problem">{p}</Message>)}

            <Health cfg={{ dns: orig.macros.dnsjoin_dns_index.value, fw: orig.macros.dnsjoin_fw_index.value, version: orig.version }} key={orig.loadedAt} />

            <div style={section}>
                <Heading level={2}>Where the data is</Heading>
                <P>Every dashboard and saved search of the add-on reads these indexes.</P>
                {MACROS.map((m) => (
                    <Field key={m.name} label={m.label} help={macroHelp(m)} errors={errors} id={`macro:${m.name}`}
                        value={form.macros[m.name]} onChange={(v) => set(['macros', m.name], v)} disabled={!canSave || saving} />
                ))}
            </div>

            <div style={section}>
                <Heading level={2}>dnsmasq or Pi-hole query log</Heading>
                <P>
                    Only on the Splunk instance that can read the log (often a forwarder). DNS answers from Splunk
                    Stream or another CIM add-on need no input here.
                </P>
                <ControlGroup label="Read a log on this server" labelWidth={220}>
                    <Switch appearance="toggle" selected={form.input.enabled} disabled={!canSave || saving}
                        onClick={() => set(['input', 'enabled'], !form.input.enabled)} data-test="input-enabled">
                        {form.input.enabled ? 'Enabled' : 'Disabled'}
                    </Switch>
                </ControlGroup>
                {!orig.input.exists && <Field label="Input name" {...fieldProps('input', 'name', 'input:name')} />}
                <Field label="Log file" help="Absolute path, for example /var/log/dnsmasq.log or /var/log/pihole/pihole.log. dnsmasq should log with log-queries=extra." {...fieldProps('input', 'path', 'input:path')} />
                <Field label="Time zone of the log" help="IANA name such as Europe/Berlin or UTC; empty: this host's time zone." {...fieldProps('input', 'timezone', 'input:timezone')} />
                <Field label="Index" help="The index the DNS transactions go to." {...fieldProps('input', 'index', 'input:index')} />
                <Field label="Sourcetype" help={`Keep ${INPUT_SOURCETYPE}: the add-on's fields are defined for it.`} {...fieldProps('input', 'sourcetype', 'input:sourcetype')} />
            </div>

            <div style={section}>
                <Heading level={2}>Scheduled searches</Heading>
                {orig.saved.length === 0 && <P>No saved searches of the add-on were found.</P>}
                {orig.saved.map((s) => (
                    <ControlGroup key={s.name} label={s.name.slice(SAVED_PREFIX.length)} labelWidth={420} help={s.description}>
                        <Switch appearance="toggle" selected={form.saved[s.name]} disabled={!canSave || saving}
                            onClick={() => set(['saved', s.name], !form.saved[s.name])} data-test={`saved-${s.name}`}>
                            {form.saved[s.name] ? 'Enabled' : 'Disabled'}
                        </Switch>
                    </ControlGroup>
                ))}
            </div>

            <div style={section}>
                <Heading level={2}>KV store connection</Heading>
                <P>How dnspdns and history= reach the KV store (dnsjoin.conf [kvstore]). The defaults suit most servers.</P>
                {KVSTORE.map((k) => (
                    <Field key={k.key} label={k.label} help={`${k.min} to ${k.max}.`} {...fieldProps('kvstore', k.key, `kv:${k.key}`)} />
                ))}
                <Field label="CA file" help="PEM file of the authorities trusted for splunkd's certificate." {...fieldProps('kvstore', 'ca_file', 'kv:ca_file')} />
                <ControlGroup label="Verify splunkd's certificate" labelWidth={220}
                    help={form.kvstore.verify ? 'Recommended.' : 'Unsafe: whoever intercepts the connection gets the search\'s session key.'}>
                    <Switch appearance="toggle" selected={form.kvstore.verify} disabled={!canSave || saving}
                        onClick={() => set(['kvstore', 'verify'], !form.kvstore.verify)} data-test="kv-verify">
                        {form.kvstore.verify ? 'Yes' : 'No'}
                    </Switch>
                </ControlGroup>
            </div>

            <div style={section}>
                {result && <Message type={result.type} data-test="save-result">{result.text}</Message>}
                <div style={{ display: 'flex', gap: 12, alignItems: 'center', marginTop: 8 }}>
                    <Button appearance="primary" label={saving ? 'Saving...' : 'Save'} disabled={!canSave || saving} onClick={save} data-test="save" />
                    <Link to={createURL(`/app/${APP}/dns_firewall_activity`)}>Open the dashboards</Link>
                </div>
            </div>

        </div>
    );
}

createRoot(document.getElementById('setup-root')).render(
    <SplunkThemeProvider family="enterprise" colorScheme="light" density="comfortable">
        <Setup />
    </SplunkThemeProvider>,
);
