#include "cmd/timechart_cmd.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "join/join.h"
#include "net/ipaddr.h"
#include "report/bins.h"
#include "report/dname.h"
#include "report/timechart.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/xmem.h"

/* Extra fields read through the engine (join_opts.extra). */
enum { TX_BY, TX_BY_MV, TX_URL, TX_N };

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

static int tc_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct tc_state *st = state;
    struct slice span, tz, ipv, srcv, by = SLICE_LIT("sourcetype");
    int rc;

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

    st->names[TX_BY] = dup_slice(by);
    st->names[TX_BY_MV] = cmd_mv_name(by);
    st->names[TX_URL] = dup_slice(SLICE_LIT("url"));
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
    /* store cells only for the fields the engine reads */
    s->want = join_want(st->j, &s->nwant);
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
    gi->type = SCP_REPORTING;
    gi->early_reply = 1;  /* rows only with the final request */
    for (size_t i = 0; i < st->req.n; i++)
        gi->required[i] = st->req.names[i];
    gi->nrequired = st->req.n;
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

static int tc_sink(void *ctx, const struct join_row *row, const struct join_event *ev,
                   struct err *e)
{
    struct tc_state *st = ctx;
    struct arena *a = &st->s->arena;
    struct mv_iter it;
    struct slice v;
    int rc, n = 0;

    if (!ev->has_time) {
        /* timechart cannot place an event without _time */
        st->skipped_no_time++;
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
        if ((rc = tchart_add(st->tc, bin, v, e)) != 0)
            return rc;
        n++;
    }
    if (n == 0)
        return tchart_add(st->tc, bin, SLICE_NULL, e);
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

static int tc_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct tc_state *st = state;
    int rc;
    st->s = s;
    rc = join_feed(st->j, in, finished, &s->arena, tc_sink, st, e);
    if (rc == 0 && finished) {
        struct join_stats js;
        join_stats(st->j, &js);
        /* every event has been counted: the window's rows and answers can
         * go before the result is built */
        join_free(st->j);
        st->j = NULL;
        s->want = NULL;  /* it pointed into the engine */
        s->nwant = 0;
        rc = emit_table(st, e);
        scp_msg(s, LOG_INFO, "dnstimechart: %llu events read, %llu counted, %llu without _time",
                (unsigned long long)js.rows, (unsigned long long)tchart_events(st->tc),
                (unsigned long long)st->skipped_no_time);
    }
    return rc;
}

static int tc_written(struct scp *s, void *state, struct err *e)
{
    struct tc_state *st = state;
    (void)s;
    return st->j != NULL ? join_written(st->j, e) : 0;
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
    for (int k = 0; k < TX_N; k++)
        xfree(st->names[k]);
    reqfields_free(&st->req);
    xfree(st);
}

const struct scp_command timechart_command = {
    .name = "dnstimechart", .getinfo = tc_getinfo, .execute = tc_execute, .written = tc_written,
    .create = tc_new, .destroy = tc_free};
