#include "cmd/timechart_cmd.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "cmd/wrows.h"
#include "join/join.h"
#include "net/ipaddr.h"
#include "report/bins.h"
#include "report/dname.h"
#include "report/timechart.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/xmem.h"

/* Extra fields read through the engine (join_opts.extra): the by-field,
 * the proxy URL, the fields of a map phase's partial rows (TX_M*) and the
 * weight of its weighted rows (TX_W). */
enum { TX_BY, TX_BY_MV, TX_URL, TX_MBIN, TX_MSERIES, TX_MCOUNT, TX_W, TX_N };

/* Two map phases (phase=map).  Without a filter, one row per (bin, series
 * value) with its count, under names no user field has, and _time = the
 * bin so that the search head can merge the indexers' rows by time.  With
 * one (domain=, ip=, src=) the reduce must join every event, so the map
 * sends weighted rows (cmd/wrows.h): the events' projections on the fields
 * the reduce reads, each distinct one once. */
enum { MF_TIME, MF_BIN, MF_SERIES, MF_COUNT, MF_N };
static const char *const mf_names[MF_N] = {"_time", "__dnsjoin_tc_bin", "__dnsjoin_tc_series",
                                           "__dnsjoin_tc_count"};

/* A partial row's bin is a bin start of an event time the engine accepts
 * (|t| <= JOIN_TIME_ABS_MAX), so at most one bin further out. */
#define TC_BIN_ABS_MAX (JOIN_TIME_ABS_MAX + 86400LL * BINS_SPAN_DAYS_MAX * US_PER_SEC)

struct tc_state {
    struct join_opts o;
    struct join *j;           /* OWNED */
    struct history *hist;     /* OWNED, NULL without history= */
    struct sinkholes *sink;   /* OWNED */
    struct tchart *tc;        /* OWNED */
    struct bins bins;
    uint64_t limit;
    int useother, usenull, cont;
    struct slice domain;      /* VIEW into searchinfo.args (lives all session) */
    int has_ip, has_src;
    struct ipcidr ip, src;
    char *names[TX_N];        /* OWNED field names */
    const char *extra[TX_N + 1];
    struct reqfields req;     /* getinfo's required_fields */
    struct scp *s;
    uint64_t skipped_no_time;
    int map;                  /* phase=map: partial rows, no chart */
    const char *filter;       /* the first filter option given, or NULL */
    char *preop;              /* OWNED: the reduce's streaming_preop */
    uint32_t map_ids[MF_N];
    struct schema map_out;
    uint64_t partials;        /* partial rows merged (the reduce) */
    /* weighted rows (with a filter): the map's, or the reduce's to replay
     * (collect) */
    struct wrows *wr;         /* OWNED or NULL */
    int collect;              /* the reduce of weighted rows */
    uint64_t maxbuffer;       /* the reduce's bound on the rows it keeps */
};

static char *dup_slice(struct slice s) { return xstrndup(s.p, s.n); }

/* Bare words: an optional `count`, then an optional `by <field>`. */
static int parse_words(struct args *a, struct slice *by, struct err *e)
{
    long w = args_next_word(a, 0);
    if (w >= 0 && slice_eq_cstr(a->items[w].value, "count")) {
        a->items[w].used = 1;
        w = args_next_word(a, (size_t)w + 1);
    }
    if (w >= 0 && (slice_eq_cstr(a->items[w].value, "by") ||
                   slice_eq_cstr(a->items[w].value, "BY"))) {
        long f = args_next_word(a, (size_t)w + 1);
        if (f < 0 || (size_t)f != (size_t)w + 1)
            return err_set(e, ERR_ARGS, "by: expected a field name after 'by'");
        a->items[w].used = a->items[f].used = 1;
        *by = a->items[f].value;
    }
    return 0;
}

/* mapphase=true: name the map phase.  The partial rows' fields join the
 * required ones (weighted rows carry the events' own fields). */
static int make_preop(struct scp *s, struct tc_state *st, struct err *e)
{
    int rc = cmd_preop(&s->info, "dnstimechart", &st->preop);
    if (rc == ERR_NOMEM)
        return err_set(e, rc, "out of memory");
    if (rc)
        return err_set(e, rc, "dnstimechart: the arguments are too long for a map phase");
    if (st->filter != NULL)
        return reqfields_add(&st->req, slice_cstr(WROWS_WEIGHT_FIELD))
                   ? err_set(e, ERR_NOMEM, "out of memory")
                   : 0;
    for (int k = MF_BIN; k < MF_N; k++)
        if (reqfields_add(&st->req, slice_cstr(mf_names[k])))
            return err_set(e, ERR_NOMEM, "out of memory");
    return 0;
}

/* The weighted rows' fields: what the join and the sink read.  The URL
 * matters only to domain= (its host); a partial count's fields stay, so
 * that the reduce still refuses them. */
static struct wrows *make_wrows(struct tc_state *st, struct cols *c, struct slice by)
{
    struct wrows_field f[WROWS_JOIN_FIELDS + 4];
    wrows_join_fields(&st->o, f);
    f[WROWS_JOIN_FIELDS + 0] = (struct wrows_field){by, WR_ALL};
    f[WROWS_JOIN_FIELDS + 1] = (struct wrows_field){
        st->domain.p != NULL ? SLICE_LIT("url") : SLICE_NULL, WR_URL_HOST};
    f[WROWS_JOIN_FIELDS + 2] = (struct wrows_field){slice_cstr(mf_names[MF_BIN]), WR_FIRST};
    f[WROWS_JOIN_FIELDS + 3] = (struct wrows_field){slice_cstr(mf_names[MF_COUNT]), WR_FIRST};
    return wrows_new(c, f, sizeof f / sizeof f[0]);
}

static int tc_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct tc_state *st = state;
    static const char *const phases[] = {"reduce", "map", NULL};
    struct slice span, tz, ipv, srcv, by = SLICE_LIT("sourcetype");
    int mapphase = -1, rc;

    rc = args_enum(a, "phase", phases, 0, &st->map, e);
    /* mapphase names the streaming_preop.  On by default without a filter
     * (counts per bin and series: a large reduction; dnsjoin.conf [search]
     * mapphase); off by default with one, as its weighted rows shrink only when events repeat exactly
     * (docs/PERFORMANCE.md), so mapphase=t asks for it. */
    if (rc == 0)
        rc = args_bool(a, "mapphase", -1, &mapphase, e);
    if (rc == 0)
        rc = args_str(a, "span", SLICE_LIT("1h"), &span, e);
    if (rc == 0)
        rc = bins_parse(span, &st->bins, e);
    if (rc == 0)
        rc = args_uint(a, "limit", 10, 0, REPORT_SERIES_MAX, &st->limit, e);
    if (rc == 0)
        rc = args_bool(a, "useother", 1, &st->useother, e);
    if (rc == 0)
        rc = args_bool(a, "usenull", 1, &st->usenull, e);
    if (rc == 0)
        rc = args_bool(a, "cont", 1, &st->cont, e);
    if (rc == 0)
        rc = args_str(a, "tz", SLICE_NULL, &tz, e);
    if (rc == 0 && tz.p != NULL)
        rc = bins_set_tz(tz, e);
    if (rc == 0)
        rc = args_str(a, "domain", SLICE_NULL, &st->domain, e);
    if (rc == 0)
        rc = args_str(a, "ip", SLICE_NULL, &ipv, e);
    if (rc == 0)
        rc = args_str(a, "src", SLICE_NULL, &srcv, e);
    if (rc == 0)
        rc = joinopts_parse(a, 0, &st->o, e);
    /* history=: addresses no answer in the window explains are looked up
     * in the passive DNS collection, as dnsjoin does */
    if (rc == 0)
        rc = joinopts_history(s, a, &st->o, &st->hist, e);
    if (rc == 0)
        rc = parse_words(a, &by, e);
    if (rc == 0)
        rc = args_finish(a, "dnstimechart", e);
    if (rc == 0)
        rc = joinopts_sinkholes(s, "dnstimechart", &st->o, &st->sink, e);
    if (rc)
        return rc;
    if (st->domain.p != NULL && st->domain.n == 0)
        return err_set(e, ERR_ARGS, "domain=: expected a domain name or a glob such as "
                       "*.microsoft.com");
    if (ipv.p != NULL) {
        if (ipcidr_parse(ipv, &st->ip))
            return err_set(e, ERR_ARGS, "ip=%.*s: expected an IP address or a CIDR range such "
                           "as 65.55.158.0/24", (int)(ipv.n > 64 ? 64 : ipv.n), ipv.p);
        st->has_ip = 1;
    }
    if (srcv.p != NULL) {
        if (ipcidr_parse(srcv, &st->src))
            return err_set(e, ERR_ARGS, "src=%.*s: expected an IP address or a CIDR range such "
                           "as 10.0.0.0/8", (int)(srcv.n > 64 ? 64 : srcv.n), srcv.p);
        st->has_src = 1;
    }
    st->filter = st->domain.p != NULL ? "domain=" : st->has_ip ? "ip=" : st->has_src ? "src="
                                                                                    : NULL;
    if (st->map && st->hist != NULL) {
        /* the map phase never joins: it never asks the KV store (history=
         * stays with the search head) */
        history_free(st->hist);
        st->hist = NULL;
        st->o.history = NULL;
    }

    st->names[TX_BY] = dup_slice(by);
    st->names[TX_BY_MV] = cmd_mv_name(by);
    st->names[TX_URL] = dup_slice(SLICE_LIT("url"));
    st->names[TX_MBIN] = dup_slice(slice_cstr(mf_names[MF_BIN]));
    st->names[TX_MSERIES] = dup_slice(slice_cstr(mf_names[MF_SERIES]));
    st->names[TX_MCOUNT] = dup_slice(slice_cstr(mf_names[MF_COUNT]));
    st->names[TX_W] = dup_slice(slice_cstr(WROWS_WEIGHT_FIELD));
    for (int k = 0; k < TX_N; k++)
        if (st->names[k] == NULL)
            return err_set(e, ERR_NOMEM, "out of memory");
    for (int k = 0; k < TX_N; k++)
        st->extra[k] = st->names[k];
    st->extra[TX_N] = NULL;
    st->o.extra = st->extra;
    st->o.sink_reads_fields = 1;
    /* a reporting command: counts do not depend on the order rows reach
     * it, and it never writes a row back */
    st->o.unordered_sink = 1;
    st->o.compact_held = 1;
    st->o.choice_only = 1;

    st->j = join_new(&st->o, s->cols);
    st->tc = tchart_new();
    if (st->j == NULL || st->tc == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    st->maxbuffer = st->o.maxbuffer;
    /* weighted rows: made by a filtered map phase, replayed by the reduce
     * that names one */
    if (mapphase < 0 && !st->map && st->filter == NULL &&
        (rc = cmd_mapphase_conf(&mapphase, e)) != 0)
        return rc;
    if (mapphase < 0)
        mapphase = 0;
    st->collect = !st->map && mapphase && st->filter != NULL;
    if ((st->map && st->filter != NULL) || st->collect) {
        st->wr = make_wrows(st, s->cols, by);
        if (st->wr == NULL)
            return err_set(e, ERR_NOMEM, "out of memory");
        s->want = wrows_want(st->wr, &s->nwant);
    } else {
        /* store cells only for the fields the engine reads */
        s->want = join_want(st->j, &s->nwant);
    }
    s->want_set = 1;

    /* reporting: the search head hands over only the fields named here
     * (and their __mv_ companions), which cuts what splunkd serialises. */
    const struct slice req[] = {
        SLICE_LIT("_time"), SLICE_LIT("src"), SLICE_LIT("src_ip"), SLICE_LIT("dest_ip"),
        SLICE_LIT("dest"), SLICE_LIT("url"), by, st->o.query_field, st->o.answer_field,
        st->o.client_field,
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (reqfields_add(&st->req, req[i]))
            return err_set(e, ERR_NOMEM, "out of memory");
    for (int k = 0; k < MF_N; k++)
        if (cols_intern(s->cols, slice_cstr(mf_names[k]), &st->map_ids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    st->map_out.n = MF_N;
    st->map_out.ids = st->map_ids;
    gi->early_reply = 1;  /* rows only with the final request */
    if (st->map) {
        /* on each indexer, over its own events; weighted rows go out
         * whenever they pass WROWS_MAP_BYTES */
        gi->type = SCP_STREAMING;
        gi->early_reply = st->wr == NULL;
    } else {
        /* reporting: once, on the search head, over all results (or over
         * the indexers' partial rows) */
        gi->type = SCP_REPORTING;
        rc = mapphase ? make_preop(s, st, e) : 0;
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < st->req.n; i++)
        gi->required[i] = st->req.names[i];
    gi->nrequired = st->req.n;
    gi->streaming_preop = st->preop;
    return 0;
}

/* The event's client as an address, or 0 when it has none (the engine has
 * read it from network events and, with unordered_sink, DNS events). */
static int event_client(const struct join_row *row, const struct join_event *ev,
                        struct arena *a, struct ipaddr *out)
{
    struct slice c;
    if (ev->kind == JOIN_NET || ev->kind == JOIN_DNS) {
        *out = ev->client_ip;
        return ev->client_is_ip;
    }
    c = join_field(row, JF_CLIENT1, a);
    if (slice_is_blank(c))
        c = join_field(row, JF_CLIENT2, a);
    return !slice_is_blank(c) && ipaddr_parse(c, out) == 0;
}

/* 1 if some IP answer of a DNS event is inside `r` (the engine has parsed
 * them: unordered_sink). */
static int answers_in(const struct join_event *ev, const struct ipcidr *r)
{
    for (size_t i = 0; i < ev->nanswers; i++)
        if (ipcidr_contains(r, &ev->answers[i]))
            return 1;
    return 0;
}

/* The filters: every one given must keep the event. */
static int keep(struct tc_state *st, const struct join_row *row, const struct join_event *ev,
                struct arena *a)
{
    if (st->has_src) {
        struct ipaddr c;
        if (!event_client(row, ev, a, &c) || !ipcidr_contains(&st->src, &c))
            return 0;
    }
    if (st->has_ip) {
        if (ev->kind == JOIN_NET ? !ipcidr_contains(&st->ip, &ev->ip)
                                 : ev->kind != JOIN_DNS || !answers_in(ev, &st->ip))
            return 0;
    }
    if (st->domain.p != NULL) {
        int hit = 0;
        if (ev->kind == JOIN_DNS)
            hit = dname_glob(st->domain, join_field(row, JF_QUERY, a));
        else if (ev->kind == JOIN_NET && ev->match != JOIN_NONE)
            hit = dname_glob(st->domain, ev->name);
        if (!hit) {
            /* a proxy event: its URL names the site */
            struct slice url = join_field(row, JF_X0 + TX_URL, a);
            hit = !slice_is_blank(url) && dname_glob(st->domain, dname_url_host(url));
        }
        if (!hit)
            return 0;
    }
    return 1;
}

#define MAPROW_ERR "dnstimechart: field %s of a map-phase row "

/* A row from a map phase (its count or bin is not empty): add its count.
 * The fields are input like any other: a bad one is an ERROR naming it. */
static int add_partial(struct tc_state *st, const struct join_row *row, struct err *e)
{
    struct arena *a = &st->s->arena;
    struct slice bs = join_field(row, JF_X0 + TX_MBIN, a);
    uint64_t count;
    int64_t bin;
    int rc;

    st->partials++;
    if (st->filter != NULL)
        return err_set(e, ERR_INPUT, "dnstimechart: map-phase rows (field %s) carry no events "
                       "for %s to filter; run the map phase without it",
                       mf_names[MF_COUNT], st->filter);
    if (num_parse_u64(join_field(row, JF_X0 + TX_MCOUNT, a), 1, UINT64_MAX, &count))
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not a whole number from 1 to %llu",
                       mf_names[MF_COUNT], (unsigned long long)UINT64_MAX);
    if (bs.p == NULL || num_parse_time_us(bs, &bin) || bin < -TC_BIN_ABS_MAX ||
        bin > TC_BIN_ABS_MAX || bins_floor(&st->bins, bin) != bin)
        return err_set(e, ERR_INPUT, MAPROW_ERR "is not the start of a span= bin in epoch "
                       "seconds", mf_names[MF_BIN]);
    rc = tchart_add_n(st->tc, bin, join_field(row, JF_X0 + TX_MSERIES, a), count, e);
    if (rc == ERR_INPUT)
        return err_set(e, rc, MAPROW_ERR "makes the events counted exceed %llu",
                       mf_names[MF_COUNT], (unsigned long long)UINT64_MAX);
    return rc;
}

/* Count w events (w > 1: a weighted row, whose sum could pass 2^64). */
static int add_n(struct tc_state *st, int64_t bin, struct slice v, uint64_t w, struct err *e)
{
    int rc;
    if (w == 1)
        return tchart_add(st->tc, bin, v, e);
    rc = tchart_add_n(st->tc, bin, v, w, e);
    if (rc == ERR_INPUT)
        return err_set(e, rc, "dnstimechart: field " WROWS_WEIGHT_FIELD " of the map-phase rows "
                       "makes the events counted exceed %llu", (unsigned long long)UINT64_MAX);
    return rc;
}

static int tc_sink(void *ctx, const struct join_row *row, const struct join_event *ev,
                   struct err *e)
{
    struct tc_state *st = ctx;
    struct arena *a = &st->s->arena;
    struct mv_iter it;
    struct slice v;
    uint64_t w;
    int rc, n = 0;

    if (!slice_is_blank(join_field(row, JF_X0 + TX_MCOUNT, a)) ||
        !slice_is_blank(join_field(row, JF_X0 + TX_MBIN, a)))
        return add_partial(st, row, e);
    /* a weighted row counts as w equal events */
    if ((rc = wrows_weight(join_field(row, JF_X0 + TX_W, a), &w, e)) != 0)
        return rc;
    if (!ev->has_time) {
        /* timechart cannot place an event without _time */
        st->skipped_no_time += w;
        return 0;
    }
    if (!keep(st, row, ev, a))
        return 0;
    int64_t bin = bins_floor(&st->bins, ev->t);
    /* A multivalued by-field counts the event once per value, as
     * `timechart count by` does after its implicit expansion. */
    mv_iter_init(&it, join_field(row, JF_X0 + TX_BY, a), join_field(row, JF_X0 + TX_BY_MV, a));
    while (mv_next(&it, a, &v) == 1) {
        if (slice_is_blank(v))
            continue;
        if ((rc = add_n(st, bin, v, w, e)) != 0)
            return rc;
        n++;
    }
    if (n == 0)
        return add_n(st, bin, SLICE_NULL, w, e);
    return 0;
}

static int emit_table(struct tc_state *st, struct err *e)
{
    struct scp *s = st->s;
    struct tchart_opts to = {st->limit, st->useother, st->usenull, st->cont,
                             s->info.earliest_us, s->info.latest_us};
    struct tchart_table t;
    uint32_t *ids = NULL;
    size_t *src = NULL, n = 2;
    int rc = tchart_build(st->tc, &to, &st->bins, &t, e);
    if (rc)
        return rc;
    if (t.nrows == 0)
        goto done;
    ids = arena_alloc(&s->arena, (t.ncols + 2) * sizeof *ids);
    src = arena_alloc(&s->arena, (t.ncols + 2) * sizeof *src);
    if (ids == NULL || src == NULL) {
        rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
        goto done;
    }
    if (cols_intern(s->cols, SLICE_LIT("_time"), &ids[0]) ||
        cols_intern(s->cols, SLICE_LIT("_span"), &ids[1])) {
        rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
        goto done;
    }
    for (size_t c = 0; c < t.ncols; c++) {
        struct slice nm = t.names[c];
        if (slice_eq_cstr(nm, "_time") || slice_eq_cstr(nm, "_span")) {
            scp_msg(s, LOG_WARN, "dnstimechart: a series named %.*s clashes with the column "
                    "of that name and is left out", (int)nm.n, nm.p);
            continue;
        }
        rc = cols_intern(s->cols, nm, &ids[n]);
        if (rc) {
            rc = err_set(e, rc, "a series value is longer than CSV_NAME_MAX (%llu bytes) or "
                         "the search has more than COLS_INTERN_MAX columns (" LIMIT_BUILD_HINT
                         ")", (unsigned long long)CSV_NAME_MAX);
            goto done;
        }
        src[n++] = c;
    }
    struct schema *sc = arena_alloc(&s->arena, sizeof *sc);
    if (sc == NULL) {
        rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
        goto done;
    }
    sc->n = n;
    sc->ids = ids;
    for (size_t r = 0; r < t.nrows; r++) {
        struct slice *cells = arena_alloc(&s->arena, n * sizeof *cells);
        if (cells == NULL) {
            rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
            goto done;
        }
        cells[0] = cmd_us(&s->arena, t.time_us[r]);
        cells[1] = cmd_us(&s->arena, t.span_us[r]);
        for (size_t k = 2; k < n; k++)
            cells[k] = cmd_u64(&s->arena, t.counts[r * t.ncols + src[k]]);
        for (size_t k = 0; k < n; k++)
            if (cells[k].p == NULL) {
                rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
                goto done;
            }
        if (scp_emit(s, sc, cells)) {
            rc = err_set(e, ERR_NOMEM, "out of memory writing the chart");
            goto done;
        }
    }
done:
    tchart_table_free(&t);
    return rc;
}

/* phase=map, final request: one row per non-zero (bin, series) cell. */
static int emit_map(struct tc_state *st, struct err *e)
{
    struct scp *s = st->s;
    struct tchart_cell *c;
    size_t n;
    if (tchart_cells(st->tc, &c, &n))
        return err_set(e, ERR_NOMEM, "out of memory listing the counts");
    for (size_t i = 0; i < n; i++) {
        struct slice *cells = arena_alloc(&s->arena, MF_N * sizeof *cells);
        if (cells == NULL)
            goto nomem;
        cells[MF_TIME] = cmd_us(&s->arena, c[i].bin_us);
        cells[MF_BIN] = cells[MF_TIME];
        cells[MF_SERIES] = c[i].series;
        cells[MF_COUNT] = cmd_u64(&s->arena, c[i].n);
        if (cells[MF_TIME].p == NULL || cells[MF_COUNT].p == NULL ||
            scp_emit(s, &st->map_out, cells))
            goto nomem;
    }
    xfree(c);
    return 0;
nomem:
    xfree(c);
    return err_set(e, ERR_NOMEM, "out of memory writing partial counts");
}

static int finish(struct scp *s, struct tc_state *st, struct err *e);

static int tc_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct tc_state *st = state;
    int rc;
    st->s = s;
    if (st->wr != NULL) {
        /* weighted rows: the map phase's, or the reduce's to replay */
        const struct wrows_use u = {"dnstimechart", st->map, st->maxbuffer, st->j, tc_sink, st};
        rc = wrows_step(st->wr, &u, s, in, finished, e);
        return rc != 0 || st->map || !finished ? rc : finish(s, st, e);
    }
    rc = join_feed(st->j, in, finished, &s->arena, tc_sink, st, e);
    if (rc == 0 && finished)
        rc = finish(s, st, e);
    return rc;
}

static int finish(struct scp *s, struct tc_state *st, struct err *e)
{
    struct join_stats js;
    int rc;
    join_stats(st->j, &js);
    /* every event has been counted: the window's rows and answers can go
     * before the result is built */
    join_free(st->j);
    st->j = NULL;
    s->want = NULL;  /* it pointed into the engine or the set */
    s->nwant = 0;
    rc = st->map ? emit_map(st, e) : emit_table(st, e);
    if (st->partials > 0)
        scp_msg(s, LOG_INFO, "dnstimechart: merged %llu partial rows of the map phase",
                (unsigned long long)st->partials);
    scp_msg(s, LOG_INFO, "dnstimechart%s: %llu events read, %llu counted, %llu without _time",
            st->map ? " (map phase)" : "",
            (unsigned long long)(st->collect ? wrows_events(st->wr) : js.rows - st->partials),
            (unsigned long long)tchart_events(st->tc), (unsigned long long)st->skipped_no_time);
    return rc;
}

static int tc_written(struct scp *s, void *state, struct err *e)
{
    struct tc_state *st = state;
    (void)s;
    wrows_written(st->wr);
    return st->j != NULL && st->wr == NULL ? join_written(st->j, e) : 0;
}

static void *tc_new(void) { return xcalloc(1, sizeof(struct tc_state)); }

static void tc_free(void *state)
{
    struct tc_state *st = state;
    if (st == NULL)
        return;
    join_free(st->j);
    history_free(st->hist);
    sinkholes_free(st->sink);
    tchart_free(st->tc);
    wrows_free(st->wr);
    for (int k = 0; k < TX_N; k++)
        xfree(st->names[k]);
    reqfields_free(&st->req);
    xfree(st->preop);
    xfree(st);
}

const struct scp_command timechart_command = {
    .name = "dnstimechart", .getinfo = tc_getinfo, .execute = tc_execute, .written = tc_written,
    .create = tc_new, .destroy = tc_free};
