#include "join/iptab.h"

#include <string.h>

#include "limits.h"
#include "util/bytes.h"
#include "util/xmem.h"

/* Per-address list of sequence numbers, oldest first from `head`. */
struct ipent {
    struct ipaddr ip;
    uint64_t *seq;   /* OWNED */
    uint32_t head, n, cap;
};

/* Records' text, in blocks filled and emptied in arrival order: records
 * leave oldest first, so a block is empty once its last record has left. */
struct tblk {
    struct tblk *next;
    uint64_t end;         /* sequence number after its last record */
    size_t used, cap;
    char data[];
};

/* A block's bytes; a longer record's text gets a block of its own. */
#define TBLK_BYTES (64u * 1024)

struct iptab {
    struct rec *ring;     /* OWNED: record of sequence s at s & (cap - 1) */
    size_t cap;           /* power of two */
    uint64_t first, next; /* sequence numbers held: [first, next) */
    struct ipent *ents;   /* OWNED */
    size_t nents, ents_cap;
    uint32_t *slots;      /* OWNED: hash slots -> entry index + 1 (0 = empty) */
    size_t nslots;
    struct tblk *head, *tail; /* OWNED list: blocks with records held */
    struct tblk *retired;     /* OWNED list: emptied blocks a reply may still
                               * point into */
    struct tblk *spare;       /* OWNED: one emptied block kept for reuse */
};

static void free_blocks(struct tblk *b)
{
    while (b != NULL) {
        struct tblk *next = b->next;
        xfree(b);
        b = next;
    }
}

void iptab_flush_retired(struct iptab *t)
{
    while (t->retired != NULL) {
        struct tblk *b = t->retired;
        t->retired = b->next;
        if (t->spare == NULL && b->cap == TBLK_BYTES) {
            b->next = NULL;
            t->spare = b;
        } else {
            xfree(b);
        }
    }
}

/* Room for n bytes of record seq's text; NULL when out of memory. */
static char *text_alloc(struct iptab *t, size_t n, uint64_t seq)
{
    struct tblk *b = t->tail;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > TBLK_BYTES ? n : TBLK_BYTES;
        if (cap == TBLK_BYTES && t->spare != NULL) {
            b = t->spare;
            t->spare = NULL;
        } else {
            b = xmalloc(sizeof *b + cap);
            if (b == NULL)
                return NULL;
            b->cap = cap;
        }
        b->next = NULL;
        b->used = 0;
        if (t->tail != NULL)
            t->tail->next = b;
        else
            t->head = b;
        t->tail = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    b->end = seq + 1;
    return p;
}

/* Blocks whose records have all left go to the retired list. */
static void retire_blocks(struct iptab *t)
{
    while (t->head != NULL && t->head->end <= t->first) {
        struct tblk *b = t->head;
        t->head = b->next;
        if (t->tail == b)
            t->tail = NULL;
        b->next = t->retired;
        t->retired = b;
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
    free_blocks(t->head);
    free_blocks(t->retired);
    free_blocks(t->spare);
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
              struct slice client, const struct ipaddr *client_ip, struct slice ttext)
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
    char *w = text_alloc(t, name.n + client.n + ttext.n, t->next);
    if (w == NULL)
        return ERR_NOMEM;
    r = &t->ring[t->next & (t->cap - 1)];
    memset(r, 0, sizeof *r);
    r->text = w;
    bytes_copy(w, name.p, name.n);
    bytes_copy(w + name.n, client.p, client.n);
    bytes_copy(w + name.n + client.n, ttext.p, ttext.n);
    r->name_n = (uint32_t)name.n;
    r->client_n = (uint32_t)client.n;
    r->ttext_n = (uint32_t)ttext.n;
    r->ip = *ip;
    r->t = time_us;
    r->client_is_ip = client_ip != NULL;
    if (client_ip != NULL)
        r->client_ip = *client_ip;
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
    r->text = NULL;
    t->first++;
    retire_blocks(t);
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
