#include "cmd/pdns_cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "join/sinkhole.h"
#include "limits.h"
#include "net/ipaddr.h"
#include "rest/kv.h"
#include "rest/pdns.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/xmem.h"

/* Input fields, located by id in every chunk: DNS events, then the fields of
 * a map phase's partial records (MF_*), which the reduce merges. */
enum pf { PF_TIME, PF_QUERY, PF_QUERY_MV, PF_ANSWER, PF_ANSWER_MV, PF_SRC, PF_SRC_MV,
          PF_M_NAME, PF_M_RDATA, PF_M_FIRST, PF_M_LAST, PF_M_COUNT, PF_M_CLIENT, PF_N };

/* The map phase's rows (phase=map): one per record, the record's fields
 * under names no user field has, and _time = the last answer so that the
 * search head can merge the indexers' rows by time. */
enum mf { MF_TIME, MF_NAME, MF_RDATA, MF_FIRST, MF_LAST, MF_COUNT, MF_CLIENT, MF_N };
static const char *const mf_names[MF_N] = {
    "_time", "__dnsjoin_pdns_rrname", "__dnsjoin_pdns_rdata", "__dnsjoin_pdns_first",
    "__dnsjoin_pdns_last", "__dnsjoin_pdns_count", "__dnsjoin_pdns_client"};

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
    uint32_t map_ids[MF_N];
    struct schema map_out;
    int map;                   /* phase=map: partial records, no KV store */
    char *preop;               /* OWNED: the reduce's streaming_preop */
    struct pdns *p;            /* OWNED */
    struct sinkholes *sink;    /* OWNED */
    uint64_t events, answers, skipped, sinkholed, partials;
    int limit_warned;
};

static int ps_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct pdns_state *st = state;
    static const char *const phases[] = {"reduce", "map", NULL};
    struct slice coll, q, an;
    int mapphase;
    int rc = args_str(a, "collection", SLICE_LIT("dnsjoin_pdns"), &coll, e);
    if (rc == 0)
        rc = args_enum(a, "phase", phases, 0, &st->map, e);
    /* mapphase names the streaming_preop, on by default (dnsjoin.conf
     * [search] mapphase): each indexer sends one partial record per (name,
     * type, address), a large reduction.  mapphase=f keeps every event for
     * the search head. */
    if (rc == 0)
        rc = args_bool(a, "mapphase", -1, &mapphase, e);
    if (rc == 0 && mapphase < 0 && !st->map)
        rc = cmd_mapphase_conf(&mapphase, e);
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
    for (int k = 0; k < MF_N; k++)
        if (cols_intern(s->cols, slice_cstr(mf_names[k]), &st->map_ids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    for (int k = MF_NAME; k < MF_N; k++)
        st->in_ids[PF_M_NAME + k - MF_NAME] = st->map_ids[k];
    st->map_out.n = MF_N;
    st->map_out.ids = st->map_ids;
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
    gi->early_reply = 1;  /* rows only with the final request */
    if (st->map) {
        /* on each indexer, over its own events */
        gi->type = SCP_STREAMING;
        return 0;
    }
    /* reporting: once, on the search head, over all results (or over the
     * indexers' partial records). */
    gi->type = SCP_REPORTING;
    if (!mapphase)
        return 0;
    rc = cmd_preop(&s->info, "dnspdns", &st->preop);
    if (rc == ERR_NOMEM)
        return err_set(e, rc, "out of memory");
    if (rc)
        return err_set(e, rc, "dnspdns: the arguments are too long for a map phase");
    gi->streaming_preop = st->preop;
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

static void limit_warn(struct scp *s, struct pdns_state *st)
{
    if (!st->limit_warned)
        scp_msg(s, LOG_WARN,
                "dnspdns: more than PDNS_RECORDS_MAX (%llu) distinct records; "
                "answers of further records were not stored (run it over a shorter "
                "period; " LIMIT_BUILD_HINT ")",
                (unsigned long long)PDNS_RECORDS_MAX);
    st->limit_warned = 1;
    st->skipped++;
}

/* Whole seconds, as the map phase writes them; bounded so that the output's
 * microsecond formatting cannot overflow. */
static int parse_secs(struct slice v, int64_t *out)
{
    uint64_t u;
    int neg = v.n > 0 && v.p[0] == '-';
    if (neg)
        v = slice_of(v.p + 1, v.n - 1);
    if (num_parse_u64(v, 0, (uint64_t)(INT64_MAX / US_PER_SEC), &u))
        return -1;
    *out = neg ? -(int64_t)u : (int64_t)u;
    return 0;
}

#define MAPROW_ERR "dnspdns: field %s of a map-phase row "

/* A row from a map phase (its count or name cell is not empty): fold the
 * partial record in.  The fields are input like any other: a bad one is an
 * ERROR naming it. */
static int add_partial(struct scp *s, struct pdns_state *st, const struct csv_table *t, size_t r,
                       const long *idx, struct err *e)
{
    struct slice name = cell_of(t, r, idx, PF_M_NAME), rd = cell_of(t, r, idx, PF_M_RDATA);
    struct slice cl = cell_of(t, r, idx, PF_M_CLIENT);
    int64_t first, last;
    uint64_t count;
    struct ipaddr ip;
    int rc;

    st->partials++;
    if (num_parse_u64(cell_of(t, r, idx, PF_M_COUNT), 1, UINT64_MAX, &count))
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not a whole number from 1 to %llu",
                       mf_names[MF_COUNT], (unsigned long long)UINT64_MAX);
    if (parse_secs(cell_of(t, r, idx, PF_M_FIRST), &first))
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not a time in whole epoch seconds",
                       mf_names[MF_FIRST]);
    if (parse_secs(cell_of(t, r, idx, PF_M_LAST), &last))
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not a time in whole epoch seconds",
                       mf_names[MF_LAST]);
    if (first > last)
        return err_set(e, ERR_INPUT, MAPROW_ERR "is later than %s", mf_names[MF_FIRST],
                       mf_names[MF_LAST]);
    if (name.p == NULL || name.n == 0 || name.n > PDNS_NAME_MAX)
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not a name of 1 to %d bytes",
                       mf_names[MF_NAME], PDNS_NAME_MAX);
    if (rd.p == NULL || ipaddr_parse(rd, &ip) != 0)
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not an IP address", mf_names[MF_RDATA]);
    if (sinkholes_has(st->sink, &ip)) {
        st->sinkholed += count;  /* a reduce with a longer sinkhole lookup */
        return 0;
    }
    rc = pdns_add_partial(st->p, name, &ip, first, last, count, cl.p ? cl : SLICE_LIT(""));
    if (rc == ERR_NOMEM)
        return err_set(e, rc, "out of memory aggregating DNS answers");
    if (rc == ERR_INPUT)
        return err_set(e, rc, MAPROW_ERR "makes the record's count exceed %llu",
                       mf_names[MF_COUNT], (unsigned long long)UINT64_MAX);
    if (rc == ERR_LIMIT)
        limit_warn(s, st);
    else if (rc)
        st->skipped++;
    else
        st->answers += count;
    return 0;
}

static int ps_add_rows(struct scp *s, struct pdns_state *st, const struct csv_table *t,
                       struct err *e)
{
    long idx[PF_N];
    int partial_cols;
    for (int f = 0; f < PF_N; f++)
        idx[f] = st->in_ids[f] == COL_NONE ? -1 : csv_col_index(t, st->in_ids[f]);
    partial_cols = idx[PF_M_COUNT] >= 0 || idx[PF_M_NAME] >= 0;
    for (size_t r = 0; r < t->nrows; r++) {
        struct slice ts = cell_of(t, r, idx, PF_TIME);
        if (partial_cols && (cell_of(t, r, idx, PF_M_COUNT).n > 0 ||
                             cell_of(t, r, idx, PF_M_NAME).n > 0)) {
            int rc = add_partial(s, st, t, r, idx, e);
            if (rc)
                return rc;
            continue;
        }
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
                return err_set(e, rc, "out of memory aggregating DNS answers");
            if (rc == ERR_LIMIT) {
                limit_warn(s, st);
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

/* Table order sorted like the result, so a map phase's reply does not
 * depend on its hash table.  OWNED or NULL. */
static size_t *sorted_order(struct pdns_state *st, size_t n)
{
    size_t *order = xcalloc(n ? n : 1, sizeof *order);
    if (order == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_table = st->p;
    qsort(order, n, sizeof *order, cmp_rec);
    return order;
}

/* phase=map, final request: one row per record, nothing stored. */
static int emit_map(struct scp *s, struct pdns_state *st, struct err *e)
{
    size_t n = pdns_count(st->p);
    size_t *order = sorted_order(st, n);
    if (order == NULL)
        return err_set(e, ERR_NOMEM, "out of memory sorting records");
    scp_msg(s, LOG_INFO, "dnspdns (map phase): %llu DNS events, %llu answers, %zu partial "
            "records, %llu sinkhole answers", (unsigned long long)st->events,
            (unsigned long long)st->answers, n, (unsigned long long)st->sinkholed);
    for (size_t j = 0; j < n; j++) {
        const struct pdns_rec *r = pdns_get(st->p, order[j]);
        struct slice *c = arena_alloc(&s->arena, MF_N * sizeof *c);
        if (c == NULL)
            goto nomem;
        c[MF_TIME] = fmt_i64(&s->arena, r->time_last);
        c[MF_NAME] = r->rrname;
        c[MF_RDATA] = r->rdata;
        c[MF_FIRST] = fmt_i64(&s->arena, r->time_first);
        c[MF_LAST] = c[MF_TIME];
        c[MF_COUNT] = fmt_u64(&s->arena, r->count);
        c[MF_CLIENT] = slice_of(r->client, r->client_n);
        if (c[MF_TIME].p == NULL || c[MF_FIRST].p == NULL || c[MF_COUNT].p == NULL ||
            scp_emit(s, &st->map_out, c))
            goto nomem;
    }
    xfree(order);
    return 0;
nomem:
    xfree(order);
    return err_set(e, ERR_NOMEM, "out of memory writing partial records");
}

static int ps_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct pdns_state *st = state;
    size_t n, saved, *order;
    int fatal;

    if (ps_add_rows(s, st, in, e))
        return e->code;
    if (!finished)
        return 0;
    if (st->map)
        return emit_map(s, st, e);
    if (st->sinkholed > 0)
        scp_msg(s, LOG_INFO, "dnspdns: %llu answers were sinkholes (0.0.0.0, :: or "
                "lookups/dnsjoin_sinkholes.csv): blocked names, not stored",
                (unsigned long long)st->sinkholed);
    n = pdns_count(st->p);
    if (st->partials > 0)
        scp_msg(s, LOG_INFO, "dnspdns: merged %llu partial records of the map phase",
                (unsigned long long)st->partials);
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
    xfree(st->preop);
    xfree(st);
}

const struct scp_command pdns_command = {
    .name = "dnspdns", .getinfo = ps_getinfo, .execute = ps_execute, .create = ps_new,
    .destroy = ps_free};
