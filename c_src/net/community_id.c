#include "net/community_id.h"

#include <string.h>

#include "util/base64.h"
#include "util/sha1.h"

/* Request and reply types that make one two-way ICMP flow (as Zeek pairs
 * them, which the spec follows). */
static const uint8_t icmp4_pairs[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
static const uint8_t icmp6_pairs[][2] = {{128, 129}, {130, 131}, {133, 134},
                                         {135, 136}, {139, 140}, {144, 145}};

/* The counterpart of an ICMP type, or -1 for a one-way type. */
static int counter_type(unsigned proto, unsigned type)
{
    const uint8_t(*v)[2] = proto == COMMUNITY_ID_PROTO_ICMP ? icmp4_pairs : icmp6_pairs;
    size_t n = proto == COMMUNITY_ID_PROTO_ICMP ? sizeof icmp4_pairs / sizeof icmp4_pairs[0]
                                                : sizeof icmp6_pairs / sizeof icmp6_pairs[0];
    for (size_t i = 0; i < n; i++) {
        if (v[i][0] == type)
            return v[i][1];
        if (v[i][1] == type)
            return v[i][0];
    }
    return -1;
}

int community_id(const struct ipaddr *src, const struct ipaddr *dst, unsigned proto,
                 int has_ports, uint16_t sport, uint16_t dport, uint16_t seed,
                 char out[COMMUNITY_ID_LEN + 1])
{
    int v4 = ipaddr_is_v4(src);
    if (v4 != ipaddr_is_v4(dst) || proto > 255)
        return ERR_INPUT;
    size_t alen = v4 ? 4 : 16;
    const unsigned char *a = src->b + 16 - alen, *b = dst->b + 16 - alen;
    int one_way = 0;

    if (has_ports && (proto == COMMUNITY_ID_PROTO_ICMP || proto == COMMUNITY_ID_PROTO_ICMP6)) {
        if (sport > 255 || dport > 255)
            return ERR_INPUT;
        int ct = counter_type(proto, sport);
        if (ct >= 0)
            dport = (uint16_t)ct;
        else
            one_way = 1;
    }
    if (!one_way) {
        int c = memcmp(a, b, alen);
        if (c > 0 || (c == 0 && has_ports && sport > dport)) {
            const unsigned char *t = a;
            uint16_t tp = sport;
            a = b;
            b = t;
            sport = dport;
            dport = tp;
        }
    }

    unsigned char m[2 + 16 + 16 + 2 + 4], d[SHA1_DIGEST_LEN];
    size_t n = 0;
    m[n++] = (unsigned char)(seed >> 8);
    m[n++] = (unsigned char)seed;
    memcpy(m + n, a, alen);
    n += alen;
    memcpy(m + n, b, alen);
    n += alen;
    m[n++] = (unsigned char)proto;
    m[n++] = 0;
    if (has_ports) {
        m[n++] = (unsigned char)(sport >> 8);
        m[n++] = (unsigned char)sport;
        m[n++] = (unsigned char)(dport >> 8);
        m[n++] = (unsigned char)dport;
    }
    sha1_digest(m, n, d);
    out[0] = '1';
    out[1] = ':';
    base64_encode(d, sizeof d, out + 2);
    return 0;
}
