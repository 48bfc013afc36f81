#include "report/profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "net/tunnel.h"
#include "report/beacon.h"
#include "report/dname.h"
#include "report/hourset.h"
#include "report/strtab.h"
#include "util/bytes.h"
#include "util/num.h"
#include "util/worker.h"
#include "util/xmem.h"

#define US_PER_HOUR (3600 * US_PER_SEC)

enum { KIND_CONV = 0, KIND_PROXY = 1 };
enum { F_UDP3544 = 1, F_TEREDO_ADDR = 2, F_6TO4_ADDR = 4 };
enum { V_PORT = 0, V_TRANSPORT = 1, V_SOURCETYPE = 2 };

/* Values kept in the conversation itself before an array is allocated: a
 * connection brings three (port, transport, sourcetype). */
#define VALS_INLINE 4

struct conv {
    /* the key and the counters first: most events touch only these */
    uint32_t client, name;   /* strtab ids; name 0 = no DNS answer */
    uint8_t kind, flags, has_ip, vtrunc;
    uint16_t nv, capv;       /* values; capv 0: they are in v.in */
    struct ipaddr ip;
    union {
        uint64_t lookups;    /* KIND_CONV */
        uint64_t proxied;    /* KIND_PROXY */
    };
    uint64_t conns, blocked, allowed;
    int64_t first, last;
    struct hourset hours;    /* active hours, connections per hour */
    union {
        uint32_t in[VALS_INLINE];
        uint32_t *heap;      /* OWNED when capv > 0 */
    } v;                     /* strtab id << 2 | V_* tag, distinct */
};

/* Two cache lines: the conversations are most of the state. */
_Static_assert(sizeof(struct conv) <= 128, "struct conv grew past two cache lines");

static uint32_t *vals_of(struct conv *c) { return c->capv ? c->v.heap : c->v.in; }
static const uint32_t *cvals_of(const struct conv *c) { return c->capv ? c->v.heap : c->v.in; }

struct profile {
    const struct endpoints *ep;  /* BORROWED */
    const struct resolvers *res; /* BORROWED or NULL */
    struct profile_verdicts vd;
    struct strtab *str;          /* OWNED */
    /* Conversations in fixed pages: no doubling slack and no copy of the
     * whole array while it grows (it is most of the state). */
    struct conv **pages;         /* OWNED array of OWNED pages */
    /* Each page's rhythm slots (report/beacon), beside the conversations
     * rather than in them: struct conv is full, and only lookups (and
     * connections of conversations without any) touch them. */
    struct beacon_slot **bpages; /* OWNED array of OWNED pages, as many */
    struct beacon *bc;           /* OWNED: the rhythms' sketches */
    size_t n, npages, pages_cap;
    uint32_t *slots;             /* OWNED: conv index + 1, 0 = empty */
    size_t nslots;
    int have_time;
    int64_t tmin, tmax;
    /* Recently interned values, so that most events hash no string: client
     * addresses by address (direct-mapped), and per V_* tag the last few
     * values (ids into str). */
    struct ccache {
        struct ipaddr a;
        uint32_t id;    /* 0: empty (id 0 is the empty string, never an address) */
    } cc[1024];
    uint32_t vc[3][4];
    unsigned vcnext[3];
    /* Recently interned names, direct-mapped by hash, with their text: a
     * hit costs no access to the string table (four cache misses there). */
    struct ncache *nc;           /* OWNED: NCACHE entries */
    /* Made by profile_order, per conversation: what a row needs that takes
     * a lookup or a walk, done once although each row is made twice while
     * the reply is written. */
    struct rowinfo {
        uint64_t active_hours;   /* with its proxy aggregate's */
        uint32_t pconv;          /* its proxy aggregate + 1, 0: none */
        uint32_t hod;            /* hours of the day (UTC) active, bit per hour;
                                  * RI_CONNS, RI_UNORDERED: the rhythm's */
        uint32_t days;           /* distinct days (UTC) active */
        uint32_t gaps;           /* the rhythm (report/beacon), made once */
        float median, mad;
    } *ri;                       /* OWNED or NULL */
    /* Made by profile_order: per name id, the distinct clients that
     * resolved it (name_clients). */
    uint32_t *nclients;          /* OWNED or NULL */
    /* With profile_keep_first_lookups: each conversation's first lookup
     * (microseconds; valid when it has lookups), in pages as `pages`. */
    int64_t **flpages;           /* OWNED array of OWNED pages, or NULL */
    int keep_first;
    /* Made by profile_set_history: per string id, its name's index + 1 in
     * hfirst (0: not asked), and per asked name its first seen. */
    uint32_t *hix;               /* OWNED or NULL (no history: empty columns) */
    int64_t *hfirst;             /* OWNED */
    int64_t new_within_us;
    /* local_domains= (profile_set_local_domains): VIEWs into ldom_text */
    struct slice *ldom;          /* OWNED */
    size_t nldom;
    char *ldom_text;             /* OWNED: the suffixes, lower case */
};

/* One line per entry; a name longer than NCACHE_TEXT goes to the table. */
#define NCACHE 8192
#define NCACHE_TEXT 54
struct ncache {
    uint32_t hash, id;
    uint16_t n;              /* 0: empty (a blank name is never interned) */
    char s[NCACHE_TEXT];
};

#define CONV_PAGE 4096
#define CONV(p, i) (&(p)->pages[(size_t)(i) / CONV_PAGE][(size_t)(i) % CONV_PAGE])
#define RI_CONNS (1u << 24)
#define RI_UNORDERED (1u << 25)
#define RI_BYPASS_SHIFT 26       /* 3 bits: enum bypass */
#define BSLOT(p, i) (&(p)->bpages[(size_t)(i) / CONV_PAGE][(size_t)(i) % CONV_PAGE])
#define FLSLOT(p, i) (&(p)->flpages[(size_t)(i) / CONV_PAGE][(size_t)(i) % CONV_PAGE])

struct profile *profile_new(const struct endpoints *ep)
{
    struct profile *p = xcalloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->ep = ep;
    p->str = strtab_new(REPORT_CONVERSATIONS_MAX);
    p->nc = xcalloc(NCACHE, sizeof *p->nc);
    p->bc = beacon_new();
    if (p->str == NULL || p->nc == NULL || p->bc == NULL) {
        beacon_free(p->bc);
        strtab_free(p->str);
        xfree(p->nc);
        xfree(p);
        return NULL;
    }
    return p;
}

void profile_free(struct profile *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++) {
        hourset_free(&CONV(p, i)->hours);
        if (CONV(p, i)->capv)
            xfree(CONV(p, i)->v.heap);
    }
    for (size_t i = 0; i < p->npages; i++) {
        xfree(p->pages[i]);
        xfree(p->bpages[i]);
        if (p->flpages != NULL)
            xfree(p->flpages[i]);
    }
    xfree(p->pages);
    xfree(p->bpages);
    xfree(p->flpages);
    xfree(p->hix);
    xfree(p->hfirst);
    xfree(p->ldom);
    xfree(p->ldom_text);
    beacon_free(p->bc);
    xfree(p->slots);
    xfree(p->nc);
    xfree(p->ri);
    xfree(p->nclients);
    strtab_free(p->str);
    xfree(p);
}

static uint64_t key_hash(int kind, uint32_t client, uint32_t name, const struct ipaddr *ip)
{
    uint64_t h = (uint64_t)client * 0x9e3779b97f4a7c15ull ^ (uint64_t)name * 0xc2b2ae3d27d4eb4full ^
                 (uint64_t)kind;
    if (ip != NULL)
        h ^= ipaddr_hash(ip);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

void profile_set_resolvers(struct profile *p, const struct resolvers *r) { p->res = r; }

void profile_set_verdicts(struct profile *p, const struct profile_verdicts *v) { p->vd = *v; }

void profile_keep_first_lookups(struct profile *p) { p->keep_first = 1; }

/* A character of a domain name as local_domains= takes it. */
static int domain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
}

int profile_set_local_domains(struct profile *p, struct slice list, struct err *e)
{
    size_t i = 0, n = 0;
    xfree(p->ldom);
    xfree(p->ldom_text);
    p->ldom = NULL;
    p->ldom_text = NULL;
    p->nldom = 0;
    if (list.n == 0)
        return 0;
    /* LOCAL_DOMAINS_MAX entries at most, their text no longer than the list */
    p->ldom = xcalloc(LOCAL_DOMAINS_MAX, sizeof *p->ldom);
    p->ldom_text = xmalloc(list.n);
    if (p->ldom == NULL || p->ldom_text == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    struct slice item;
    while (slice_list_next(list, &i, &item)) {
        struct slice d = item;
        if (d.n > 0 && d.p[d.n - 1] == '.')
            d.n--;
        if (d.n > 0 && d.p[0] == '.')
            d.p++, d.n--;
        int ok = d.n > 0 && d.n <= 253 && d.p[0] != '.' && d.p[d.n - 1] != '.';
        for (size_t k = 0; ok && k < d.n; k++)
            ok = domain_char(d.p[k]) && !(d.p[k] == '.' && k + 1 < d.n && d.p[k + 1] == '.');
        if (!ok)
            return err_set(e, ERR_ARGS, "local_domains=: %.*s is not a domain name (expected "
                           "suffixes such as corp.example, comma-separated)",
                           (int)(item.n > 64 ? 64 : item.n), item.p);
        if (p->nldom == LOCAL_DOMAINS_MAX)
            return err_set(e, ERR_ARGS, "local_domains=: at most LOCAL_DOMAINS_MAX (%u) "
                           "domains; name a parent domain instead", (unsigned)LOCAL_DOMAINS_MAX);
        char *t = p->ldom_text + n;
        n += dname_lower(d, t, d.n);
        p->ldom[p->nldom++] = slice_of(t, d.n);
    }
    return 0;
}

/* A name of the site's own domains (local_domains=). */
static int local_name(const struct profile *p, struct slice n)
{
    for (size_t k = 0; k < p->nldom; k++)
        if (dname_in_domain(n, p->ldom[k]))
            return 1;
    return 0;
}

/* Private (RFC 1918, fc00::/7), loopback, link-local, multicast and the
 * broadcast address: traffic that stays on the site or never needed a
 * name, so a nodns row for it says nothing. */
static int local_dest(const struct ipaddr *a)
{
    const unsigned char *b = a->b;
    if (ipaddr_is_v4(a)) {
        uint32_t v = ipaddr_v4(a);
        return (v >> 24) == 10 || (v >> 20) == (172u << 4 | 1) || (v >> 16) == (192u << 8 | 168) ||
               (v >> 24) == 127 || (v >> 16) == (169u << 8 | 254) || (v >> 28) == 14 ||
               v == 0xffffffffu;
    }
    static const unsigned char loop6[16] = {[15] = 1};
    return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff ||
           memcmp(b, loop6, 16) == 0;
}

/* A name resolved as a matter of course, with no traffic to expect:
 * reverse lookups, proxy and ISATAP discovery. */
static int expected_name(struct slice n)
{
    static const char *const suffix[] = {".in-addr.arpa", ".ip6.arpa"};
    static const char *const first[] = {"wpad", "isatap"};
    for (size_t k = 0; k < 2; k++) {
        size_t m = strlen(suffix[k]);
        if ((n.n > m && memcmp(n.p + n.n - m, suffix[k], m) == 0) ||
            slice_eq_cstr(n, suffix[k] + 1))
            return 1;
        m = strlen(first[k]);
        if (n.n >= m && memcmp(n.p, first[k], m) == 0 && (n.n == m || n.p[m] == '.'))
            return 1;
    }
    return 0;
}

static int key_eq(const struct conv *c, int kind, uint32_t client, uint32_t name,
                  const struct ipaddr *ip)
{
    if (c->kind != kind || c->client != client || c->name != name || c->has_ip != (ip != NULL))
        return 0;
    return ip == NULL || ipaddr_eq(&c->ip, ip);
}

static int rehash(struct profile *p)
{
    size_t ns = p->nslots ? p->nslots * 2 : 1024;
    uint32_t *sl = xcalloc(ns, sizeof *sl);
    if (sl == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < p->n; i++) {
        const struct conv *c = CONV(p, i);
        size_t k = key_hash(c->kind, c->client, c->name, c->has_ip ? &c->ip : NULL) & (ns - 1);
        while (sl[k])
            k = (k + 1) & (ns - 1);
        sl[k] = (uint32_t)i + 1;
    }
    xfree(p->slots);
    p->slots = sl;
    p->nslots = ns;
    return 0;
}

static long find(const struct profile *p, int kind, uint32_t client, uint32_t name,
                 const struct ipaddr *ip)
{
    if (p->nslots == 0)
        return -1;
    size_t k = key_hash(kind, client, name, ip) & (p->nslots - 1);
    for (; p->slots[k]; k = (k + 1) & (p->nslots - 1))
        if (key_eq(CONV(p, p->slots[k] - 1), kind, client, name, ip))
            return (long)(p->slots[k] - 1);
    return -1;
}

void profile_prefetch(const struct profile *p, const struct profile_key *k,
                      const struct ipaddr *ip, int stage)
{
    if (p->nslots == 0)
        return;
    size_t slot = key_hash(ip != NULL ? KIND_CONV : KIND_PROXY, k->client, k->name, ip) &
                  (p->nslots - 1);
    if (stage == 0) {
        __builtin_prefetch(&p->slots[slot]);
        return;
    }
    if (p->slots[slot] == 0)
        return;  /* a new conversation (or one further along the probe) */
    const struct conv *c = CONV(p, p->slots[slot] - 1);
    if (stage == 1) {
        __builtin_prefetch(c);
        __builtin_prefetch((const char *)c + 64);
        if (ip != NULL)
            __builtin_prefetch(BSLOT(p, p->slots[slot] - 1));
        return;
    }
    if (c->hours.b != NULL) {
        __builtin_prefetch(c->hours.b + c->hours.head);
        __builtin_prefetch(c->hours.b + c->hours.head + c->hours.last_off);
    }
    if (c->capv)
        __builtin_prefetch(c->v.heap);
    if (ip != NULL)
        beacon_prefetch(p->bc, BSLOT(p, p->slots[slot] - 1));
}

/* The conversation for a key (its number in *idx), created when new.
 * NULL with e filled. */
static struct conv *get(struct profile *p, int kind, uint32_t client, uint32_t name,
                        const struct ipaddr *ip, size_t *idx, struct err *e)
{
    long i = find(p, kind, client, name, ip);
    if (i >= 0) {
        *idx = (size_t)i;
        return CONV(p, i);
    }
    if (p->n >= REPORT_CONVERSATIONS_MAX) {
        err_set(e, ERR_LIMIT, "more than REPORT_CONVERSATIONS_MAX (%llu) conversations; "
                "narrow the search (" LIMIT_BUILD_HINT ")",
                (unsigned long long)REPORT_CONVERSATIONS_MAX);
        return NULL;
    }
    if ((p->n + 1) * 2 > p->nslots && rehash(p)) {
        err_set(e, ERR_NOMEM, "out of memory adding a conversation");
        return NULL;
    }
    if (p->n == p->npages * CONV_PAGE) {
        if (p->npages == p->pages_cap) {
            size_t nc = p->pages_cap ? p->pages_cap * 2 : 16;
            struct conv **v = xreallocarray(p->pages, nc, sizeof(struct conv *));
            struct beacon_slot **bv =
                v != NULL ? xreallocarray(p->bpages, nc, sizeof(struct beacon_slot *)) : NULL;
            if (v != NULL)
                p->pages = v;
            if (bv != NULL)
                p->bpages = bv;
            if (bv != NULL && p->keep_first) {
                int64_t **fv = xreallocarray(p->flpages, nc, sizeof(int64_t *));
                if (fv != NULL)
                    p->flpages = fv;
                else
                    bv = NULL;
            }
            if (bv == NULL) {
                err_set(e, ERR_NOMEM, "out of memory adding a conversation");
                return NULL;
            }
            p->pages_cap = nc;
        }
        p->pages[p->npages] = xreallocarray(NULL, CONV_PAGE, sizeof(struct conv));
        p->bpages[p->npages] = xcalloc(CONV_PAGE, sizeof(struct beacon_slot));
        int64_t *fl = p->keep_first ? xreallocarray(NULL, CONV_PAGE, sizeof(int64_t)) : NULL;
        if (p->pages[p->npages] == NULL || p->bpages[p->npages] == NULL ||
            (p->keep_first && fl == NULL)) {
            xfree(p->pages[p->npages]);
            xfree(p->bpages[p->npages]);
            xfree(fl);
            err_set(e, ERR_NOMEM, "out of memory adding a conversation");
            return NULL;
        }
        if (p->keep_first)
            p->flpages[p->npages] = fl;
        p->npages++;
    }
    struct conv *c = CONV(p, p->n);
    memset(c, 0, sizeof *c);
    c->kind = (uint8_t)kind;
    c->client = client;
    c->name = name;
    c->has_ip = ip != NULL;
    if (ip != NULL)
        c->ip = *ip;
    size_t k = key_hash(kind, client, name, ip) & (p->nslots - 1);
    while (p->slots[k])
        k = (k + 1) & (p->nslots - 1);
    p->slots[k] = (uint32_t)p->n + 1;
    *idx = p->n++;
    return c;
}

static int intern_failed(struct err *e, int rc)
{
    return err_set(e, rc, rc == ERR_LIMIT ? "more than REPORT_CONVERSATIONS_MAX distinct clients "
                   "and names; narrow the search (" LIMIT_BUILD_HINT ")" : "out of memory");
}

/* Clients are compared as addresses when they are IPs ("::ffff:10.0.0.57"
 * is 10.0.0.57), so they are keyed by their canonical text. */
static int intern_client(struct profile *p, struct slice client, const struct ipaddr *a,
                         uint32_t *id, struct err *e)
{
    char buf[IPADDR_STRMAX];
    struct ccache *cc = NULL;
    if (a != NULL) {
        cc = &p->cc[ipaddr_hash(a) & (sizeof p->cc / sizeof p->cc[0] - 1)];
        if (cc->id != 0 && ipaddr_eq(&cc->a, a)) {
            *id = cc->id;
            return 0;
        }
        client = slice_of(buf, ipaddr_format(a, buf));
    }
    if (client.p == NULL)
        client = SLICE_LIT("");
    int rc = strtab_intern(p->str, client, id);
    if (rc)
        return intern_failed(e, rc);
    if (cc != NULL && *id != 0) {
        cc->a = *a;
        cc->id = *id;
    }
    return 0;
}

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h ^ h >> 15;
}

/* Names are case-insensitive and may carry the root's dot. */
static int intern_name(struct profile *p, struct slice name, uint32_t *id, struct err *e)
{
    char buf[1024];
    name = dname_trim(name);
    if (slice_is_blank(name)) {
        *id = 0;
        return 0;
    }
    if (name.n <= sizeof buf)
        name = slice_of(buf, dname_lower(name, buf, sizeof buf));
    struct ncache *nc = NULL;
    uint32_t h = 0;
    if (name.n <= NCACHE_TEXT) {
        h = name_hash(name.p, name.n);
        nc = &p->nc[h & (NCACHE - 1)];
        if (nc->n == name.n && nc->hash == h && memcmp(nc->s, name.p, name.n) == 0) {
            *id = nc->id;
            return 0;
        }
    }
    int rc = strtab_intern(p->str, name, id);
    if (rc)
        return intern_failed(e, rc);
    if (nc != NULL) {
        nc->hash = h;
        nc->id = *id;
        nc->n = (uint16_t)name.n;
        bytes_copy(nc->s, name.p, name.n);
    }
    return 0;
}

int profile_key(struct profile *p, struct slice client, const struct ipaddr *client_ip,
                struct slice name, struct profile_key *k, struct err *e)
{
    struct teredo_info ti;
    struct ipaddr v4;
    int rc = intern_client(p, client, client_ip, &k->client, e);
    if (rc == 0)
        rc = intern_name(p, name, &k->name, e);
    k->client_flags = 0;
    if (client_ip != NULL) {
        if (tunnel_teredo(client_ip, &ti))
            k->client_flags = F_TEREDO_ADDR;
        else if (tunnel_6to4(client_ip, &v4))
            k->client_flags = F_6TO4_ADDR;
    }
    return rc;
}

static void see_time(struct profile *p, struct conv *c, int64_t t)
{
    if (c->hours.len == 0) {
        c->first = c->last = t;
    } else {
        if (t < c->first)
            c->first = t;
        if (t > c->last)
            c->last = t;
    }
    if (!p->have_time) {
        p->have_time = 1;
        p->tmin = p->tmax = t;
    } else {
        if (t < p->tmin)
            p->tmin = t;
        if (t > p->tmax)
            p->tmax = t;
    }
}

static uint32_t hour_of(int64_t t)
{
    if (t < 0)
        return 0;
    int64_t h = t / US_PER_HOUR;
    return h > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)h;
}

/* Mark the hour of t active and add `conns` connections to it. */
static int add_hour(struct conv *c, int64_t t, uint64_t conns)
{
    return hourset_add(&c->hours, hour_of(t), conns);
}

/* The message for a failed add_hour or add_val. */
static int add_failed(struct err *e, int rc, const char *what)
{
    if (rc == ERR_LIMIT)
        return err_set(e, rc, "a conversation's active hours passed REPORT_HOURSET_BYTES_MAX "
                       "adding %s; search a shorter time range (" LIMIT_BUILD_HINT ")", what);
    return err_set(e, ERR_NOMEM, "out of memory adding %s", what);
}

static int val_gt(const struct profile *p, uint32_t a, uint32_t b)
{
    return slice_cmp(strtab_get(p->str, a >> 2), strtab_get(p->str, b >> 2)) > 0;
}

/* Sift node i of a max-heap down: node k is vals[pos[k]], n nodes. */
static void heap_down(const struct profile *p, uint32_t *vals, const uint16_t *pos, uint32_t n,
                      uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < n && val_gt(p, vals[pos[l]], vals[pos[m]]))
            m = l;
        if (l + 1 < n && val_gt(p, vals[pos[l + 1]], vals[pos[m]]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = vals[pos[i]];
        vals[pos[i]] = vals[pos[m]];
        vals[pos[m]] = t;
        i = m;
    }
}

static int add_val(struct profile *p, struct conv *c, int tag, struct slice v)
{
    uint32_t id = UINT32_MAX, n = 0;
    uint16_t pos[PROFILE_VALUES_MAX];  /* where the tag's values are */
    if (slice_is_blank(v))
        return 0;
    for (int k = 0; k < 4; k++)
        if (p->vc[tag][k] != 0 && slice_eq(strtab_get(p->str, p->vc[tag][k]), v)) {
            id = p->vc[tag][k];
            break;
        }
    if (id == UINT32_MAX) {
        if (strtab_intern(p->str, v, &id))
            return ERR_NOMEM;
        p->vc[tag][p->vcnext[tag]++ % 4] = id;
    }
    uint32_t x = id << 2 | (uint32_t)tag, *vals = vals_of(c);
    for (uint32_t i = 0; i < c->nv; i++) {
        if (vals[i] == x)
            return 0;
        if ((vals[i] & 3) == (uint32_t)tag)
            pos[n++] = (uint16_t)i;  /* never past PROFILE_VALUES_MAX: see below */
    }
    if (n >= PROFILE_VALUES_MAX) {
        /* The list keeps the bytewise-first values (the order the row
         * shows them in), whatever order the events came in.  Once cut,
         * the tag's values are a max-heap in the order they stand in (the
         * tag's count no longer changes, and other tags only append): a
         * value below the root replaces it, in a few comparisons rather
         * than one per value, as a port walk would need. */
        if (!(c->vtrunc & (1 << tag))) {
            c->vtrunc |= (uint8_t)(1 << tag);
            for (uint32_t i = n / 2; i-- > 0;)
                heap_down(p, vals, pos, n, i);
        }
        if (val_gt(p, vals[pos[0]], x)) {
            vals[pos[0]] = x;
            heap_down(p, vals, pos, n, 0);
        }
        return 0;
    }
    if (c->nv == (c->capv ? c->capv : VALS_INLINE)) {
        /* 3 * PROFILE_VALUES_MAX at most: well inside 16 bits */
        uint16_t nc = (uint16_t)(c->nv * 2);
        uint32_t *nv = xreallocarray(c->capv ? c->v.heap : NULL, nc, sizeof *nv);
        if (nv == NULL)
            return ERR_NOMEM;
        if (c->capv == 0)
            memcpy(nv, c->v.in, sizeof c->v.in);
        c->v.heap = vals = nv;
        c->capv = nc;
    }
    vals[c->nv++] = x;
    return 0;
}

int profile_lookup(struct profile *p, const struct profile_key *k, const struct ipaddr *ip,
                   int64_t t, struct slice sourcetype, uint64_t n, struct err *e)
{
    int rc;
    size_t i;
    struct conv *c = get(p, KIND_CONV, k->client, k->name, ip, &i, e);
    if (c == NULL)
        return e->code;
    see_time(p, c, t);
    if (p->flpages != NULL && (c->lookups == 0 || t < *FLSLOT(p, i)))
        *FLSLOT(p, i) = t;
    c->lookups += n;
    /* the n - 1 others come at the same time: the rhythm counts one (see
     * beacon.h), the hour is already marked */
    if ((rc = add_hour(c, t, 0)) != 0 || (rc = add_val(p, c, V_SOURCETYPE, sourcetype)) != 0 ||
        (rc = beacon_add(p->bc, BSLOT(p, i), t, BEACON_LOOKUPS)) != 0)
        return add_failed(e, rc, "a lookup");
    return 0;
}

static int ieq(struct slice s, const char *w)
{
    size_t n = strlen(w);
    if (s.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != w[i])
            return 0;
    }
    return 1;
}

int profile_action(struct slice a)
{
    static const char *const blocked[] = {"blocked", "block", "deny", "denied", "drop",
                                          "dropped", "reject", "rejected", "reset-both",
                                          "reset-client", "reset-server", NULL};
    static const char *const allowed[] = {"allowed", "allow", "accept", "accepted", "pass",
                                          "permit", "permitted", "open", "open-inbound", NULL};
    for (int i = 0; blocked[i]; i++)
        if (ieq(a, blocked[i]))
            return 1;
    for (int i = 0; allowed[i]; i++)
        if (ieq(a, allowed[i]))
            return 2;
    return 0;
}

int profile_conn(struct profile *p, const struct profile_key *k, const struct ipaddr *ip,
                 int64_t t, int udp3544, struct slice action, struct slice port,
                 struct slice transport, struct slice sourcetype, uint64_t n, struct err *e)
{
    int rc;
    size_t i;
    struct conv *c = get(p, KIND_CONV, k->client, k->name, ip, &i, e);
    if (c == NULL)
        return e->code;
    see_time(p, c, t);
    c->conns += n;
    /* the slot takes connections only until the conversation's first lookup */
    if (c->lookups == 0 && (rc = beacon_add(p->bc, BSLOT(p, i), t, BEACON_CONNS)) != 0)
        return add_failed(e, rc, "a connection");
    int act = profile_action(action);
    c->blocked += act == 1 ? n : 0;
    c->allowed += act == 2 ? n : 0;
    c->flags |= (uint8_t)(k->client_flags | (udp3544 ? F_UDP3544 : 0));
    char tl[16];
    if (transport.n <= sizeof tl)
        transport = slice_of(tl, dname_lower(transport, tl, sizeof tl));
    if ((rc = add_hour(c, t, n)) != 0 || (rc = add_val(p, c, V_PORT, port)) != 0 ||
        (rc = add_val(p, c, V_TRANSPORT, transport)) != 0 ||
        (rc = add_val(p, c, V_SOURCETYPE, sourcetype)) != 0)
        return add_failed(e, rc, "a connection");
    return 0;
}

int profile_proxy(struct profile *p, const struct profile_key *k, int64_t t,
                  struct slice sourcetype, uint64_t n, struct err *e)
{
    int rc;
    size_t i;
    if (k->name == 0)
        return 0;
    struct conv *c = get(p, KIND_PROXY, k->client, k->name, NULL, &i, e);
    if (c == NULL)
        return e->code;
    see_time(p, c, t);
    c->proxied += n;
    if ((rc = add_hour(c, t, 0)) != 0 || (rc = add_val(p, c, V_SOURCETYPE, sourcetype)) != 0)
        return add_failed(e, rc, "a proxy request");
    return 0;
}

/* Distinct hours of a's hour set, with b's when b is not NULL, and from
 * them the hours of the day (bit per UTC hour) and distinct UTC days. */
static void union_hours(const struct conv *a, const struct conv *b, struct rowinfo *ri)
{
    static const struct hourset none;
    struct hourset_it ia, ib;
    uint32_t ha = 0, hb = 0, h, day = UINT32_MAX, hod = 0, days = 0;
    uint64_t x, n = 0;
    hourset_it_init(&ia, &a->hours);
    hourset_it_init(&ib, b != NULL ? &b->hours : &none);
    int more_a = hourset_next(&ia, &ha, &x), more_b = hourset_next(&ib, &hb, &x);
    while (more_a || more_b) {
        if (!more_b || (more_a && ha < hb)) {
            h = ha;
            more_a = hourset_next(&ia, &ha, &x);
        } else if (!more_a || hb < ha) {
            h = hb;
            more_b = hourset_next(&ib, &hb, &x);
        } else {
            h = ha;
            more_a = hourset_next(&ia, &ha, &x);
            more_b = hourset_next(&ib, &hb, &x);
        }
        hod |= 1u << (h % 24);
        days += h / 24 != day;
        day = h / 24;
        n++;
    }
    ri->active_hours = n;
    ri->hod = hod;
    ri->days = days;
}

static enum profile_path path_of(const struct profile_row *r)
{
    if (r->connections == 0)
        return r->proxied > 0 ? PATH_PROXIED : PATH_LOOKUP_ONLY;
    if (r->proxied > 0)
        return PATH_PROXIED_AND_DIRECT;
    if (r->blocked == r->connections)
        return PATH_DIRECT_BLOCKED;
    /* flow records without an action still mean traffic got through */
    if (r->blocked == 0)
        return PATH_DIRECT_ALLOWED;
    return PATH_DIRECT_MIXED;
}

static enum tunnel_kind tunnel_of(const struct profile *p, const struct conv *c,
                                  const struct profile_row *r)
{
    enum tunnel_kind k = r->dns_query.n ? endpoints_name(p->ep, r->dns_query) : TUNNEL_NONE;
    if (k != TUNNEL_NONE)
        return k;
    if (c->kind == KIND_CONV && (c->flags & (F_UDP3544 | F_TEREDO_ADDR)))
        return TUNNEL_TEREDO;
    if (r->has_ip && (k = endpoints_ip(p->ep, &r->ip)) != TUNNEL_NONE)
        return k;
    if (c->kind == KIND_CONV && (c->flags & F_6TO4_ADDR))
        return TUNNEL_6TO4;
    return TUNNEL_NONE;
}

static enum bypass bypass_of(const struct profile *p, const struct conv *c, struct slice *prov);

/* Fill a row from conversation i (see profile_row_of). */
static void fill_row(const struct profile *p, size_t i, struct profile_row *r)
{
    const struct conv *c = CONV(p, i);
    memset(r, 0, sizeof *r);
    r->conv = i;
    r->pconv = SIZE_MAX;
    r->src = strtab_get(p->str, c->client);
    r->dns_query = strtab_get(p->str, c->name);
    r->has_ip = c->has_ip;
    r->ip = c->ip;
    if (c->has_ip)
        ipaddr_format(&c->ip, r->ip_text);
    r->lookups = c->kind == KIND_CONV ? c->lookups : 0;
    r->connections = c->conns;
    r->blocked = c->blocked;
    r->allowed = c->allowed;
    r->proxied = c->kind == KIND_PROXY ? c->proxied : 0;
    r->first = c->first;
    r->last = c->last;
    r->active_hours = p->ri[i].active_hours;
    if (p->ri[i].pconv != 0) {
        const struct conv *pc = CONV(p, p->ri[i].pconv - 1);
        r->pconv = p->ri[i].pconv - 1;
        r->proxied = pc->proxied;
        r->first = pc->first < r->first ? pc->first : r->first;
        r->last = pc->last > r->last ? pc->last : r->last;
    }
    r->path = path_of(r);
    r->tunnel = tunnel_of(p, c, r);
    r->name_clients = c->name != 0 ? p->nclients[c->name] : 0;
    r->expected = r->path == PATH_LOOKUP_ONLY &&
                  (expected_name(r->dns_query) || local_name(p, r->dns_query));
    if (p->hix != NULL && c->name != 0 && p->hix[c->name] != 0) {
        r->has_name_first = 1;
        r->name_first = p->hfirst[p->hix[c->name] - 1];
        r->name_ref = c->kind == KIND_CONV && c->lookups > 0 && p->flpages != NULL
                          ? *FLSLOT(p, i) : r->first;
        /* no overflow: event times are within JOIN_TIME_ABS_MAX (a
         * quarter of int64 in microseconds), stored ones within
         * KV_TIME_MAX seconds (half of it) */
        r->new_name = r->name_ref - r->name_first <= p->new_within_us;
    }
    /* the range the search covers, else the events' */
    int64_t lo = p->vd.earliest_us != 0 ? p->vd.earliest_us : p->tmin;
    int64_t hi = p->vd.latest_us != 0 ? p->vd.latest_us : p->tmax;
    if (c->kind == KIND_CONV && c->name == 0 && !p->vd.nodns_private && local_dest(&c->ip)) {
        /* kept, so that every connection is still counted in some row */
        r->expected = 1;
        r->grace = 3;
    } else if (p->vd.window_us <= 0)
        r->grace = 0;
    else if (c->kind == KIND_CONV && c->name == 0 && r->connections > 0 &&
             r->last < lo + p->vd.window_us)
        r->grace = 1;
    else if (r->path == PATH_LOOKUP_ONLY && r->first >= hi - p->vd.window_us)
        r->grace = 2;
    const struct rowinfo *ri = &p->ri[i];
    r->hours_of_day = (unsigned)__builtin_popcount(ri->hod & (RI_CONNS - 1));
    r->bypass = (enum bypass)(ri->hod >> RI_BYPASS_SHIFT & 7);
    if (r->bypass != BYPASS_NONE)
        (void)bypass_of(p, c, &r->bypass_provider);  /* rare: the provider again */
    r->days = ri->days;
    r->beat.gaps = ri->gaps;
    r->beat.median = ri->median;
    r->beat.mad = ri->mad;
    r->beat.stream = ri->hod & RI_CONNS ? BEACON_CONNS : BEACON_LOOKUPS;
    r->beat.unordered = (ri->hod & RI_UNORDERED) != 0;
    if (r->beat.gaps >= 2)
        r->beacon_score = beacon_score(r->beat.mad / r->beat.median, r->beat.gaps,
                                       r->hours_of_day, r->days);
}

int profile_row_names(const struct profile *p, const uint32_t *order, size_t n, size_t max,
                      uint32_t **ids, size_t *m, int *cut, struct err *e)
{
    size_t nids = strtab_count(p->str), k = 0;
    unsigned char *seen = xcalloc(nids ? nids : 1, 1);
    uint32_t *v = xcalloc(n ? n : 1, sizeof *v);
    *ids = NULL;
    *m = 0;
    *cut = 0;
    if (seen == NULL || v == NULL) {
        xfree(seen);
        xfree(v);
        return err_set(e, ERR_NOMEM, "out of memory listing the rows' names");
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t id = CONV(p, order[i])->name;
        if (id == 0 || seen[id])
            continue;
        seen[id] = 1;
        if (k == max) {
            *cut = 1;
            break;
        }
        v[k++] = id;
    }
    xfree(seen);
    *ids = v;
    *m = k;
    return 0;
}

struct slice profile_name(const struct profile *p, uint32_t id) { return strtab_get(p->str, id); }

int profile_set_history(struct profile *p, const uint32_t *ids, const int64_t *stored_us,
                        size_t m, int64_t new_within_us, struct err *e)
{
    size_t nids = strtab_count(p->str);
    int64_t *lk = xcalloc(m ? m : 1, sizeof *lk), *any = xcalloc(m ? m : 1, sizeof *any);
    xfree(p->hix);
    xfree(p->hfirst);
    p->hix = xcalloc(nids ? nids : 1, sizeof *p->hix);
    p->hfirst = xcalloc(m ? m : 1, sizeof *p->hfirst);
    if (lk == NULL || any == NULL || p->hix == NULL || p->hfirst == NULL) {
        xfree(lk);
        xfree(any);
        xfree(p->hix);
        p->hix = NULL;
        return err_set(e, ERR_NOMEM, "out of memory for name_first_seen");
    }
    p->new_within_us = new_within_us;
    for (size_t j = 0; j < m; j++) {
        p->hix[ids[j]] = (uint32_t)j + 1;
        lk[j] = any[j] = INT64_MAX;
    }
    /* the name's first lookup in the search, else its first event */
    for (size_t i = 0; i < p->n; i++) {
        const struct conv *c = CONV(p, i);
        uint32_t j = c->name != 0 ? p->hix[c->name] : 0;
        if (j-- == 0)
            continue;
        if (c->first < any[j])
            any[j] = c->first;
        if (c->kind == KIND_CONV && c->lookups > 0) {
            int64_t t = p->flpages != NULL ? *FLSLOT(p, i) : c->first;
            if (t < lk[j])
                lk[j] = t;
        }
    }
    for (size_t j = 0; j < m; j++) {
        int64_t seen = lk[j] != INT64_MAX ? lk[j] : any[j];
        p->hfirst[j] = stored_us[j] < seen ? stored_us[j] : seen;
    }
    xfree(lk);
    xfree(any);
    return 0;
}

void profile_row_of(const struct profile *p, uint32_t conv, struct profile_row *r)
{
    fill_row(p, conv, r);
}

void profile_row_prefetch(const struct profile *p, uint32_t conv, int stage)
{
    const struct conv *c = CONV(p, conv);
    if (stage == 0) {
        __builtin_prefetch(c);
        __builtin_prefetch((const char *)c + 64);
        __builtin_prefetch(&p->ri[conv]);
        return;
    }
    strtab_prefetch(p->str, c->client, stage == 2);
    strtab_prefetch(p->str, c->name, stage == 2);
    if (stage == 2)
        return;
    if (c->capv)
        __builtin_prefetch(c->v.heap);
    if (c->hours.b != NULL)
        __builtin_prefetch(c->hours.b + c->hours.head);
    if (p->ri[conv].pconv != 0) {
        const struct conv *pc = CONV(p, p->ri[conv].pconv - 1);
        __builtin_prefetch(pc);
        __builtin_prefetch((const char *)pc + 64);
    }
}

static void sort_vals(const struct profile *p, struct conv *c);

/* What the row order needs: the connections, src's rank among the clients
 * and dns_query's first bytes decide most comparisons without a look at
 * the strings. */
struct sortkey {
    uint64_t conns;
    uint64_t k2;     /* src's rank << 32 | dns_query's first 4 bytes */
    uint32_t conv;
};

/* The first 4 bytes of s as a number that compares as the bytes do: when
 * two differ, so do the strings, the same way (a shorter string pads with
 * 0; equal prefixes leave the decision to the whole strings). */
static uint32_t prefix4(struct slice s)
{
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++)
        v = v << 8 | (i < s.n ? (unsigned char)s.p[i] : 0);
    return v;
}

/* Rows by connections descending, then src, dns_query and dest_ip
 * bytewise (an address as its text). */
static int key_cmp(const struct profile *p, const struct sortkey *x, const struct sortkey *y)
{
    if (x->conns != y->conns)
        return x->conns > y->conns ? -1 : 1;
    if (x->k2 != y->k2)
        return x->k2 < y->k2 ? -1 : 1;
    const struct conv *a = CONV(p, x->conv), *b = CONV(p, y->conv);
    int c;
    if ((c = slice_cmp(strtab_get(p->str, a->name), strtab_get(p->str, b->name))) != 0)
        return c;
    char at[IPADDR_STRMAX] = "", bt[IPADDR_STRMAX] = "";
    if (a->has_ip)
        ipaddr_format(&a->ip, at);
    if (b->has_ip)
        ipaddr_format(&b->ip, bt);
    return strcmp(at, bt);
}

struct idtext {
    struct slice s;
    uint32_t id;
};

static int idtext_cmp(const void *a, const void *b)
{
    return slice_cmp(((const struct idtext *)a)->s, ((const struct idtext *)b)->s);
}

/* rank[id] for every client id of a conversation: the clients' texts in
 * bytewise order, equal texts the same rank.  OWNED, NULL when out of
 * memory. */
static uint32_t *client_ranks(const struct profile *p)
{
    size_t nids = strtab_count(p->str), m = 0;
    uint32_t *rank = xcalloc(nids ? nids : 1, sizeof *rank);
    struct idtext *ids = xcalloc(nids ? nids : 1, sizeof *ids);
    unsigned char *seen = xcalloc(nids ? nids : 1, 1);
    if (rank == NULL || ids == NULL || seen == NULL) {
        xfree(rank);
        rank = NULL;
        goto done;
    }
    for (size_t i = 0; i < p->n; i++) {
        uint32_t id = CONV(p, i)->client;
        if (!seen[id]) {
            seen[id] = 1;
            ids[m++] = (struct idtext){strtab_get(p->str, id), id};
        }
    }
    qsort(ids, m, sizeof *ids, idtext_cmp);
    for (size_t i = 0, r = 0; i < m; i++) {
        if (i > 0 && !slice_eq(ids[i - 1].s, ids[i].s))
            r++;
        rank[ids[i].id] = (uint32_t)r;
    }
done:
    xfree(ids);
    xfree(seen);
    return rank;
}

/* Merge sorted v[0..mid) and v[mid..n) into out. */
static void merge_keys(const struct profile *p, const struct sortkey *v, size_t mid, size_t n,
                       struct sortkey *out)
{
    size_t i = 0, j = mid, k = 0;
    while (i < mid && j < n)
        out[k++] = key_cmp(p, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < mid)
        out[k++] = v[i++];
    while (j < n)
        out[k++] = v[j++];
}

/* Sort v[0..n) (stable; tmp holds n), runs of 16 by insertion first. */
static void sort_keys(const struct profile *p, struct sortkey *v, struct sortkey *tmp, size_t n)
{
    enum { RUN = 16 };
    for (size_t s = 0; s < n; s += RUN) {
        size_t e = s + RUN < n ? s + RUN : n;
        for (size_t i = s + 1; i < e; i++) {
            struct sortkey x = v[i];
            size_t k = i;
            for (; k > s && key_cmp(p, &x, &v[k - 1]) < 0; k--)
                v[k] = v[k - 1];
            v[k] = x;
        }
    }
    struct sortkey *from = v, *to = tmp;
    for (size_t w = RUN; w < n; w *= 2) {
        for (size_t s = 0; s < n; s += 2 * w) {
            size_t mid = s + w < n ? s + w : n, e = s + 2 * w < n ? s + 2 * w : n;
            merge_keys(p, from + s, mid - s, e - s, to + s);
        }
        struct sortkey *t = from;
        from = to;
        to = t;
    }
    if (from != v)
        memcpy(v, from, n * sizeof *v);
}

/* profile_order's two steps, each over a range of conversations or keys,
 * half of it on a worker thread when there is one. */
struct order_job {
    struct profile *p;
    int step;                /* 0: rowinfo and values; 1: sort keys */
    size_t from, to;
    struct sortkey *v, *tmp;
};

/* The service of a conversation's connections to a public resolver, from
 * its transports and ports (every pair, as the conversation keeps them
 * apart), the most specific first (853, then 443, then 53); *prov set.
 * BYPASS_NONE when none reaches one. */
static enum bypass bypass_of(const struct profile *p, const struct conv *c, struct slice *prov)
{
    static const enum bypass pref[] = {BYPASS_DOT, BYPASS_DOQ, BYPASS_DOH, BYPASS_DNS};
    enum bypass best = BYPASS_NONE;
    int rank = 4;
    struct ipaddr src;
    const struct ipaddr *sp = NULL;
    const uint32_t *v = cvals_of(c);
    if (p->res == NULL || c->kind != KIND_CONV || !c->has_ip || c->conns == 0)
        return BYPASS_NONE;
    for (uint32_t i = 0; i < c->nv; i++) {
        if ((v[i] & 3) != V_TRANSPORT)
            continue;
        struct slice t = strtab_get(p->str, v[i] >> 2);
        unsigned proto = slice_eq_cstr(t, "tcp") ? 6 : slice_eq_cstr(t, "udp") ? 17 : 0;
        for (uint32_t j = 0; proto && j < c->nv; j++) {
            uint64_t port;
            if ((v[j] & 3) != V_PORT ||
                num_parse_u64(strtab_get(p->str, v[j] >> 2), 0, 65535, &port) != 0 ||
                resolvers_kind(proto, (unsigned)port) == BYPASS_NONE)
                continue;
            if (sp == NULL && ipaddr_parse(strtab_get(p->str, c->client), &src) == 0)
                sp = &src;
            struct slice pv;
            enum bypass k = resolvers_match(p->res, sp, &c->ip, proto, (unsigned)port, &pv);
            for (int r = 0; k != BYPASS_NONE && r < rank; r++)
                if (pref[r] == k) {
                    best = k;
                    rank = r;
                    *prov = pv;
                }
        }
    }
    return best;
}

/* Per conversation: its values sorted, its proxy aggregate and its active
 * hours.  Reads other conversations' keys and hours only. */
static void order_prepare(struct profile *p, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        struct conv *c = CONV(p, i);
        long k = -1;
        sort_vals(p, c);
        if (c->kind == KIND_CONV && c->name != 0)
            k = find(p, KIND_PROXY, c->client, c->name, NULL);
        if (k >= 0)
            p->ri[i].pconv = (uint32_t)k + 1;
        union_hours(c, k >= 0 ? CONV(p, k) : NULL, &p->ri[i]);
        struct beacon_stats bs;
        beacon_get(p->bc, BSLOT(p, i), &bs);
        p->ri[i].gaps = bs.gaps > UINT32_MAX ? UINT32_MAX : (uint32_t)bs.gaps;
        p->ri[i].median = (float)bs.median;
        p->ri[i].mad = (float)bs.mad;
        struct slice prov;
        p->ri[i].hod |= (bs.stream == BEACON_CONNS ? RI_CONNS : 0) |
                        (bs.unordered ? RI_UNORDERED : 0) |
                        (uint32_t)bypass_of(p, c, &prov) << RI_BYPASS_SHIFT;
    }
}

static int order_run(void *ctx, void *job)
{
    struct order_job *j = job;
    (void)ctx;
    if (j->step == 0)
        order_prepare(j->p, j->from, j->to);
    else
        sort_keys(j->p, j->v + j->from, j->tmp + j->from, j->to - j->from);
    return 0;
}

/* Run step over [0, n): the upper half on w's thread (w NULL: all here). */
static int order_step(struct worker *w, struct order_job *j, size_t n)
{
    size_t mid = w != NULL ? n / 2 : n;
    struct order_job here = *j;
    j->from = mid;
    j->to = n;
    if (mid < n && worker_submit(w, j) != 0)
        return ERR_STATE;
    here.from = 0;
    here.to = mid;
    (void)order_run(NULL, &here);
    return mid < n && worker_wait(w) != 0 ? ERR_STATE : 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* p->nclients: the distinct clients of the conversations with lookups of
 * each name, from the (name, client) pairs sorted.  0 or ERR_NOMEM. */
static int name_counts(struct profile *p)
{
    size_t nids = strtab_count(p->str), m = 0;
    uint64_t *v = xcalloc(p->n ? p->n : 1, sizeof *v);
    xfree(p->nclients);
    p->nclients = xcalloc(nids ? nids : 1, sizeof *p->nclients);
    if (v == NULL || p->nclients == NULL) {
        xfree(v);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct conv *c = CONV(p, i);
        if (c->kind == KIND_CONV && c->name != 0 && c->lookups > 0)
            v[m++] = (uint64_t)c->name << 32 | c->client;
    }
    qsort(v, m, sizeof *v, u64_cmp);
    for (size_t i = 0; i < m; i++)
        if (i == 0 || v[i] != v[i - 1])
            p->nclients[v[i] >> 32]++;
    xfree(v);
    return 0;
}

int profile_order(struct profile *p, int nodns, int threaded, uint32_t **order, size_t *n,
                  struct err *e)
{
    size_t cap = p->n ? p->n : 1, m = 0;
    unsigned char *used = xcalloc(cap, 1);
    struct sortkey *v = xcalloc(cap, sizeof *v), *tmp = xcalloc(cap, sizeof *tmp);
    uint32_t *o = NULL;
    struct worker *w = NULL;
    int rc = ERR_NOMEM;
    xfree(p->ri);
    p->ri = xcalloc(cap, sizeof *p->ri);
    if (used == NULL || v == NULL || tmp == NULL || p->ri == NULL)
        goto done;
    /* a second thread pays off only for many rows */
    if (threaded && p->n >= 4096) {
        w = worker_new(order_run, NULL, 1, 1);
        if (w == NULL)
            goto done;
        if (!worker_threaded(w)) {
            worker_free(w);
            w = NULL;
        }
    }
    struct order_job j = {.p = p, .step = 0, .v = v, .tmp = tmp};
    if ((rc = order_step(w, &j, p->n)) != 0)
        goto done;
    if ((rc = name_counts(p)) != 0)
        goto done;
    /* proxy aggregates that a conversation takes in are not rows */
    for (size_t i = 0; i < p->n; i++)
        if (p->ri[i].pconv != 0)
            used[p->ri[i].pconv - 1] = 1;
    uint32_t *rank = client_ranks(p);
    if (rank == NULL) {
        rc = ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct conv *c = CONV(p, i);
        if (c->kind == KIND_CONV ? c->name == 0 && !nodns : used[i])
            continue;
        uint64_t k2 = (uint64_t)rank[c->client] << 32 | prefix4(strtab_get(p->str, c->name));
        v[m++] = (struct sortkey){.conns = c->conns, .k2 = k2, .conv = (uint32_t)i};
    }
    xfree(rank);
    /* two sorted halves, merged */
    j.step = 1;
    if ((rc = order_step(w, &j, m)) != 0)
        goto done;
    rc = ERR_NOMEM;
    if ((o = xcalloc(m ? m : 1, sizeof *o)) == NULL)
        goto done;
    if (w != NULL) {
        merge_keys(p, v, m / 2, m, tmp);
        memcpy(v, tmp, m * sizeof *v);
    }
    for (size_t i = 0; i < m; i++)
        o[i] = v[i].conv;
    *order = o;
    *n = m;
    rc = 0;
done:
    worker_free(w);
    xfree(used);
    xfree(v);
    xfree(tmp);
    if (rc == ERR_NOMEM)
        return err_set(e, ERR_NOMEM, "out of memory building the rows");
    if (rc)
        return err_set(e, rc, "the row order's worker failed");
    return 0;
}

/* Values in bytewise order of their text (tags mixed), so that a row's
 * lists come out sorted without a sort per row; an insertion sort, as a
 * conversation has a few. */
static void sort_vals(const struct profile *p, struct conv *c)
{
    uint32_t *v = vals_of(c);
    for (uint32_t i = 1; i < c->nv; i++) {
        uint32_t x = v[i], k = i;
        struct slice xs = strtab_get(p->str, x >> 2);
        while (k > 0 && slice_cmp(strtab_get(p->str, v[k - 1] >> 2), xs) > 0) {
            v[k] = v[k - 1];
            k--;
        }
        v[k] = x;
    }
}

/* The next value of a tag in a sorted list, from *i on. */
static int next_val(const struct profile *p, const struct conv *c, uint32_t *i, int which,
                    struct slice *out)
{
    if (c == NULL)
        return 0;
    const uint32_t *v = cvals_of(c);
    for (; *i < c->nv; (*i)++)
        if ((v[*i] & 3) == (uint32_t)which) {
            *out = strtab_get(p->str, v[(*i)++] >> 2);
            return 1;
        }
    return 0;
}

size_t profile_values(const struct profile *p, const struct profile_row *r, int which,
                      struct slice *out, size_t max, int *truncated)
{
    const struct conv *a = CONV(p, r->conv),
                      *b = r->pconv != SIZE_MAX ? CONV(p, r->pconv) : NULL;
    uint32_t ia = 0, ib = 0;
    struct slice va, vb;
    size_t n = 0;
    *truncated = (a->vtrunc >> which) & 1;
    if (b != NULL)
        *truncated |= (b->vtrunc >> which) & 1;
    /* a merge of the two sorted lists, a value in both once */
    int ha = next_val(p, a, &ia, which, &va), hb = next_val(p, b, &ib, which, &vb);
    while ((ha || hb) && n < max) {
        int c = !hb ? -1 : !ha ? 1 : slice_cmp(va, vb);
        out[n++] = c <= 0 ? va : vb;
        if (c <= 0)
            ha = next_val(p, a, &ia, which, &va);
        if (c >= 0)
            hb = next_val(p, b, &ib, which, &vb);
    }
    return n;
}

int profile_hours(const struct profile *p, int64_t earliest_us, int64_t latest_us, int64_t *h0,
                  size_t *nhours)
{
    int64_t lo, hi;
    if (!p->have_time && (earliest_us == 0 || latest_us == 0))
        return 0;
    lo = earliest_us != 0 ? earliest_us : p->tmin;
    hi = latest_us != 0 ? latest_us - 1 : p->tmax;
    if (p->have_time) {
        lo = p->tmin < lo ? p->tmin : lo;
        hi = p->tmax > hi ? p->tmax : hi;
    }
    *h0 = hour_of(lo);
    *nhours = (size_t)((int64_t)hour_of(hi) - *h0 + 1);
    return 1;
}

size_t profile_hourly(const struct profile *p, const struct profile_row *r, int64_t h0,
                      size_t nhours, uint64_t *out)
{
    size_t step = (nhours + PROFILE_SPARK_POINTS_MAX - 1) / PROFILE_SPARK_POINTS_MAX;
    size_t np = (nhours + step - 1) / step;
    const struct conv *c = CONV(p, r->conv);
    struct hourset_it it;
    uint32_t hr;
    uint64_t n;
    memset(out, 0, np * sizeof *out);
    hourset_it_init(&it, &c->hours);
    while (hourset_next(&it, &hr, &n)) {
        int64_t h = (int64_t)hr - h0;
        if (h >= 0 && (size_t)h < nhours)
            out[(size_t)h / step] += n;
    }
    return np;
}

const char *profile_path_name(enum profile_path path)
{
    static const char *const names[] = {"direct_blocked", "direct_allowed", "direct_mixed",
                                        "proxied", "proxied_and_direct", "lookup_only"};
    return names[path];
}

/* ---- the finding ------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, len;
};

static void put_bytes(struct sbuf *b, const char *p, size_t n)
{
    size_t room = b->n - 1 - b->len;  /* b->n > 0: one byte for the NUL */
    if (n > room)
        n = room;
    bytes_copy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

/* A printf for the three conversions the sentences use (%s, %.*s, %llu):
 * each row's sentence is made twice while the reply is written, and
 * vsnprintf was a tenth of dnsprofile's time.  Output is cut at b->n - 1. */
static void put(struct sbuf *b, const char *fmt, ...) ATTR_FMT(2, 3);
static void put(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        /* the literal run: formats are short, a byte loop beats strchr */
        const char *pc = f;
        while (*pc != '\0' && *pc != '%')
            pc++;
        put_bytes(b, f, (size_t)(pc - f));
        if (*pc == '\0')
            break;
        f = pc;
        if (f[1] == 's') {
            const char *v = va_arg(ap, const char *);
            put_bytes(b, v, strlen(v));
            f += 1;
        } else if (f[1] == '.' && f[2] == '*' && f[3] == 's') {
            int n = va_arg(ap, int);
            const char *v = va_arg(ap, const char *);
            put_bytes(b, v, n > 0 ? (size_t)n : 0);
            f += 3;
        } else if (f[1] == 'l' && f[2] == 'l' && f[3] == 'u') {
            char d[24];
            size_t w = num_format_u64(va_arg(ap, unsigned long long), d);
            put_bytes(b, d, w);
            f += 3;
        } else {
            put_bytes(b, "%", 1);  /* "%%" or a conversion not used here */
            f += f[1] == '%';
        }
    }
    va_end(ap);
}

static const char *times(uint64_t n) { return n == 1 ? "time" : "times"; }

/* v >= 0 rounded to a whole number. */
static unsigned long long round_u(double v) { return (unsigned long long)(v + 0.5); }

/* "every 5 minutes": the median gap in the unit that reads best. */
static void put_every(struct sbuf *b, double secs)
{
    static const struct {
        double below, unit;
        const char *one, *many;
    } u[] = {{90, 1, "second", "seconds"}, {45 * 60, 60, "minute", "minutes"},
             {36 * 3600, 3600, "hour", "hours"}, {1e300, 86400, "day", "days"}};
    size_t k = 0;
    while (secs >= u[k].below)
        k++;
    unsigned long long n = round_u(secs / u[k].unit);
    if (n <= 1)
        put(b, "every %s", u[k].one);
    else
        put(b, "every %llu %s", n, u[k].many);
}

/* " No other host resolved x." for a name only this client resolved. */
static void put_rare(struct sbuf *b, const struct profile_row *r, int q_n)
{
    if (r->lookups > 0 && r->name_clients == 1)
        put(b, " No other host resolved %.*s.", q_n, r->dns_query.p);
}

/* " x is a new name: first seen 3 hours before this host's first
 * lookup." for a row whose first lookup (connection, proxy request) is
 * within new_within of its name's first sighting (history=). */
static void put_new(struct sbuf *b, const struct profile_row *r, int q_n)
{
    static const struct {
        int64_t below, unit;
        const char *one, *many;
    } u[] = {{120, 1, "second", "seconds"}, {120 * 60, 60, "minute", "minutes"},
             {48 * 3600, 3600, "hour", "hours"}, {INT64_MAX, 86400, "day", "days"}};
    const char *what = r->lookups > 0 ? "lookup" : r->connections > 0 ? "connection"
                                                                        : "proxy request";
    if (!r->has_name_first || !r->new_name)
        return;
    int64_t secs = (r->name_ref - r->name_first) / US_PER_SEC;
    if (secs <= 0) {
        put(b, " %.*s is a new name: first seen with this host's first %s, nothing earlier in "
            "the passive DNS history.", q_n, r->dns_query.p, what);
        return;
    }
    size_t k = 0;
    while (secs >= u[k].below)
        k++;
    unsigned long long n = (unsigned long long)((secs + u[k].unit / 2) / u[k].unit);
    put(b, " %.*s is a new name: first seen %llu %s before this host's first %s.", q_n,
        r->dns_query.p, n, n == 1 ? u[k].one : u[k].many, what);
}

/* " It uses Cloudflare over HTTPS instead of the local resolver." */
static void put_bypass(struct sbuf *b, const struct profile_row *r)
{
    static const char *const how[] = {"", "directly over DNS", "over HTTPS", "over TLS",
                                      "over QUIC"};
    if (r->bypass == BYPASS_NONE)
        return;
    put(b, " It uses %.*s %s instead of the local resolver.", (int)r->bypass_provider.n,
        r->bypass_provider.p, how[r->bypass]);
}

/* " It resolved x about every 5 minutes, around the clock, on 7 days." for
 * a row whose beacon_score reaches PROFILE_BEACON_FINDING. */
static void put_rhythm(struct sbuf *b, const struct profile_row *r, int q_n)
{
    if (r->beat.gaps < 2 || r->beacon_score < PROFILE_BEACON_FINDING)
        return;
    if (r->beat.stream == BEACON_LOOKUPS)
        put(b, " It resolved %.*s about ", q_n, r->dns_query.p);
    else
        put(b, " It connected to %s about ", r->ip_text);
    put_every(b, r->beat.median);
    if (r->hours_of_day >= 24)
        put(b, ", around the clock");
    else
        put(b, ", in %llu %s of the day", (unsigned long long)r->hours_of_day,
            r->hours_of_day == 1 ? "hour" : "hours");
    put(b, ", on %llu %s, like a beacon.", (unsigned long long)r->days,
        r->days == 1 ? "day" : "days");
}

const char *const profile_extra_names[PROFILE_EXTRA_N] = {PROFILE_EXTRA_NAMES};

/* v (0 <= v, not huge) with two decimals into d; its length. */
static size_t fmt_2dp(double v, char *d)
{
    unsigned long long h = round_u(v * 100);
    size_t n = num_format_u64(h / 100, d);
    d[n++] = '.';
    d[n++] = (char)('0' + h % 100 / 10);
    d[n++] = (char)('0' + h % 10);
    return n;
}

void profile_extra(const struct profile *p, const struct profile_row *r, struct slice *cells,
                   char *buf)
{
    char *d = buf;
    (void)p;
    for (int k = 0; k < PROFILE_EXTRA_N; k++)
        cells[k] = SLICE_LIT("");
    /* the rhythm: an interval from one gap, its spread and score from two */
    if (r->beat.gaps >= 1) {
        cells[0] = slice_of(d, num_format_u64(round_u(r->beat.median), d));
        d += cells[0].n;
    }
    if (r->beat.gaps >= 2) {
        cells[1] = slice_of(d, fmt_2dp(r->beat.mad / r->beat.median, d));
        d += cells[1].n;
        cells[4] = slice_of(d, fmt_2dp(r->beacon_score, d));
        d += cells[4].n;
    }
    if (r->bypass != BYPASS_NONE) {
        cells[5] = slice_cstr(resolvers_kind_name(r->bypass));
        cells[6] = r->bypass_provider;
    }
    if (r->dns_query.n > 0) {
        cells[7] = slice_of(d, num_format_u64(r->name_clients, d));
        d += cells[7].n;
    }
    if (r->has_name_first) {
        cells[8] = slice_of(d, num_format_us(r->name_first, d));
        d += cells[8].n;
        cells[9] = r->new_name ? SLICE_LIT("true") : SLICE_LIT("false");
    }
    if (r->expected)
        cells[10] = SLICE_LIT("true");
    if (r->grace == 1)
        cells[11] = SLICE_LIT("within the first window of the search: its DNS answer may be "
                             "before it");
    else if (r->grace == 2)
        cells[11] = SLICE_LIT("within the last window of the search: its traffic may come "
                             "after it");
    else if (r->grace == 3)
        cells[11] = SLICE_LIT("a private, loopback, link-local, multicast or broadcast address "
                             "needs no DNS");
    cells[2] = slice_of(d, num_format_u64(r->days, d));
    d += cells[2].n;
    cells[3] = slice_of(d, num_format_u64(r->hours_of_day, d));
}

size_t profile_finding(const struct profile *p, const struct profile_row *r, char *out, size_t n)
{
    struct sbuf b = {out, n, 0};
    struct slice tv[4], pv[4];
    int tr1, tr2;
    char proto[64] = "";
    const char *tun = r->tunnel == TUNNEL_TEREDO ? " (Teredo)"
                      : r->tunnel == TUNNEL_6TO4 ? " (6to4)" : "";
    int src_n = (int)(r->src.n > 200 ? 200 : r->src.n);
    int q_n = (int)(r->dns_query.n > 300 ? 300 : r->dns_query.n);
    unsigned long long L = r->lookups, C = r->connections, B = r->blocked, A = r->allowed,
                       P = r->proxied;

    if (n == 0)
        return 0;
    out[0] = 0;
    size_t nt = profile_values(p, r, V_TRANSPORT, tv, 4, &tr1);
    size_t np = profile_values(p, r, V_PORT, pv, 4, &tr2);
    if (nt == 1 && !tr1 && tv[0].n < 16) {
        char up[16];
        for (size_t i = 0; i < tv[0].n; i++)
            up[i] = (char)(tv[0].p[i] >= 'a' && tv[0].p[i] <= 'z' ? tv[0].p[i] - 32 : tv[0].p[i]);
        if (np == 1 && !tr2 && pv[0].n < 16)
            snprintf(proto, sizeof proto, "%.*s/%.*s ", (int)tv[0].n, up, (int)pv[0].n, pv[0].p);
        else
            snprintf(proto, sizeof proto, "%.*s ", (int)tv[0].n, up);
    }

    if (r->path == PATH_LOOKUP_ONLY) {
        put(&b, "%.*s resolved %.*s to %s %llu %s but sent no traffic to that address%s.", src_n,
            r->src.p, q_n, r->dns_query.p, r->ip_text, L, times(L), tun);
        put_rare(&b, r, q_n);
        put_new(&b, r, q_n);
        put_rhythm(&b, r, q_n);
        return b.len;
    }
    if (r->path == PATH_PROXIED) {
        put(&b, "%.*s reached %.*s only through the proxy (%llu %s)", src_n, r->src.p, q_n,
            r->dns_query.p, P, P == 1 ? "request" : "requests");
        if (L > 0)
            put(&b, " although it also resolved it to %s %llu %s", r->ip_text, L, times(L));
        put(&b, ", so it is proxy-aware for this name%s.", tun);
        put_rare(&b, r, q_n);
        put_new(&b, r, q_n);
        put_rhythm(&b, r, q_n);
        return b.len;
    }
    /* direct traffic */
    if (L > 0)
        put(&b, "%.*s resolved %.*s %llu %s and then sent %llu %spackets straight to %s",
            src_n, r->src.p, q_n, r->dns_query.p, L, times(L), C, proto, r->ip_text);
    else if (r->dns_query.n > 0)
        put(&b, "%.*s sent %llu %spackets straight to %s, an address of %.*s that another "
            "client resolved", src_n, r->src.p, C, proto, r->ip_text, q_n, r->dns_query.p);
    else
        put(&b, "%.*s sent %llu %spackets straight to %s, an address that was in no DNS answer "
            "within the window%s", src_n, r->src.p, C, proto, r->ip_text,
            r->tunnel == TUNNEL_TEREDO ? " (a Teredo client also uses its server's next "
                                         "address, primary + 1)" : "");
    if (B == C)
        put(&b, ", all blocked");
    else if (B == 0 && A == C)
        put(&b, ", all allowed");
    else if (B == 0)
        put(&b, ", none blocked");
    else
        put(&b, ", %llu blocked and %llu allowed", B, A);
    if (L > 0) {
        uint64_t tenths = (C * 20 + L) / (2 * L);
        put(&b, " (%llu.%llu per lookup)", (unsigned long long)(tenths / 10),
            (unsigned long long)(tenths % 10));
    }
    if (P > 0)
        put(&b, "; it also made %llu %s for this name through the proxy, so part of its traffic "
            "bypasses the proxy%s.", P, P == 1 ? "request" : "requests", tun);
    else if (B == C)
        put(&b, "; it never used the proxy for this %s, so it is not proxy-aware for this "
            "traffic%s.", r->dns_query.n ? "name" : "address", tun);
    else
        put(&b, "; it never used the proxy for this %s and went around it%s.",
            r->dns_query.n ? "name" : "address", tun);
    put_rare(&b, r, q_n);
    put_new(&b, r, q_n);
    put_bypass(&b, r);
    put_rhythm(&b, r, q_n);
    return b.len;
}
