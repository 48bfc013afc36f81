#include "join/iptab.h"

#include <string.h>

#include "limits.h"
#include "util/xmem.h"

/* Per-address list of sequence numbers, oldest first from `head`. */
struct ipent {
    struct ipaddr ip;
    uint64_t *seq;   /* OWNED */
    uint32_t head, n, cap;
};

struct iptab {
    struct rec *ring;     /* OWNED: record of sequence s at s & (cap - 1) */
    size_t cap;           /* power of two */
    uint64_t first, next; /* sequence numbers held: [first, next) */
    struct ipent *ents;   /* OWNED */
    size_t nents, ents_cap;
    uint32_t *slots;      /* OWNED: hash slots -> entry index + 1 (0 = empty) */
    size_t nslots;
    char *retired;        /* OWNED list of evicted records' buffers, linked
                           * through their first word (REC_TEXT_OFF) */
};

/* A record's strings come after one pointer (REC_TEXT_OFF), which links
 * them into the retired list once the record is evicted: retiring never
 * allocates, so it cannot fail. */

void iptab_flush_retired(struct iptab *t)
{
    while (t->retired != NULL) {
        char *next;
        memcpy(&next, t->retired, sizeof next);
        xfree(t->retired);
        t->retired = next;
    }
}

struct iptab *iptab_new(void)
{
    struct iptab *t = xcalloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->nslots = 1024;
    t->slots = xcalloc(t->nslots, sizeof *t->slots);
    t->cap = 1024;
    t->ring = xcalloc(t->cap, sizeof *t->ring);
    if (t->slots == NULL || t->ring == NULL) {
        iptab_free(t);
        return NULL;
    }
    return t;
}

void iptab_free(struct iptab *t)
{
    if (t == NULL)
        return;
    for (uint64_t s = t->first; t->ring != NULL && s < t->next; s++)
        xfree(t->ring[s & (t->cap - 1)].buf);
    iptab_flush_retired(t);
    for (size_t i = 0; i < t->nents; i++)
        xfree(t->ents[i].seq);
    xfree(t->ents);
    xfree(t->slots);
    xfree(t->ring);
    xfree(t);
}

size_t iptab_count(const struct iptab *t) { return (size_t)(t->next - t->first); }

static size_t find_slot(const struct iptab *t, const struct ipaddr *ip)
{
    size_t mask = t->nslots - 1, i = (size_t)ipaddr_hash(ip) & mask;
    while (t->slots[i] != 0 && !ipaddr_eq(&t->ents[t->slots[i] - 1].ip, ip))
        i = (i + 1) & mask;
    return i;
}

static struct ipent *find(const struct iptab *t, const struct ipaddr *ip)
{
    uint32_t k = t->slots[find_slot(t, ip)];
    return k ? &t->ents[k - 1] : NULL;
}

/* Rebuild the hash, dropping addresses with no record left, so the table
 * follows the addresses in the window rather than all ever seen. */
static int rehash(struct iptab *t)
{
    size_t live = 0;
    for (size_t i = 0; i < t->nents; i++) {
        if (t->ents[i].n == t->ents[i].head) {
            xfree(t->ents[i].seq);
            continue;
        }
        t->ents[live++] = t->ents[i];
    }
    t->nents = live;
    size_t ns = 1024;
    while (ns < 4 * (live + 1))
        ns *= 2;
    uint32_t *nsl = xcalloc(ns, sizeof *nsl);
    if (nsl == NULL)
        return ERR_NOMEM;
    xfree(t->slots);
    t->slots = nsl;
    t->nslots = ns;
    for (size_t i = 0; i < live; i++)
        t->slots[find_slot(t, &t->ents[i].ip)] = (uint32_t)(i + 1);
    return 0;
}

static struct ipent *find_or_add(struct iptab *t, const struct ipaddr *ip)
{
    size_t s = find_slot(t, ip);
    if (t->slots[s])
        return &t->ents[t->slots[s] - 1];
    if ((t->nents + 1) * 2 > t->nslots) {
        if (rehash(t))
            return NULL;
        s = find_slot(t, ip);
        if (t->slots[s])
            return &t->ents[t->slots[s] - 1];
    }
    if (t->nents == t->ents_cap) {
        size_t nc = t->ents_cap ? t->ents_cap * 2 : 1024;
        struct ipent *ne = xreallocarray(t->ents, nc, sizeof *ne);
        if (ne == NULL)
            return NULL;
        t->ents = ne;
        t->ents_cap = nc;
    }
    struct ipent *e = &t->ents[t->nents];
    memset(e, 0, sizeof *e);
    e->ip = *ip;
    t->slots[s] = (uint32_t)++t->nents;
    return e;
}

static int grow_ring(struct iptab *t)
{
    size_t nc = t->cap * 2;
    struct rec *nr = xcalloc(nc, sizeof *nr);
    if (nr == NULL)
        return ERR_NOMEM;
    for (uint64_t s = t->first; s < t->next; s++)
        nr[s & (nc - 1)] = t->ring[s & (t->cap - 1)];
    xfree(t->ring);
    t->ring = nr;
    t->cap = nc;
    return 0;
}

int iptab_add(struct iptab *t, const struct ipaddr *ip, int64_t time_us, struct slice name,
              struct slice client, struct slice ttext)
{
    struct ipent *e;
    struct rec *r;

    if (iptab_count(t) >= JOIN_RECORDS_MAX)
        return ERR_LIMIT;
    if (iptab_count(t) == t->cap && grow_ring(t))
        return ERR_NOMEM;
    e = find_or_add(t, ip);
    if (e == NULL)
        return ERR_NOMEM;
    if (e->n - e->head >= JOIN_ANSWERS_PER_IP_MAX)
        return ERR_LIMIT;
    if (e->n == e->cap) {
        if (e->head > e->cap / 2) {
            /* slide the live part down instead of growing */
            memmove(e->seq, e->seq + e->head, (e->n - e->head) * sizeof *e->seq);
            e->n -= e->head;
            e->head = 0;
        } else {
            uint32_t nc = e->cap ? e->cap * 2 : 4;
            uint64_t *ns = xreallocarray(e->seq, nc, sizeof *ns);
            if (ns == NULL)
                return ERR_NOMEM;
            e->seq = ns;
            e->cap = nc;
        }
    }
    r = &t->ring[t->next & (t->cap - 1)];
    memset(r, 0, sizeof *r);
    r->buf = xmalloc(REC_TEXT_OFF + name.n + client.n + ttext.n + 1);
    if (r->buf == NULL)
        return ERR_NOMEM;
    char *w = r->buf + REC_TEXT_OFF;
    if (name.n)
        memcpy(w, name.p, name.n);
    if (client.n)
        memcpy(w + name.n, client.p, client.n);
    if (ttext.n)
        memcpy(w + name.n + client.n, ttext.p, ttext.n);
    r->name_n = (uint32_t)name.n;
    r->client_n = (uint32_t)client.n;
    r->ttext_n = (uint32_t)ttext.n;
    r->ip = *ip;
    r->t = time_us;
    r->client_is_ip = client.n > 0 && ipaddr_parse(client, &r->client_ip) == 0;
    e->seq[e->n++] = t->next++;
    return 0;
}

const struct rec *iptab_it_next(const struct iptab *t, struct iptab_it *it)
{
    const struct ipent *e = it->ent;
    if (e == NULL || e->head + it->i >= e->n)
        return NULL;
    uint64_t s = e->seq[e->head + it->i++];
    return &t->ring[s & (t->cap - 1)];
}

const struct rec *iptab_first(const struct iptab *t, const struct ipaddr *ip, struct iptab_it *it)
{
    it->ent = find(t, ip);
    it->i = 0;
    return iptab_it_next(t, it);
}

const struct rec *iptab_oldest(const struct iptab *t)
{
    if (t->first == t->next)
        return NULL;
    return &t->ring[t->first & (t->cap - 1)];
}

void iptab_pop(struct iptab *t)
{
    struct rec *r;
    struct ipent *e;
    if (t->first == t->next)
        return;
    r = &t->ring[t->first & (t->cap - 1)];
    e = find(t, &r->ip);
    /* Per-address order is global arrival order, so it is at the front. */
    if (e != NULL && e->head < e->n && e->seq[e->head] == t->first) {
        e->head++;
        if (e->head == e->n)
            e->head = e->n = 0;
    }
    memcpy(r->buf, &t->retired, sizeof t->retired);
    t->retired = r->buf;
    r->buf = NULL;
    t->first++;
}

void iptab_clear(struct iptab *t)
{
    while (t->first != t->next)
        iptab_pop(t);
    for (size_t i = 0; i < t->nents; i++)
        xfree(t->ents[i].seq);
    xfree(t->ents);
    t->ents = NULL;
    t->nents = t->ents_cap = 0;
    /* back to the size of a new table, when that can be had */
    uint32_t *nsl = xcalloc(1024, sizeof *nsl);
    struct rec *nr = xcalloc(1024, sizeof *nr);
    if (nsl != NULL) {
        xfree(t->slots);
        t->slots = nsl;
        t->nslots = 1024;
    } else {
        memset(t->slots, 0, t->nslots * sizeof *t->slots);
    }
    if (nr != NULL) {
        xfree(t->ring);
        t->ring = nr;
        t->cap = 1024;
    }
}
