#include "join/resolvers.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "scp/csvfile.h"
#include "util/appdir.h"
#include "util/xmem.h"

struct rentry {
    struct ipcidr range;
    unsigned kinds;             /* bit k: enum bypass k offered */
    uint32_t prov_off, prov_n;  /* into names */
};

struct resolvers {
    struct rentry *exact;       /* OWNED, single addresses sorted for bsearch */
    size_t nexact, exact_cap;
    struct rentry *ranges;      /* OWNED, wider ranges (few): scanned */
    size_t nranges, ranges_cap;
    struct ipcidr *local;       /* OWNED */
    size_t nlocal, local_cap;
    char *names;                /* OWNED provider names, back to back */
    size_t names_n, names_cap;
};

static const char *const kind_names[] = {NULL, "dns", "doh", "dot", "doq"};

const char *resolvers_kind_name(enum bypass k) { return kind_names[k]; }

struct resolvers *resolvers_new(void) { return xcalloc(1, sizeof(struct resolvers)); }

void resolvers_free(struct resolvers *r)
{
    if (r == NULL)
        return;
    xfree(r->exact);
    xfree(r->ranges);
    xfree(r->local);
    xfree(r->names);
    xfree(r);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *nv = xreallocarray(*v, c, size);
    if (nv == NULL)
        return ERR_NOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

/* The services named in a protocols cell: a mask, 0 if none or one is
 * unknown. */
static unsigned parse_kinds(struct slice s)
{
    unsigned mask = 0;
    size_t i = 0;
    while (i < s.n) {
        while (i < s.n && (s.p[i] == ' ' || s.p[i] == ';' || s.p[i] == '|' || s.p[i] == ','))
            i++;
        size_t b = i;
        while (i < s.n && s.p[i] != ' ' && s.p[i] != ';' && s.p[i] != '|' && s.p[i] != ',')
            i++;
        if (i == b)
            break;
        struct slice w = slice_of(s.p + b, i - b);
        int k = 0;
        for (int j = 1; j <= BYPASS_DOQ; j++)
            if (slice_eq_cstr(w, kind_names[j]))
                k = j;
        if (k == 0)
            return 0;
        mask |= 1u << k;
    }
    return mask;
}

static int cmp_entry(const void *x, const void *y)
{
    const struct rentry *a = x, *b = y;
    return ipaddr_cmp(&a->range.a, &b->range.a);
}

struct resolvers *resolvers_load(const char *path, size_t *skipped, struct err *e)
{
    struct resolvers *r = NULL;
    struct csvfile f;

    *skipped = 0;
    if (csvfile_load(&f, path, RESOLVERS_FILE_MAX, "RESOLVERS_FILE_MAX", e))
        goto fail;
    r = resolvers_new();
    if (r == NULL)
        goto nomem;
    long ka = csvfile_col(&f, "address"), kp = csvfile_col(&f, "provider"),
         kk = csvfile_col(&f, "protocols");
    if (ka < 0 || kp < 0 || kk < 0) {
        err_set(e, ERR_INPUT, "%s: expected columns named address, provider and protocols",
                path);
        goto fail;
    }
    for (size_t row = 0; row < f.t.nrows; row++) {
        struct rentry en;
        struct slice prov = csv_cell(&f.t, row, (size_t)kp);
        memset(&en, 0, sizeof en);
        en.kinds = parse_kinds(csv_cell(&f.t, row, (size_t)kk));
        if (ipcidr_parse(csv_cell(&f.t, row, (size_t)ka), &en.range) != 0 || en.kinds == 0 ||
            prov.n == 0 || prov.n > RESOLVERS_PROVIDER_MAX) {
            (*skipped)++;
            continue;
        }
        while (r->names_cap < r->names_n + prov.n)
            if (grow((void **)&r->names, &r->names_cap, r->names_cap, 1))
                goto nomem;
        memcpy(r->names + r->names_n, prov.p, prov.n);
        en.prov_off = (uint32_t)r->names_n;
        en.prov_n = (uint32_t)prov.n;
        r->names_n += prov.n;
        if (en.range.bits == 128) {
            if (grow((void **)&r->exact, &r->exact_cap, r->nexact, sizeof *r->exact))
                goto nomem;
            r->exact[r->nexact++] = en;
        } else {
            if (grow((void **)&r->ranges, &r->ranges_cap, r->nranges, sizeof *r->ranges))
                goto nomem;
            r->ranges[r->nranges++] = en;
        }
    }
    if (r->nexact > 1)
        qsort(r->exact, r->nexact, sizeof *r->exact, cmp_entry);
    csvfile_free(&f);
    return r;
nomem:
    err_set(e, ERR_NOMEM, "out of memory reading %s", path);
fail:
    csvfile_free(&f);
    resolvers_free(r);
    return NULL;
}

int resolvers_set_local(struct resolvers *r, struct slice list, struct err *e)
{
    size_t i = 0;
    struct slice item;
    while (slice_list_next(list, &i, &item)) {
        struct ipcidr c;
        if (ipcidr_parse(item, &c) != 0)
            return err_set(e, ERR_ARGS, "local_resolvers=: %.*s is not an address or a CIDR "
                           "range", (int)(item.n > 64 ? 64 : item.n), item.p);
        if (r->nlocal == LOCAL_RESOLVERS_MAX)
            return err_set(e, ERR_ARGS, "local_resolvers=: at most LOCAL_RESOLVERS_MAX (%u) "
                           "addresses or ranges; name a range instead",
                           (unsigned)LOCAL_RESOLVERS_MAX);
        if (grow((void **)&r->local, &r->local_cap, r->nlocal, sizeof *r->local))
            return err_set(e, ERR_NOMEM, "out of memory");
        r->local[r->nlocal++] = c;
    }
    return 0;
}

enum bypass resolvers_kind(unsigned proto, unsigned dport)
{
    if (proto != 6 && proto != 17)
        return BYPASS_NONE;
    if (dport == 443)
        return BYPASS_DOH;
    if (dport == 853)
        return proto == 6 ? BYPASS_DOT : BYPASS_DOQ;
    if (dport == 53)
        return BYPASS_DNS;
    return BYPASS_NONE;
}

static int is_local(const struct resolvers *r, const struct ipaddr *a)
{
    for (size_t i = 0; i < r->nlocal; i++)
        if (ipcidr_contains(&r->local[i], a))
            return 1;
    return 0;
}

static const struct rentry *find(const struct resolvers *r, const struct ipaddr *dst,
                                 unsigned bit)
{
    size_t lo = 0, hi = r->nexact;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = ipaddr_cmp(&r->exact[mid].range.a, dst);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* an address may be listed more than once: the first row offering it */
    for (; lo < r->nexact && ipaddr_eq(&r->exact[lo].range.a, dst); lo++)
        if (r->exact[lo].kinds & bit)
            return &r->exact[lo];
    for (size_t i = 0; i < r->nranges; i++)
        if ((r->ranges[i].kinds & bit) && ipcidr_contains(&r->ranges[i].range, dst))
            return &r->ranges[i];
    return NULL;
}

enum bypass resolvers_match(const struct resolvers *r, const struct ipaddr *src,
                            const struct ipaddr *dst, unsigned proto, unsigned dport,
                            struct slice *provider)
{
    enum bypass k = resolvers_kind(proto, dport);
    if (k == BYPASS_NONE || r == NULL || (r->nexact == 0 && r->nranges == 0))
        return BYPASS_NONE;
    const struct rentry *en = find(r, dst, 1u << k);
    if (en == NULL || is_local(r, dst) || (src != NULL && is_local(r, src)))
        return BYPASS_NONE;
    *provider = slice_of(r->names + en->prov_off, en->prov_n);
    return k;
}

size_t resolvers_count(const struct resolvers *r) { return r ? r->nexact + r->nranges : 0; }
size_t resolvers_local_count(const struct resolvers *r) { return r ? r->nlocal : 0; }

int resolvers_default_path(char *out, size_t n)
{
    return appdir_file("lookups/dnsjoin_public_resolvers.csv", out, n);
}
