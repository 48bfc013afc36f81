#include "cmd/join_cmd.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "cmd/joinopts.h"
#include "join/join.h"
#include "join/resolvers.h"
#include "net/community_id.h"
#include "net/tunnel.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/xmem.h"

/* The add-on's version, from default/app.conf (Makefile). */
#ifndef TA_VERSION
#define TA_VERSION "unknown"
#endif

/* Output fields, in the order they are appended. */
enum xf {
    XF_QUERY, XF_CLIENT, XF_TIME, XF_AGE, XF_MATCH, XF_QUERIES, XF_QUERIES_MV,
    XF_TUNNEL, XF_TEREDO_SERVER, XF_TEREDO_CLIENT_IP, XF_TEREDO_CLIENT_PORT, XF_SIXTOFOUR,
    XF_COMMUNITY_ID, XF_BYPASS, XF_BYPASS_PROVIDER, XF_N
};
static const char *const xf_names[XF_N] = {
    "dns_query", "dns_client", "dns_time", "dns_age", "dns_match", "dns_queries",
    "__mv_dns_queries", "tunnel", "teredo_server", "teredo_client_ip", "teredo_client_port",
    "sixtofour_ipv4", "community_id", "bypass", "bypass_provider",
};

/* The added fields a row actually sets, as a schema of their own: a row
 * without a match costs one cell, not XF_N, until its reply is written.
 * The columns keep XF order, so the reply's header is the same. */
#define XSHAPES_MAX 16
struct xshape {
    unsigned mask;           /* bit k: field k is set */
    struct schema s;
    uint32_t ids[XF_N];
};

/* The last community_ids, direct-mapped by flow: a firewall logs many
 * packets of one flow (retries of a dropped one), and a hit costs a
 * compare instead of a SHA-1. */
#define CID_CACHE 512
struct cid_entry {
    struct ipaddr src, dst;
    uint16_t sport, dport;
    uint8_t proto, used;
    char id[COMMUNITY_ID_LEN];
};

struct join_state {
    struct join_opts o;
    struct join *j;          /* OWNED */
    struct history *hist;    /* OWNED, NULL without history= */
    struct sinkholes *sink;  /* OWNED */
    struct resolvers *res;   /* OWNED */
    uint16_t cid_seed;       /* community_id_seed= */
    struct cid_entry cid[CID_CACHE];
    uint32_t xids[XF_N];
    struct schema xs;
    struct xshape xshapes[XSHAPES_MAX];
    size_t nxshapes;
    struct scp *s;
    int finished_seen;
};

static int jc_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct join_state *st = state;
    uint64_t seed = 0;
    int rc = joinopts_parse(a, 1, &st->o, e);
    if (rc == 0)
        rc = joinopts_history(s, a, &st->o, &st->hist, e);
    if (rc == 0)
        rc = args_uint(a, "community_id_seed", 0, 0, 65535, &seed, e);
    if (rc == 0)
        rc = joinopts_resolvers(s, a, "dnsjoin", &st->res, e);
    if (rc == 0)
        rc = args_finish(a, "dnsjoin", e);
    if (rc == 0)
        rc = joinopts_sinkholes(s, "dnsjoin", &st->o, &st->sink, e);
    if (rc)
        return rc;
    st->cid_seed = (uint16_t)seed;
    st->o.flow = 1;
    /* The option slices point into searchinfo.args, which lives for the
     * whole session in s->info. */
    for (int k = 0; k < XF_N; k++)
        if (cols_intern(s->cols, slice_cstr(xf_names[k]), &st->xids[k]))
            return err_set(e, ERR_NOMEM, "out of memory");
    st->xs.n = XF_N;
    st->xs.ids = st->xids;
    st->j = join_new(&st->o, s->cols);
    if (st->j == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    s->want = join_want(st->j, &s->nwant);
    s->want_set = 1;
    /* events: search head only, all fields, rows may be held back. */
    gi->type = SCP_EVENTS;
    return 0;
}

/* Tunnel fields of a network event. */
static void tunnel_fields(const struct join_event *ev, struct slice *x, struct arena *a)
{
    struct teredo_info ti;
    struct ipaddr v4;
    const struct ipaddr *src = ev->client_is_ip ? &ev->client_ip : NULL;

    if (tunnel_teredo(&ev->ip, &ti) || (src && tunnel_teredo(src, &ti))) {
        x[XF_TUNNEL] = SLICE_LIT("teredo");
        x[XF_TEREDO_SERVER] = cmd_ip(a, &ti.server);
        x[XF_TEREDO_CLIENT_IP] = cmd_ip(a, &ti.client);
        x[XF_TEREDO_CLIENT_PORT] = cmd_u64(a, ti.client_port);
        return;
    }
    if (ev->udp3544) {
        x[XF_TUNNEL] = SLICE_LIT("teredo");
        return;
    }
    if (tunnel_6to4(&ev->ip, &v4) || (src && tunnel_6to4(src, &v4))) {
        x[XF_TUNNEL] = SLICE_LIT("6to4");
        x[XF_SIXTOFOUR] = cmd_ip(a, &v4);
    }
}

/* community_id, bypass and bypass_provider of a network event: they need
 * the source as an address, and for the id the flow's ports (ICMP: type
 * and code), since a wrong id would pivot to another flow. */
/* The community_id of the flow into out (COMMUNITY_ID_LEN bytes), or
 * nonzero when it has none. */
static int flow_id(struct join_state *st, const struct ipaddr *src, const struct ipaddr *dst,
                   unsigned proto, uint16_t sport, uint16_t dport, char *out)
{
    uint64_t h = (ipaddr_hash(src) ^ (ipaddr_hash(dst) * 0x9e3779b97f4a7c15u)) +
                 ((uint64_t)proto << 32 | (uint32_t)sport << 16 | dport);
    h ^= h >> 29;
    struct cid_entry *c = &st->cid[(h * 0xbf58476d1ce4e5b9u) >> 55 & (CID_CACHE - 1)];
    char id[COMMUNITY_ID_LEN + 1];

    if (c->used && c->proto == proto && c->sport == sport && c->dport == dport &&
        ipaddr_eq(&c->src, src) && ipaddr_eq(&c->dst, dst)) {
        memcpy(out, c->id, COMMUNITY_ID_LEN);
        return 0;
    }
    if (community_id(src, dst, proto, 1, sport, dport, st->cid_seed, id) != 0)
        return 1;
    c->src = *src;
    c->dst = *dst;
    c->sport = sport;
    c->dport = dport;
    c->proto = (uint8_t)proto;
    c->used = 1;
    memcpy(c->id, id, COMMUNITY_ID_LEN);
    memcpy(out, id, COMMUNITY_ID_LEN);
    return 0;
}

static int flow_fields(struct join_state *st, const struct join_event *ev,
                       struct slice *x, struct arena *a)
{
    const struct join_flow *fl = &ev->flow;
    const struct ipaddr *src = ev->client_is_ip ? &ev->client_ip : NULL;
    char id[COMMUNITY_ID_LEN];
    struct slice prov;

    if (fl->proto == 0)
        return 0;
    if (src != NULL && fl->ports &&
        flow_id(st, src, &ev->ip, fl->proto, fl->sport, fl->dport, id) == 0) {
        x[XF_COMMUNITY_ID] = slice_of(arena_dup(a, id, COMMUNITY_ID_LEN), COMMUNITY_ID_LEN);
        if (x[XF_COMMUNITY_ID].p == NULL)
            return ERR_NOMEM;
    }
    if (fl->ports) {
        enum bypass k = resolvers_match(st->res, src, &ev->ip, fl->proto, fl->dport, &prov);
        if (k != BYPASS_NONE) {
            x[XF_BYPASS] = slice_cstr(resolvers_kind_name(k));
            x[XF_BYPASS_PROVIDER] = prov;
        }
    }
    return 0;
}

/* The schema of the fields in mask (NULL when the cache is full). */
static const struct schema *xshape_for(struct join_state *st, unsigned mask)
{
    for (size_t i = 0; i < st->nxshapes; i++)
        if (st->xshapes[i].mask == mask)
            return &st->xshapes[i].s;
    if (st->nxshapes == XSHAPES_MAX)
        return NULL;
    struct xshape *x = &st->xshapes[st->nxshapes++];
    x->mask = mask;
    x->s.n = 0;
    x->s.ids = x->ids;
    for (int k = 0; k < XF_N; k++)
        if (mask & (1u << k))
            x->ids[x->s.n++] = st->xids[k];
    return &x->s;
}

static int jc_sink(void *ctx, const struct join_row *row, const struct join_event *ev,
                   struct err *e)
{
    struct join_state *st = ctx;
    struct scp *s = st->s;
    struct slice x[XF_N], *xc = NULL;
    const struct schema *xs = NULL;

    if (ev->kind == JOIN_NET) {
        for (int k = 0; k < XF_N; k++)
            x[k] = SLICE_NULL;
        static const char *const match[] = {"none", "client", "network", "history"};
        x[XF_MATCH] = slice_cstr(match[ev->match]);
        if (ev->match != JOIN_NONE) {
            char age[NUM_US_STRMAX];
            size_t n = num_format_us(ev->t - ev->rec_t, age);
            x[XF_QUERY] = ev->name;
            x[XF_CLIENT] = ev->rec_client;
            x[XF_TIME] = ev->rec_ttext;
            x[XF_AGE] = slice_of(arena_dup(&s->arena, age, n), n);
            if (x[XF_AGE].p == NULL)
                return err_set(e, ERR_NOMEM, "out of memory adding fields");
        }
        if (ev->nnames > 0 && mv_encode(&s->arena, ev->names, ev->nnames, &x[XF_QUERIES],
                                        &x[XF_QUERIES_MV]))
            return err_set(e, ERR_NOMEM, "out of memory adding fields");
        tunnel_fields(ev, x, &s->arena);
        if (flow_fields(st, ev, x, &s->arena))
            return err_set(e, ERR_NOMEM, "out of memory adding fields");
        unsigned mask = 0;
        for (int k = 0; k < XF_N; k++)
            if (x[k].p != NULL)
                mask |= 1u << k;
        xs = xshape_for(st, mask);
        if (xs == NULL)
            xs = &st->xs;  /* every field, unset ones NULL */
        xc = arena_alloc(&s->arena, xs->n * sizeof *xc);
        if (xc == NULL)
            return err_set(e, ERR_NOMEM, "out of memory adding fields");
        for (size_t k = 0, i = 0; k < XF_N; k++)
            if (xs == &st->xs || (mask & (1u << k)))
                xc[i++] = x[k];
    }
    /* The row's text stands for all its input fields; a packed row is
     * unpacked again while the reply is written. */
    if (row->packed != NULL ? scp_emit_packed(s, row->packed, row->packed_n, row->s, xs, xc)
                            : scp_emit_full(s, row->raw, row->s, NULL, NULL, xs, xc))
        return err_set(e, ERR_NOMEM, "out of memory queueing an event");
    return 0;
}

static int jc_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct join_state *st = state;
    int rc;
    st->s = s;
    rc = join_feed(st->j, in, finished, &s->arena, jc_sink, st, e);
    if (rc == 0 && finished) {
        struct join_stats js;
        static const char *const order[] = {"unknown", "newest first", "oldest first",
                                            "not in time order"};
        join_stats(st->j, &js);
        scp_msg(s, LOG_INFO,
                "dnsjoin " TA_VERSION ": %llu events (%llu DNS, %llu network), %llu DNS answers; "
                "input %s; at most %llu answers and %llu bytes of events held at once",
                (unsigned long long)js.rows, (unsigned long long)js.dns,
                (unsigned long long)js.net, (unsigned long long)js.records, order[js.order],
                (unsigned long long)js.records_max, (unsigned long long)js.held_max_bytes);
        if (js.sinkholed > 0)
            scp_msg(s, LOG_INFO, "dnsjoin: %llu answers were sinkholes (0.0.0.0, :: or "
                    "lookups/dnsjoin_sinkholes.csv): blocked names, no join record",
                    (unsigned long long)js.sinkholed);
        if (st->hist != NULL) {
            struct history_stats hs;
            history_stats(st->hist, &hs);
            scp_msg(s, LOG_INFO, "dnsjoin: history: %zu addresses looked up in %lu KV store "
                    "requests, %zu stored records, %lu events matched",
                    hs.addresses, hs.requests, hs.records, hs.matches);
        }
    }
    return rc;
}

static int jc_written(struct scp *s, void *state, struct err *e)
{
    struct join_state *st = state;
    (void)s;
    return st->j != NULL ? join_written(st->j, e) : 0;
}

static void *jc_new(void) { return xcalloc(1, sizeof(struct join_state)); }

static void jc_free(void *state)
{
    struct join_state *st = state;
    if (st == NULL)
        return;
    join_free(st->j);
    history_free(st->hist);
    sinkholes_free(st->sink);
    resolvers_free(st->res);
    xfree(st);
}

const struct scp_command join_command = {
    .name = "dnsjoin", .getinfo = jc_getinfo, .execute = jc_execute, .written = jc_written,
    .create = jc_new, .destroy = jc_free};
