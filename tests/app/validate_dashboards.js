// Validate Dashboard Studio definitions (JSON files given as arguments) with
// Splunk's own validator from npm (@splunk/dashboard-validation against
// @splunk/dashboard-definition's default schema). Prints one line per
// problem and exits 1 when any definition is invalid, 2 on a set-up error.
'use strict';
const fs = require('fs');
const path = require('path');

let DashboardValidator, defaultSchema;
try {
    ({ DashboardValidator } = require('@splunk/dashboard-validation'));
    ({ defaultSchema } = require('@splunk/dashboard-definition'));
} catch (e) {
    console.log('cannot load the validator: ' + e.message);
    process.exit(2);
}

let bad = 0;
for (const file of process.argv.slice(2)) {
    const name = path.basename(file);
    let def;
    try {
        def = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        console.log(name + ': not JSON: ' + e.message);
        bad++;
        continue;
    }
    const v = new DashboardValidator();
    const schemaErr = v.setSchema(defaultSchema);
    if (schemaErr) {
        console.log('schema rejected: ' + JSON.stringify(schemaErr));
        process.exit(2);
    }
    const errs = v.validate(def);
    if (errs && errs.length) {
        bad++;
        for (const e of errs) {
            console.log(name + ': ' + (e.instancePath || '') + ' ' + (e.message || JSON.stringify(e)));
        }
    }
}
process.exit(bad ? 1 : 0);
