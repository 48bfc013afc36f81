#include "cmd/profile_cmd.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "join/join.h"
#include "report/dname.h"
#include "report/endpoints.h"
#include "report/pfeed.h"
#include "report/profile.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/worker.h"
#include "util/xmem.h"

/* Extra fields read through the engine (join_opts.extra). */
enum { PX_SOURCETYPE, PX_ACTION, PX_URL, PX_N };

int profile_cmd_lines = 1, profile_cmd_threads = 1;

/* Output columns, in order. */
enum {
    PC_SRC, PC_QUERY, PC_DEST_IP, PC_LOOKUPS, PC_CONNECTIONS, PC_BLOCKED, PC_ALLOWED,
    PC_PROXIED, PC_CPL, PC_FIRST, PC_LAST, PC_HOURS, PC_PORT, PC_PORT_MV, PC_TRANSPORT,
    PC_TRANSPORT_MV, PC_SOURCETYPE, PC_SOURCETYPE_MV, PC_HOURLY, PC_HOURLY_MV, PC_PATH,
    PC_TUNNEL, PC_FINDING, PC_N
};
static const char *const pc_names[PC_N] = {
    "src", "dns_query", "dest_ip", "lookups", "connections", "blocked", "allowed", "proxied",
    "conn_per_lookup", "first_seen", "last_seen", "active_hours", "dest_port", "__mv_dest_port",
    "transport", "__mv_transport", "sourcetype", "__mv_sourcetype", "hourly", "__mv_hourly",
    "path", "tunnel", "finding",
};

struct pf_state {
    struct join_opts o;
    struct join *j;             /* OWNED */
    struct history *hist;       /* OWNED, NULL without history= */
    struct endpoints *ep;       /* OWNED */
    struct profile *p;          /* OWNED */
    struct pfeed *feed;         /* OWNED: events go to p through it */
    int nodns;
    char *names[PX_N];          /* OWNED field names */
    const char *extra[PX_N + 1];
    struct reqfields req;     /* getinfo's required_fields */
    uint32_t ids[PC_N];
    struct schema sc;
    struct scp *s;
    uint64_t skipped_no_time;
    /* the final reply, kept until it has been written (row_cells) */
    uint32_t *order;            /* OWNED: the rows as conversation numbers */
    size_t nrows, nhours, npoints;
    int64_t h0;
    uint64_t *counts;           /* OWNED: npoints */
    struct slice *vals;         /* OWNED: PROFILE_VALUES_MAX * 2 + 1 */
};

/* The tunnel list: the app's lookup file, else the built-in names. */
static int load_endpoints(struct scp *s, struct pf_state *st, struct err *e)
{
    char path[4200];
    size_t skipped = 0;
    struct err le;
    err_clear(&le);
    if (endpoints_default_path(path, sizeof path) == 0) {
        st->ep = endpoints_load(path, &skipped, &le);
        if (st->ep != NULL && skipped > 0)
            scp_msg(s, LOG_WARN, "dnsprofile: %zu rows of lookups/tunnel_endpoints.csv were "
                    "not understood and are ignored", skipped);
    } else {
        err_set(&le, ERR_IO, "cannot find the executable's directory");
    }
    if (st->ep == NULL) {
        if (le.code == ERR_NOMEM)
            return err_set(e, ERR_NOMEM, "out of memory");
        scp_msg(s, LOG_WARN, "dnsprofile: %s; using the built-in list of Teredo server names",
                le.msg);
        st->ep = endpoints_builtin();
        if (st->ep == NULL)
            return err_set(e, ERR_NOMEM, "out of memory");
    }
    return 0;
}

static int pf_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct pf_state *st = state;
    int rc = joinopts_parse(a, 1, &st->o, e);
    /* history=: addresses no answer in the window explains are looked up
     * in the passive DNS collection, as dnsjoin does */
    if (rc == 0)
        rc = joinopts_history(s, a, &st->o, &st->hist, e);
    if (rc == 0)
        rc = args_bool(a, "nodns", 1, &st->nodns, e);
    if (rc == 0)
        rc = args_finish(a, "dnsprofile", e);
    if (rc)
        return rc;
    st->names[PX_SOURCETYPE] = xstrndup("sourcetype", 10);
    st->names[PX_ACTION] = xstrndup("action", 6);
    st->names[PX_URL] = xstrndup("url", 3);
    for (int k = 0; k < PX_N; k++)
        if (st->names[k] == NULL)
            return err_set(e, ERR_NOMEM, "out of memory");
    for (int k = 0; k < PX_N; k++)
        st->extra[k] = st->names[k];
    st->extra[PX_N] = NULL;
    st->o.extra = st->extra;
    st->o.sink_reads_fields = 1;
    /* a reporting command: counts do not depend on the order rows reach
     * it, and it never writes a row back */
    st->o.unordered_sink = 1;
    st->o.compact_held = 1;
    st->o.choice_only = 1;
    for (int k = 0; k < PC_N; k++)
        if (cols_intern(s->cols, slice_cstr(pc_names[k]), &st->ids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    st->sc.n = PC_N;
    st->sc.ids = st->ids;
    rc = load_endpoints(s, st, e);
    if (rc)
        return rc;
    st->j = join_new(&st->o, s->cols);
    st->p = profile_new(st->ep);
    /* counting overlaps reading when a second processor is online */
    st->feed = st->p != NULL ? pfeed_new(st->p, profile_cmd_threads && worker_cpus() > 1) : NULL;
    if (st->j == NULL || st->p == NULL || st->feed == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    /* store cells only for the fields the engine reads */
    s->want = join_want(st->j, &s->nwant);
    s->want_set = 1;

    const struct slice req[] = {
        SLICE_LIT("_time"), SLICE_LIT("src"), SLICE_LIT("src_ip"), SLICE_LIT("dest_port"),
        SLICE_LIT("transport"), SLICE_LIT("sourcetype"), SLICE_LIT("action"), SLICE_LIT("url"),
        st->o.query_field, st->o.answer_field,
        st->o.ip_field.p ? st->o.ip_field : SLICE_LIT("dest_ip"),
        st->o.ip_field.p ? SLICE_NULL : SLICE_LIT("dest"),
        st->o.client_field,
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        if (reqfields_add(&st->req, req[i]))
            return err_set(e, ERR_NOMEM, "out of memory");
    gi->type = SCP_REPORTING;
    for (size_t i = 0; i < st->req.n; i++)
        gi->required[i] = st->req.names[i];
    gi->nrequired = st->req.n;
    return 0;
}

static struct slice row_client(const struct join_row *row, struct arena *a)
{
    struct slice c = join_field(row, JF_CLIENT1, a);
    if (slice_is_blank(c))
        c = join_field(row, JF_CLIENT2, a);
    return c;
}

static int pf_sink(void *ctx, const struct join_row *row, const struct join_event *ev,
                   struct err *e)
{
    struct pf_state *st = ctx;
    struct arena *a = &st->s->arena;

    if (!ev->has_time) {
        st->skipped_no_time++;
        return 0;
    }
    struct slice stype = join_field(row, JF_X0 + PX_SOURCETYPE, a);
    struct slice url = join_field(row, JF_X0 + PX_URL, a);
    if (!slice_is_blank(url)) {
        /* a proxy request: it names the site, not an address */
        struct slice host = dname_url_host(url), client = row_client(row, a);
        struct ipaddr hip, cip;
        if (host.n == 0 || ipaddr_parse(host, &hip) == 0)
            return 0;
        int is_ip = client.n > 0 && ipaddr_parse(client, &cip) == 0;
        return pfeed_proxy(st->feed, client, is_ip ? &cip : NULL, host, ev->t, stype, e);
    }
    if (ev->kind == JOIN_DNS)
        /* the engine has parsed the answer's addresses (unordered_sink) */
        return pfeed_lookup(st->feed, ev->client, ev->client_is_ip ? &ev->client_ip : NULL,
                            join_field(row, JF_QUERY, a), ev->answers, ev->nanswers, ev->t,
                            stype, e);
    if (ev->kind == JOIN_NET) {
        if (ev->match == JOIN_NONE && !st->nodns)
            return 0;
        return pfeed_conn(st->feed, ev->client, ev->client_is_ip ? &ev->client_ip : NULL,
                          ev->match == JOIN_NONE ? SLICE_NULL : ev->name, &ev->ip, ev->t,
                          ev->udp3544, join_field(row, JF_X0 + PX_ACTION, a),
                          join_field(row, JF_DEST_PORT, a), join_field(row, JF_TRANSPORT, a),
                          stype, e);
    }
    return 0;
}

static struct slice fmt_ip_text(struct arena *a, const char *text)
{
    size_t n = strlen(text);
    char *p = arena_dup(a, text, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

/* connections / lookups with two decimals, rounded half up. */
static struct slice fmt_ratio(struct arena *a, uint64_t c, uint64_t l)
{
    char buf[48];
    if (l == 0)
        return SLICE_LIT("");
    uint64_t hundredths = (c * 200 + l) / (2 * l);
    size_t n = num_format_u64(hundredths / 100, buf);
    buf[n++] = '.';
    buf[n++] = (char)('0' + hundredths % 100 / 10);
    buf[n++] = (char)('0' + hundredths % 10);
    char *p = arena_dup(a, buf, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

/* A multivalue cell pair; "..." marks a list cut at PROFILE_VALUES_MAX. */
static int values_cells(struct pf_state *st, const struct profile_row *r, int which,
                        struct arena *a, struct slice *plain, struct slice *mv)
{
    int trunc;
    struct slice *vals = st->vals;
    size_t n = profile_values(st->p, r, which, vals, PROFILE_VALUES_MAX * 2, &trunc);
    if (trunc)
        vals[n++] = SLICE_LIT("...");
    if (n == 0) {
        *plain = *mv = SLICE_LIT("");
        return 0;
    }
    return mv_encode(a, vals, n, plain, mv);
}

/* Splunk Web draws a multivalue whose first value is this marker as a
 * sparkline.  Both forms are written directly (what mv_encode makes of the
 * marker and the counts: digits need no escaping), since this cell is most
 * of the reply. */
#define SPARK_MARK "##__SPARKLINE__##"

/* "\n0" and ";$0$" repeated ZEROS_RUN times. */
#define ZEROS_RUN 64
#define REP4(s) s s s s
#define REP64(s) REP4(REP4(REP4(s)))
static const char zeros_plain[] = REP64("\n0"), zeros_mv[] = REP64(";$0$");

/* The sparkline's two cells from st->counts. */
static int hourly_cells(struct pf_state *st, struct arena *a, struct slice *plain,
                        struct slice *mv)
{
    size_t np = st->npoints;
    size_t ml = sizeof SPARK_MARK - 1;
    char *pp = arena_alloc(a, ml + np * 21), *mp = arena_alloc(a, ml + 2 + np * 23);
    if (pp == NULL || mp == NULL)
        return ERR_NOMEM;
    size_t pw = ml, mw = ml + 2;
    memcpy(pp, SPARK_MARK, ml);
    mp[0] = '$';
    memcpy(mp + 1, SPARK_MARK, ml);
    mp[ml + 1] = '$';
    for (size_t k = 0; k < np; k++) {
        char d[24];
        size_t w, z;
        /* most hours of most rows are quiet: runs of zeros are copied */
        for (z = 0; k + z < np && st->counts[k + z] == 0 && z < ZEROS_RUN; z++)
            ;
        if (z > 1) {
            memcpy(pp + pw, zeros_plain, 2 * z);
            pw += 2 * z;
            memcpy(mp + mw, zeros_mv, 4 * z);
            mw += 4 * z;
            k += z - 1;
            continue;
        }
        pp[pw++] = '\n';
        mp[mw++] = ';';
        mp[mw++] = '$';
        /* most hours of most rows hold a single digit: no copy call */
        if (st->counts[k] < 10) {
            pp[pw++] = mp[mw++] = (char)('0' + st->counts[k]);
        } else {
            w = num_format_u64(st->counts[k], d);
            for (size_t i = 0; i < w; i++)
                pp[pw++] = mp[mw++] = d[i];
        }
        mp[mw++] = '$';
    }
    *plain = slice_of(pp, pw);
    *mv = slice_of(mp, mw);
    return 0;
}

/* Output row i's cells but the sparkline's, whose counts go to st->counts
 * (st->npoints of them). */
static int row_cells_but_hourly(struct pf_state *st, size_t i, struct slice *c, struct arena *a)
{
    struct profile_row row;
    const struct profile_row *r = &row;
    char finding[1024];

    profile_row_of(st->p, st->order[i], &row);

    c[PC_SRC] = r->src;
    c[PC_QUERY] = r->dns_query;
    c[PC_DEST_IP] = r->has_ip ? fmt_ip_text(a, r->ip_text) : SLICE_LIT("");
    c[PC_LOOKUPS] = cmd_u64(a, r->lookups);
    c[PC_CONNECTIONS] = cmd_u64(a, r->connections);
    c[PC_BLOCKED] = cmd_u64(a, r->blocked);
    c[PC_ALLOWED] = cmd_u64(a, r->allowed);
    c[PC_PROXIED] = cmd_u64(a, r->proxied);
    c[PC_CPL] = fmt_ratio(a, r->connections, r->lookups);
    c[PC_FIRST] = cmd_us(a, r->first);
    c[PC_LAST] = cmd_us(a, r->last);
    c[PC_HOURS] = cmd_u64(a, r->active_hours);
    if (values_cells(st, r, 0, a, &c[PC_PORT], &c[PC_PORT_MV]) ||
        values_cells(st, r, 1, a, &c[PC_TRANSPORT], &c[PC_TRANSPORT_MV]) ||
        values_cells(st, r, 2, a, &c[PC_SOURCETYPE], &c[PC_SOURCETYPE_MV]))
        return ERR_NOMEM;
    if (st->npoints > 0)
        (void)profile_hourly(st->p, r, st->h0, st->nhours, st->counts);
    c[PC_HOURLY] = c[PC_HOURLY_MV] = SLICE_LIT("");
    c[PC_PATH] = slice_cstr(profile_path_name(r->path));
    c[PC_TUNNEL] = slice_cstr(endpoints_kind_name(r->tunnel));
    size_t fl = profile_finding(st->p, r, finding, sizeof finding);
    char *fp = arena_dup(a, finding, fl);
    if (fp == NULL)
        return ERR_NOMEM;
    c[PC_FINDING] = slice_of(fp, fl);
    for (int k = 0; k < PC_N; k++)
        if (c[k].p == NULL)
            return ERR_NOMEM;
    return 0;
}

/* The cells of output row i, made while the reply is written so that the
 * rows never exist all at once (csvw_gen_fn). */
static int row_cells(void *ctx, size_t i, struct slice *c, struct arena *a)
{
    struct pf_state *st = ctx;
    if (row_cells_but_hourly(st, i, c, a))
        return ERR_NOMEM;
    return st->npoints > 0 ? hourly_cells(st, a, &c[PC_HOURLY], &c[PC_HOURLY_MV]) : 0;
}

static size_t digits(uint64_t v)
{
    size_t n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* The sparkline cells as a row holds them (what csvw makes of
 * hourly_cells): the plain one quoted, since it has newlines and never a
 * quote; the multivalue one as it is. */
static size_t spark_len(const struct pf_state *st)
{
    size_t ml = sizeof SPARK_MARK - 1, d = 0;
    if (st->npoints == 0)
        return 0;
    for (size_t k = 0; k < st->npoints; k++)
        d += digits(st->counts[k]);
    return (2 + ml + st->npoints + d) + (2 + ml + 3 * st->npoints + d) + 1;
}

/* v's digits at d, nothing after them (num_format_u64 adds a NUL). */
static char *put_u64(char *d, uint64_t v)
{
    char t[24];
    size_t n = num_format_u64(v, t);
    memcpy(d, t, n);
    return d + n;
}

/* Write them (spark_len bytes, the comma between them included). */
static char *spark_put(const struct pf_state *st, char *d)
{
    size_t ml = sizeof SPARK_MARK - 1, np = st->npoints;
    *d++ = '"';
    memcpy(d, SPARK_MARK, ml);
    d += ml;
    for (size_t k = 0; k < np; k++) {
        uint64_t v = st->counts[k];
        size_t z;
        for (z = 0; k + z < np && st->counts[k + z] == 0 && z < ZEROS_RUN; z++)
            ;
        if (z > 1) {
            memcpy(d, zeros_plain, 2 * z);
            d += 2 * z;
            k += z - 1;
            continue;
        }
        *d++ = '\n';
        if (v < 10)
            *d++ = (char)('0' + v);
        else
            d = put_u64(d, v);
    }
    *d++ = '"';
    *d++ = ',';
    *d++ = '$';
    memcpy(d, SPARK_MARK, ml);
    d += ml;
    *d++ = '$';
    for (size_t k = 0; k < np; k++) {
        uint64_t v = st->counts[k];
        size_t z;
        for (z = 0; k + z < np && st->counts[k + z] == 0 && z < ZEROS_RUN; z++)
            ;
        if (z > 1) {
            memcpy(d, zeros_mv, 4 * z);
            d += 4 * z;
            k += z - 1;
            continue;
        }
        *d++ = ';';
        *d++ = '$';
        if (v < 10)
            *d++ = (char)('0' + v);
        else
            d = put_u64(d, v);
        *d++ = '$';
    }
    return d;
}

/* Output row i as CSV text (csvw_line_fn): the same bytes csvw makes of
 * row_cells, but the sparkline (most of the reply) is measured from its
 * counts and written in place, never formatted to be measured. */
static int row_line(void *ctx, size_t i, char *dst, size_t cap, size_t *len, struct arena *a)
{
    struct pf_state *st = ctx;
    struct slice c[PC_N];
    if (row_cells_but_hourly(st, i, c, a))
        return ERR_NOMEM;
    size_t n = PC_N - 1;  /* the commas */
    for (int k = 0; k < PC_N; k++)
        if (k != PC_HOURLY && k != PC_HOURLY_MV)
            n += csvw_value_len(c[k]);
    n += spark_len(st) - (st->npoints > 0);  /* its comma is counted above */
    *len = n;
    if (dst == NULL || n > cap)
        return 0;
    char *d = dst;
    for (int k = 0; k < PC_N; k++) {
        if (k == PC_HOURLY && st->npoints > 0) {
            d = spark_put(st, d);
            k = PC_HOURLY_MV;
        } else {
            d = csvw_put_value(d, c[k]);
        }
        if (k + 1 < PC_N)
            *d++ = ',';
    }
    return 0;
}

static int emit_rows(struct pf_state *st, struct err *e)
{
    struct scp *s = st->s;
    /* every event is in the profile once the worker is done */
    int rc = pfeed_flush(st->feed, e);
    if (rc)
        return rc;
    rc = profile_order(st->p, st->nodns, &st->order, &st->nrows, e);
    if (rc)
        return rc;
    int have_hours = profile_hours(st->p, s->info.earliest_us, s->info.latest_us, &st->h0,
                                   &st->nhours);
    st->npoints = 0;
    if (have_hours) {
        size_t step = (st->nhours + PROFILE_SPARK_POINTS_MAX - 1) / PROFILE_SPARK_POINTS_MAX;
        st->npoints = (st->nhours + step - 1) / step;
        if (step > 1)
            scp_msg(s, LOG_INFO, "dnsprofile: the search covers %zu hours; each point of the "
                    "hourly sparkline sums %zu hours", st->nhours, step);
    }
    st->counts = xcalloc(st->npoints ? st->npoints : 1, sizeof *st->counts);
    st->vals = xcalloc(PROFILE_VALUES_MAX * 2 + 1, sizeof *st->vals);
    if (st->counts == NULL || st->vals == NULL)
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    if (scp_emit_gen_lines(s, &st->sc, row_cells, profile_cmd_lines ? row_line : NULL, st, 0,
                           st->nrows))
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    return 0;
}

static int pf_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct pf_state *st = state;
    int rc;
    st->s = s;
    rc = join_feed(st->j, in, finished, &s->arena, pf_sink, st, e);
    if (rc == 0 && finished) {
        struct join_stats js;
        join_stats(st->j, &js);
        /* every event has been counted: the window's rows and answers can
         * go before the result is built */
        join_free(st->j);
        st->j = NULL;
        s->want = NULL;  /* it pointed into the engine */
        s->nwant = 0;
        rc = emit_rows(st, e);
        scp_msg(s, LOG_INFO, "dnsprofile: %llu events read (%llu DNS, %llu network), %llu "
                "without _time", (unsigned long long)js.rows, (unsigned long long)js.dns,
                (unsigned long long)js.net, (unsigned long long)st->skipped_no_time);
    }
    return rc;
}

static int pf_written(struct scp *s, void *state, struct err *e)
{
    struct pf_state *st = state;
    (void)s;
    return st->j != NULL ? join_written(st->j, e) : 0;
}

static void *pf_new(void) { return xcalloc(1, sizeof(struct pf_state)); }

static void pf_free(void *state)
{
    struct pf_state *st = state;
    if (st == NULL)
        return;
    join_free(st->j);
    history_free(st->hist);
    pfeed_free(st->feed);  /* before the profile its worker writes */
    profile_free(st->p);
    endpoints_free(st->ep);
    xfree(st->order);
    xfree(st->counts);
    xfree(st->vals);
    for (int k = 0; k < PX_N; k++)
        xfree(st->names[k]);
    reqfields_free(&st->req);
    xfree(st);
}

const struct scp_command profile_command = {
    .name = "dnsprofile", .getinfo = pf_getinfo, .execute = pf_execute, .written = pf_written,
    .create = pf_new, .destroy = pf_free};
