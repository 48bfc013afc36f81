#include "report/hourset.h"

#include <string.h>

#include "limits.h"
#include "util/xmem.h"
/* The longest entry: marker, 5-byte gap, 10-byte count. */
#define ENTRY_MAX 16

void hourset_free(struct hourset *s)
{
    xfree(s->b);
    memset(s, 0, sizeof *s);
}

static size_t put_uleb(uint8_t *p, uint64_t v)
{
    size_t k = 0;
    while (v >= 0x80) {
        p[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[k++] = (uint8_t)v;
    return k;
}

static size_t get_uleb(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    size_t k = 0;
    unsigned sh = 0;
    do {
        x |= (uint64_t)(p[k] & 0x7f) << sh;
        sh += 7;
    } while (p[k++] & 0x80);
    *v = x;
    return k;
}

/* Encode one entry into p (room for ENTRY_MAX); returns its size. */
static size_t enc(uint8_t *p, uint32_t gap, uint64_t c)
{
    if (gap >= 1 && gap <= 8 && c <= 15) {
        p[0] = (uint8_t)(0x80 | (gap - 1) << 4 | c);
        return 1;
    }
    if (gap >= 1 && gap <= 64 && c <= 255) {
        p[0] = (uint8_t)(0x40 | (gap - 1));
        p[1] = (uint8_t)c;
        return 2;
    }
    p[0] = 0;
    size_t k = 1 + put_uleb(p + 1, gap);
    return k + put_uleb(p + k, c);
}

/* Decode the entry at p; returns its size. */
static size_t dec(const uint8_t *p, uint32_t *gap, uint64_t *c)
{
    if (p[0] & 0x80) {
        *gap = (uint32_t)((p[0] >> 4 & 7) + 1);
        *c = p[0] & 15;
        return 1;
    }
    if (p[0] & 0x40) {
        *gap = (uint32_t)((p[0] & 63) + 1);
        *c = p[1];
        return 2;
    }
    uint64_t g;
    size_t k = 1 + get_uleb(p + 1, &g);
    *gap = (uint32_t)g;
    return k + get_uleb(p + k, c);
}

/* Replace bytes [off, off + old) of the entries with the m bytes of src.
 * The entries sit between free room at both ends, and a growing splice
 * moves the shorter side: newest-first input adds its hours at the front,
 * and moving the whole string for each was most of the cost late in a
 * long search. */
static int splice(struct hourset *s, uint32_t off, uint32_t old, const uint8_t *src, uint32_t m)
{
    uint64_t need = (uint64_t)s->len - old + m;
    uint32_t back = s->len - off - old;

    if (need > REPORT_HOURSET_BYTES_MAX)
        return ERR_LIMIT;
    if (s->b != NULL) {
        uint8_t *d = s->b + s->head;
        uint32_t grow = m > old ? m - old : 0, room_end = s->cap - s->head - s->len;
        if (m <= old) {
            memcpy(d + off, src, m);
            memmove(d + off + m, d + off + old, back);
            s->len = (uint32_t)need;
            return 0;
        }
        if (s->head >= grow && (off <= back || room_end < grow)) {
            memmove(d - grow, d, off);
            s->head -= grow;
            memcpy(s->b + s->head + off, src, m);
            s->len = (uint32_t)need;
            return 0;
        }
        if (room_end >= grow) {
            memmove(d + off + m, d + off + old, back);
            memcpy(d + off, src, m);
            s->len = (uint32_t)need;
            return 0;
        }
    }
    /* A new allocation, by a quarter, half of the room in front: a few
     * hundred thousand of these stay all session. */
    uint64_t nc = need + need / 4;
    if (nc < need + 8)
        nc = need + 8;
    nc = (nc + 7) & ~(uint64_t)7;
    uint8_t *nb = xmalloc((size_t)nc);
    if (nb == NULL)
        return ERR_NOMEM;
    uint32_t h = (uint32_t)((nc - need) / 2);
    memcpy(nb + h + off, src, m);
    if (s->b != NULL) {
        memcpy(nb + h, s->b + s->head, off);
        memcpy(nb + h + off + m, s->b + s->head + off + old, back);
        xfree(s->b);
    }
    s->b = nb;
    s->head = h;
    s->cap = (uint32_t)nc;
    s->len = (uint32_t)need;
    return 0;
}

int hourset_add(struct hourset *s, uint32_t h, uint64_t c)
{
    uint8_t e[2 * ENTRY_MAX];
    uint32_t gap, off, prev, sz, k, k1;
    uint64_t cnt;
    int rc;

    if (s->len == 0) {
        rc = splice(s, 0, 0, e, (uint32_t)enc(e, 1, c));
        if (rc)
            return rc;
        s->first = s->last = h;
        s->last_off = 0;
        return 0;
    }
    if (h > s->last) {
        uint32_t at = s->len;
        rc = splice(s, at, 0, e, (uint32_t)enc(e, h - s->last, c));
        if (rc)
            return rc;
        s->last = h;
        s->last_off = at;
        return 0;
    }
    if (h < s->first) {
        /* the old first entry's gap now counts from h */
        sz = (uint32_t)dec(s->b + s->head, &gap, &cnt);
        k1 = (uint32_t)enc(e, 1, c);
        k = k1 + (uint32_t)enc(e + k1, s->first - h, cnt);
        rc = splice(s, 0, sz, e, k);
        if (rc)
            return rc;
        s->last_off = s->last == s->first ? k1 : s->last_off + k - sz;
        s->first = h;
        return 0;
    }
    /* first <= h <= last: the last entry directly, else a walk */
    if (h == s->last) {
        off = s->last_off;
        prev = s->last - (uint32_t)(dec(s->b + s->head + off, &gap, &cnt), gap);
    } else {
        off = 0;
        prev = s->first - 1;
    }
    for (;;) {
        sz = (uint32_t)dec(s->b + s->head + off, &gap, &cnt);
        uint32_t hour = prev + gap;
        if (hour == h) {
            if (c > UINT64_MAX - cnt)
                return ERR_LIMIT;
            k = (uint32_t)enc(e, gap, cnt + c);
            if (k == sz) {
                memcpy(s->b + s->head + off, e, k);
                return 0;
            }
            rc = splice(s, off, sz, e, k);
            if (rc)
                return rc;
            if (off < s->last_off)
                s->last_off += k - sz;
            return 0;
        }
        if (hour > h) {
            /* a new entry before this one, whose gap now counts from h */
            k1 = (uint32_t)enc(e, h - prev, c);
            k = k1 + (uint32_t)enc(e + k1, hour - h, cnt);
            rc = splice(s, off, sz, e, k);
            if (rc)
                return rc;
            /* the entry was the last one, or one before it */
            s->last_off = off == s->last_off ? off + k1 : s->last_off + k - sz;
            return 0;
        }
        prev = hour;
        off += sz;
    }
}

void hourset_it_init(struct hourset_it *it, const struct hourset *s)
{
    it->s = s;
    it->off = 0;
    it->hour = s->first - 1;
}

int hourset_next(struct hourset_it *it, uint32_t *h, uint64_t *c)
{
    uint32_t gap;
    if (it->off >= it->s->len)
        return 0;
    it->off += (uint32_t)dec(it->s->b + it->s->head + it->off, &gap, c);
    it->hour += gap;
    *h = it->hour;
    return 1;
}

size_t hourset_count(const struct hourset *s)
{
    struct hourset_it it;
    uint32_t h;
    uint64_t c;
    size_t n = 0;
    hourset_it_init(&it, s);
    while (hourset_next(&it, &h, &c))
        n++;
    return n;
}

size_t hourset_bytes(const struct hourset *s) { return s->cap; }
