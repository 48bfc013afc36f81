/*
 * ipaddr: IP address text -> a fixed-size 16-byte key, and CIDR ranges.
 *
 * dnsjoin compares addresses by value, not by text: a DNS answer written as
 * "2001:DB8::1" must meet a firewall row that says "[2001:db8:0:0::1]:443",
 * and "::ffff:10.0.0.1" must meet "10.0.0.1".  So every address is stored in
 * its 128-bit IPv6 form, IPv4 as IPv4-mapped (::ffff:a.b.c.d, RFC 4291
 * 2.5.5.2), and two addresses are equal exactly when their 16 bytes are.
 * The key is plain bytes, so it can be hashed, sorted and memcmp'd.
 *
 * What ipaddr_parse accepts (everything else is "not an IP", ERR_INPUT):
 *   - dotted IPv4: exactly four decimal parts 0-255.  A part with a leading
 *     zero ("010") is rejected: inet_aton and the tools built on it read it
 *     as octal (8) while others read decimal (10), so any reading could join
 *     the wrong host; refusing it gives "no match" rather than a wrong one.
 *     The inet_aton short forms ("1.2.3", "0x7f.1", "2130706433") are
 *     rejected for the same reason.
 *   - IPv6 in the RFC 4291 2.2 text forms: full, "::"-compressed, upper or
 *     lower case hex, 1-4 digits per group, and an embedded dotted IPv4 tail
 *     ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4"; same IPv4 rules as above).
 *   - decorations found in logs, which are dropped:
 *       [addr]           brackets (IPv6 or IPv4)
 *       %zone            an IPv6 zone ("fe80::1%eth0", "%25eth0" in URIs);
 *                        letters, digits and "._~-", 1+ characters
 *       :port            IPv4 only ("1.2.3.4:53"), or after "]" for either
 *       #port  /port     either family; dnsmasq writes "127.0.0.1#5355" and
 *                        "127.0.0.2/40006"
 *     A port is 1-5 decimal digits with a value <= 65535.  Because "/n" is
 *     read as a port here, "10.0.0.0/8" parses as the address 10.0.0.0;
 *     use ipcidr_parse where "/n" means a prefix length.
 *   - no surrounding blanks, no NUL bytes, at most IPADDR_TEXT_MAX bytes.
 * An unbracketed IPv6 address never takes a ":port": "2001:db8::1:53" is the
 * address 2001:db8::1:53.
 *
 * The module is pure: no allocation, no I/O, no globals, no locale.  Input
 * slices are never read past s.n (they are not NUL-terminated).
 */
#ifndef NET_IPADDR_H
#define NET_IPADDR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/slice.h"

/* Longer text is rejected before looking at it: the longest real form,
 * "[0000:0000:0000:0000:0000:ffff:255.255.255.255%zone]:65535", is ~60. */
#define IPADDR_TEXT_MAX 100

/* Output size for ipaddr_format, NUL included (same as INET6_ADDRSTRLEN;
 * the longest output, eight 4-digit groups, needs 40). */
#define IPADDR_STRMAX 46

struct ipaddr {
    unsigned char b[16]; /* network byte order; IPv4 as ::ffff:a.b.c.d */
};

/* An address range: the first `bits` bits of `a` (bits counted on the
 * 128-bit form, so IPv4 /n is 96 + n).  Bits after the prefix are zero. */
struct ipcidr {
    struct ipaddr a;
    unsigned bits; /* 0..128 */
};

/* Parse one address in any of the forms listed above.  On success writes
 * *out and returns 0; otherwise returns ERR_INPUT and leaves *out
 * unspecified.  Reads only s.p[0 .. s.n-1]. */
int ipaddr_parse(struct slice s, struct ipaddr *out) WARN_UNUSED;

/* Parse a range: "a.b.c.d", "a.b.c.d/n" (n 0-32), "v6", "v6/n" (n 0-128).
 * A bare address is a /32 (IPv4) or /128 (IPv6).  Host bits after the prefix
 * may be set in the text ("10.1.2.3/8") and are cleared.  Unlike
 * ipaddr_parse, "/n" is a prefix length, and brackets, zones and ports are
 * not accepted.  The prefix length is decimal without leading zeros.  An
 * IPv6 range may cover IPv4 through the mapped space ("::ffff:0:0/96" is
 * every IPv4 address).  0 or ERR_INPUT. */
int ipcidr_parse(struct slice s, struct ipcidr *out) WARN_UNUSED;

/* 1 if `a` is inside `c`, else 0. */
int ipcidr_contains(const struct ipcidr *c, const struct ipaddr *a);

/* 1 if the address is IPv4 (IPv4-mapped in the 128-bit form), else 0. */
int ipaddr_is_v4(const struct ipaddr *a);

/* The IPv4 address as a host-order integer (1.2.3.4 -> 0x01020304); only
 * meaningful when ipaddr_is_v4(a). */
uint32_t ipaddr_v4(const struct ipaddr *a);

/* Set *out to the IPv4 address v (host order, 0x01020304 is 1.2.3.4). */
void ipaddr_set_v4(struct ipaddr *out, uint32_t v);

/* Total order on the 16 bytes (IPv4 sorts inside ::ffff:0:0/96): <0, 0, >0. */
int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b);

/* 1 if equal, else 0. */
int ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b);

/* 1 if raw[0..len) is a, as an X.509 iPAddress name holds it: 4 bytes for
 * an IPv4 address, 16 for IPv6 (an IPv4 address never matches 16 bytes,
 * nor IPv6 4), network byte order.  Any other length: 0. */
int ipaddr_eq_raw(const struct ipaddr *a, const unsigned char *raw, size_t len);

/* 64-bit hash with full avalanche, so any bits of it (low bits for a
 * power-of-two table) spread sequential addresses evenly.  Not keyed: fine
 * for our own tables, not a defence against chosen-input flooding.  Values
 * depend on the host's byte order: use them in memory, never persist them. */
uint64_t ipaddr_hash(const struct ipaddr *a);

/* Canonical text: IPv4 (mapped) as dotted decimal, everything else as RFC
 * 5952 lowercase IPv6 (leading zeros dropped, the longest run of two or more
 * zero groups, the first on a tie, written "::").  Writes a NUL-terminated
 * string into out and returns its length (without the NUL). */
size_t ipaddr_format(const struct ipaddr *a, char out[IPADDR_STRMAX]);

#endif
