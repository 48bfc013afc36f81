#include "util/rowpack.h"

#include <string.h>

#include "util/xmem.h"

#define HASH_BITS 12
#define MATCH_MIN 6   /* a shorter copy costs as much as the literal */

struct rowref {
    uint32_t refs;
    uint32_t len;
    uint16_t *index;  /* OWNED until retired: 4-byte hash -> position + 1 */
    char text[];
};

static inline uint32_t hash4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

struct rowref *rowref_new(const char *text, size_t n)
{
    if (n > ROWREF_TEXT_MAX)
        n = ROWREF_TEXT_MAX;
    struct rowref *r = xmalloc(sizeof *r + n);
    if (r == NULL)
        return NULL;
    r->index = xcalloc((size_t)1 << HASH_BITS, sizeof *r->index);
    if (r->index == NULL) {
        xfree(r);
        return NULL;
    }
    r->refs = 1;
    r->len = (uint32_t)n;
    memcpy(r->text, text, n);
    /* earlier positions win: a row's fields come in the reference's order,
     * so the first occurrence is the likely one */
    for (size_t i = n >= 4 ? n - 4 + 1 : 0; i-- > 0;)
        r->index[hash4(r->text + i)] = (uint16_t)(i + 1);
    return r;
}

void rowref_hold(struct rowref *r) { r->refs++; }

void rowref_retire(struct rowref *r)
{
    if (r != NULL) {
        xfree(r->index);
        r->index = NULL;
    }
}

void rowref_drop(struct rowref *r)
{
    if (r != NULL && --r->refs == 0) {
        xfree(r->index);
        xfree(r);
    }
}

/* Length of the common prefix of a[0..an) and b[0..bn), 8 bytes a step. */
static inline size_t match_len(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn, k = 0;
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (k + 8 <= n) {
        uint64_t x, y;
        memcpy(&x, a + k, 8);
        memcpy(&y, b + k, 8);
        if (x != y)
            return k + (size_t)(__builtin_ctzll(x ^ y) >> 3);
        k += 8;
    }
#endif
    while (k < n && a[k] == b[k])
        k++;
    return k;
}

static inline size_t put_varint(char *w, size_t v)
{
    size_t k = 0;
    do {
        unsigned char b = (unsigned char)(v & 0x7f);
        v >>= 7;
        w[k++] = (char)(b | (v ? 0x80 : 0));
    } while (v);
    return k;
}

/* 0 on a malformed or overlong varint. */
static inline size_t get_varint(const unsigned char *p, const unsigned char *end, size_t *v)
{
    size_t k = 0, x = 0;
    unsigned sh = 0;
    while (p + k < end && sh < 35) {
        unsigned char b = p[k++];
        x |= (size_t)(b & 0x7f) << sh;
        sh += 7;
        if (!(b & 0x80)) {
            *v = x;
            return k;
        }
    }
    return 0;
}

/* Room for one more token of lit literal bytes and a copy: 3 varints of at
 * most 5 bytes. */
#define TOKEN_ROOM(lit) ((lit) + 15)

size_t rowpack_store(struct rowref *r, const char *src, size_t n, char *dst, size_t cap)
{
    const char *ref = r->text;
    size_t m = r->len, p = 0, lit = 0, w = ROWPACK_HEAD;

    if (r->index == NULL || n > UINT32_MAX || cap < ROWPACK_HEAD)
        return 0;
    /* where the last copy would continue: rows of a kind differ mostly in
     * values of the same width (times, counters, addresses) */
    size_t rep = 0;
    while (p + 4 <= n && m >= 4) {
        size_t c = 0;
        if (rep + 4 <= m && memcmp(src + p, ref + rep, 4) == 0)
            c = rep + 1;
        else
            c = r->index[hash4(src + p)];
        if (c != 0) {
            size_t q = c - 1, len = match_len(src + p, n - p, ref + q, m - q), s = p;
            /* grow back into the pending literal */
            while (len >= 4 && s > lit && q > 0 && src[s - 1] == ref[q - 1]) {
                s--;
                q--;
                len++;
            }
            if (len >= MATCH_MIN) {
                if (w + TOKEN_ROOM(s - lit) >= cap)
                    return 0;
                w += put_varint(dst + w, s - lit);
                memcpy(dst + w, src + lit, s - lit);
                w += s - lit;
                w += put_varint(dst + w, q);
                w += put_varint(dst + w, len);
                p = lit = s + len;
                rep = q + len;
                continue;
            }
        }
        /* step faster through a long literal: it is most likely a value
         * the reference does not have */
        size_t step = 1 + ((p - lit) >> 4);
        p += step;
        rep += step;
    }
    if (lit < n) {
        if (w + TOKEN_ROOM(n - lit) >= cap)
            return 0;
        w += put_varint(dst + w, n - lit);
        memcpy(dst + w, src + lit, n - lit);
        w += n - lit;
    }
    uint32_t plen = (uint32_t)(w - ROWPACK_HEAD);
    uintptr_t addr = (uintptr_t)r;
    memcpy(dst, &addr, sizeof addr);
    memcpy(dst + sizeof addr, &plen, sizeof plen);
    r->refs++;
    return w;
}

struct rowref *rowpack_ref(const char *stored)
{
    uintptr_t addr;
    memcpy(&addr, stored, sizeof addr);
    return (struct rowref *)addr;
}

int rowpack_load(const char *stored, char *dst, size_t n)
{
    const struct rowref *r = rowpack_ref(stored);
    uint32_t plen;
    memcpy(&plen, stored + sizeof(uintptr_t), sizeof plen);
    const unsigned char *p = (const unsigned char *)stored + ROWPACK_HEAD, *end = p + plen;
    size_t out = 0;

    while (out < n) {
        size_t v, k, q;
        if ((k = get_varint(p, end, &v)) == 0 || v > (size_t)(end - p - k) || v > n - out)
            return -1;
        memcpy(dst + out, p + k, v);
        p += k + v;
        out += v;
        if (out == n)
            break;
        if ((k = get_varint(p, end, &q)) == 0)
            return -1;
        p += k;
        if ((k = get_varint(p, end, &v)) == 0 || q > r->len || v > r->len - q || v > n - out)
            return -1;
        p += k;
        memcpy(dst + out, r->text + q, v);
        out += v;
    }
    return p == end ? 0 : -1;
}
