#include "cmd/pdns_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/joinopts.h"
#include "join/sinkhole.h"
#include "limits.h"
#include "net/ipaddr.h"
#include "rest/kv.h"
#include "rest/pdns.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/xmem.h"

/* Input fields, located by id in every chunk. */
enum pf { PF_TIME, PF_QUERY, PF_QUERY_MV, PF_ANSWER, PF_ANSWER_MV, PF_SRC, PF_SRC_MV, PF_N };

/* Output fields, in order. */
enum of { OF_RRNAME, OF_RRTYPE, OF_RDATA, OF_FIRST, OF_LAST, OF_COUNT, OF_CLIENT, OF_STATUS,
          OF_N };
static const char *const of_names[OF_N] = {"rrname", "rrtype", "rdata", "time_first",
                                           "time_last", "count", "last_client", "status"};

struct pdns_state {
    char collection[256];
    uint32_t in_ids[PF_N];
    uint32_t out_ids[OF_N];
    struct schema out;
    struct pdns *p;            /* OWNED */
    struct sinkholes *sink;    /* OWNED */
    uint64_t events, answers, skipped, sinkholed;
    int limit_warned;
};

static int ps_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct pdns_state *st = state;
    struct slice coll, q, an;
    int rc = args_str(a, "collection", SLICE_LIT("dnsjoin_pdns"), &coll, e);
    if (rc == 0)
        rc = args_str(a, "query", SLICE_LIT("query"), &q, e);
    if (rc == 0)
        rc = args_str(a, "answer", SLICE_LIT("answer"), &an, e);
    if (rc == 0)
        rc = args_finish(a, "dnspdns", e);
    if (rc)
        return rc;
    if (coll.n == 0 || coll.n >= sizeof st->collection)
        return err_set(e, ERR_ARGS, "collection=: expected a KV store collection name");
    for (size_t i = 0; i < coll.n; i++)
        if ((unsigned char)coll.p[i] < 0x21 || coll.p[i] == '/' || coll.p[i] == 0x7f)
            return err_set(e, ERR_ARGS, "collection=: expected a KV store collection name");
    if (q.n == 0 || an.n == 0)
        return err_set(e, ERR_ARGS, "%s=: expected a field name", q.n == 0 ? "query" : "answer");
    if (q.n > CSV_NAME_MAX || an.n > CSV_NAME_MAX)
        return err_set(e, ERR_LIMIT, "%s=: a field name is at most CSV_NAME_MAX (%llu) bytes ("
                       LIMIT_BUILD_HINT ")", q.n > CSV_NAME_MAX ? "query" : "answer",
                       (unsigned long long)CSV_NAME_MAX);
    memcpy(st->collection, coll.p, coll.n);
    st->collection[coll.n] = '\0';
    if (cols_intern(s->cols, SLICE_LIT("_time"), &st->in_ids[PF_TIME]) ||
        cols_intern(s->cols, q, &st->in_ids[PF_QUERY]) ||
        cols_mv_of(s->cols, st->in_ids[PF_QUERY], &st->in_ids[PF_QUERY_MV]) ||
        cols_intern(s->cols, an, &st->in_ids[PF_ANSWER]) ||
        cols_mv_of(s->cols, st->in_ids[PF_ANSWER], &st->in_ids[PF_ANSWER_MV]) ||
        cols_intern(s->cols, SLICE_LIT("src"), &st->in_ids[PF_SRC]) ||
        cols_mv_of(s->cols, st->in_ids[PF_SRC], &st->in_ids[PF_SRC_MV]))
        return err_set(e, ERR_NOMEM, "out of memory");
    for (int k = 0; k < OF_N; k++)
        if (cols_intern(s->cols, slice_cstr(of_names[k]), &st->out_ids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    st->out.n = OF_N;
    st->out.ids = st->out_ids;
    /* Only these columns' cells are kept by the CSV reader. */
    s->want = st->in_ids;
    s->nwant = PF_N;
    s->want_set = 1;
    rc = joinopts_sinkholes(s, "dnspdns", NULL, &st->sink, e);
    if (rc)
        return rc;
    st->p = pdns_new(PDNS_RECORDS_MAX);
    if (st->p == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    /* reporting: once, on the search head, over all results. */
    gi->type = SCP_REPORTING;
    gi->early_reply = 1;  /* rows only with the final request */
    return 0;
}

static struct slice cell_of(const struct csv_table *t, size_t r, const long *idx, int f)
{
    return idx[f] >= 0 ? csv_cell(t, r, (size_t)idx[f]) : SLICE_NULL;
}

/* First value of a (possibly multivalue) field; SLICE_NULL when absent. */
static struct slice first_value(const struct csv_table *t, size_t r, const long *idx, int f,
                                struct arena *a)
{
    struct mv_iter it;
    struct slice v;
    mv_iter_init(&it, cell_of(t, r, idx, f), cell_of(t, r, idx, f + 1));
    return mv_next(&it, a, &v) == 1 ? v : SLICE_NULL;
}

static int ps_add_rows(struct scp *s, struct pdns_state *st, const struct csv_table *t)
{
    long idx[PF_N];
    for (int f = 0; f < PF_N; f++)
        idx[f] = st->in_ids[f] == COL_NONE ? -1 : csv_col_index(t, st->in_ids[f]);
    for (size_t r = 0; r < t->nrows; r++) {
        struct slice ts = cell_of(t, r, idx, PF_TIME);
        struct slice q = first_value(t, r, idx, PF_QUERY, &s->arena);
        struct slice src, v;
        struct mv_iter it;
        int64_t tus;

        if (q.p == NULL || q.n == 0)
            continue;  /* not a DNS event */
        st->events++;
        if (ts.p == NULL || num_parse_time_us(ts, &tus) != 0) {
            st->skipped++;
            continue;
        }
        src = first_value(t, r, idx, PF_SRC, &s->arena);
        mv_iter_init(&it, cell_of(t, r, idx, PF_ANSWER), cell_of(t, r, idx, PF_ANSWER_MV));
        while (mv_next(&it, &s->arena, &v) == 1) {
            struct ipaddr ip;
            int rc;
            if (ipaddr_parse(v, &ip) != 0)
                continue;  /* CNAME targets, NXDOMAIN */
            if (sinkholes_has(st->sink, &ip)) {
                st->sinkholed++;  /* a blocked name: no record of where it is */
                continue;
            }
            rc = pdns_add(st->p, q, &ip, tus, src.p ? src : SLICE_LIT(""));
            if (rc == ERR_NOMEM)
                return rc;
            if (rc == ERR_LIMIT) {
                if (!st->limit_warned)
                    scp_msg(s, LOG_WARN,
                            "dnspdns: more than PDNS_RECORDS_MAX (%llu) distinct records; "
                            "answers of further records were not stored (run it over a shorter "
                            "period; " LIMIT_BUILD_HINT ")",
                            (unsigned long long)PDNS_RECORDS_MAX);
                st->limit_warned = 1;
                st->skipped++;
            } else if (rc) {
                st->skipped++;
            } else {
                st->answers++;
            }
        }
    }
    return 0;
}

static int merge_cb(void *ctx, const struct kv_doc *d, struct err *e)
{
    if (pdns_merge(ctx, d))
        return err_set(e, ERR_NOMEM, "out of memory merging stored records");
    return 0;
}

static const struct pdns *sort_table;
static int cmp_rec(const void *a, const void *b)
{
    const struct pdns_rec *x = pdns_get(sort_table, *(const size_t *)a);
    const struct pdns_rec *y = pdns_get(sort_table, *(const size_t *)b);
    int c = slice_cmp(x->rrname, y->rrname);
    if (c == 0)
        c = slice_cmp(x->rrtype, y->rrtype);
    if (c == 0)
        c = slice_cmp(x->rdata, y->rdata);
    return c;
}

static struct slice fmt_i64(struct arena *a, int64_t v)
{
    char b[NUM_US_STRMAX];
    size_t n = num_format_us(v * US_PER_SEC, b);
    char *p = arena_dup(a, b, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

static struct slice fmt_u64(struct arena *a, uint64_t v)
{
    char b[24];
    size_t n = num_format_u64(v, b);
    char *p = arena_dup(a, b, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

/* Read, merge, save.  Returns how many records (in table order) were saved:
 * all, or fewer after a fault (already warned); *merged_ok 0 when the
 * stored records could not be read (nothing is written then). */
static size_t store(struct scp *s, struct pdns_state *st, struct err *e, int *fatal)
{
    struct kv_conf conf;
    struct rest *r = NULL;
    struct kv *k = NULL;
    struct slice *rd = NULL;
    struct kv_doc *docs = NULL;
    size_t n = pdns_count(st->p), nrd, saved = 0;
    struct err ke;
    int rc;

    *fatal = 0;
    err_clear(&ke);
    rc = kv_open(s->info.splunkd_uri, s->info.session_key, s->info.session_key_len,
                 st->collection, NULL, NULL, &conf, &r, &k, &ke);
    if (rc) {
        if (rc == ERR_NOMEM)
            goto nomem;
        scp_msg(s, LOG_WARN, "dnspdns: KV store not available: %s; nothing was saved", ke.msg);
        return 0;
    }
    if (!conf.rest.verify)
        scp_msg(s, LOG_WARN, "%s", kv_conf_unsafe_warning());
    rd = pdns_rdata_list(st->p, &nrd);
    if (rd == NULL && nrd != 0)
        goto nomem;
    rc = kv_find_rdata(k, rd, nrd, merge_cb, st->p, &ke);
    if (rc == ERR_NOMEM)
        goto nomem;
    if (rc) {
        scp_msg(s, LOG_WARN,
                "dnspdns: could not read collection %s: %s; nothing was saved (stored counts "
                "would have been overwritten)", st->collection, ke.msg);
        goto out;
    }
    docs = xcalloc(n, sizeof *docs);
    if (docs == NULL)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        pdns_doc(st->p, i, &docs[i]);
    rc = kv_save(k, docs, n, &saved, &ke);
    if (rc == ERR_NOMEM)
        goto nomem;
    if (rc)
        scp_msg(s, LOG_WARN, "dnspdns: could not save to collection %s: %s; %zu of %zu records "
                             "were saved", st->collection, ke.msg, saved, n);
    {
        unsigned long req, att;
        rest_counts(r, &req, &att);
        scp_msg(s, LOG_INFO, "dnspdns: %llu DNS events, %llu answers, %zu records, %zu saved "
                             "to %s in %lu KV store requests",
                (unsigned long long)st->events, (unsigned long long)st->answers, n, saved,
                st->collection, req);
    }
    goto out;
nomem:
    *fatal = 1;
    err_set(e, ERR_NOMEM, "out of memory storing passive DNS records");
out:
    xfree(docs);
    xfree(rd);
    kv_free(k);
    rest_free(r);
    return saved;
}

static int ps_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct pdns_state *st = state;
    size_t n, saved, *order;
    int fatal;

    if (ps_add_rows(s, st, in))
        return err_set(e, ERR_NOMEM, "out of memory aggregating DNS answers");
    if (!finished)
        return 0;
    if (st->sinkholed > 0)
        scp_msg(s, LOG_INFO, "dnspdns: %llu answers were sinkholes (0.0.0.0, :: or "
                "lookups/dnsjoin_sinkholes.csv): blocked names, not stored",
                (unsigned long long)st->sinkholed);
    n = pdns_count(st->p);
    if (n == 0) {
        scp_msg(s, LOG_INFO, "dnspdns: %llu DNS events, no IP answers: nothing to store",
                (unsigned long long)st->events);
        return 0;
    }
    saved = store(s, st, e, &fatal);
    if (fatal)
        return e->code;
    order = xcalloc(n, sizeof *order);
    if (order == NULL)
        return err_set(e, ERR_NOMEM, "out of memory sorting records");
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_table = st->p;
    qsort(order, n, sizeof *order, cmp_rec);
    for (size_t j = 0; j < n; j++) {
        size_t i = order[j];
        const struct pdns_rec *r = pdns_get(st->p, i);
        struct slice *c = arena_alloc(&s->arena, OF_N * sizeof *c);
        if (c == NULL)
            goto nomem;
        c[OF_RRNAME] = r->rrname;
        c[OF_RRTYPE] = r->rrtype;
        c[OF_RDATA] = r->rdata;
        c[OF_FIRST] = fmt_i64(&s->arena, r->time_first);
        c[OF_LAST] = fmt_i64(&s->arena, r->time_last);
        c[OF_COUNT] = fmt_u64(&s->arena, r->count);
        c[OF_CLIENT] = slice_of(r->client, r->client_n);
        c[OF_STATUS] = i >= saved ? SLICE_LIT("not_saved")
                       : r->status == PDNS_UPDATED ? SLICE_LIT("updated")
                                                   : SLICE_LIT("inserted");
        if (c[OF_FIRST].p == NULL || c[OF_LAST].p == NULL || c[OF_COUNT].p == NULL ||
            scp_emit(s, &st->out, c))
            goto nomem;
    }
    xfree(order);
    return 0;
nomem:
    xfree(order);
    return err_set(e, ERR_NOMEM, "out of memory writing summary rows");
}

static void *ps_new(void) { return xcalloc(1, sizeof(struct pdns_state)); }

static void ps_free(void *state)
{
    struct pdns_state *st = state;
    if (st == NULL)
        return;
    pdns_free(st->p);
    sinkholes_free(st->sink);
    xfree(st);
}

const struct scp_command pdns_command = {
    .name = "dnspdns", .getinfo = ps_getinfo, .execute = ps_execute, .create = ps_new,
    .destroy = ps_free};
