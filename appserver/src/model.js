// What the page edits, how splunkd's values map to form fields and back,
// and the checks run before anything is written.

export const MACROS = [
    { name: 'dnsjoin_dns_index', label: 'DNS indexes', example: 'dns' },
    { name: 'dnsjoin_fw_index', label: 'Firewall and flow indexes', example: 'firewall' },
    { name: 'dnsjoin_proxy_index', label: 'Web proxy indexes', example: 'proxy' },
];

// [kvstore] of dnsjoin.conf, with the ranges bin/dnsjoin accepts.
export const KVSTORE = [
    { key: 'connect_timeout', label: 'Connect timeout (seconds)', min: 1, max: 3600 },
    { key: 'timeout', label: 'Request timeout (seconds)', min: 1, max: 86400 },
    { key: 'retries', label: 'Retries', min: 0, max: 10 },
    { key: 'max_response_mb', label: 'Largest response (MB)', min: 1, max: 64 },
    { key: 'batch_documents', label: 'Documents per batch_save', min: 1, max: 50000 },
    { key: 'batch_mb', label: 'Largest batch_save body (MB)', min: 1, max: 1024 },
];

export const SAVED_PREFIX = 'DNS Join - ';
export const INPUT_DEFAULT_NAME = 'dnsmasq_queries';
export const INPUT_SOURCETYPE = 'dnsmasq:transaction';
export const COLLECTION = 'dnsjoin_pdns';

const INDEX_TERM = /^index\s*=\s*"?([A-Za-z0-9_*][A-Za-z0-9_\-*]*)"?$/;

// "(index=dns OR index=dns2)" -> "dns, dns2"; "()" -> "". Any other
// definition is shown as it is and only replaced when the field changes.
export function macroToField(definition) {
    const d = (definition || '').trim();
    const inner = d.replace(/^\(\s*/, '').replace(/\s*\)$/, '');
    if (!(d.startsWith('(') && d.endsWith(')'))) return { value: d, custom: true };
    if (inner === '') return { value: '', custom: false };
    const names = [];
    for (const term of inner.split(/\s+OR\s+/i)) {
        const m = term.trim().match(INDEX_TERM);
        if (!m) return { value: d, custom: true };
        names.push(m[1]);
    }
    return { value: names.join(', '), custom: false };
}

export function splitNames(value) {
    const seen = new Set();
    return value
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s && !seen.has(s) && seen.add(s));
}

export function fieldToMacro(value) {
    const names = splitNames(value);
    return names.length ? `(${names.map((n) => `index=${n}`).join(' OR ')})` : '()';
}

function globMatch(pattern, name) {
    const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
    return re.test(name);
}

// The first problem with a list of index names, or ''.
export function checkIndexes(value, known) {
    for (const n of splitNames(value)) {
        if (!/^[A-Za-z0-9_*][A-Za-z0-9_\-*]*$/.test(n)) {
            return `"${n}" is not an index name: use letters, digits, _ and -, separated by commas.`;
        }
        if (n.includes('*') ? !known.some((k) => globMatch(n, k)) : !known.includes(n)) {
            return `There is no index "${n}" on this Splunk server (Settings > Indexes lists them).`;
        }
    }
    return '';
}

export function checkNumber(value, { min, max }) {
    const v = String(value).trim();
    if (!/^\d+$/.test(v)) return `Enter a whole number from ${min} to ${max}.`;
    const n = Number(v);
    if (n < min || n > max) return `${n} is out of range: enter a number from ${min} to ${max}.`;
    return '';
}

export function checkTimezone(value) {
    const v = value.trim();
    if (v === '') return '';
    try {
        // RangeError for a name the IANA database does not know.
        new Intl.DateTimeFormat('en-US', { timeZone: v });
        return '';
    } catch (e) {
        return `"${v}" is not an IANA time zone name: use one such as Europe/Berlin or UTC, or leave it empty for the host's zone.`;
    }
}

export function checkPath(value) {
    const v = value.trim();
    if (v === '') return 'Enter the path of the dnsmasq log, for example /var/log/dnsmasq.log (Pi-hole: /var/log/pihole/pihole.log).';
    if (!v.startsWith('/')) return `"${v}" is not an absolute path: it must start with /.`;
    return '';
}

export function checkInputName(value) {
    const v = value.trim();
    if (v === '') return 'Enter a name for the input, for example dnsmasq_queries.';
    if (!/^[A-Za-z0-9_.\-]+$/.test(v)) return 'Use letters, digits, _, - and . in the input name.';
    return '';
}

// Every field's problem, keyed by field id; empty when all is well.
export function validate(form, orig, known) {
    const errors = {};
    for (const m of MACROS) {
        const f = form.macros[m.name];
        if (orig.macros[m.name].custom && f === orig.macros[m.name].value) continue;
        const e = checkIndexes(f, known);
        if (e) errors[`macro:${m.name}`] = e;
    }
    for (const k of KVSTORE) {
        const e = checkNumber(form.kvstore[k.key], k);
        if (e) errors[`kv:${k.key}`] = e;
    }
    if (form.kvstore.ca_file.trim() === '') {
        errors['kv:ca_file'] = 'Enter the CA file, for example $SPLUNK_HOME/etc/auth/cacert.pem.';
    }
    const inp = form.input;
    if (inp.enabled) {
        const checks = {
            'input:name': orig.input.exists ? '' : checkInputName(inp.name),
            'input:path': checkPath(inp.path),
            'input:timezone': checkTimezone(inp.timezone),
            // "default" is splunkd's name for the server's default index.
            'input:index': inp.index.trim() === '' ? 'Enter the index the events go to.'
                : checkIndexes(inp.index.trim(), [...known, 'default']),
            'input:sourcetype': inp.sourcetype.trim() === '' ? `Enter a sourcetype (the add-on's fields are for ${INPUT_SOURCETYPE}).` : '',
        };
        if (splitNames(inp.index).length > 1) checks['input:index'] = 'An input writes to one index: enter one name.';
        for (const [id, e] of Object.entries(checks)) if (e) errors[id] = e;
    }
    return errors;
}

// The writes a save makes, in order: [what, endpoint, body].
export function plan(form, orig) {
    const out = [];
    for (const m of MACROS) {
        if (form.macros[m.name] !== orig.macros[m.name].value) {
            out.push([`saving the ${m.label} (macro ${m.name})`, `configs/conf-macros/${m.name}`,
                { definition: fieldToMacro(form.macros[m.name]) }]);
        }
    }
    const kv = {};
    for (const k of [...KVSTORE.map((x) => x.key), 'ca_file']) {
        const v = String(form.kvstore[k]).trim();
        if (v !== String(orig.kvstore[k]).trim()) kv[k] = v;
    }
    if (form.kvstore.verify !== orig.kvstore.verify) kv.verify = form.kvstore.verify ? 'true' : 'false';
    if (Object.keys(kv).length) out.push(['saving the KV store settings (dnsjoin.conf [kvstore])', 'configs/conf-dnsjoin/kvstore', kv]);
    for (const s of orig.saved) {
        if (form.saved[s.name] !== s.enabled) {
            out.push([`${form.saved[s.name] ? 'enabling' : 'disabling'} the saved search "${s.name}"`,
                `saved/searches/${encodeURIComponent(s.name)}`, { disabled: form.saved[s.name] ? '0' : '1' }]);
        }
    }
    const inp = form.input;
    const o = orig.input;
    const fields = {};
    for (const k of ['path', 'timezone', 'index', 'sourcetype']) {
        if (inp[k].trim() !== o[k]) fields[k] = inp[k].trim();
    }
    if (!o.exists) {
        if (inp.enabled) {
            // An empty timezone is left out: the input then uses the host's zone.
            const body = { name: inp.name.trim(), path: inp.path.trim(), index: inp.index.trim(), sourcetype: inp.sourcetype.trim() };
            if (inp.timezone.trim()) body.timezone = inp.timezone.trim();
            out.push([`creating the dnsmasq_log input "${body.name}"`, 'data/inputs/dnsmasq_log', body]);
        }
    } else {
        const ep = `data/inputs/dnsmasq_log/${encodeURIComponent(o.name)}`;
        if (Object.keys(fields).length) out.push([`saving the dnsmasq_log input "${o.name}"`, ep, fields]);
        if (inp.enabled !== o.enabled) {
            out.push([`${inp.enabled ? 'enabling' : 'disabling'} the dnsmasq_log input "${o.name}"`, `${ep}/${inp.enabled ? 'enable' : 'disable'}`, {}]);
        }
    }
    out.push(['marking the add-on as configured (app.conf [install])', 'configs/conf-app/install', { is_configured: '1' }]);
    return out;
}
