/*
 * community_id: Corelight's Community ID v1 flow hash, so that a firewall
 * event can be pivoted to the Zeek, Suricata or Elastic records of the
 * same flow with one string comparison.
 *
 * The hash is SHA-1 over seed (2 bytes), the two addresses (4 bytes each
 * for IPv4, 16 for IPv6), the protocol number, a zero byte and the two
 * ports (2 bytes each), all in network byte order, with the endpoints
 * ordered so that the smaller (address, port) comes first; the result is
 * "1:" and the digest in base64.  For ICMP and ICMPv6 the "ports" are the
 * type and, for a request or reply type, the type of its counterpart
 * (echo request 8 <-> reply 0, ...), so both directions get one id;
 * other types are one-way: type and code, never reordered.  Protocols
 * without ports hash without them.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4: ipaddr
 * stores IPv4 that way and cannot tell the two apart.
 *
 * Pure: no allocation, no I/O, no globals.
 */
#ifndef NET_COMMUNITY_ID_H
#define NET_COMMUNITY_ID_H

#include <stdint.h>

#include "net/ipaddr.h"
#include "util/err.h"

/* "1:" and 28 base64 characters */
#define COMMUNITY_ID_LEN 30

#define COMMUNITY_ID_PROTO_ICMP 1
#define COMMUNITY_ID_PROTO_TCP 6
#define COMMUNITY_ID_PROTO_UDP 17
#define COMMUNITY_ID_PROTO_ICMP6 58
#define COMMUNITY_ID_PROTO_SCTP 132

/* The id of the flow src -> dst over IP protocol proto.  has_ports: sport
 * and dport are given (for TCP, UDP and SCTP the ports, for ICMP and
 * ICMPv6 the type and code); 0 hashes without ports (for protocols that
 * have none).  Writes COMMUNITY_ID_LEN characters and a NUL to out.
 * 0, or ERR_INPUT (one address IPv4 and the other IPv6, or ICMP with a
 * type or code above 255) with out untouched. */
int community_id(const struct ipaddr *src, const struct ipaddr *dst, unsigned proto,
                 int has_ports, uint16_t sport, uint16_t dport, uint16_t seed,
                 char out[COMMUNITY_ID_LEN + 1]) WARN_UNUSED;

#endif
