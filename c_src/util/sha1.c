#include "util/sha1.h"

#include <string.h>

static uint32_t rol(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FIPS 180-4 6.1.2, with the 80-word schedule kept as a 16-word ring.  One
 * loop per round function, each unrolled so the ring's indices are
 * constants: dnsjoin hashes one block per network event for community_id. */
#define SHA1_W(t) (w[(t) & 15] = rol(w[((t) - 3) & 15] ^ w[((t) - 8) & 15] ^ \
                                     w[((t) - 14) & 15] ^ w[(t) & 15], 1))
#define SHA1_ROUND(f, k, wt)                                   \
    do {                                                       \
        uint32_t tmp_ = rol(a, 5) + (f) + e + (k) + (wt);      \
        e = d;                                                 \
        d = c;                                                 \
        c = rol(b, 30);                                        \
        b = a;                                                 \
        a = tmp_;                                              \
    } while (0)

static void block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    int t;
#pragma GCC unroll 20
    for (t = 0; t < 16; t++) {
        w[t] = be32(p + 4 * t);
        SHA1_ROUND(d ^ (b & (c ^ d)), 0x5a827999u, w[t]);
    }
#pragma GCC unroll 20
    for (; t < 20; t++)
        SHA1_ROUND(d ^ (b & (c ^ d)), 0x5a827999u, SHA1_W(t));
#pragma GCC unroll 20
    for (; t < 40; t++)
        SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1u, SHA1_W(t));
#pragma GCC unroll 20
    for (; t < 60; t++)
        SHA1_ROUND((b & c) | (d & (b | c)), 0x8f1bbcdcu, SHA1_W(t));
#pragma GCC unroll 20
    for (; t < 80; t++)
        SHA1_ROUND(b ^ c ^ d, 0xca62c1d6u, SHA1_W(t));
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_init(struct sha1 *c)
{
    c->h[0] = 0x67452301u;
    c->h[1] = 0xefcdab89u;
    c->h[2] = 0x98badcfeu;
    c->h[3] = 0x10325476u;
    c->h[4] = 0xc3d2e1f0u;
    c->len = 0;
    c->nblk = 0;
}

void sha1_update(struct sha1 *c, const void *data, size_t n)
{
    const unsigned char *p = data;
    c->len += n;
    if (c->nblk > 0) {
        size_t take = 64 - c->nblk < n ? 64 - c->nblk : n;
        memcpy(c->blk + c->nblk, p, take);
        c->nblk += take;
        p += take;
        n -= take;
        if (c->nblk < 64)
            return;
        block(c->h, c->blk);
        c->nblk = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        block(c->h, p);
    if (n > 0)
        memcpy(c->blk, p, n);
    c->nblk = n;
}

void sha1_final(struct sha1 *c, unsigned char out[SHA1_DIGEST_LEN])
{
    uint64_t bits = c->len * 8;
    /* 0x80, zeros to 56 mod 64, then the bit length big-endian */
    c->blk[c->nblk++] = 0x80;
    if (c->nblk > 56) {
        memset(c->blk + c->nblk, 0, 64 - c->nblk);
        block(c->h, c->blk);
        c->nblk = 0;
    }
    memset(c->blk + c->nblk, 0, 56 - c->nblk);
    for (int i = 0; i < 8; i++)
        c->blk[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    block(c->h, c->blk);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (unsigned char)(c->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)c->h[i];
    }
}

void sha1_digest(const void *p, size_t n, unsigned char out[SHA1_DIGEST_LEN])
{
    struct sha1 c;
    sha1_init(&c);
    sha1_update(&c, p, n);
    sha1_final(&c, out);
}
