/*
 * test_bytes: util/bytes against the C library it stands in for.
 *
 * - bytes_chr against memchr: every length 0..200 at every alignment 0..15,
 *   with the byte absent, at each position, twice, and next to bytes that
 *   differ from it only in the top bit (the SIMD compare is bytewise);
 * - bytes_copy: every length 0..300 at every source and destination
 *   alignment 0..15, with guard bytes either side that must not change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/bytes.h"

#define AREA 512

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(((i + seed) * 131u + 7u) | 0x80u);  /* never '"' or ',' */
}

static void check_find(const unsigned char *buf, size_t n, char c)
{
    const char *p = (const char *)buf;
    const char *want = memchr(p, c, n);
    const char *got = bytes_chr(p, n, c);
    if (got != want)
        fail_msg("length %zu, byte 0x%02x: bytes_chr at %td, memchr at %td", n,
                 (unsigned char)c, got ? got - p : -1, want ? want - p : -1);
}

static void test_chr(void **st)
{
    static const char needles[] = {'"', '\0', (char)0xa2};
    unsigned char area[AREA + 64];
    (void)st;
    for (size_t k = 0; k < sizeof needles; k++) {
        char c = needles[k];
        for (size_t align = 0; align < 16; align++) {
            unsigned char *b = area + align;
            for (size_t n = 0; n <= 200; n++) {
                fill(area, sizeof area, (unsigned)n);
                /* the needle with its top bit flipped, everywhere */
                memset(b, (unsigned char)c ^ 0x80u, n);
                check_find(b, n, c);
                for (size_t at = 0; at < n; at++) {
                    b[at] = (unsigned char)c;
                    check_find(b, n, c);
                    if (at + 1 < n) {  /* a second one after it */
                        b[n - 1] = (unsigned char)c;
                        check_find(b, n, c);
                        b[n - 1] = (unsigned char)c ^ 0x80u;
                    }
                    b[at] = (unsigned char)c ^ 0x80u;
                }
                /* present just past the end: not found */
                b[n] = (unsigned char)c;
                check_find(b, n, c);
            }
        }
    }
}

static void test_copy(void **st)
{
    unsigned char src[AREA], dst[AREA], want[AREA];
    (void)st;
    fill(src, sizeof src, 3);
    for (size_t sa = 0; sa < 16; sa++) {
        for (size_t da = 0; da < 16; da++) {
            for (size_t n = 0; n <= 300; n++) {
                memset(dst, 0x5a, sizeof dst);
                memset(want, 0x5a, sizeof want);
                memcpy(want + 32 + da, src + sa, n);
                bytes_copy(dst + 32 + da, src + sa, n);
                if (memcmp(dst, want, sizeof dst) != 0)
                    fail_msg("length %zu, source offset %zu, destination offset %zu", n, sa,
                             da);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chr),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
