#include "cmd/joinopts.h"

#include <sys/stat.h>

#include <string.h>

#include "limits.h"
#include "util/num.h"

int joinopts_size(struct slice s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"", 1}, {"B", 1}, {"K", 1ull << 10}, {"KB", 1ull << 10}, {"M", 1ull << 20},
                 {"MB", 1ull << 20}, {"G", 1ull << 30}, {"GB", 1ull << 30}};
    size_t i = 0;
    uint64_t v;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    if (num_parse_u64(slice_of(s.p, i), 1, UINT64_MAX >> 31, &v))
        return ERR_INPUT;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (slice_eq_cstr(slice_of(s.p + i, s.n - i), units[k].suffix)) {
            *out = v * units[k].mult;
            return 0;
        }
    return ERR_INPUT;
}

int joinopts_parse(struct args *a, int ip_is_field, struct join_opts *o, struct err *e)
{
    static const char *const scopes[] = {"any", "client", NULL};
    const int64_t day = 86400 * US_PER_SEC;
    uint64_t u;
    struct slice mb;
    int rc;

    memset(o, 0, sizeof *o);
    rc = args_span(a, "window", 3600 * US_PER_SEC, US_PER_SEC, 30 * day, &o->window_us, e);
    if (rc == 0)
        rc = args_span(a, "skew", 2 * US_PER_SEC, 0, day, &o->skew_us, e);
    if (rc == 0)
        rc = args_enum(a, "scope", scopes, 0, &o->scope_client, e);
    if (rc == 0 && ip_is_field)
        rc = args_str(a, "ip", SLICE_NULL, &o->ip_field, e);
    if (rc == 0)
        rc = args_str(a, "client", SLICE_NULL, &o->client_field, e);
    if (rc == 0)
        rc = args_str(a, "query", SLICE_LIT("query"), &o->query_field, e);
    if (rc == 0)
        rc = args_str(a, "answer", SLICE_LIT("answer"), &o->answer_field, e);
    if (rc == 0)
        rc = args_uint(a, "maxnames", 10, 1, JOIN_MAXNAMES_MAX, &u, e);
    if (rc)
        return rc;
    o->maxnames = (size_t)u;
    if (args_str(a, "maxbuffer", SLICE_NULL, &mb, e))
        return ERR_ARGS;
    o->maxbuffer = JOIN_MAXBUFFER_DEFAULT;
    if (mb.p != NULL && joinopts_size(mb, &o->maxbuffer))
        return err_set(e, ERR_ARGS, "maxbuffer=%.*s: expected a size such as 500MB or 2GB",
                       (int)(mb.n > 64 ? 64 : mb.n), mb.p);
    const struct slice *fields[] = {&o->ip_field, &o->client_field, &o->query_field,
                                    &o->answer_field};
    const char *names[] = {"ip", "client", "query", "answer"};
    for (size_t i = 0; i < 4; i++)
        if (fields[i]->p != NULL && fields[i]->n == 0)
            return err_set(e, ERR_ARGS, "%s=: expected a field name", names[i]);
        else if (fields[i]->p != NULL && fields[i]->n > CSV_NAME_MAX)
            return err_set(e, ERR_LIMIT, "%s=: a field name is at most CSV_NAME_MAX (%llu) "
                           "bytes (" LIMIT_BUILD_HINT ")", names[i],
                           (unsigned long long)CSV_NAME_MAX);
    return 0;
}

static void history_warn(void *ctx, const char *msg) { scp_msg(ctx, LOG_WARN, "%s", msg); }

static int history_of(struct scp *s, struct args *a, struct join_opts *o, int names,
                      struct history **out, struct err *e)
{
    const int64_t day = 86400 * US_PER_SEC;
    struct slice coll;
    int64_t win;
    char name[256];
    struct history_opts ho;

    *out = NULL;
    if (args_str(a, "history", SLICE_NULL, &coll, e) ||
        args_span(a, "history_window", 7 * day, US_PER_SEC, 3660 * day, &win, e))
        return ERR_ARGS;
    if (coll.p == NULL)
        return 0;
    if (coll.n == 0 || coll.n >= sizeof name || memchr(coll.p, '/', coll.n) != NULL)
        return err_set(e, ERR_ARGS, "history=: expected a KV store collection name");
    memcpy(name, coll.p, coll.n);
    name[coll.n] = '\0';
    memset(&ho, 0, sizeof ho);
    ho.splunkd_uri = s->info.splunkd_uri;
    ho.session_key = s->info.session_key;
    ho.session_key_len = s->info.session_key_len;
    ho.collection = name;
    ho.window_us = win;
    ho.skew_us = o->skew_us;
    ho.warn = history_warn;
    ho.warn_ctx = s;
    ho.max_records = PDNS_RECORDS_MAX;
    ho.names = names;
    *out = history_new(&ho, e);
    if (*out == NULL)
        return e->code ? e->code : ERR_NOMEM;
    o->history = history_hook(*out);
    return 0;
}

int joinopts_history(struct scp *s, struct args *a, struct join_opts *o, struct history **out,
                     struct err *e)
{
    return history_of(s, a, o, 0, out, e);
}

int joinopts_history_names(struct scp *s, struct args *a, struct join_opts *o,
                           struct history **out, struct err *e)
{
    return history_of(s, a, o, 1, out, e);
}

int joinopts_sinkholes(struct scp *s, const char *cmd, struct join_opts *o,
                       struct sinkholes **out, struct err *e)
{
    char path[4200];
    struct stat sb;
    struct err le;
    size_t skipped = 0;

    *out = NULL;
    err_clear(&le);
    if (sinkholes_default_path(path, sizeof path) == 0 && stat(path, &sb) == 0) {
        *out = sinkholes_load(path, &skipped, &le);
        if (*out != NULL && skipped > 0) {
            /* name the file read: the site file when the admin made one */
            const char *base = strrchr(path, '/');
            scp_msg(s, LOG_WARN, "%s: %zu rows of lookups/%s are not an address or a CIDR "
                    "range and are ignored", cmd, skipped, base ? base + 1 : path);
        }
        if (*out == NULL && le.code != ERR_NOMEM)
            scp_msg(s, LOG_WARN, "%s: %s; only 0.0.0.0 and :: count as sinkhole answers", cmd,
                    le.msg);
    }
    if (*out == NULL && le.code != ERR_NOMEM)
        *out = sinkholes_builtin();
    if (*out == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    if (o != NULL)
        o->sinkholes = *out;
    return 0;
}

int joinopts_resolvers(struct scp *s, struct args *a, const char *cmd, struct resolvers **out,
                       struct err *e)
{
    char path[4200];
    struct stat sb;
    struct err le;
    struct slice local;
    size_t skipped = 0;

    *out = NULL;
    if (args_str(a, "local_resolvers", SLICE_NULL, &local, e))
        return ERR_ARGS;
    err_clear(&le);
    if (resolvers_default_path(path, sizeof path) == 0 && stat(path, &sb) == 0) {
        *out = resolvers_load(path, &skipped, &le);
        if (*out != NULL && skipped > 0)
            scp_msg(s, LOG_WARN, "%s: %zu rows of lookups/dnsjoin_public_resolvers.csv have no "
                    "address or range, provider or known protocols (dns, doh, dot, doq) and "
                    "are ignored", cmd, skipped);
        if (*out == NULL && le.code == ERR_NOMEM)
            return err_set(e, ERR_NOMEM, "out of memory");
        if (*out == NULL)
            scp_msg(s, LOG_WARN, "%s: %s; no connection is flagged as a DNS bypass", cmd,
                    le.msg);
    }
    if (*out == NULL)
        *out = resolvers_new();
    if (*out == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    if (local.p != NULL && resolvers_set_local(*out, local, e) != 0) {
        resolvers_free(*out);
        *out = NULL;
        return e->code;
    }
    return 0;
}
