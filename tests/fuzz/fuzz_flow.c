/*
 * fuzz_flow: what dnsjoin computes from a network event's flow:
 * community_id (net/community_id over util/sha1 and util/base64) and the
 * bypass verdict (join/resolvers).
 *
 * Input: byte 0 flags (bit 0 IPv6, bit 1 with ports), byte 1 the IP
 * protocol, 2 bytes each source and destination port, 2 bytes seed, then
 * the two addresses (4 or 16 bytes each); what follows is hashed with
 * SHA-1 whole and in two pieces, cut where the first byte after it says.
 *
 * Properties:
 * - an id is "1:" and 28 base64 characters ending in '=';
 * - the same flow seen from the other end has the same id (TCP, UDP and
 *   the rest: swap addresses and ports; ICMP is left out, its reverse is
 *   the counterpart type);
 * - mixed families and an ICMP type or code above 255 are refused and
 *   leave the output alone;
 * - SHA-1 of a message in two pieces equals SHA-1 of it whole;
 * - resolvers_kind gives DoH for 443, DoT for tcp/853, DoQ for udp/853,
 *   DNS for 53 (TCP and UDP only), and a NULL list flags nothing.
 */
#include <string.h>

#include "fuzz.h"
#include "join/resolvers.h"
#include "net/community_id.h"
#include "util/sha1.h"

static int b64char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
}

static void check_id(const char *id)
{
    FUZZ_CHECK(strlen(id) == COMMUNITY_ID_LEN && id[0] == '1' && id[1] == ':');
    for (int i = 2; i < COMMUNITY_ID_LEN - 1; i++)
        FUZZ_CHECK(b64char(id[i]));
    FUZZ_CHECK(id[COMMUNITY_ID_LEN - 1] == '=');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    int v6 = data[0] & 1, ports = (data[0] >> 1) & 1, mixed = (data[0] >> 2) & 1;
    unsigned proto = data[1];
    uint16_t sport = (uint16_t)(data[2] << 8 | data[3]), dport = (uint16_t)(data[4] << 8 | data[5]);
    uint16_t seed = (uint16_t)(data[6] << 8 | data[7]);
    size_t alen = v6 ? 16 : 4, at = 8;
    if (size < at + 2 * alen)
        return 0;
    struct ipaddr a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (v6) {
        memcpy(a.b, data + at, 16);
        memcpy(b.b, data + at + 16, 16);
    } else {
        ipaddr_set_v4(&a, (uint32_t)data[at] << 24 | (uint32_t)data[at + 1] << 16 |
                              (uint32_t)data[at + 2] << 8 | data[at + 3]);
        ipaddr_set_v4(&b, (uint32_t)data[at + 4] << 24 | (uint32_t)data[at + 5] << 16 |
                              (uint32_t)data[at + 6] << 8 | data[at + 7]);
    }
    at += 2 * alen;
    if (mixed) /* the other end in the other family */
        memset(b.b, v6 ? 0 : 0x20, 12);

    char id[COMMUNITY_ID_LEN + 1], back[COMMUNITY_ID_LEN + 1];
    memcpy(id, "untouched", 10);
    int icmp = proto == COMMUNITY_ID_PROTO_ICMP || proto == COMMUNITY_ID_PROTO_ICMP6;
    int rc = community_id(&a, &b, proto, ports, sport, dport, seed, id);
    if (ipaddr_is_v4(&a) != ipaddr_is_v4(&b) || (ports && icmp && (sport > 255 || dport > 255))) {
        FUZZ_CHECK(rc == ERR_INPUT);
        FUZZ_CHECK(strcmp(id, "untouched") == 0);
    } else {
        FUZZ_CHECK(rc == 0);
        check_id(id);
        if (!icmp || !ports) {
            FUZZ_CHECK(community_id(&b, &a, proto, ports, dport, sport, seed, back) == 0);
            FUZZ_CHECK(memcmp(id, back, COMMUNITY_ID_LEN + 1) == 0);
        }
    }

    /* SHA-1: whole and in two pieces */
    const uint8_t *m = data + at;
    size_t mn = size - at, cut = mn ? m[0] % (mn + 1) : 0;
    unsigned char d1[SHA1_DIGEST_LEN], d2[SHA1_DIGEST_LEN];
    struct sha1 c;
    sha1_digest(m, mn, d1);
    sha1_init(&c);
    sha1_update(&c, m, cut);
    sha1_update(&c, m + cut, mn - cut);
    sha1_final(&c, d2);
    FUZZ_CHECK(memcmp(d1, d2, sizeof d1) == 0);

    /* bypass: the kind follows from protocol and port alone */
    enum bypass k = resolvers_kind(proto, dport), want = BYPASS_NONE;
    if (proto == 6 || proto == 17)
        want = dport == 443 ? BYPASS_DOH : dport == 53 ? BYPASS_DNS
             : dport == 853 ? (proto == 6 ? BYPASS_DOT : BYPASS_DOQ) : BYPASS_NONE;
    FUZZ_CHECK(k == want);
    struct slice prov = SLICE_NULL;
    FUZZ_CHECK(resolvers_match(NULL, &a, &b, proto, dport, &prov) == BYPASS_NONE);
    return 0;
}
