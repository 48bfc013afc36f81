// splunkd REST calls of the setup page, through Splunk Web's /splunkd/__raw
// proxy with the CSRF form key that splunk-utils reads from the cookie.
import { createRESTURL } from '@splunk/splunk-utils/url';
import { getDefaultFetchInit, findErrorMessage } from '@splunk/splunk-utils/fetch';
import { username } from '@splunk/splunk-utils/config';

export const APP = 'TA-dnsjoin';
const APP_NS = { owner: 'nobody', app: APP };

// An error a person can act on: what was being done, the HTTP status and
// splunkd's own message.
export class RestError extends Error {
    constructor(what, status, detail) {
        super(describe(what, status, detail));
        this.status = status;
        this.detail = detail;
        this.what = what;
    }
}

function describe(what, status, detail) {
    const said = detail ? ` splunkd said: "${detail}"` : '';
    if (status === 401) {
        return `Your Splunk session has ended (HTTP 401) while ${what}. Sign in again and reload this page.${said}`;
    }
    if (status === 403) {
        return `Splunk refused ${what} (HTTP 403): your roles do not allow it.${said}`;
    }
    if (status === 0) {
        return `Splunk could not be reached while ${what}: check the network connection and reload this page.`;
    }
    if (status >= 500) {
        return `splunkd failed while ${what} (HTTP ${status}).${said || ' Look at splunkd.log for the cause.'}`;
    }
    return `${what} failed (HTTP ${status}).${said}`;
}

function encodeForm(params) {
    return Object.keys(params)
        .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
        .join('&');
}

async function request(what, endpoint, { method = 'GET', query = {}, body, ns = APP_NS } = {}) {
    const q = encodeForm({ output_mode: 'json', ...query });
    const url = `${createRESTURL(endpoint, ns)}?${q}`;
    const init = { ...getDefaultFetchInit(), method };
    if (body !== undefined) {
        init.body = encodeForm({ output_mode: 'json', ...body });
    }
    let res;
    try {
        res = await fetch(url, init);
    } catch (e) {
        throw new RestError(what, 0, e.message);
    }
    let data = null;
    const text = await res.text();
    try {
        data = text ? JSON.parse(text) : null;
    } catch (e) {
        data = null;
    }
    if (!res.ok) {
        const m = data && findErrorMessage(data);
        throw new RestError(what, res.status, m ? m.text : '');
    }
    return data;
}

export const get = (what, endpoint, query, ns) => request(what, endpoint, { query, ns });
export const post = (what, endpoint, body, ns) => request(what, endpoint, { method: 'POST', body, ns });

export function entries(data) {
    return (data && data.entry) || [];
}

// A one-shot search in the app's context; resolves with
// { results, messages } where messages are splunkd's (ERROR ones included:
// a failing search command often answers 200 with an ERROR message).
export async function oneshot(what, search, earliest, latest) {
    const body = { search, exec_mode: 'oneshot', count: 0 };
    if (earliest) body.earliest_time = earliest;
    if (latest) body.latest_time = latest;
    const data = await post(what, 'search/jobs', body, { owner: username || 'nobody', app: APP });
    return {
        results: (data && data.results) || [],
        messages: (data && data.messages) || [],
    };
}

export function isTrue(v) {
    return v === true || v === 1 || /^(1|true|t|yes|y|on)$/i.test(String(v));
}
