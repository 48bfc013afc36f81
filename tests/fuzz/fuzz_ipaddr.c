/*
 * fuzz_ipaddr: IP address and CIDR text.
 *
 * Properties:
 * - ipaddr_parse reads only the slice (the replay driver puts the input
 *   against a guard page; libFuzzer's ASan does the same);
 * - an address it accepts is formatted as text that inet_pton reads as the
 *   same 16 bytes (IPv4 through the mapped form) and that ipaddr_parse
 *   reads back to the same key;
 * - a range ipcidr_parse accepts contains its own base address, has no
 *   bits set after the prefix, and parses again from "base/bits".
 */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "net/ipaddr.h"

static void check_addr(const struct ipaddr *a)
{
    char txt[IPADDR_STRMAX];
    size_t n = ipaddr_format(a, txt);
    FUZZ_CHECK(n > 0 && n < IPADDR_STRMAX && txt[n] == '\0' && strlen(txt) == n);

    unsigned char b[16];
    if (ipaddr_is_v4(a)) {
        memset(b, 0, 10);
        b[10] = b[11] = 0xff;
        FUZZ_CHECK(inet_pton(AF_INET, txt, b + 12) == 1);
    } else {
        FUZZ_CHECK(inet_pton(AF_INET6, txt, b) == 1);
    }
    FUZZ_CHECK(memcmp(b, a->b, 16) == 0);

    struct ipaddr back;
    FUZZ_CHECK(ipaddr_parse(slice_of(txt, n), &back) == 0);
    FUZZ_CHECK(ipaddr_eq(&back, a) && ipaddr_cmp(&back, a) == 0);
    FUZZ_CHECK(ipaddr_hash(&back) == ipaddr_hash(a));
    if (ipaddr_is_v4(a)) {
        struct ipaddr v;
        ipaddr_set_v4(&v, ipaddr_v4(a));
        FUZZ_CHECK(ipaddr_eq(&v, a));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice s = slice_of((const char *)data, size);
    struct ipaddr a;
    struct ipcidr c;

    if (ipaddr_parse(s, &a) == 0)
        check_addr(&a);

    if (ipcidr_parse(s, &c) == 0) {
        FUZZ_CHECK(c.bits <= 128);
        FUZZ_CHECK(ipcidr_contains(&c, &c.a) == 1);
        for (unsigned i = c.bits; i < 128; i++)
            FUZZ_CHECK((c.a.b[i / 8] & (0x80u >> (i % 8))) == 0);
        char txt[IPADDR_STRMAX + 8];
        size_t n = ipaddr_format(&c.a, txt);
        /* A mapped IPv4 base is written dotted, where the prefix counts
         * 32 bits; a range shorter than /96 clears bit 95, so its base is
         * never mapped. */
        int v4 = ipaddr_is_v4(&c.a);
        FUZZ_CHECK(!v4 || c.bits >= 96);
        int w = snprintf(txt + n, sizeof txt - n, "/%u", v4 ? c.bits - 96 : c.bits);
        FUZZ_CHECK(w > 0 && (size_t)w < sizeof txt - n);
        struct ipcidr c2;
        FUZZ_CHECK(ipcidr_parse(slice_of(txt, n + (size_t)w), &c2) == 0);
        FUZZ_CHECK(c2.bits == c.bits && ipaddr_eq(&c2.a, &c.a));
    }
    return 0;
}
