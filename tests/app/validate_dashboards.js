// Validate Dashboard Studio definitions (JSON files given as arguments) with
// Splunk's own validator from npm (@splunk/dashboard-validation).
//
//   node validate_dashboards.js [--schema strict|default] [--json] FILE...
//
// strict (the default): the schema that createSchemaBasedOnPresets
// (@splunk/dashboard-definition) builds from EnterpriseViewOnlyPreset
// (@splunk/dashboard-presets), i.e. the visualization, data source, input and
// layout types Splunk Enterprise renders, each with its options schema. That
// schema leaves visualization options open (unknown keys pass), so strict
// also reports every visualization option its type's optionsSchema does not
// name: Splunk ignores such an option silently, and it is nearly always a typo.
// default: @splunk/dashboard-definition's default schema, which accepts any
// type name and any option value; kept so the negative tests can show that
// the strict schema is what catches their cases.
//
// Prints one line per problem (or with --json one object: file -> problems)
// and exits 1 when any definition is invalid, 2 on a set-up error.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
let schemaName = 'strict';
let asJson = false;
const files = [];
for (let i = 0; i < args.length; i++) {
    if (args[i] === '--schema') schemaName = args[++i];
    else if (args[i] === '--json') asJson = true;
    else files.push(args[i]);
}
if (schemaName !== 'strict' && schemaName !== 'default') {
    console.log('--schema must be strict or default');
    process.exit(2);
}

// The preset module imports the visualizations themselves, which touch
// window, document and canvas APIs when loaded: give them a jsdom window.
// Only the components' optionsSchema is read; nothing is rendered.
function installDom() {
    const { JSDOM } = require('jsdom');
    const w = new JSDOM('<!doctype html><html><body></body></html>',
        { url: 'http://localhost/', pretendToBeVisual: true }).window;
    const names = new Set(Object.getOwnPropertyNames(w));
    for (let p = Object.getPrototypeOf(w); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
        for (const n of Object.getOwnPropertyNames(p)) names.add(n);
    }
    // Node has its own Event classes; the DOM's must win so that
    // window.dispatchEvent accepts the events the modules create.
    const domWins = /^(Event|EventTarget|CustomEvent|MessageEvent|navigator)$/;
    for (const k of names) {
        if (k in global && !domWins.test(k)) continue;
        let v;
        try { v = w[k]; } catch (e) { continue; }
        global[k] = typeof v === 'function' && !/^[A-Z]/.test(k) ? v.bind(w) : v;
    }
    global.window = global;
    global.devicePixelRatio = 1;
    global.matchMedia = () => ({
        matches: false, addListener() {}, removeListener() {},
        addEventListener() {}, removeEventListener() {},
    });
    global.ResizeObserver = class { observe() {} unobserve() {} disconnect() {} };
    require.extensions['.css'] = () => {};
}

let DashboardValidator, schema, vizOptions = null;
try {
    ({ DashboardValidator } = require('@splunk/dashboard-validation'));
    const definition = require('@splunk/dashboard-definition');
    if (schemaName === 'default') {
        schema = definition.defaultSchema;
    } else {
        installDom();
        const mod = require('@splunk/dashboard-presets/EnterpriseViewOnlyPreset');
        const preset = mod.default || mod;
        schema = definition.createSchemaBasedOnPresets(preset);
        vizOptions = {};
        for (const [type, c] of Object.entries(preset.visualizations || {})) {
            const os = (c && c.config && c.config.optionsSchema) || {};
            vizOptions[type] = new Set(Object.keys(os));
        }
    }
} catch (e) {
    console.log('cannot load the validator: ' + e.message);
    process.exit(2);
}

// ajv, in strict mode, warns about a few of Splunk's own option schemas
// (a keyword without its type) once per compile: not about the definitions.
const warn = console.warn;
console.warn = (...a) => { if (!/^strict mode:/.test(String(a[0]))) warn(...a); };

function unknownVizOptions(def) {
    const out = [];
    for (const [id, viz] of Object.entries(def.visualizations || {})) {
        const known = viz && vizOptions[viz.type];
        if (!known || !viz.options || typeof viz.options !== 'object') continue;
        for (const k of Object.keys(viz.options)) {
            if (!known.has(k)) {
                out.push({ path: '/visualizations/' + id + '/options/' + k,
                           message: 'is not an option of ' + viz.type });
            }
        }
    }
    return out;
}

const report = {};
let bad = 0;
for (const file of files) {
    const name = path.basename(file);
    let def;
    try {
        def = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        report[name] = [{ path: '', message: 'not JSON: ' + e.message }];
        bad++;
        continue;
    }
    const v = new DashboardValidator();
    const schemaErr = v.setSchema(schema);
    if (schemaErr) {
        console.log('schema rejected: ' + JSON.stringify(schemaErr));
        process.exit(2);
    }
    const problems = (v.validate(def) || []).map(e => ({
        path: e.instancePath || '',
        message: (e.message || JSON.stringify(e)) +
            (e.params && e.params.allowedValues ? ' (' + e.params.allowedValues.join(', ') + ')' : '') +
            (e.params && e.params.additionalProperty ? ': ' + e.params.additionalProperty : ''),
    }));
    if (vizOptions) problems.push(...unknownVizOptions(def));
    report[name] = problems;
    if (problems.length) bad++;
}
if (asJson) {
    console.log(JSON.stringify(report));
} else {
    for (const [name, problems] of Object.entries(report)) {
        for (const p of problems) console.log(name + ': ' + p.path + ' ' + p.message);
    }
}
process.exit(bad ? 1 : 0);
