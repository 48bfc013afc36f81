/*
 * tunnel: Teredo and 6to4 decoding; see tunnel.h for the address layouts.
 */
#include "net/tunnel.h"

int tunnel_teredo(const struct ipaddr *a, struct teredo_info *out)
{
    const unsigned char *b = a->b;
    if (b[0] != 0x20 || b[1] != 0x01 || b[2] != 0x00 || b[3] != 0x00)
        return 0;
    ipaddr_set_v4(&out->server, (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
                                    (uint32_t)b[6] << 8 | b[7]);
    out->flags = (uint16_t)(b[8] << 8 | b[9]);
    /* RFC 4380 4: port and address are stored with every bit inverted so
     * that NATs rewriting payload bytes that look like addresses leave them
     * alone. */
    out->client_port = (uint16_t)((b[10] << 8 | b[11]) ^ 0xffff);
    ipaddr_set_v4(&out->client, ((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                                 (uint32_t)b[14] << 8 | b[15]) ^ UINT32_C(0xffffffff));
    return 1;
}

int tunnel_6to4(const struct ipaddr *a, struct ipaddr *v4out)
{
    const unsigned char *b = a->b;
    if (b[0] != 0x20 || b[1] != 0x02)
        return 0;
    ipaddr_set_v4(v4out, (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5]);
    return 1;
}

int tunnel_is_6to4_relay(const struct ipaddr *a)
{
    return ipaddr_is_v4(a) && ipaddr_v4(a) == UINT32_C(0xc0586301); /* 192.88.99.1 */
}
