#include "report/beacon.h"

#include <string.h>

#include "util/xmem.h"

#define TICKS_PER_SEC 16
#define US_PER_TICK (1000000 / TICKS_PER_SEC)
#define SUB_BITS 5               /* 32 buckets per doubling */
#define STREAM_BIT 0x80000000u

struct entry {
    uint32_t lo, hi, n;          /* smallest and largest gap (s), how many */
};

struct sketch {
    uint64_t gaps;
    uint8_t shift;               /* buckets merged 2^shift at a time */
    int8_t dir;                  /* 0 not known yet, 1 oldest first, -1 newest first */
    uint8_t unordered;
    uint8_t n, cap;              /* entries used / allocated */
    uint8_t hit;                 /* the entry the last gap went to: a steady
                                  * rhythm hits it again */
    struct entry e[];            /* by bucket, ascending */
};

/* Sketches come from pages of the store, by size class (2 and 4
 * entries), with a free list per class for the ones outgrown: most
 * conversations with gaps have one or two buckets, and a malloc each cost
 * more than the counting. */
#define PAGE_BYTES (64u * 1024)
#define CLASSES 2
/* A slot names its sketch by page and 8-byte unit within it, plus one:
 * 31 bits hold 2^18 pages (16 GiB of sketches, far past
 * REPORT_CONVERSATIONS_MAX of the largest). */
#define UNIT_BITS 13
#define PAGES_MAX (1u << (31 - UNIT_BITS))

struct beacon {
    int have_base;
    int64_t base;                /* microseconds: the first event's time */
    char **pages;                /* OWNED array of OWNED */
    size_t npages, pages_cap, used;  /* used: bytes of the last page taken */
    uint32_t free[CLASSES];      /* outgrown sketches' handles, each holding the next */
};

struct beacon *beacon_new(void) { return xcalloc(1, sizeof(struct beacon)); }

void beacon_free(struct beacon *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->npages; i++)
        xfree(b->pages[i]);
    xfree(b->pages);
    xfree(b);
}

static size_t class_bytes(unsigned c)
{
    return sizeof(struct sketch) + (2u << c) * sizeof(struct entry);
}

/* The sketch of handle h (stream bit ignored; h names one). */
static struct sketch *sketch_at(const struct beacon *b, uint32_t h)
{
    h = (h & ~STREAM_BIT) - 1;
    return (struct sketch *)(void *)(b->pages[h >> UNIT_BITS] +
                                     (size_t)(h & ((1u << UNIT_BITS) - 1)) * 8);
}

/* A sketch of class c (2 << c entries), contents undefined: its handle,
 * 0 when out of memory. */
static uint32_t take(struct beacon *b, unsigned c)
{
    size_t n = (class_bytes(c) + 7) & ~(size_t)7;
    uint32_t h = b->free[c];
    if (h != 0) {
        memcpy(&b->free[c], sketch_at(b, h), sizeof h);
        return h;
    }
    if (b->npages == 0 || b->used + n > PAGE_BYTES) {
        if (b->npages == PAGES_MAX)
            return 0;
        if (b->npages == b->pages_cap) {
            size_t nc = b->pages_cap ? b->pages_cap * 2 : 16;
            char **v = xreallocarray(b->pages, nc, sizeof *v);
            if (v == NULL)
                return 0;
            b->pages = v;
            b->pages_cap = nc;
        }
        if ((b->pages[b->npages] = xmalloc(PAGE_BYTES)) == NULL)
            return 0;
        b->npages++;
        b->used = 0;
    }
    h = (uint32_t)((b->npages - 1) << UNIT_BITS | b->used / 8) + 1;
    b->used += n;
    return h;
}

static void give_back(struct beacon *b, uint32_t h, unsigned c)
{
    memcpy(sketch_at(b, h), &b->free[c], sizeof h);
    b->free[c] = h & ~STREAM_BIT;
}

size_t beacon_bytes(const struct beacon *b) { return b->npages * PAGE_BYTES; }

/* The bucket of g >= 1 seconds at shift 0: 32 per doubling, so a bucket
 * spans at most 1/32 of its lower end (below 32 s every second is one). */
static unsigned bucket_of(uint32_t g)
{
    unsigned e = 31u - (unsigned)__builtin_clz(g);
    unsigned sub = e >= SUB_BITS ? (g >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1)
                                 : (g - (1u << e)) << (SUB_BITS - e);
    return e << SUB_BITS | sub;
}

/* A new sketch's handle, 0 when out of memory. */
static uint32_t sketch_new(struct beacon *b)
{
    uint32_t h = take(b, 0);
    if (h == 0)
        return 0;
    struct sketch *k = sketch_at(b, h);
    memset(k, 0, sizeof *k);
    k->cap = 2;
    return h;
}

/* Merge the buckets in pairs (shift + 1). */
static void coarsen(struct sketch *k)
{
    size_t m = 0;
    k->shift++;
    for (size_t i = 0; i < k->n; i++) {
        if (m > 0 && bucket_of(k->e[m - 1].lo) >> k->shift == bucket_of(k->e[i].lo) >> k->shift) {
            k->e[m - 1].hi = k->e[i].hi;
            k->e[m - 1].n += k->e[i].n;
        } else {
            k->e[m++] = k->e[i];
        }
    }
    k->n = (uint8_t)m;
    k->hit = 0;
}

/* Count gap g (>= 1 s) in s's sketch, which may move (grown). */
static int sketch_add(struct beacon *b, struct beacon_slot *s, uint32_t g)
{
    struct sketch *k = sketch_at(b, s->sk);
    if (k->n > 0) {
        struct entry *x = &k->e[k->hit];
        if (g >= x->lo && g <= x->hi) {
            x->n += x->n < UINT32_MAX;
            k->gaps++;
            return 0;
        }
    }
    for (;;) {
        unsigned id = bucket_of(g) >> k->shift;
        size_t i = 0;
        while (i < k->n && bucket_of(k->e[i].lo) >> k->shift < id)
            i++;
        if (i < k->n && bucket_of(k->e[i].lo) >> k->shift == id) {
            struct entry *x = &k->e[i];
            x->lo = g < x->lo ? g : x->lo;
            x->hi = g > x->hi ? g : x->hi;
            x->n += x->n < UINT32_MAX;
            k->gaps++;
            k->hit = (uint8_t)i;
            return 0;
        }
        if (k->n == BEACON_ENTRIES_MAX) {
            coarsen(k);
            continue;
        }
        if (k->n == k->cap) {
            /* the next class: cap 2 << c */
            unsigned c = (unsigned)__builtin_ctz(k->cap) - 1;
            uint32_t nh = take(b, c + 1);
            if (nh == 0)
                return ERR_NOMEM;
            k = sketch_at(b, s->sk);  /* the pages array may have moved */
            struct sketch *nk = sketch_at(b, nh);
            memcpy(nk, k, class_bytes(c));
            give_back(b, s->sk, c);
            s->sk = (s->sk & STREAM_BIT) | nh;
            k = nk;
            k->cap = (uint8_t)(k->cap * 2);
        }
        memmove(&k->e[i + 1], &k->e[i], (k->n - i) * sizeof k->e[0]);
        k->e[i] = (struct entry){g, g, 1};
        k->n++;
        k->gaps++;
        k->hit = (uint8_t)i;
        return 0;
    }
}

void beacon_prefetch(const struct beacon *b, const struct beacon_slot *s)
{
    if (s->sk & ~STREAM_BIT)
        __builtin_prefetch(sketch_at(b, s->sk));
}

/* The tick of time t (microseconds): floor(t / US_PER_TICK). */
static int64_t tick_of(int64_t t)
{
    return t >= 0 ? t / US_PER_TICK : -((-t + US_PER_TICK - 1) / US_PER_TICK);
}

int beacon_add(struct beacon *b, struct beacon_slot *s, int64_t t, enum beacon_stream st)
{
    if (!b->have_base) {
        b->have_base = 1;
        b->base = t;
    }
    /* ticks from the base's tick, as an offset from 2^31; out of range: not
     * counted.  Ticks count from the epoch, not from the base, so that a
     * gap between two times is the same whichever event came first. */
    int64_t q = tick_of(t) - tick_of(b->base);
    if (q <= -(int64_t)INT32_MAX || q > (int64_t)INT32_MAX)
        return 0;
    uint32_t u = (uint32_t)(q + ((int64_t)1 << 31));
    uint32_t cur = s->sk & STREAM_BIT ? BEACON_CONNS : BEACON_LOOKUPS;
    if (s->prev == 0 || (cur == BEACON_CONNS && st == BEACON_LOOKUPS)) {
        /* the first event, or the first lookup after connections: start over */
        if (s->sk & ~STREAM_BIT) {
            struct sketch *k = sketch_at(b, s->sk);
            k->gaps = 0;
            k->shift = 0;
            k->dir = 0;
            k->unordered = 0;
            k->n = 0;
            k->hit = 0;
        }
        s->prev = u;
        s->sk = (s->sk & ~STREAM_BIT) | (st == BEACON_CONNS ? STREAM_BIT : 0);
        return 0;
    }
    if (cur != (uint32_t)st)
        return 0;  /* connections of a conversation that has lookups */
    int64_t gap = (int64_t)u - (int64_t)s->prev;
    int64_t mag = gap < 0 ? -gap : gap;
    if (mag < TICKS_PER_SEC)
        return 0;  /* the same event again, or part of it */
    if ((s->sk & ~STREAM_BIT) == 0) {
        uint32_t h = sketch_new(b);
        if (h == 0)
            return ERR_NOMEM;
        s->sk |= h;
    }
    struct sketch *k = sketch_at(b, s->sk);
    int8_t dir = gap > 0 ? 1 : -1;
    s->prev = u;
    if (k->dir == 0)
        k->dir = dir;
    else if (k->dir != dir)
        k->unordered = 1;
    if (k->unordered)
        return 0;
    /* whole seconds, rounded */
    return sketch_add(b, s, (uint32_t)((mag + TICKS_PER_SEC / 2) / TICKS_PER_SEC));
}

/* A bucket's gaps are taken as spread evenly over [lo, hi] by rank: exact
 * when they are all equal, and a bucket that saw gaps far apart (a
 * coarse sketch) keeps that spread instead of collapsing to one value,
 * which would read as a perfect rhythm. */

/* The gap at 0-based rank r (r < the counts' total). */
static double at_rank(const struct sketch *k, uint64_t r)
{
    uint64_t acc = 0;
    for (size_t i = 0; i < k->n; i++) {
        const struct entry *x = &k->e[i];
        if (r < acc + x->n) {
            double f = x->n > 1 ? (double)(r - acc) / (double)(x->n - 1) : 0.5;
            return (double)x->lo + f * ((double)x->hi - (double)x->lo);
        }
        acc += x->n;
    }
    return k->n ? (double)k->e[k->n - 1].hi : 0;
}

/* How many gaps lie within d of m, under the same even spread. */
static double within(const struct sketch *k, double m, double d)
{
    double c = 0;
    for (size_t i = 0; i < k->n; i++) {
        const struct entry *x = &k->e[i];
        double lo = x->lo, hi = x->hi;
        if (hi <= lo) {
            c += (lo >= m - d && lo <= m + d) ? x->n : 0;
            continue;
        }
        double a = lo > m - d ? lo : m - d, b = hi < m + d ? hi : m + d;
        if (b > a)
            c += (double)x->n * (b - a) / (hi - lo);
    }
    return c;
}

void beacon_get(const struct beacon *b, const struct beacon_slot *s, struct beacon_stats *out)
{
    memset(out, 0, sizeof *out);
    out->stream = s->sk & STREAM_BIT ? BEACON_CONNS : BEACON_LOOKUPS;
    if ((s->sk & ~STREAM_BIT) == 0)
        return;
    const struct sketch *k = sketch_at(b, s->sk);
    out->unordered = k->unordered;
    if (k->unordered || k->gaps == 0)
        return;
    uint64_t total = 0;
    double top = 0;
    for (size_t i = 0; i < k->n; i++) {
        total += k->e[i].n;  /* the counts, not k->gaps: they saturate alike */
        top = (double)k->e[i].hi;
    }
    out->gaps = k->gaps;
    out->median = (at_rank(k, (total - 1) / 2) + at_rank(k, total / 2)) / 2;
    /* the MAD: the smallest d with half the gaps within d of the median
     * (bisection; a few buckets).  0 when half are the median itself, as
     * for a steady rhythm: no bisection then. */
    double lo = 0, hi = top > out->median ? top - out->median : out->median;
    if (within(k, out->median, 0) >= (double)total / 2)
        hi = 0;
    else if (k->n > 0 && (double)k->e[0].lo < out->median && out->median - k->e[0].lo > hi)
        hi = out->median - k->e[0].lo;
    for (int it = 0; it < 60 && hi > 0 && hi - lo > 1e-6 * (out->median + 1); it++) {
        double mid = (lo + hi) / 2;
        if (within(k, out->median, mid) >= (double)total / 2)
            hi = mid;
        else
            lo = mid;
    }
    out->mad = hi;
    /* half a bucket's width over its lower end; past shift 5 a bucket
     * spans 2^(shift - 5) doublings */
    if (k->shift <= SUB_BITS)
        out->err = (double)(1u << k->shift) / 64;
    else
        out->err = k->shift - SUB_BITS >= 5 ? 1e9
                   : ((double)(1u << (1u << (k->shift - SUB_BITS))) - 1) / 2;
}

double beacon_score(double jitter, uint64_t gaps, unsigned hours_of_day, uint64_t days)
{
    double reg = 1 - 2 * jitter;
    double sup = gaps >= 24 ? 1 : (double)gaps / 24;
    double hod = (double)hours_of_day / 24, dd = (double)(days > 7 ? 7 : days) / 7;
    double spread = hod > dd ? hod : dd;
    if (reg < 0)
        reg = 0;
    return reg * sup * (1 + spread) / 2;
}
