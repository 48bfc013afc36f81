/*
 * ipaddr: see ipaddr.h for the accepted forms and the reasons for them.
 *
 * The parser is a hand-written single pass: it runs on every event, and
 * inet_pton would need a NUL-terminated copy plus a second pass to strip
 * brackets, zones and ports.  Each reader below takes (p, n), returns how
 * many bytes it consumed (0 = no match) and never looks at p[n] or beyond;
 * the caller decides whether what follows is an allowed suffix.
 */
#include "net/ipaddr.h"

#include <string.h>

/* ::ffff:0:0/96, the prefix of every IPv4-mapped address. */
static const unsigned char v4_mapped_prefix[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* Value of a hex digit, or -1.  No locale: plain ASCII arithmetic. */
static inline int hexval(unsigned char c)
{
    if ((unsigned)(c - '0') < 10u)
        return c - '0';
    c |= 0x20; /* 'A'-'F' -> 'a'-'f'; nothing else lands in 'a'-'f' */
    if ((unsigned)(c - 'a') < 6u)
        return c - 'a' + 10;
    return -1;
}

static inline int is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }

/* Dotted IPv4, exactly four parts 0-255 with no leading zeros.  Returns the
 * bytes consumed; stops after the fourth part whatever follows. */
static size_t parse_v4(const unsigned char *p, size_t n, unsigned char o[4])
{
    size_t i = 0;
    for (int k = 0; k < 4; k++) {
        unsigned v;
        if (k > 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
        if (i >= n || !is_digit(p[i]))
            return 0;
        v = p[i++] - '0';
        if (v != 0) {
            if (i < n && is_digit(p[i])) {
                v = v * 10 + (p[i++] - '0');
                if (i < n && is_digit(p[i]))
                    v = v * 10 + (p[i++] - '0');
            }
            if (v > 255)
                return 0;
        }
        /* A fourth digit, or any digit after a leading "0": not a part. */
        if (i < n && is_digit(p[i]))
            return 0;
        o[k] = (unsigned char)v;
    }
    return i;
}

/* RFC 4291 2.2 IPv6 text, without brackets, zone or port.  Returns the
 * bytes consumed (the address ends at the first byte that cannot continue
 * it) or 0. */
static size_t parse_v6(const unsigned char *p, size_t n, unsigned char o[16])
{
    unsigned g[8];
    int ng = 0;  /* groups seen, an IPv4 tail counting as two */
    int dc = -1; /* group index where "::" stands, or -1 */
    size_t i = 0;

    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        dc = 0;
        i = 2;
        if (i >= n || hexval(p[i]) < 0)
            goto expand; /* "::" alone */
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        int nd = 0;
        int h;
        /* Read up to 5 digits so a 5-digit group is seen and refused. */
        while (i < n && nd < 5 && (h = hexval(p[i])) >= 0) {
            v = v << 4 | (unsigned)h;
            i++;
            nd++;
        }
        if (nd == 0)
            return 0; /* ":::", a trailing ':', a lone leading ':' */
        if (i < n && p[i] == '.') {
            /* The group was the start of a dotted IPv4 tail: re-read it. */
            unsigned char q[4];
            size_t c;
            if (ng > 6)
                return 0;
            c = parse_v4(p + start, n - start, q);
            if (c == 0)
                return 0;
            g[ng++] = (unsigned)q[0] << 8 | q[1];
            g[ng++] = (unsigned)q[2] << 8 | q[3];
            i = start + c;
            break;
        }
        if (nd > 4 || ng == 8)
            return 0;
        g[ng++] = v;
        if (i + 1 < n && p[i] == ':' && p[i + 1] == ':') {
            if (dc >= 0)
                return 0; /* a second "::" */
            dc = ng;
            i += 2;
            if (i >= n || hexval(p[i]) < 0)
                break; /* trailing "::" */
        } else if (i < n && p[i] == ':') {
            i++; /* the next pass requires a group */
        } else {
            break;
        }
    }
expand:
    /* "::" stands for one or more zero groups (RFC 4291), so with it at
     * most 7 groups are written; without it exactly 8. */
    if (dc < 0 ? ng != 8 : ng > 7)
        return 0;
    memset(o, 0, 16);
    for (int k = 0; k < ng; k++) {
        int pos = (dc < 0 || k < dc) ? k : 8 - ng + k;
        o[2 * pos] = (unsigned char)(g[k] >> 8);
        o[2 * pos + 1] = (unsigned char)g[k];
    }
    return i;
}

/* Either family.  An IPv4 address has a '.' within its first four bytes
 * and an IPv6 address a ':' within its first five, with only hex digits
 * before; so one short look decides which reader to run. */
static size_t parse_addr(const unsigned char *p, size_t n, struct ipaddr *out, int *is_v6)
{
    for (size_t j = 0; j < n && j < 5; j++) {
        unsigned char c = p[j];
        if (c == '.') {
            size_t used = parse_v4(p, n, out->b + 12);
            if (used)
                memcpy(out->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
            *is_v6 = 0;
            return used;
        }
        if (c == ':') {
            *is_v6 = 1;
            return parse_v6(p, n, out->b);
        }
        if (hexval(c) < 0)
            return 0;
    }
    return 0;
}

/* The zone after '%' at p[i]: letters, digits and "._~-" (RFC 6874's
 * unreserved set).  Returns the index after it, or 0 if it is empty. */
static size_t skip_zone(const unsigned char *p, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n) {
        unsigned char c = p[j];
        unsigned char l = c | 0x20;
        if (!(is_digit(c) || (l >= 'a' && l <= 'z') || c == '.' || c == '_' || c == '~' ||
              c == '-'))
            break;
        j++;
    }
    return j > i + 1 ? j : 0;
}

/* The rest of the input is a port: 1-5 digits, at most 65535. */
static int is_port(const unsigned char *p, size_t n)
{
    unsigned v = 0;
    if (n == 0 || n > 5)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return 0;
        v = v * 10 + (p[i] - '0');
    }
    return v <= 65535;
}

int ipaddr_parse(struct slice s, struct ipaddr *out)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    size_t i;
    int v6 = 0;
    int bracket;

    if (p == NULL || n == 0 || n > IPADDR_TEXT_MAX)
        return ERR_INPUT;
    bracket = p[0] == '[';
    i = bracket;
    {
        size_t used = parse_addr(p + i, n - i, out, &v6);
        if (used == 0)
            return ERR_INPUT;
        i += used;
    }
    if (v6 && i < n && p[i] == '%') {
        i = skip_zone(p, n, i);
        if (i == 0)
            return ERR_INPUT;
    }
    if (bracket) {
        if (i >= n || p[i] != ']')
            return ERR_INPUT;
        i++;
    }
    if (i == n)
        return 0;
    /* ':' would be ambiguous after a bare IPv6 address (it reads as one
     * more group), so it marks a port only after IPv4 or "]". */
    if (p[i] == '#' || p[i] == '/' || (p[i] == ':' && (!v6 || bracket)))
        return is_port(p + i + 1, n - i - 1) ? 0 : ERR_INPUT;
    return ERR_INPUT;
}

int ipcidr_parse(struct slice s, struct ipcidr *out)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    size_t alen;
    const unsigned char *slash;
    int v6 = 0;
    unsigned bits;

    if (p == NULL || n == 0 || n > IPADDR_TEXT_MAX)
        return ERR_INPUT;
    slash = memchr(p, '/', n);
    alen = slash ? (size_t)(slash - p) : n;
    if (alen == 0 || parse_addr(p, alen, &out->a, &v6) != alen)
        return ERR_INPUT;
    if (slash) {
        const unsigned char *d = slash + 1;
        size_t dn = n - alen - 1;
        unsigned max = v6 ? 128 : 32;
        if (dn == 0 || dn > 3 || (d[0] == '0' && dn > 1))
            return ERR_INPUT;
        bits = 0;
        for (size_t k = 0; k < dn; k++) {
            if (!is_digit(d[k]))
                return ERR_INPUT;
            bits = bits * 10 + (d[k] - '0');
        }
        if (bits > max)
            return ERR_INPUT;
        if (!v6)
            bits += 96;
    } else {
        bits = 128;
    }
    out->bits = bits;
    /* Clear host bits so containment is a prefix compare. */
    for (unsigned k = 0; k < 16; k++) {
        unsigned keep = bits > 8 * k ? bits - 8 * k : 0;
        if (keep < 8)
            out->a.b[k] &= (unsigned char)(0xffu << (8 - keep));
    }
    return 0;
}

int ipcidr_contains(const struct ipcidr *c, const struct ipaddr *a)
{
    unsigned bits = c->bits > 128 ? 128 : c->bits;
    unsigned full = bits / 8, rem = bits % 8;
    if (full && memcmp(c->a.b, a->b, full) != 0)
        return 0;
    if (rem) {
        unsigned char m = (unsigned char)(0xffu << (8 - rem));
        return ((c->a.b[full] ^ a->b[full]) & m) == 0;
    }
    return 1;
}

int ipaddr_is_v4(const struct ipaddr *a)
{
    return memcmp(a->b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0;
}

uint32_t ipaddr_v4(const struct ipaddr *a)
{
    return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
           a->b[15];
}

void ipaddr_set_v4(struct ipaddr *out, uint32_t v)
{
    memcpy(out->b, v4_mapped_prefix, sizeof(v4_mapped_prefix));
    out->b[12] = (unsigned char)(v >> 24);
    out->b[13] = (unsigned char)(v >> 16);
    out->b[14] = (unsigned char)(v >> 8);
    out->b[15] = (unsigned char)v;
}

int ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
    return memcmp(a->b, b->b, 16);
}

int ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
    return memcmp(a->b, b->b, 16) == 0;
}

int ipaddr_eq_raw(const struct ipaddr *a, const unsigned char *raw, size_t len)
{
    if (len == 4)
        return ipaddr_is_v4(a) && memcmp(a->b + 12, raw, 4) == 0;
    if (len == 16)
        return !ipaddr_is_v4(a) && memcmp(a->b, raw, 16) == 0;
    return 0;
}

/* The MurmurHash3 64-bit finaliser constants: a bijection on 64 bits in
 * which every input bit flips each output bit with probability ~1/2. */
static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

uint64_t ipaddr_hash(const struct ipaddr *a)
{
    uint64_t hi, lo;
    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
    /* Each half goes through a bijection, so for IPv4 (constant high half)
     * distinct addresses never collide. */
    return mix64(mix64(hi ^ UINT64_C(0x9e3779b97f4a7c15)) ^ lo);
}

static size_t put_dec8(char *o, unsigned v)
{
    size_t k = 0;
    if (v >= 100) {
        o[k++] = (char)('0' + v / 100);
        v %= 100;
        o[k++] = (char)('0' + v / 10);
    } else if (v >= 10) {
        o[k++] = (char)('0' + v / 10);
    }
    o[k++] = (char)('0' + v % 10);
    return k;
}

size_t ipaddr_format(const struct ipaddr *a, char out[IPADDR_STRMAX])
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    unsigned g[8];
    int best = -1, bestlen = 1; /* runs of one zero group stay "0" */

    if (ipaddr_is_v4(a)) {
        for (int i = 12; i < 16; i++) {
            if (i > 12)
                out[k++] = '.';
            k += put_dec8(out + k, a->b[i]);
        }
        out[k] = '\0';
        return k;
    }
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen) { /* strictly longer: the first run wins ties */
            best = i;
            bestlen = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[k++] = ':';
            out[k++] = ':';
            i += bestlen - 1;
            continue;
        }
        if (i > 0 && i != best + bestlen)
            out[k++] = ':';
        {
            unsigned v = g[i];
            int shift = 12;
            while (shift > 0 && (v >> shift) == 0)
                shift -= 4;
            for (; shift >= 0; shift -= 4)
                out[k++] = hex[(v >> shift) & 0xf];
        }
    }
    out[k] = '\0';
    return k;
}
