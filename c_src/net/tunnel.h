/*
 * tunnel: recognise IPv6 transition addresses and decode what they carry.
 *
 * The story behind dnsjoin is a Windows host whose Teredo client kept
 * sending UDP/3544 to a Microsoft server that the firewall dropped; a
 * Teredo or 6to4 address names the IPv4 endpoints of such a tunnel, which
 * dnsjoin adds to the event (tunnel=, teredo_server, teredo_client_ip,
 * teredo_client_port, sixtofour_ipv4) and dnsprofile uses for its verdict.
 *
 *   Teredo (RFC 4380, RFC 5991): 2001:0000::/32 | server IPv4 (32) |
 *     flags (16) | client port XOR 0xffff (16) | client IPv4 XOR 0xffffffff
 *   6to4 (RFC 3056): 2002::/16 | IPv4 (32) | site bits; the anycast relay
 *     is 192.88.99.1 (RFC 3068, deprecated by RFC 7526).
 *
 * Pure functions over struct ipaddr: no allocation, no I/O, no globals.
 */
#ifndef NET_TUNNEL_H
#define NET_TUNNEL_H

#include <stdint.h>

#include "net/ipaddr.h"

/* The UDP port Teredo servers listen on. */
#define TUNNEL_TEREDO_PORT 3544

/* Flags bit C: the client was behind a cone NAT (set by pre-RFC 5991
 * clients; 0x8000 in the usual examples). */
#define TUNNEL_TEREDO_CONE 0x8000u

struct teredo_info {
    struct ipaddr server; /* Teredo server, IPv4 (mapped) */
    uint16_t flags;       /* as carried, e.g. 0x8000 */
    uint16_t client_port; /* client's public (NAT) UDP port, de-obfuscated */
    struct ipaddr client; /* client's public IPv4 (mapped), de-obfuscated */
};

/* If `a` is in 2001:0000::/32, decode it into *out and return 1; otherwise
 * return 0 and leave *out untouched. */
int tunnel_teredo(const struct ipaddr *a, struct teredo_info *out);

/* If `a` is in 2002::/16, write the embedded IPv4 address (bytes 2-5, as
 * mapped IPv4) to *v4out and return 1; otherwise return 0 and leave *v4out
 * untouched. */
int tunnel_6to4(const struct ipaddr *a, struct ipaddr *v4out);

/* 1 if `a` is the 6to4 relay anycast address 192.88.99.1, else 0.  Only
 * that one address counts, not all of 192.88.99.0/24: RFC 3068 defined the
 * /24 as the relay prefix but only .1 as the relay address, and other
 * addresses in it were given other uses (192.88.99.2 is the 6a44 relay,
 * RFC 6751), so matching the /24 would label unrelated traffic 6to4. */
int tunnel_is_6to4_relay(const struct ipaddr *a);

#endif
