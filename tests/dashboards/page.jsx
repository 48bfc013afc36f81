// The page the browser suite loads: one Dashboard Studio definition rendered
// by @splunk/dashboard-core with the Enterprise view-only preset, whose
// ds.search and ds.chain data sources are replaced by StoryDataSource, which
// answers each data source from the results run.mjs computed with the add-on's
// commands (window.__DASH__.results, keyed by data source id).
import React from 'react';
import { createRoot } from 'react-dom/client';
import DashboardCore from '@splunk/dashboard-core';
import { DashboardContextProvider } from '@splunk/dashboard-context';
import EnterpriseViewOnlyPreset from '@splunk/dashboard-presets/EnterpriseViewOnlyPreset';
import DataSource from '@splunk/datasources/DataSource';
import { DataSet } from '@splunk/datasource-utils';

const { definition, results } = window.__DASH__;
window.__DS_LOG__ = [];

const SplunkSearch = EnterpriseViewOnlyPreset.dataSources['ds.search'];

class StoryDataSource extends DataSource {
    // the real ds.search's option schema and configuration, so the framework
    // validates the options and treats chains (isChainEnabled, extend) as it
    // does in Splunk Web
    static schema = SplunkSearch.schema;

    static config = SplunkSearch.config;

    request(requestParams) {
        return (observer) => {
            const id = this.context && this.context.id;
            const r = results[id];
            window.__DS_LOG__.push({ id, query: this.options.query, requestParams });
            const fail = (message) => {
                observer.error({ level: 'error', message, meta: { status: 'failed' } });
            };
            if (!r) { fail(`no results computed for data source ${id}`); return () => {}; }
            if (r.error) { fail(r.error); return () => {}; }
            // the framework substituted the tokens itself: its query must be the one answered
            if (this.options.query !== r.query) {
                fail(`query mismatch for ${id}: dashboard sent ${JSON.stringify(this.options.query)}, results are for ${JSON.stringify(r.query)}`);
                return () => {};
            }
            const timer = setTimeout(() => {
                const ds = DataSet.fromJSONCols(r.fields.map((name) => ({ name })), r.columns);
                const page = requestParams && (requestParams.count || requestParams.offset)
                    ? ds.getPage({ count: requestParams.count, offset: requestParams.offset }) : ds;
                observer.next({
                    data: page,
                    meta: { status: 'done', percentComplete: 100, totalCount: r.columns[0] ? r.columns[0].length : 0, lastUpdated: new Date().toISOString() },
                });
                observer.complete();
            }, 0);
            return () => clearTimeout(timer);
        };
    }
}

// drilldown.linkToSearch opens Splunk Web's search page, which is not here;
// the preset has no handler for it, so register one that does nothing.
class LinkToSearchNotCovered {
    constructor(options) { this.options = options; }
    canHandle() { return false; }
    handle() { return Promise.resolve([]); }
}

const preset = {
    ...EnterpriseViewOnlyPreset,
    dataSources: { ...EnterpriseViewOnlyPreset.dataSources, 'ds.search': StoryDataSource, 'ds.chain': StoryDataSource },
    eventHandlers: { ...(EnterpriseViewOnlyPreset.eventHandlers || {}), 'drilldown.linkToSearch': LinkToSearchNotCovered },
};

window.__VALIDATION_ERRORS__ = [];
const root = createRoot(document.getElementById('root'));
root.render(
    <DashboardContextProvider preset={preset} initialDefinition={definition}>
        <DashboardCore
            width="100%"
            height="100%"
            onValidationError={(e) => window.__VALIDATION_ERRORS__.push(String(e && e.message ? e.message : JSON.stringify(e)))}
        />
    </DashboardContextProvider>,
);
window.__RENDERED__ = true;
