#include "report/strtab.h"

#include <string.h>

#include "util/xmem.h"

/* Strings live in large blocks that never move, so a returned view stays
 * valid while the table grows. */
#define STRTAB_BLOCK (64u * 1024)

struct sblock {
    struct sblock *next;
    size_t used, cap;
    char data[];
};

struct strtab {
    struct slice *s;       /* OWNED array: id -> view into a block */
    uint32_t *hash;        /* OWNED: the value's hash per id (cheap rehash) */
    size_t n, cap, max;
    uint32_t *slots;       /* OWNED open-addressing table of id + 1 (0 = empty) */
    size_t nslots;         /* power of two */
    struct sblock *blocks; /* OWNED list */
};

static uint32_t hash_bytes(struct slice s)
{
    /* FNV-1a, then a final mix so the low bits used for the slot spread. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.n; i++)
        h = (h ^ (unsigned char)s.p[i]) * 16777619u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h;
}

struct strtab *strtab_new(size_t max)
{
    struct strtab *t = xcalloc(1, sizeof *t);
    uint32_t id;
    if (t == NULL)
        return NULL;
    t->max = max + 1;
    if (strtab_intern(t, SLICE_LIT(""), &id)) {
        strtab_free(t);
        return NULL;
    }
    return t;
}

void strtab_free(struct strtab *t)
{
    if (t == NULL)
        return;
    while (t->blocks) {
        struct sblock *b = t->blocks;
        t->blocks = b->next;
        xfree(b);
    }
    xfree(t->s);
    xfree(t->hash);
    xfree(t->slots);
    xfree(t);
}

static const char *store(struct strtab *t, struct slice s)
{
    struct sblock *b = t->blocks;
    if (b == NULL || b->cap - b->used < s.n) {
        size_t cap = s.n > STRTAB_BLOCK ? s.n : STRTAB_BLOCK;
        b = xmalloc(sizeof *b + cap);
        if (b == NULL)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = t->blocks;
        t->blocks = b;
    }
    char *p = b->data + b->used;
    if (s.n)
        memcpy(p, s.p, s.n);
    b->used += s.n;
    return p;
}

static int grow_slots(struct strtab *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 64;
    uint32_t *sl = xcalloc(n, sizeof *sl);
    if (sl == NULL)
        return ERR_NOMEM;
    for (size_t id = 0; id < t->n; id++) {
        size_t k = t->hash[id] & (n - 1);
        while (sl[k])
            k = (k + 1) & (n - 1);
        sl[k] = (uint32_t)id + 1;
    }
    xfree(t->slots);
    t->slots = sl;
    t->nslots = n;
    return 0;
}

uint32_t strtab_find(const struct strtab *t, struct slice s)
{
    if (t->nslots == 0)
        return UINT32_MAX;
    uint32_t h = hash_bytes(s);
    for (size_t k = h & (t->nslots - 1); t->slots[k]; k = (k + 1) & (t->nslots - 1)) {
        uint32_t id = t->slots[k] - 1;
        if (t->hash[id] == h && slice_eq(t->s[id], s))
            return id;
    }
    return UINT32_MAX;
}

int strtab_intern(struct strtab *t, struct slice s, uint32_t *id)
{
    uint32_t found = strtab_find(t, s);
    if (found != UINT32_MAX) {
        *id = found;
        return 0;
    }
    if (t->n >= t->max)
        return ERR_LIMIT;
    /* keep the load under one half */
    if ((t->n + 1) * 2 > t->nslots && grow_slots(t))
        return ERR_NOMEM;
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 64;
        struct slice *ns = xreallocarray(t->s, c, sizeof *ns);
        if (ns == NULL)
            return ERR_NOMEM;
        t->s = ns;
        uint32_t *nh = xreallocarray(t->hash, c, sizeof *nh);
        if (nh == NULL)
            return ERR_NOMEM;
        t->hash = nh;
        t->cap = c;
    }
    const char *p = store(t, s);
    if (p == NULL)
        return ERR_NOMEM;
    uint32_t h = hash_bytes(s);
    t->s[t->n] = slice_of(p, s.n);
    t->hash[t->n] = h;
    size_t k = h & (t->nslots - 1);
    while (t->slots[k])
        k = (k + 1) & (t->nslots - 1);
    t->slots[k] = (uint32_t)t->n + 1;
    *id = (uint32_t)t->n++;
    return 0;
}

struct slice strtab_get(const struct strtab *t, uint32_t id)
{
    return id < t->n ? t->s[id] : SLICE_NULL;
}

void strtab_prefetch(const struct strtab *t, uint32_t id, int text)
{
    if (id >= t->n)
        return;
    if (text)
        __builtin_prefetch(t->s[id].p);
    else
        __builtin_prefetch(&t->s[id]);
}

size_t strtab_count(const struct strtab *t) { return t->n; }
