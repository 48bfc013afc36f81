#include "scp/cols.h"

#include <string.h>

#include "limits.h"
#include "util/xmem.h"

struct col {
    char *name;        /* OWNED */
    size_t len;
    uint32_t mv;       /* id of "__mv_<name>", or COL_NONE until asked */
    uint32_t plain;    /* for an __mv_ column, the plain id once known */
    int is_mv;
};

struct cols {
    struct col *v;     /* OWNED: id -> column */
    size_t n, cap;
    uint32_t *slots;   /* OWNED: open addressing, COL_NONE = empty */
    size_t nslots;     /* power of two */
};

static uint64_t hash_bytes(const char *p, size_t n)
{
    /* FNV-1a: header names are short and few; simplicity wins here. */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct cols *cols_new(void)
{
    struct cols *c = xcalloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->nslots = 256;
    c->slots = xmalloc(c->nslots * sizeof *c->slots);
    if (c->slots == NULL) {
        xfree(c);
        return NULL;
    }
    memset(c->slots, 0xff, c->nslots * sizeof *c->slots);
    return c;
}

void cols_free(struct cols *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        xfree(c->v[i].name);
    xfree(c->v);
    xfree(c->slots);
    xfree(c);
}

static size_t slot_of(const struct cols *c, const char *p, size_t n)
{
    size_t mask = c->nslots - 1;
    size_t i = (size_t)hash_bytes(p, n) & mask;
    for (;;) {
        uint32_t id = c->slots[i];
        if (id == COL_NONE)
            return i;
        if (c->v[id].len == n && memcmp(c->v[id].name, p, n) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int grow_slots(struct cols *c)
{
    size_t nn = c->nslots * 2;
    uint32_t *ns = xmalloc(nn * sizeof *ns);
    if (ns == NULL)
        return ERR_NOMEM;
    memset(ns, 0xff, nn * sizeof *ns);
    xfree(c->slots);
    c->slots = ns;
    c->nslots = nn;
    for (size_t id = 0; id < c->n; id++)
        c->slots[slot_of(c, c->v[id].name, c->v[id].len)] = (uint32_t)id;
    return 0;
}

uint32_t cols_find(const struct cols *c, struct slice name)
{
    return c->slots[slot_of(c, name.p ? name.p : "", name.n)];
}

int cols_intern(struct cols *c, struct slice name, uint32_t *id)
{
    const char *p = name.p ? name.p : "";
    size_t s = slot_of(c, p, name.n);
    struct col *col;

    if (c->slots[s] != COL_NONE) {
        *id = c->slots[s];
        return 0;
    }
    /* "__mv_" + a name of CSV_NAME_MAX bytes is still that name's companion */
    if (name.n > CSV_NAME_MAX + 5 ||
        (name.n > CSV_NAME_MAX && memcmp(p, "__mv_", 5) != 0) || c->n >= COLS_INTERN_MAX)
        return ERR_LIMIT;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct col *nv = xreallocarray(c->v, ncap, sizeof *nv);
        if (nv == NULL)
            return ERR_NOMEM;
        c->v = nv;
        c->cap = ncap;
    }
    col = &c->v[c->n];
    col->name = xstrndup(p, name.n);
    if (col->name == NULL)
        return ERR_NOMEM;
    col->len = name.n;
    col->mv = COL_NONE;
    col->plain = COL_NONE;
    col->is_mv = name.n > 5 && memcmp(p, "__mv_", 5) == 0;
    c->slots[s] = (uint32_t)c->n;
    *id = (uint32_t)c->n++;
    if (c->n * 2 > c->nslots) {
        int rc = grow_slots(c);
        if (rc)
            return rc;
    }
    if (col->is_mv) {
        /* Link with the plain name if it is already known. */
        uint32_t pid = cols_find(c, slice_of(c->v[*id].name + 5, c->v[*id].len - 5));
        if (pid != COL_NONE) {
            c->v[*id].plain = pid;
            c->v[pid].mv = *id;
        }
    } else {
        char tmp[5 + 256];
        if (name.n <= 256) {
            memcpy(tmp, "__mv_", 5);
            memcpy(tmp + 5, p, name.n);
            uint32_t mid = cols_find(c, slice_of(tmp, 5 + name.n));
            if (mid != COL_NONE) {
                c->v[*id].mv = mid;
                c->v[mid].plain = *id;
            }
        }
    }
    return 0;
}

struct slice cols_name(const struct cols *c, uint32_t id)
{
    if (id >= c->n)
        return SLICE_NULL;
    return slice_of(c->v[id].name, c->v[id].len);
}

int cols_mv_of(struct cols *c, uint32_t id, uint32_t *mv_id)
{
    char *tmp;
    int rc;

    if (id >= c->n || c->v[id].is_mv) {
        *mv_id = COL_NONE;
        return 0;
    }
    if (c->v[id].mv != COL_NONE) {
        *mv_id = c->v[id].mv;
        return 0;
    }
    tmp = xmalloc(c->v[id].len + 5);
    if (tmp == NULL)
        return ERR_NOMEM;
    memcpy(tmp, "__mv_", 5);
    memcpy(tmp + 5, c->v[id].name, c->v[id].len);
    rc = cols_intern(c, slice_of(tmp, c->v[id].len + 5), mv_id);
    xfree(tmp);
    if (rc)
        return rc;
    c->v[id].mv = *mv_id;
    c->v[*mv_id].plain = id;
    return 0;
}

int cols_is_mv(const struct cols *c, uint32_t id)
{
    return id < c->n && c->v[id].is_mv;
}

uint32_t cols_plain_of(const struct cols *c, uint32_t mv_id)
{
    if (mv_id >= c->n || !c->v[mv_id].is_mv)
        return COL_NONE;
    if (c->v[mv_id].plain != COL_NONE)
        return c->v[mv_id].plain;
    return cols_find(c, slice_of(c->v[mv_id].name + 5, c->v[mv_id].len - 5));
}

size_t cols_count(const struct cols *c) { return c->n; }
