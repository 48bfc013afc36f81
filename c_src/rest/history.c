#include "rest/history.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "util/arena.h"
#include "util/num.h"
#include "util/xmem.h"

#define NIL UINT32_MAX

enum hstate { H_PENDING, H_DONE };

struct hent {
    struct ipaddr ip;
    uint32_t head;       /* first record (index into recs) or NIL */
    uint8_t used, state;
};

struct hrec {
    int64_t tf, tl;      /* seconds */
    const char *name, *client;  /* in h->strings */
    uint32_t name_n, client_n;
    uint32_t next;       /* next record of the same address, or NIL */
};

struct history {
    struct join_history hook;
    struct kv_conf conf;
    struct rest *rest;   /* OWNED, NULL when setup failed */
    struct kv *kv;       /* OWNED */
    char collection[256];
    int64_t window_us, skew_us;
    history_warn_fn warn;
    void *warn_ctx;
    size_t max_records;
    int failed, full_warned;

    struct hent *tab;    /* OWNED: open addressing */
    size_t nslots, nused;
    uint32_t *pending;   /* OWNED: entry indices waiting for fetch */
    size_t npending, pending_cap;
    struct hrec *recs;   /* OWNED */
    size_t nrecs, recs_cap;
    struct arena strings; /* names and clients of cached records */
    char ttext[NUM_US_STRMAX];
    unsigned long matches;
    size_t asked;
    int names;           /* history_opts.names */
    size_t names_asked;
};

/* What a failure also means when dnsprofile asks for names. */
static const char *names_tail(const struct history *h)
{
    return h->names ? "; name_first_seen and new_name are empty" : "";
}

static void warnf(struct history *h, const char *fmt, ...) ATTR_FMT(2, 3);
static void warnf(struct history *h, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (h->warn != NULL)
        h->warn(h->warn_ctx, msg);
}

static size_t slot_of(const struct history *h, const struct ipaddr *ip)
{
    size_t m = h->nslots - 1, i = (size_t)ipaddr_hash(ip) & m;
    while (h->tab[i].used && !ipaddr_eq(&h->tab[i].ip, ip))
        i = (i + 1) & m;
    return i;
}

static int grow(struct history *h)
{
    size_t on = h->nslots, nn = on * 2;
    struct hent *old = h->tab, *nt = xcalloc(nn, sizeof *nt);
    if (nt == NULL)
        return ERR_NOMEM;
    h->tab = nt;
    h->nslots = nn;
    /* pending holds slot indices: remap them */
    for (size_t p = 0; p < h->npending; p++) {
        const struct hent *o = &old[h->pending[p]];
        h->pending[p] = (uint32_t)slot_of(h, &o->ip);
        h->tab[h->pending[p]] = *o;
    }
    for (size_t i = 0; i < on; i++)
        if (old[i].used && old[i].state == H_DONE)
            h->tab[slot_of(h, &old[i].ip)] = old[i];
    xfree(old);
    return 0;
}

static int h_want(void *ctx, const struct ipaddr *ip, struct err *e)
{
    struct history *h = ctx;
    size_t s;
    if ((h->nused + 1) * 2 > h->nslots && grow(h))
        return err_set(e, ERR_NOMEM, "out of memory noting an address for history=");
    s = slot_of(h, ip);
    if (h->tab[s].used)
        return 0;
    if (h->npending == h->pending_cap) {
        size_t nc = h->pending_cap ? h->pending_cap * 2 : 1024;
        uint32_t *np = xreallocarray(h->pending, nc, sizeof *np);
        if (np == NULL)
            return err_set(e, ERR_NOMEM, "out of memory noting an address for history=");
        h->pending = np;
        h->pending_cap = nc;
    }
    h->tab[s].used = 1;
    h->tab[s].ip = *ip;
    h->tab[s].head = NIL;
    h->tab[s].state = H_PENDING;
    h->nused++;
    h->pending[h->npending++] = (uint32_t)s;
    return 0;
}

static int on_doc(void *ctx, const struct kv_doc *d, struct err *e)
{
    struct history *h = ctx;
    struct ipaddr ip;
    size_t s;
    (void)e;
    if (ipaddr_parse(d->rdata, &ip) != 0 || d->rrname.n == 0 || d->rrname.n > UINT32_MAX / 2 ||
        d->last_client.n > UINT32_MAX / 2)
        return 0;
    s = slot_of(h, &ip);
    if (!h->tab[s].used)
        return 0;  /* not asked for (another spelling of a stored address) */
    if (h->nrecs >= h->max_records) {
        if (!h->full_warned)
            warnf(h, "history=%s: more than PDNS_RECORDS_MAX (%zu) stored records for the "
                     "search's addresses; the rest are not used (narrow the search or use a "
                     "shorter history_window; a build-time limit in c_src/limits.h)",
                  h->collection, h->max_records);
        h->full_warned = 1;
        return 0;
    }
    if (h->nrecs == h->recs_cap) {
        size_t nc = h->recs_cap ? h->recs_cap * 2 : 1024;
        struct hrec *nr = xreallocarray(h->recs, nc, sizeof *nr);
        if (nr == NULL)
            return err_set(e, ERR_NOMEM, "out of memory caching history records");
        h->recs = nr;
        h->recs_cap = nc;
    }
    struct hrec *r = &h->recs[h->nrecs];
    r->name = arena_dup(&h->strings, d->rrname.p, d->rrname.n);
    r->client = arena_dup(&h->strings, d->last_client.p ? d->last_client.p : "",
                          d->last_client.n);
    if (r->name == NULL || r->client == NULL)
        return err_set(e, ERR_NOMEM, "out of memory caching history records");
    r->name_n = (uint32_t)d->rrname.n;
    r->client_n = (uint32_t)d->last_client.n;
    r->tf = d->time_first;
    r->tl = d->time_last;
    r->next = h->tab[s].head;
    h->tab[s].head = (uint32_t)h->nrecs++;
    return 0;
}

static int h_fetch(void *ctx, struct err *e)
{
    struct history *h = ctx;
    char (*text)[IPADDR_STRMAX] = NULL;
    struct slice *v = NULL;
    struct err ke;
    int rc = 0;

    if (h->npending == 0)
        return 0;
    if (!h->failed) {
        text = xcalloc(h->npending, sizeof *text);
        v = xcalloc(h->npending, sizeof *v);
        if (text == NULL || v == NULL) {
            rc = err_set(e, ERR_NOMEM, "out of memory asking for stored DNS answers");
            goto out;
        }
        for (size_t i = 0; i < h->npending; i++) {
            size_t n = ipaddr_format(&h->tab[h->pending[i]].ip, text[i]);
            v[i] = slice_of(text[i], n);
        }
        h->asked += h->npending;
        err_clear(&ke);
        rc = kv_find_rdata(h->kv, v, h->npending, on_doc, h, &ke);
        if (rc == ERR_NOMEM) {
            *e = ke;
            goto out;
        }
        if (rc) {
            warnf(h, "history=%s: KV store lookup failed: %s; events without a DNS answer in the "
                     "window get dns_match=none%s", h->collection, ke.msg, names_tail(h));
            h->failed = 1;
            rc = 0;
        }
    }
    for (size_t i = 0; i < h->npending; i++)
        h->tab[h->pending[i]].state = H_DONE;
    h->npending = 0;
out:
    xfree(text);
    xfree(v);
    return rc;
}

static int h_lookup(void *ctx, const struct ipaddr *ip, int64_t t, struct slice client,
                    int client_is_ip, const struct ipaddr *client_ip, struct join_hist_rec *out)
{
    struct history *h = ctx;
    const struct hrec *best = NULL;
    size_t s;
    (void)client;
    (void)client_is_ip;
    (void)client_ip;

    if (h->nslots == 0)
        return 0;
    s = slot_of(h, ip);
    if (!h->tab[s].used)
        return 0;
    for (uint32_t i = h->tab[s].head; i != NIL; i = h->recs[i].next) {
        const struct hrec *r = &h->recs[i];
        /* No overflow: kv_parse_page passes only times within
         * +/- KV_TIME_MAX seconds, half of what microseconds can hold.
         * (Clamping here instead is not enough: dns_age is the event time
         * minus the time returned below.) */
        int64_t tf = r->tf * US_PER_SEC;
        int64_t tl = r->tl * US_PER_SEC;
        if (tf > t + h->skew_us || tl < t - h->window_us)
            continue;
        if (best == NULL || r->tl > best->tl ||
            (r->tl == best->tl && slice_cmp(slice_of(r->name, r->name_n),
                                            slice_of(best->name, best->name_n)) < 0))
            best = r;
    }
    if (best == NULL)
        return 0;
    int64_t tl_us = best->tl * US_PER_SEC;
    out->t = tl_us <= t + h->skew_us ? tl_us : best->tf * US_PER_SEC;
    size_t n = num_format_us(out->t, h->ttext);
    out->ttext = slice_of(h->ttext, n);
    out->name = slice_of(best->name, best->name_n);
    out->client = slice_of(best->client, best->client_n);
    h->matches++;
    return 1;
}

/* ---- name_first_seen ------------------------------------------------------ */

/* A name and its place in the caller's arrays, sorted by name so that a
 * returned document finds its name by binary search. */
struct nameix {
    struct slice s;
    size_t i;
};

static int nameix_cmp(const void *a, const void *b)
{
    return slice_cmp(((const struct nameix *)a)->s, ((const struct nameix *)b)->s);
}

struct first_ctx {
    struct history *h;
    const struct nameix *ix;  /* BORROWED: n entries, sorted */
    size_t n;
    int64_t *first;           /* BORROWED: the caller's */
    size_t docs;
    int over;                 /* more than max_records documents */
};

static int first_doc(void *ctx, const struct kv_doc *d, struct err *e)
{
    struct first_ctx *c = ctx;
    size_t lo = 0, hi = c->n;
    if (++c->docs > c->h->max_records) {
        c->over = 1;
        return err_set(e, ERR_LIMIT, "too many stored records");
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = slice_cmp(c->ix[mid].s, d->rrname);
        if (cmp == 0) {
            int64_t *f = &c->first[c->ix[mid].i];
            if (d->time_first < *f)
                *f = d->time_first;
            return 0;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;  /* not asked for (another spelling) */
}

int history_first_seen(struct history *h, const struct slice *names, size_t n, int64_t *first,
                       int *ok, struct err *e)
{
    struct nameix *ix = NULL;
    struct slice *v = NULL;
    struct first_ctx c;
    struct err ke;
    size_t m = 0;
    int rc = 0;

    *ok = 0;
    for (size_t i = 0; i < n; i++)
        first[i] = HISTORY_NONE;
    if (h->failed)
        return 0;  /* already reported */
    ix = xcalloc(n ? n : 1, sizeof *ix);
    v = xcalloc(n ? n : 1, sizeof *v);
    if (ix == NULL || v == NULL) {
        rc = err_set(e, ERR_NOMEM, "out of memory asking for stored DNS names");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (names[i].n > 0) {
            ix[m] = (struct nameix){names[i], i};
            v[m++] = names[i];
        }
    qsort(ix, m, sizeof *ix, nameix_cmp);
    c = (struct first_ctx){.h = h, .ix = ix, .n = m, .first = first};
    h->names_asked += m;
    err_clear(&ke);
    rc = m > 0 ? kv_find_rrname(h->kv, v, m, first_doc, &c, &ke) : 0;
    if (rc == ERR_NOMEM) {
        *e = ke;
        goto out;
    }
    if (rc != 0 && c.over)
        warnf(h, "history=%s: more than PDNS_RECORDS_MAX (%zu) stored records for the names of "
                 "the rows; name_first_seen and new_name are empty (narrow the search; %s)",
              h->collection, h->max_records, LIMIT_BUILD_HINT);
    else if (rc != 0)
        warnf(h, "history=%s: KV store lookup of names failed: %s; name_first_seen and new_name "
                 "are empty", h->collection, ke.msg);
    if (rc != 0) {
        h->failed = 1;
        rc = 0;
    } else {
        *ok = 1;
    }
out:
    xfree(ix);
    xfree(v);
    return rc;
}

struct history *history_new(const struct history_opts *o, struct err *e)
{
    struct history *h = xcalloc(1, sizeof *h);
    struct err ke;

    if (h == NULL) {
        if (o->transport != NULL && o->transport->release != NULL)
            o->transport->release(o->transport->ctx);
        err_set(e, ERR_NOMEM, "out of memory setting up history=");
        return NULL;
    }
    snprintf(h->collection, sizeof h->collection, "%s", o->collection);
    h->window_us = o->window_us;
    h->skew_us = o->skew_us;
    h->warn = o->warn;
    h->warn_ctx = o->warn_ctx;
    h->max_records = o->max_records;
    h->names = o->names;
    h->nslots = 1024;
    h->tab = xcalloc(h->nslots, sizeof *h->tab);
    arena_init(&h->strings, (size_t)64 * 1024, (size_t)1 << 34);
    h->hook.ctx = h;
    h->hook.want = h_want;
    h->hook.fetch = h_fetch;
    h->hook.lookup = h_lookup;
    if (h->tab == NULL) {
        if (o->transport != NULL && o->transport->release != NULL)
            o->transport->release(o->transport->ctx);
        history_free(h);
        err_set(e, ERR_NOMEM, "out of memory setting up history=");
        return NULL;
    }
    err_clear(&ke);
    if (kv_open(o->splunkd_uri, o->session_key, o->session_key_len, o->collection, o->app_dir,
                o->transport, &h->conf, &h->rest, &h->kv, &ke)) {
        if (ke.code == ERR_NOMEM) {
            *e = ke;
            history_free(h);
            return NULL;
        }
        warnf(h, "history=%s: KV store not available: %s; events without a DNS answer in the "
                 "window get dns_match=none%s", h->collection, ke.msg, names_tail(h));
        h->failed = 1;
        return h;
    }
    if (!h->conf.rest.verify)
        warnf(h, "%s", kv_conf_unsafe_warning());
    return h;
}

void history_free(struct history *h)
{
    if (h == NULL)
        return;
    kv_free(h->kv);
    rest_free(h->rest);
    xfree(h->tab);
    xfree(h->pending);
    xfree(h->recs);
    arena_free(&h->strings);
    xfree(h);
}

const struct join_history *history_hook(struct history *h) { return &h->hook; }

void history_stats(const struct history *h, struct history_stats *st)
{
    st->requests = h->kv ? kv_requests(h->kv) : 0;
    st->addresses = h->asked;
    st->records = h->nrecs;
    st->matches = h->matches;
    st->failed = h->failed;
    st->names = h->names_asked;
}
