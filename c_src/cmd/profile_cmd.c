#include "cmd/profile_cmd.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "cmd/profile_rows.h"
#include "cmd/wrows.h"
#include "join/join.h"
#include "limits.h"
#include "report/dname.h"
#include "report/endpoints.h"
#include "report/pfeed.h"
#include "report/profile.h"
#include "rest/pdns.h"
#include "util/num.h"
#include "util/worker.h"
#include "util/xmem.h"

/* Extra fields read through the engine (join_opts.extra); PX_W: the
 * weight of a map phase's weighted rows (cmd/wrows.h). */
enum { PX_SOURCETYPE, PX_ACTION, PX_URL, PX_W, PX_N };

int profile_cmd_lines = 1, profile_cmd_threads = 1;

struct pf_state {
    struct join_opts o;
    struct join *j;             /* OWNED */
    struct history *hist;       /* OWNED, NULL without history= */
    struct sinkholes *sink;     /* OWNED */
    struct endpoints *ep;       /* OWNED */
    struct resolvers *res;      /* OWNED: public resolvers, for bypass */
    struct profile *p;          /* OWNED */
    struct pfeed *feed;         /* OWNED: events go to p through it */
    int nodns, nodns_private;
    int64_t new_within_us;      /* new_within= */
    char *names[PX_N];          /* OWNED field names */
    const char *extra[PX_N + 1];
    struct reqfields req;     /* getinfo's required_fields */
    uint32_t ids[PROWS_NCOLS];
    struct schema sc;
    struct scp *s;
    uint64_t skipped_no_time;
    /* the final reply, kept until it has been written */
    uint32_t *order;            /* OWNED: the rows as conversation numbers */
    size_t nrows;
    struct prows *rows;         /* OWNED: makes them */
    /* the map phase (phase=map) sends weighted rows; a reduce that names
     * one (mapphase=true) keeps them and replays them at the end */
    int map, collect;
    struct wrows *wr;           /* OWNED or NULL */
    char *preop;                /* OWNED: the reduce's streaming_preop */
};

/* The weighted rows' fields: every one the join and the profile read, the
 * URL as its host (the profile reads only that). */
static struct wrows *make_wrows(struct pf_state *st, struct cols *c)
{
    struct wrows_field f[WROWS_JOIN_FIELDS + 5];
    wrows_join_fields(&st->o, f);
    f[WROWS_JOIN_FIELDS + 0] = (struct wrows_field){SLICE_LIT("dest_port"), WR_FIRST};
    f[WROWS_JOIN_FIELDS + 1] = (struct wrows_field){SLICE_LIT("transport"), WR_FIRST};
    f[WROWS_JOIN_FIELDS + 2] = (struct wrows_field){SLICE_LIT("sourcetype"), WR_FIRST};
    f[WROWS_JOIN_FIELDS + 3] = (struct wrows_field){SLICE_LIT("action"), WR_FIRST};
    f[WROWS_JOIN_FIELDS + 4] = (struct wrows_field){SLICE_LIT("url"), WR_URL_HOST};
    return wrows_new(c, f, sizeof f / sizeof f[0]);
}

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

/* phase=map: no join, no profile, no KV store (history= stays with the
 * search head): the events' projections, each distinct one once. */
static int map_getinfo(struct scp *s, struct pf_state *st, struct scp_getinfo *gi,
                       struct err *e)
{
    history_free(st->hist);
    st->hist = NULL;
    st->o.history = NULL;
    st->wr = make_wrows(st, s->cols);
    if (st->wr == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    s->want = wrows_want(st->wr, &s->nwant);
    s->want_set = 1;
    /* on each indexer, over its own events; rows go out whenever they pass
     * WROWS_MAP_BYTES.  The indexers serialise only the fields it reads. */
    gi->type = SCP_STREAMING;
    gi->early_reply = 0;
    if (wrows_required(st->wr, &st->req))
        return err_set(e, ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < st->req.n; i++)
        gi->required[i] = st->req.names[i];
    gi->nrequired = st->req.n;
    return 0;
}

static int pf_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct pf_state *st = state;
    static const char *const phases[] = {"reduce", "map", NULL};
    int mapphase = 0;
    int rc = args_enum(a, "phase", phases, 0, &st->map, e);
    /* mapphase=true names the streaming_preop.  Off by default: its
     * weighted rows shrink only when events repeat exactly, and replaying
     * them costs the search head more than the events would
     * (docs/PERFORMANCE.md) */
    if (rc == 0)
        rc = args_bool(a, "mapphase", 0, &mapphase, e);
    if (rc == 0)
        rc = joinopts_parse(a, 1, &st->o, e);
    /* history=: addresses no answer in the window explains are looked up
     * in the passive DNS collection, as dnsjoin does */
    if (rc == 0)
        rc = joinopts_history_names(s, a, &st->o, &st->hist, e);
    /* new_within=: how soon after a name's first sighting a conversation
     * still counts as new (history=) */
    if (rc == 0)
        rc = args_span(a, "new_within", 86400 * US_PER_SEC, US_PER_SEC,
                       3660 * 86400 * US_PER_SEC, &st->new_within_us, e);
    struct slice domains = SLICE_NULL;
    if (rc == 0)
        rc = args_str(a, "local_domains", SLICE_NULL, &domains, e);
    if (rc == 0)
        rc = args_bool(a, "nodns", 1, &st->nodns, e);
    if (rc == 0)
        rc = args_bool(a, "nodns_private", 0, &st->nodns_private, e);
    /* local_resolvers=: the site's own resolvers are never a bypass */
    if (rc == 0)
        rc = joinopts_resolvers(s, a, "dnsprofile", &st->res, e);
    if (rc == 0)
        rc = args_finish(a, "dnsprofile", e);
    if (rc == 0)
        rc = joinopts_sinkholes(s, "dnsprofile", &st->o, &st->sink, e);
    if (rc)
        return rc;
    if (st->map)
        return map_getinfo(s, st, gi, e);
    st->names[PX_SOURCETYPE] = xstrndup("sourcetype", 10);
    st->names[PX_ACTION] = xstrndup("action", 6);
    st->names[PX_URL] = xstrndup("url", 3);
    st->names[PX_W] = xstrndup(WROWS_WEIGHT_FIELD, strlen(WROWS_WEIGHT_FIELD));
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
    for (int k = 0; k < PROWS_NCOLS; k++)
        if (cols_intern(s->cols, slice_cstr(prows_names[k]), &st->ids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    st->sc.n = PROWS_NCOLS;
    st->sc.ids = st->ids;
    rc = load_endpoints(s, st, e);
    if (rc)
        return rc;
    st->j = join_new(&st->o, s->cols);
    st->p = profile_new(st->ep);
    if (st->p != NULL) {
        profile_set_resolvers(st->p, st->res);
        /* new_name needs each conversation's first lookup */
        if (st->hist != NULL)
            profile_keep_first_lookups(st->p);
        /* local_domains=: the site's names, expected without traffic */
        if (domains.p != NULL && (rc = profile_set_local_domains(st->p, domains, e)) != 0)
            return rc;
    }
    /* counting overlaps reading when a second processor is online */
    st->feed = st->p != NULL ? pfeed_new(st->p, profile_cmd_threads && worker_cpus() > 1) : NULL;
    if (st->j == NULL || st->p == NULL || st->feed == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    /* store cells only for the fields the engine reads (the set's: they
     * are the map rows' fields) */
    st->collect = mapphase;
    if (st->collect && (st->wr = make_wrows(st, s->cols)) == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    s->want = st->wr != NULL ? wrows_want(st->wr, &s->nwant) : join_want(st->j, &s->nwant);
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
    if (mapphase) {
        rc = cmd_preop(&s->info, "dnsprofile", &st->preop);
        if (rc == ERR_NOMEM)
            return err_set(e, rc, "out of memory");
        if (rc)
            return err_set(e, rc, "dnsprofile: the arguments are too long for a map phase");
        if (reqfields_add(&st->req, slice_cstr(WROWS_WEIGHT_FIELD)))
            return err_set(e, ERR_NOMEM, "out of memory");
        gi->streaming_preop = st->preop;
    }
    gi->type = SCP_REPORTING;
    gi->early_reply = 1;  /* rows only with the final request */
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
    uint64_t w;
    int rc;

    /* a weighted row counts as w equal events */
    if ((rc = wrows_weight(join_field(row, JF_X0 + PX_W, a), &w, e)) != 0)
        return rc;
    if (!ev->has_time) {
        st->skipped_no_time += w;
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
        return pfeed_proxy(st->feed, client, is_ip ? &cip : NULL, host, ev->t, stype, w, e);
    }
    if (ev->kind == JOIN_DNS)
        /* the engine has parsed the answer's addresses (unordered_sink) */
        return pfeed_lookup(st->feed, ev->client, ev->client_is_ip ? &ev->client_ip : NULL,
                            join_field(row, JF_QUERY, a), ev->answers, ev->nanswers, ev->t,
                            stype, w, e);
    if (ev->kind == JOIN_NET) {
        if (ev->match == JOIN_NONE && !st->nodns)
            return 0;
        return pfeed_conn(st->feed, ev->client, ev->client_is_ip ? &ev->client_ip : NULL,
                          ev->match == JOIN_NONE ? SLICE_NULL : ev->name, &ev->ip, ev->t,
                          ev->udp3544, join_field(row, JF_X0 + PX_ACTION, a),
                          join_field(row, JF_DEST_PORT, a), join_field(row, JF_TRANSPORT, a),
                          stype, w, e);
    }
    return 0;
}

/* name_first_seen and new_name (history=): the rows' distinct names, at
 * most HISTORY_NAMES_MAX in row order, asked for in a few requests.  A KV
 * store failure is a WARN (the history module's) and leaves the columns
 * empty.  0 or ERR_NOMEM. */
static int name_history(struct pf_state *st, struct err *e)
{
    uint32_t *ids = NULL;
    struct slice *names = NULL;
    int64_t *first = NULL;
    size_t m = 0;
    int cut = 0, ok = 0;
    int rc = profile_row_names(st->p, st->order, st->nrows, HISTORY_NAMES_MAX, &ids, &m, &cut, e);
    if (rc)
        return rc;
    names = xcalloc(m ? m : 1, sizeof *names);
    first = xcalloc(m ? m : 1, sizeof *first);
    if (names == NULL || first == NULL) {
        rc = err_set(e, ERR_NOMEM, "out of memory for name_first_seen");
        goto out;
    }
    /* dnspdns stores no longer name: such a one is not asked for (its
     * first sighting is the search's) */
    for (size_t j = 0; j < m; j++) {
        names[j] = profile_name(st->p, ids[j]);
        if (names[j].n > PDNS_NAME_MAX)
            names[j] = SLICE_LIT("");
    }
    rc = history_first_seen(st->hist, names, m, first, &ok, e);
    if (rc || !ok)
        goto out;
    if (cut)
        scp_msg(st->s, LOG_WARN, "dnsprofile: the rows have more than HISTORY_NAMES_MAX (%llu) "
                "names; name_first_seen and new_name are empty for the rest, the rows with "
                "fewer connections (narrow the search; " LIMIT_BUILD_HINT ")",
                (unsigned long long)HISTORY_NAMES_MAX);
    /* seconds to microseconds: stored times are within KV_TIME_MAX */
    for (size_t j = 0; j < m; j++)
        if (first[j] != HISTORY_NONE)
            first[j] *= US_PER_SEC;
    rc = profile_set_history(st->p, ids, first, m, st->new_within_us, e);
out:
    xfree(ids);
    xfree(names);
    xfree(first);
    return rc;
}

static int emit_rows(struct pf_state *st, struct err *e)
{
    struct scp *s = st->s;
    int64_t h0 = 0;
    size_t nhours = 0, npoints = 0;
    /* every event is in the profile once the worker is done; its thread
     * and batches go */
    int rc = pfeed_flush(st->feed, e);
    pfeed_free(st->feed);
    st->feed = NULL;
    if (rc)
        return rc;
    struct profile_verdicts vd = {.window_us = st->o.window_us,
                                  .earliest_us = s->info.earliest_us,
                                  .latest_us = s->info.latest_us,
                                  .nodns_private = st->nodns_private};
    profile_set_verdicts(st->p, &vd);
    rc = profile_order(st->p, st->nodns, profile_cmd_threads && worker_cpus() > 1, &st->order,
                       &st->nrows, e);
    if (rc == 0 && st->hist != NULL)
        rc = name_history(st, e);
    if (rc)
        return rc;
    if (profile_hours(st->p, s->info.earliest_us, s->info.latest_us, &h0, &nhours)) {
        size_t step = (nhours + PROFILE_SPARK_POINTS_MAX - 1) / PROFILE_SPARK_POINTS_MAX;
        npoints = (nhours + step - 1) / step;
        if (step > 1)
            scp_msg(s, LOG_INFO, "dnsprofile: the search covers %zu hours; each point of the "
                    "hourly sparkline sums %zu hours", nhours, step);
    }
    st->rows = prows_new(st->p, st->order, st->nrows, h0, nhours, npoints,
                         profile_cmd_threads && worker_cpus() > 1);
    if (st->rows == NULL)
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    if (profile_cmd_lines && (rc = prows_measure(st->rows, e)) != 0)
        return rc;
    if (scp_emit_gen_lines(s, &st->sc, prows_cells, profile_cmd_lines ? prows_line : NULL,
                           st->rows, 0, st->nrows))
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    return 0;
}

static int pf_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct pf_state *st = state;
    int rc;
    st->s = s;
    if (st->wr != NULL) {
        /* weighted rows: the map phase's, or the reduce's to replay */
        const struct wrows_use u = {"dnsprofile", st->map, st->o.maxbuffer, st->j, pf_sink, st};
        rc = wrows_step(st->wr, &u, s, in, finished, e);
        if (rc != 0 || st->map)
            return rc;
    } else {
        rc = join_feed(st->j, in, finished, &s->arena, pf_sink, st, e);
    }
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
        if (st->wr != NULL)
            scp_msg(s, LOG_INFO, "dnsprofile: %llu events read as %llu distinct rows (%llu "
                    "DNS, %llu network), %llu without _time",
                    (unsigned long long)wrows_events(st->wr), (unsigned long long)js.rows,
                    (unsigned long long)js.dns, (unsigned long long)js.net,
                    (unsigned long long)st->skipped_no_time);
        else
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
    wrows_written(st->wr);
    return st->j != NULL && st->wr == NULL ? join_written(st->j, e) : 0;
}

static void *pf_new(void) { return xcalloc(1, sizeof(struct pf_state)); }

static void pf_free(void *state)
{
    struct pf_state *st = state;
    if (st == NULL)
        return;
    join_free(st->j);
    history_free(st->hist);
    sinkholes_free(st->sink);
    pfeed_free(st->feed);  /* before the profile its worker writes */
    prows_free(st->rows);  /* and the one that reads it */
    profile_free(st->p);
    endpoints_free(st->ep);
    resolvers_free(st->res);
    xfree(st->order);
    for (int k = 0; k < PX_N; k++)
        xfree(st->names[k]);
    reqfields_free(&st->req);
    wrows_free(st->wr);
    xfree(st->preop);
    xfree(st);
}

const struct scp_command profile_command = {
    .name = "dnsprofile", .getinfo = pf_getinfo, .execute = pf_execute, .written = pf_written,
    .create = pf_new, .destroy = pf_free};
