/*
 * util/bytes: finding a byte and copying a short run, inline, for the
 * per-field paths of the CSV reader and writer.
 *
 * The release binaries link musl, whose memchr scans one word at a time and
 * whose x86_64 memcpy starts `rep movsq` on every call: on fields of a few
 * to a few hundred bytes each costs two to three times glibc's, and the CSV
 * paths call them once per field.  These versions do 16 bytes per step with
 * SSE2 (x86_64) or NEON (aarch64) and avoid the call for short copies, so
 * both builds run the same code.  Large copies still go to memcpy.
 */
#ifndef DNSJOIN_UTIL_BYTES_H
#define DNSJOIN_UTIL_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#endif

/* The first c in p[0..n), or NULL: memchr's contract. */
static inline const char *bytes_chr(const char *p, size_t n, char c)
{
#if defined(__SSE2__)
    const __m128i needle = _mm_set1_epi8(c);
    for (; n >= 32; p += 32, n -= 32) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), needle);
        __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
                                   needle);
        unsigned m = (unsigned)_mm_movemask_epi8(a) | (unsigned)_mm_movemask_epi8(b) << 16;
        if (m)
            return p + __builtin_ctz(m);
    }
    if (n >= 16) {
        __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), needle);
        unsigned m = (unsigned)_mm_movemask_epi8(a);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
        n -= 16;
    }
#elif defined(__aarch64__) && defined(__ARM_NEON)
    const uint8x16_t needle = vdupq_n_u8((uint8_t)c);
    for (; n >= 16; p += 16, n -= 16) {
        uint8x16_t eq = vceqq_u8(vld1q_u8((const uint8_t *)p), needle);
        /* four bits per byte: the narrowing shift packs the mask in 64 bits */
        uint64_t m = vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(eq), 4)),
                                   0);
        if (m)
            return p + (__builtin_ctzll(m) >> 2);
    }
#endif
    for (; n > 0; p++, n--)
        if (*p == c)
            return p;
    return NULL;
}

/* Copy n bytes between buffers that do not overlap.  Up to 64 bytes are
 * moved with fixed-size loads and stores (the compiler emits plain moves
 * for a memcpy of constant size); the overlapping last store covers any
 * length without a byte loop. */
static inline void bytes_copy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n <= 16) {
        if (n >= 8) {
            uint64_t a, b;
            memcpy(&a, s, 8);
            memcpy(&b, s + n - 8, 8);
            memcpy(d, &a, 8);
            memcpy(d + n - 8, &b, 8);
        } else if (n >= 4) {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            memcpy(d, &a, 4);
            memcpy(d + n - 4, &b, 4);
        } else if (n > 0) {
            d[0] = s[0];
            d[n / 2] = s[n / 2];
            d[n - 1] = s[n - 1];
        }
        return;
    }
    if (n <= 64) {
        for (size_t i = 0; i + 16 < n; i += 16)
            memcpy(d + i, s + i, 16);
        memcpy(d + n - 16, s + n - 16, 16);
        return;
    }
    memcpy(d, s, n);
}

#endif
