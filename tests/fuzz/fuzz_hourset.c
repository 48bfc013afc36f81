/*
 * fuzz_hourset: a conversation's active hours (report/hourset.h).
 *
 * The first 4 bytes choose a base hour (kept 4096 below the top, so that
 * hour 0 and the last hour are reachable); then every 3 bytes are one add:
 * an hour offset of 0..4095 and a count (small, zero, or past the one- and
 * two-byte forms).  A plain array of counts is kept alongside.  Properties:
 * - iterating gives exactly the hours added, ascending, with their sums;
 * - the count, first, last and last_off agree with the entries, which lie
 *   inside the allocation;
 * - no entry takes more than 16 bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "report/hourset.h"

#define SPAN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint64_t truth[SPAN];
    static unsigned char seen[SPAN];
    struct hourset s;
    uint32_t base = 0;

    if (size < 4)
        return 0;
    memcpy(&base, data, 4);
    if (base > UINT32_MAX - (SPAN - 1))
        base = UINT32_MAX - (SPAN - 1);
    memset(truth, 0, sizeof truth);
    memset(seen, 0, sizeof seen);
    memset(&s, 0, sizeof s);
    for (size_t i = 4; i + 3 <= size; i += 3) {
        uint32_t off = (uint32_t)(data[i] | data[i + 1] << 8) % SPAN;
        uint8_t v = data[i + 2];
        uint64_t c = v < 128 ? v % 20 : v < 250 ? (uint64_t)v * 3 : (uint64_t)v << 40;
        int rc = hourset_add(&s, base + off, c);
        FUZZ_CHECK(rc == 0);
        truth[off] += c;
        seen[off] = 1;
    }
    struct hourset_it it;
    uint32_t h, n = 0, want = 0, last_at = 0;
    uint64_t c;
    hourset_it_init(&it, &s);
    for (;;) {
        uint32_t at = it.off;
        if (!hourset_next(&it, &h, &c))
            break;
        while (want < SPAN && !seen[want])
            want++;
        FUZZ_CHECK(want < SPAN);
        FUZZ_CHECK(h == base + want);
        FUZZ_CHECK(c == truth[want]);
        if (n == 0)
            FUZZ_CHECK(s.first == h);
        last_at = at;
        want++;
        n++;
    }
    while (want < SPAN && !seen[want])
        want++;
    FUZZ_CHECK(want == SPAN);
    FUZZ_CHECK(n == hourset_count(&s));
    FUZZ_CHECK(it.off == s.len);
    FUZZ_CHECK(s.len <= 16 * (uint64_t)n);
    FUZZ_CHECK(s.head + (uint64_t)s.len <= s.cap);
    if (n > 0) {
        FUZZ_CHECK(s.last == h);
        FUZZ_CHECK(s.last_off == last_at);
    }
    hourset_free(&s);
    return 0;
}
