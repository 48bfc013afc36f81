#include "rest/pdns.h"

#include <string.h>

#include "util/num.h"
#include "util/xmem.h"

struct pdns {
    struct pdns_rec *recs;  /* OWNED array */
    size_t n, cap, max;
    uint32_t *slots;        /* OWNED: open addressing, index+1 (0 = empty) */
    size_t nslots;          /* power of two */
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

struct pdns *pdns_new(size_t max_records)
{
    struct pdns *p = xcalloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->max = max_records;
    p->nslots = 1024;
    p->slots = xcalloc(p->nslots, sizeof *p->slots);
    if (p->slots == NULL) {
        xfree(p);
        return NULL;
    }
    return p;
}

void pdns_free(struct pdns *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        xfree((char *)p->recs[i].key.p);
        xfree(p->recs[i].client);
    }
    xfree(p->recs);
    xfree(p->slots);
    xfree(p);
}

size_t pdns_count(const struct pdns *p) { return p->n; }
const struct pdns_rec *pdns_get(const struct pdns *p, size_t i) { return &p->recs[i]; }

/* Slot of `key`: the record's slot, or the empty slot where it would go. */
static size_t find_slot(const struct pdns *p, struct slice key)
{
    size_t m = p->nslots - 1, i = (size_t)hash_bytes(key.p, key.n) & m;
    while (p->slots[i] != 0 && !slice_eq(p->recs[p->slots[i] - 1].key, key))
        i = (i + 1) & m;
    return i;
}

static int grow_slots(struct pdns *p)
{
    size_t nn = p->nslots * 2;
    uint32_t *ns = xcalloc(nn, sizeof *ns);
    if (ns == NULL)
        return ERR_NOMEM;
    xfree(p->slots);
    p->slots = ns;
    p->nslots = nn;
    for (size_t r = 0; r < p->n; r++)
        p->slots[find_slot(p, p->recs[r].key)] = (uint32_t)(r + 1);
    return 0;
}

static int set_client(struct pdns_rec *r, struct slice c)
{
    char *s = xstrndup(c.p ? c.p : "", c.n);
    if (s == NULL)
        return ERR_NOMEM;
    xfree(r->client);
    r->client = s;
    r->client_n = c.n;
    return 0;
}

/* Floor division: -0.5 s is second -1. */
static int64_t seconds_of(int64_t us)
{
    int64_t s = us / US_PER_SEC;
    return (us % US_PER_SEC < 0) ? s - 1 : s;
}

/* Build "<name>|<type>|<rdata>" into out, which holds PDNS_NAME_MAX + 8 +
 * IPADDR_STRMAX bytes; returns its length (a slice: no NUL is needed). */
static size_t make_key(char *out, struct slice name, const char *type, const char *rdata)
{
    size_t k = 0;
    for (size_t i = 0; i < name.n; i++)
        out[k++] = name.p[i];
    out[k++] = '|';
    for (const char *c = type; *c; c++)
        out[k++] = *c;
    out[k++] = '|';
    for (const char *c = rdata; *c; c++)
        out[k++] = *c;
    return k;
}

/* The record of `key` (name = its first name_n bytes), created when new.
 * *rp set; ERR_LIMIT past max; ERR_NOMEM. */
static int find_or_add(struct pdns *p, const char *key, size_t kn, size_t name_n,
                       const char *type, const char *rdata, const struct ipaddr *ip,
                       struct pdns_rec **rp)
{
    size_t slot = find_slot(p, slice_of(key, kn));
    if (p->slots[slot] != 0) {
        *rp = &p->recs[p->slots[slot] - 1];
        return 0;
    }
    if (p->n >= p->max)
        return ERR_LIMIT;
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 256;
        struct pdns_rec *nr = xreallocarray(p->recs, nc, sizeof *nr);
        if (nr == NULL)
            return ERR_NOMEM;
        p->recs = nr;
        p->cap = nc;
    }
    struct pdns_rec *r = &p->recs[p->n];
    memset(r, 0, sizeof *r);
    char *kp = xstrndup(key, kn);
    if (kp == NULL)
        return ERR_NOMEM;
    r->key = slice_of(kp, kn);
    r->rrname = slice_of(kp, name_n);
    r->rrtype = slice_of(kp + name_n + 1, strlen(type));
    r->rdata = slice_of(kp + name_n + 2 + strlen(type), strlen(rdata));
    r->ip = *ip;
    r->status = PDNS_INSERTED;
    p->slots[slot] = (uint32_t)(p->n + 1);
    p->n++;
    *rp = r;
    if (p->n * 2 > p->nslots && grow_slots(p))
        return ERR_NOMEM;
    return 0;
}

/* Fold (first, last, count, client) into r; r->count == 0 means new. */
static int fold(struct pdns_rec *r, int64_t first, int64_t last, uint64_t count,
                struct slice client)
{
    int fresh = r->count == 0;
    r->count += count;
    if (fresh || first < r->time_first)
        r->time_first = first;
    if (fresh || last > r->time_last ||
        (last == r->time_last && slice_cmp(client, slice_of(r->client, r->client_n)) < 0)) {
        r->time_last = last;
        if (set_client(r, client))
            return ERR_NOMEM;
    }
    return 0;
}

static int add_rec(struct pdns *p, struct slice name, const struct ipaddr *ip, int64_t first,
                   int64_t last, uint64_t count, struct slice client)
{
    char key[PDNS_NAME_MAX + 8 + IPADDR_STRMAX];
    char low[PDNS_NAME_MAX];
    char rdata[IPADDR_STRMAX];
    const char *type = ipaddr_is_v4(ip) ? "A" : "AAAA";
    struct pdns_rec *r;
    size_t kn;
    int rc;

    for (size_t i = 0; i < name.n; i++) {
        char c = name.p[i];
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    ipaddr_format(ip, rdata);
    kn = make_key(key, slice_of(low, name.n), type, rdata);
    rc = find_or_add(p, key, kn, name.n, type, rdata, ip, &r);
    if (rc)
        return rc;
    if (r->count > UINT64_MAX - count)
        return ERR_INPUT;
    return fold(r, first, last, count, client);
}

int pdns_add(struct pdns *p, struct slice name, const struct ipaddr *ip, int64_t t_us,
             struct slice client)
{
    int64_t ts = seconds_of(t_us);
    if (name.n > 0 && name.p[name.n - 1] == '.')
        name.n--;
    if (name.n == 0 || name.n > PDNS_NAME_MAX)
        return ERR_INPUT;
    return add_rec(p, name, ip, ts, ts, 1, client);
}

int pdns_add_partial(struct pdns *p, struct slice rrname, const struct ipaddr *ip,
                     int64_t first_s, int64_t last_s, uint64_t count, struct slice client)
{
    if (rrname.n == 0 || rrname.n > PDNS_NAME_MAX || first_s > last_s || count == 0)
        return ERR_INPUT;
    return add_rec(p, rrname, ip, first_s, last_s, count, client);
}

int pdns_merge(struct pdns *p, const struct kv_doc *d)
{
    char key[PDNS_NAME_MAX + 8 + IPADDR_STRMAX];
    char type[8], rdata[IPADDR_STRMAX];
    size_t slot, kn;

    /* Look the document up by its fields (not its _key), so a key written
     * differently by someone else still meets its record. */
    if (d->rrname.n == 0 || d->rrname.n > PDNS_NAME_MAX || d->rrtype.n >= sizeof type ||
        d->rdata.n >= sizeof rdata)
        return 0;
    memcpy(type, d->rrtype.p, d->rrtype.n);
    type[d->rrtype.n] = '\0';
    memcpy(rdata, d->rdata.p, d->rdata.n);
    rdata[d->rdata.n] = '\0';
    kn = make_key(key, d->rrname, type, rdata);
    slot = find_slot(p, slice_of(key, kn));
    if (p->slots[slot] == 0)
        return 0;
    struct pdns_rec *r = &p->recs[p->slots[slot] - 1];
    if (r->merged)
        return 0;
    r->merged = 1;
    r->status = PDNS_UPDATED;
    if (d->time_first < r->time_first)
        r->time_first = d->time_first;
    if (d->time_last > r->time_last) {
        r->time_last = d->time_last;
        if (set_client(r, d->last_client))
            return ERR_NOMEM;
    }
    r->count += d->count;
    return 0;
}

struct slice *pdns_rdata_list(const struct pdns *p, size_t *n)
{
    struct slice *v;
    uint32_t *seen;
    size_t ns = 1, k = 0;

    *n = 0;
    if (p->n == 0)
        return NULL;
    while (ns < p->n * 2)
        ns *= 2;
    v = xcalloc(p->n, sizeof *v);
    seen = xcalloc(ns, sizeof *seen);
    if (v == NULL || seen == NULL) {
        xfree(v);
        xfree(seen);
        *n = SIZE_MAX;
        return NULL;
    }
    for (size_t r = 0; r < p->n; r++) {
        size_t i = (size_t)ipaddr_hash(&p->recs[r].ip) & (ns - 1);
        while (seen[i] != 0 && !ipaddr_eq(&p->recs[seen[i] - 1].ip, &p->recs[r].ip))
            i = (i + 1) & (ns - 1);
        if (seen[i] != 0)
            continue;
        seen[i] = (uint32_t)(r + 1);
        v[k++] = p->recs[r].rdata;
    }
    xfree(seen);
    *n = k;
    return v;
}

void pdns_doc(const struct pdns *p, size_t i, struct kv_doc *d)
{
    const struct pdns_rec *r = &p->recs[i];
    d->key = r->key;
    d->rrname = r->rrname;
    d->rrtype = r->rrtype;
    d->rdata = r->rdata;
    d->last_client = slice_of(r->client, r->client_n);
    d->time_first = r->time_first;
    d->time_last = r->time_last;
    d->count = r->count;
}
