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

/* Replace bytes [off, off + old) with the m bytes of src. */
static int splice(struct hourset *s, uint32_t off, uint32_t old, const uint8_t *src, uint32_t m)
{
    uint64_t need = (uint64_t)s->len - old + m;
    if (need > REPORT_HOURSET_BYTES_MAX)
        return ERR_LIMIT;
    if (need > s->cap) {
        /* by a quarter: a few hundred thousand of these stay all session */
        uint64_t nc = (uint64_t)s->cap + s->cap / 4;
        if (nc < need)
            nc = need;
        nc = (nc + 7) & ~(uint64_t)7;
        uint8_t *nb = xrealloc(s->b, (size_t)nc);
        if (nb == NULL)
            return ERR_NOMEM;
        s->b = nb;
        s->cap = (uint32_t)nc;
    }
    if (m != old)
        memmove(s->b + off + m, s->b + off + old, s->len - off - old);
    memcpy(s->b + off, src, m);
    s->len = (uint32_t)need;
    return 0;
}

int hourset_add(struct hourset *s, uint32_t h, uint64_t c)
{
    uint8_t e[2 * ENTRY_MAX];
    uint32_t gap, off, prev, sz, k, k1;
    uint64_t cnt;
    int rc;

    if (s->n == 0) {
        rc = splice(s, 0, 0, e, (uint32_t)enc(e, 1, c));
        if (rc)
            return rc;
        s->n = 1;
        s->first = s->last = h;
        s->last_off = 0;
        return 0;
    }
    if (h > s->last) {
        uint32_t at = s->len;
        rc = splice(s, at, 0, e, (uint32_t)enc(e, h - s->last, c));
        if (rc)
            return rc;
        s->n++;
        s->last = h;
        s->last_off = at;
        return 0;
    }
    if (h < s->first) {
        /* the old first entry's gap now counts from h */
        sz = (uint32_t)dec(s->b, &gap, &cnt);
        k1 = (uint32_t)enc(e, 1, c);
        k = k1 + (uint32_t)enc(e + k1, s->first - h, cnt);
        rc = splice(s, 0, sz, e, k);
        if (rc)
            return rc;
        s->last_off = s->n == 1 ? k1 : s->last_off + k - sz;
        s->n++;
        s->first = h;
        return 0;
    }
    /* first <= h <= last: the last entry directly, else a walk */
    if (h == s->last) {
        off = s->last_off;
        prev = s->last - (uint32_t)(dec(s->b + off, &gap, &cnt), gap);
    } else {
        off = 0;
        prev = s->first - 1;
    }
    for (;;) {
        sz = (uint32_t)dec(s->b + off, &gap, &cnt);
        uint32_t hour = prev + gap;
        if (hour == h) {
            if (c > UINT64_MAX - cnt)
                return ERR_LIMIT;
            k = (uint32_t)enc(e, gap, cnt + c);
            if (k == sz) {
                memcpy(s->b + off, e, k);
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
            s->n++;
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
    it->off += (uint32_t)dec(it->s->b + it->off, &gap, c);
    it->hour += gap;
    *h = it->hour;
    return 1;
}

size_t hourset_bytes(const struct hourset *s) { return s->cap; }
