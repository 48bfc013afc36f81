#include "util/sha1.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SHA1_X86_SHA 1
#include <cpuid.h>
#include <immintrin.h>
#endif

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

static void block_portable(uint32_t h[5], const unsigned char *p)
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

#ifdef SHA1_X86_SHA
/* The x86 SHA extensions: four rounds per instruction.  Lanes hold words
 * high to low (A, or W[4g], in lane 3); SHA1RNDS4's immediate picks the
 * round function and constant of rounds 20f..20f+19.  SHA1NEXTE adds the
 * next E (A of four rounds before, rotated by 30) to a message vector, and
 * SHA1MSG1/SHA1MSG2 extend the schedule four words at a time:
 * W[4g+16..] = MSG2(MSG1(W[4g..], W[4g+4..]) ^ W[4g+8..], W[4g+12..]). */
#define SHA1_NI_GROUP(fn, g)                                                       \
    do {                                                                          \
        __m128i ew_ = (g) == 0 ? _mm_add_epi32(e, w[0]) : _mm_sha1nexte_epu32(prev, w[(g) & 3]); \
        prev = abcd;                                                              \
        abcd = _mm_sha1rnds4_epu32(abcd, ew_, fn);                                \
        if ((g) < 16)                                                             \
            w[(g) & 3] = _mm_sha1msg2_epu32(                                      \
                _mm_xor_si128(_mm_sha1msg1_epu32(w[(g) & 3], w[((g) + 1) & 3]),   \
                              w[((g) + 2) & 3]),                                  \
                w[((g) + 3) & 3]);                                                \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_sha_ni(uint32_t h[5], const unsigned char *p, size_t nblocks)
{
    /* reverses 16 bytes: big-endian words, W[0] to lane 3 */
    const __m128i rev = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0x1b);
    __m128i e = _mm_set_epi32((int)h[4], 0, 0, 0);
    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i abcd0 = abcd, e0 = e, prev, w[4];
        for (int i = 0; i < 4; i++)
            w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), rev);
        SHA1_NI_GROUP(0, 0);  SHA1_NI_GROUP(0, 1);  SHA1_NI_GROUP(0, 2);
        SHA1_NI_GROUP(0, 3);  SHA1_NI_GROUP(0, 4);  SHA1_NI_GROUP(1, 5);
        SHA1_NI_GROUP(1, 6);  SHA1_NI_GROUP(1, 7);  SHA1_NI_GROUP(1, 8);
        SHA1_NI_GROUP(1, 9);  SHA1_NI_GROUP(2, 10); SHA1_NI_GROUP(2, 11);
        SHA1_NI_GROUP(2, 12); SHA1_NI_GROUP(2, 13); SHA1_NI_GROUP(2, 14);
        SHA1_NI_GROUP(3, 15); SHA1_NI_GROUP(3, 16); SHA1_NI_GROUP(3, 17);
        SHA1_NI_GROUP(3, 18); SHA1_NI_GROUP(3, 19);
        e = _mm_sha1nexte_epu32(prev, e0);
        abcd = _mm_add_epi32(abcd, abcd0);
    }
    _mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1b));
    h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

/* CPUID leaf 7: EBX bit 29 is SHA; leaf 1: ECX bits 9 (SSSE3), 19 (SSE4.1).
 * Read once at start-up, before any thread runs; the only state here. */
static int have_sha_ni;

__attribute__((constructor))
static void detect_sha_ni(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
        return;
    if (__get_cpuid_max(0, NULL) < 7)
        return;
    __cpuid_count(7, 0, a, b, c, d);
    have_sha_ni = (b & (1u << 29)) != 0;
}
#endif

void sha1_blocks_portable(uint32_t h[5], const unsigned char *p, size_t nblocks)
{
    for (; nblocks > 0; nblocks--, p += 64)
        block_portable(h, p);
}

int sha1_blocks_hw(uint32_t h[5], const unsigned char *p, size_t nblocks)
{
#ifdef SHA1_X86_SHA
    if (have_sha_ni) {
        blocks_sha_ni(h, p, nblocks);
        return 1;
    }
#else
    (void)h, (void)p, (void)nblocks;
#endif
    return 0;
}

static void blocks(uint32_t h[5], const unsigned char *p, size_t nblocks)
{
    if (!sha1_blocks_hw(h, p, nblocks))
        sha1_blocks_portable(h, p, nblocks);
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
        blocks(c->h, c->blk, 1);
        c->nblk = 0;
    }
    if (n >= 64) {
        blocks(c->h, p, n / 64);
        p += n / 64 * 64;
        n %= 64;
    }
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
        blocks(c->h, c->blk, 1);
        c->nblk = 0;
    }
    memset(c->blk + c->nblk, 0, 56 - c->nblk);
    for (int i = 0; i < 8; i++)
        c->blk[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    blocks(c->h, c->blk, 1);
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
