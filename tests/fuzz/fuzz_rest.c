/*
 * fuzz_rest: the REST module's response handling, without a network.
 *
 * The input is a script of HTTP answers separated by the byte 0x1E (ASCII
 * record separator, which JSON never contains outside a string and a
 * splunkd answer never contains at all).  An answer starting with three
 * digits and a space is given that status (e.g. "400 {\"messages\":...}");
 * one without is a 200.  Statuses below 100 stand for transport failures
 * (reset, timeout, refused, TLS, too big, other: status % 6), which is
 * how the retry and give-up paths are reached.  Once the script runs out,
 * every further request gets 200 "[]", so paging always ends.
 *
 * One input is used four ways:
 * 1. kv_parse_page over the whole input (the pure parser);
 * 2. kv_find_rdata through a scripted transport, its documents merged into
 *    a small passive DNS table (what dnspdns does), then kv_save of that
 *    table, whose batch_save replies come from the script as well;
 * 3. the history= source: addresses wanted, one fetch, lookups at times
 *    around the stored records' (what join history= does).
 * 4. kv_parse_page over each answer on its own.
 *
 * Properties:
 * - kv_parse_page returns 0 or ERR_REST; a document passed to the callback
 *   has rrname, rrtype and rdata (views readable to their length) and
 *   times within +/- KV_TIME_MAX, and the number passed is at most *rows;
 * - requests end: no more than the script's answers plus one per page of
 *   "[]" and the $or fallback; every error is ERR_REST with a one-line
 *   message that never holds the session key;
 * - the passive DNS table keeps its records (a stored document only
 *   merges), and history lookups return a name and a time text that
 *   agrees with the time.
 * LeakSanitizer checks that every path frees what jansson allocated.
 */
#include <string.h>

#include "fuzz.h"
#include "net/ipaddr.h"
#include "rest/history.h"
#include "rest/kv.h"
#include "rest/pdns.h"
#include "rest/rest.h"
#include "util/log.h"
#include "util/num.h"
#include "util/xmem.h"

#define SEP 0x1e
#define KEY "fuzz-dummy-session-key-0000"
#define MAX_CALLS 4096 /* far above what any input can need; a loop is a bug */

struct script {
    const char *p; /* the unread rest of the input */
    size_t n;
    int done;      /* the input is used up: "[]" from now on */
    unsigned long calls;
};

static volatile size_t sink; /* keeps the byte reads */

static void touch(struct slice s)
{
    size_t sum = s.n;
    for (size_t i = 0; i < s.n; i++)
        sum += (unsigned char)s.p[i];
    sink = sum;
}

/* The next answer of the script: [p, p+n) up to the separator. */
static struct slice next_answer(struct script *s)
{
    const char *sep = memchr(s->p, SEP, s->n);
    size_t len = sep ? (size_t)(sep - s->p) : s->n;
    struct slice a = slice_of(s->p, len);
    if (sep) {
        s->p = sep + 1;
        s->n -= len + 1;
    } else {
        s->p += len;
        s->n = 0;
        s->done = 1;
    }
    return a;
}

static int script_perform(void *ctx, const struct rest_call *c, long *status, struct buf *body,
                          struct err *e)
{
    static const int fail[] = {REST_NET_RESET, REST_NET_TIMEOUT, REST_NET_CONNECT,
                               REST_NET_TLS, REST_NET_TOO_BIG, REST_NET_OTHER};
    struct script *s = ctx;
    struct slice a;
    long st = 200;

    FUZZ_CHECK(c->auth != NULL && strstr(c->auth, KEY) != NULL);
    FUZZ_CHECK(strstr(c->url, KEY) == NULL);
    s->calls++;
    FUZZ_CHECK(s->calls <= MAX_CALLS);
    if (s->done) {
        *status = 200;
        return buf_appends(body, "[]") ? REST_NET_TOO_BIG : REST_NET_OK;
    }
    a = next_answer(s);
    if (a.n >= 4 && a.p[0] >= '0' && a.p[0] <= '9' && a.p[1] >= '0' && a.p[1] <= '9' &&
        a.p[2] >= '0' && a.p[2] <= '9' && a.p[3] == ' ') {
        st = (a.p[0] - '0') * 100 + (a.p[1] - '0') * 10 + (a.p[2] - '0');
        a.p += 4;
        a.n -= 4;
    }
    if (st < 100) {
        int net = fail[st % 6];
        err_set(e, ERR_REST, "scripted transport failure %ld", st);
        return net;
    }
    *status = st;
    return buf_append(body, a.p, a.n) ? REST_NET_TOO_BIG : REST_NET_OK;
}

static void no_sleep(void *ctx, unsigned ms)
{
    (void)ctx;
    (void)ms;
}

static struct rest_transport transport(struct script *s)
{
    struct rest_transport t = {s, script_perform, no_sleep, NULL};
    return t;
}

static void check_error(int rc, const struct err *e)
{
    FUZZ_CHECK(rc == ERR_REST);
    FUZZ_CHECK(memchr(e->msg, '\0', sizeof e->msg) != NULL);
    FUZZ_CHECK(strchr(e->msg, '\n') == NULL);
    FUZZ_CHECK(strstr(e->msg, KEY) == NULL);
}

/* ---- 1, 4: the pure parser --------------------------------------------- */

static int count_doc(void *ctx, const struct kv_doc *d, struct err *e)
{
    size_t *docs = ctx;
    (void)e;
    FUZZ_CHECK(d->rrname.p != NULL && d->rrtype.p != NULL && d->rdata.p != NULL);
    FUZZ_CHECK(d->last_client.p != NULL);
    FUZZ_CHECK(d->time_first >= -KV_TIME_MAX && d->time_first <= KV_TIME_MAX);
    FUZZ_CHECK(d->time_last >= -KV_TIME_MAX && d->time_last <= KV_TIME_MAX);
    touch(d->rrname);
    touch(d->rrtype);
    touch(d->rdata);
    touch(d->last_client);
    if (d->key.p != NULL)
        touch(d->key);
    (*docs)++;
    return 0;
}

static void parse_alone(const char *p, size_t n)
{
    size_t rows = 7, docs = 0;
    struct err e;
    err_clear(&e);
    int rc = kv_parse_page(p, n, count_doc, &docs, &rows, "fuzz", &e);
    if (rc != 0) {
        check_error(rc, &e);
        FUZZ_CHECK(docs == 0);
    }
    FUZZ_CHECK(docs <= rows);
}

/* ---- 2: dnspdns --------------------------------------------------------- */

static const char *const seed_ip[] = {"192.0.2.1", "2001:db8::1", "10.0.0.53"};
static const char *const seed_name[] = {"a.example", "b.example.", "Mail.Example.ORG"};

static int merge_doc(void *ctx, const struct kv_doc *d, struct err *e)
{
    (void)e;
    return pdns_merge(ctx, d);
}

static void run_pdns(const char *p, size_t n)
{
    struct script s = {p, n, n == 0, 0};
    struct rest_transport t = transport(&s);
    struct kv_conf conf;
    struct rest *r = NULL;
    struct kv *k = NULL;
    struct pdns *tab = pdns_new(64);
    struct slice *rd = NULL;
    struct kv_doc docs[8];
    size_t nrd = 0, nrec, saved = 0;
    struct err e;
    int rc;

    FUZZ_CHECK(tab != NULL);
    for (size_t i = 0; i < 3; i++) {
        struct ipaddr ip;
        FUZZ_CHECK(ipaddr_parse(slice_cstr(seed_ip[i]), &ip) == 0);
        FUZZ_CHECK(pdns_add(tab, slice_cstr(seed_name[i]), &ip,
                            (int64_t)(1700000000 + i) * US_PER_SEC, slice_cstr("10.1.1.1")) == 0);
    }
    nrec = pdns_count(tab);
    err_clear(&e);
    rc = kv_open("https://127.0.0.1:8089", KEY, strlen(KEY), "dns_pdns",
                 "/nonexistent/fuzz/TA-dnsjoin", &t, &conf, &r, &k, &e);
    FUZZ_CHECK(rc == 0);
    rd = pdns_rdata_list(tab, &nrd);
    FUZZ_CHECK(rd != NULL && nrd == 3);
    rc = kv_find_rdata(k, rd, nrd, merge_doc, tab, &e);
    if (rc != 0)
        check_error(rc, &e);
    FUZZ_CHECK(pdns_count(tab) == nrec);
    for (size_t i = 0; i < nrec; i++) {
        /* dnspdns prints these as microseconds */
        const struct pdns_rec *pr = pdns_get(tab, i);
        FUZZ_CHECK(pr->time_first >= -KV_TIME_MAX && pr->time_first <= KV_TIME_MAX);
        FUZZ_CHECK(pr->time_last >= -KV_TIME_MAX && pr->time_last <= KV_TIME_MAX);
    }
    for (size_t i = 0; i < nrec; i++)
        pdns_doc(tab, i, &docs[i]);
    err_clear(&e);
    rc = kv_save(k, docs, nrec, &saved, &e);
    if (rc != 0)
        check_error(rc, &e);
    else
        FUZZ_CHECK(saved == nrec);
    xfree(rd);
    kv_free(k);
    rest_free(r);
    pdns_free(tab);
}

/* ---- 3: history= -------------------------------------------------------- */

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    FUZZ_CHECK(strstr(msg, KEY) == NULL);
    FUZZ_CHECK(strchr(msg, '\n') == NULL);
}

static void run_history(const char *p, size_t n)
{
    struct script s = {p, n, n == 0, 0};
    struct rest_transport t = transport(&s);
    struct history_opts o;
    struct history *h;
    struct ipaddr ip[3];
    struct err e;
    /* event times as a search has them: the epoch, now-ish, before 1970, year 9999 */
    static const int64_t at[] = {0, 1700000000, 1700003600, -1, 253402300799};

    memset(&o, 0, sizeof o);
    o.splunkd_uri = "https://127.0.0.1:8089";
    o.session_key = KEY;
    o.session_key_len = strlen(KEY);
    o.collection = "dns_pdns";
    o.window_us = (int64_t)86400 * US_PER_SEC;
    o.skew_us = 5 * US_PER_SEC;
    o.app_dir = "/nonexistent/fuzz/TA-dnsjoin";
    o.transport = &t;
    o.warn = on_warn;
    o.max_records = 16;
    err_clear(&e);
    h = history_new(&o, &e);
    FUZZ_CHECK(h != NULL);
    const struct join_history *hk = history_hook(h);
    for (size_t i = 0; i < 3; i++) {
        FUZZ_CHECK(ipaddr_parse(slice_cstr(seed_ip[i]), &ip[i]) == 0);
        FUZZ_CHECK(hk->want(hk->ctx, &ip[i], &e) == 0);
    }
    FUZZ_CHECK(hk->fetch(hk->ctx, &e) == 0);
    for (size_t i = 0; i < 3; i++) {
        for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
            struct join_hist_rec out;
            int64_t tus = at[k] * US_PER_SEC;
            memset(&out, 0, sizeof out);
            if (hk->lookup(hk->ctx, &ip[i], tus, SLICE_NULL, 0, NULL, &out) != 1)
                continue;
            FUZZ_CHECK(out.name.p != NULL && out.name.n > 0);
            touch(out.name);
            touch(out.client);
            int64_t back;
            FUZZ_CHECK(num_parse_time_us(out.ttext, &back) == 0 && back == out.t);
        }
    }
    history_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    log_set_min((enum log_level)(LOG_ERROR + 1));
    parse_alone(p, size);
    run_pdns(p, size);
    run_history(p, size);
    for (struct script s = {p, size, size == 0, 0}; !s.done;) {
        struct slice a = next_answer(&s);
        parse_alone(a.p, a.n);
    }
    return 0;
}
