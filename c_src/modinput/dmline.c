#include "modinput/dmline.h"

#include <arpa/inet.h>
#include <string.h>

#include "limits.h"
#include "util/err.h"

ssize_t dmline_split(const char *p, size_t n, size_t *line_len)
{
    const char *nl = memchr(p, '\n', n < DNSMASQ_LINE_MAX + 1 ? n : DNSMASQ_LINE_MAX + 1);
    size_t len;

    if (nl == NULL)
        return n > DNSMASQ_LINE_MAX ? ERR_LIMIT : 0;
    len = (size_t)(nl - p);
    if (len > 0 && p[len - 1] == '\r')
        len--;
    *line_len = len;
    return (ssize_t)(nl - p) + 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int dmline_ip_kind(struct slice s)
{
    char tmp[64];
    unsigned char bin[16];
    int dots = 0, colons = 0;

    if (s.n < 2 || s.n >= sizeof tmp)
        return DMV_NONE;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '.')
            dots++;
        else if (c == ':')
            colons++;
        else if (!is_digit(c) && !((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
            return DMV_NONE;
    }
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = '\0';
    if (colons == 0 && dots == 3)
        return inet_pton(AF_INET, tmp, bin) == 1 ? DMV_IP4 : DMV_NONE;
    if (colons >= 2)
        return inet_pton(AF_INET6, tmp, bin) == 1 ? DMV_IP6 : DMV_NONE;
    return DMV_NONE;
}

size_t dmline_ptr_name(struct slice addr, char *out)
{
    char tmp[64];
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    if (addr.n == 0 || addr.n >= sizeof tmp)
        return 0;
    memcpy(tmp, addr.p, addr.n);
    tmp[addr.n] = '\0';
    if (inet_pton(AF_INET, tmp, b) == 1) {
        for (int i = 3; i >= 0; i--) {
            unsigned v = b[i];
            if (v >= 100)
                out[o++] = (char)('0' + v / 100);
            if (v >= 10)
                out[o++] = (char)('0' + v / 10 % 10);
            out[o++] = (char)('0' + v % 10);
            out[o++] = '.';
        }
        memcpy(out + o, "in-addr.arpa", 13);
        return o + 12;
    }
    if (inet_pton(AF_INET6, tmp, b) == 1) {
        for (int i = 15; i >= 0; i--) {
            out[o++] = hex[b[i] & 15];
            out[o++] = '.';
            out[o++] = hex[b[i] >> 4];
            out[o++] = '.';
        }
        memcpy(out + o, "ip6.arpa", 9);
        return o + 8;
    }
    return 0;
}

const char *dmline_kind_name(enum dmline_kind k)
{
    switch (k) {
    case DML_QUERY: return "query";
    case DML_FORWARD: return "forward";
    case DML_ANSWER: return "answer";
    case DML_DUP: return "duplicate";
    case DML_AUX: return "dnssec_or_set";
    case DML_START: return "start";
    case DML_INFO: return "info";
    case DML_SKIP: return "skip";
    case DML_UNPLACED: return "unplaced";
    case DML_BAD: return "bad";
    }
    return "";
}

const char *dmline_block_name(enum dmline_block b)
{
    static const char *const names[] = {"", "gravity", "regex", "exact", "special",
                                        "upstream", "cname", "ratelimit", "busy"};
    return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "";
}

const char *dmline_proto_name(enum dmline_proto p)
{
    return p == DMP_UDP ? "udp" : p == DMP_TCP ? "tcp" : "";
}

/* Cursor over the message: tokens are separated by single spaces. */
struct cur {
    const char *p;
    size_t n, i;
};

static struct slice next_tok(struct cur *c)
{
    size_t s = c->i;
    while (c->i < c->n && c->p[c->i] != ' ')
        c->i++;
    struct slice t = slice_of(c->p + s, c->i - s);
    if (c->i < c->n)
        c->i++;
    return t;
}

static struct slice rest(struct cur *c) { return slice_of(c->p + c->i, c->n - c->i); }

/* "word[T]" -> T, when t starts with word and '['. */
static int bracketed(struct slice t, const char *word, struct slice *inner)
{
    size_t w = strlen(word);
    if (t.n < w + 2 || memcmp(t.p, word, w) != 0 || t.p[w] != '[' || t.p[t.n - 1] != ']')
        return 0;
    *inner = slice_of(t.p + w + 1, t.n - w - 2);
    return 1;
}

/* Split " (EDE: ...)" / " (DNSSEC signed)" off an answer value. */
static void strip_suffix(struct dmline *d)
{
    struct slice v = d->value;
    for (size_t i = 0; i + 1 < v.n; i++) {
        if (v.p[i] == ' ' && v.p[i + 1] == '(') {
            struct slice tail = slice_of(v.p + i + 2, v.n - i - 2);
            if (slice_starts_with(tail, "EDE: ") && tail.n > 5 && tail.p[tail.n - 1] == ')')
                d->ede = slice_of(tail.p + 5, tail.n - 6);
            d->value.n = i;
            return;
        }
    }
}

/* The rcode a value names ("SERVFAIL", ...), -1 when it names none.  Pi-hole
 * logs its refusals under the queried name ("Rate-limiting x is REFUSED"),
 * dnsmasq under the pseudo-name "error". */
static int rcode_text(struct slice v)
{
    if (slice_eq_cstr(v, "SERVFAIL"))
        return 2;
    if (slice_eq_cstr(v, "REFUSED"))
        return 5;
    if (slice_eq_cstr(v, "not implemented"))
        return 4;
    return -1;
}

static void classify_value(struct dmline *d)
{
    struct slice v = d->value;
    int rc = rcode_text(v);

    d->rcode = -1;
    if (slice_eq_cstr(d->name, "error") || rc >= 0) {
        uint64_t num = 0;
        d->vkind = DMV_RCODE;
        if (rc < 0) {
            size_t i;
            for (i = 0; i < v.n && i < 5 && is_digit(v.p[i]); i++)
                num = num * 10 + (uint64_t)(v.p[i] - '0');
            rc = (i == v.n && i > 0 && num < 65536) ? (int)num : 2;
        }
        d->rcode = rc;
        return;
    }
    if (slice_eq_cstr(v, "<CNAME>")) {
        d->vkind = DMV_CNAME;
    } else if (v.n >= 2 && v.p[0] == '<' && v.p[v.n - 1] == '>') {
        d->vkind = DMV_RR;
        d->rcode = 0;
    } else if (slice_eq_cstr(v, "NXDOMAIN")) {
        d->vkind = DMV_NXDOMAIN;
        d->rcode = 3;
    } else if (slice_eq_cstr(v, "NODATA-IPv4")) {
        d->vkind = DMV_NODATA4;
        d->rcode = 0;
    } else if (slice_eq_cstr(v, "NODATA-IPv6")) {
        d->vkind = DMV_NODATA6;
        d->rcode = 0;
    } else if (slice_eq_cstr(v, "NODATA")) {
        d->vkind = DMV_NODATA;
        d->rcode = 0;
    } else if ((d->vkind = dmline_ip_kind(v)) != DMV_NONE) {
        d->rcode = 0;
    } else if (dmline_ip_kind(d->name) != DMV_NONE) {
        /* F_REVERSE: "config 131.107.255.255 is dns.msftncsi.com" */
        d->vkind = DMV_NAME;
        d->reverse = 1;
        d->rcode = 0;
    } else {
        d->vkind = DMV_OTHER;
        d->rcode = 0;
    }
}

/* Whether a value (suffix not yet split off) is one dnsmasq writes for an
 * answer: what lets an answer line with an unknown source be told from an
 * informational line that happens to contain " is ". */
static int answer_value(struct slice v)
{
    for (size_t i = 0; i + 1 < v.n; i++)
        if (v.p[i] == ' ' && v.p[i + 1] == '(') {
            v.n = i;
            break;
        }
    return rcode_text(v) >= 0 || slice_eq_cstr(v, "NXDOMAIN") ||
           slice_starts_with(v, "NODATA") || dmline_ip_kind(v) != DMV_NONE ||
           (v.n >= 3 && v.p[0] == '<' && v.p[v.n - 1] == '>');
}

static int is_answer_source(struct slice s)
{
    return slice_eq_cstr(s, "reply") || slice_eq_cstr(s, "cached") ||
           slice_eq_cstr(s, "cached-stale") || slice_eq_cstr(s, "config") ||
           slice_eq_cstr(s, "DHCP") || (s.n > 1 && s.p[0] == '/');
}

/* Pi-hole FTL's answer sources: the blocking reason it passes to
 * log_query() with F_HOSTS (FTL src/dnsmasq_interface.c, FTL_make_answer).
 * v5 spelled the lists "blacklisted", v6 "denied". */
static const struct {
    const char *text;
    enum dmline_block by;
} ftl_sources[] = {
    {"gravity blocked", DMB_GRAVITY},
    {"regex denied", DMB_REGEX},
    {"regex blacklisted", DMB_REGEX},
    {"exactly denied", DMB_EXACT},
    {"exactly blacklisted", DMB_EXACT},
    {"special domain", DMB_SPECIAL},
    {"Mozilla canary domain", DMB_SPECIAL},
    {"Apple iCloud Private Relay domain", DMB_SPECIAL},
    {"Designated Resolver domain", DMB_SPECIAL},
    {"Rate-limiting", DMB_RATELIMIT},
    {"to be blocked (gravity database is not available)", DMB_BUSY},
    {"to be refused (gravity database is not available)", DMB_BUSY},
};

/* 1 when s is a source FTL writes for an answer it made (block set, or
 * ftl_local for "Pi-hole hostname"). */
static int ftl_source(struct slice s, struct dmline *d)
{
    struct slice base = s;

    if (slice_eq_cstr(s, "Pi-hole hostname")) {
        d->ftl_local = 1;
        return 1;
    }
    if (slice_starts_with(s, "blocked upstream")) {
        d->block = DMB_UPSTREAM;
        return 1;
    }
    /* "gravity blocked (CNAME)": known from an earlier CNAME inspection */
    if (base.n > 8 && memcmp(base.p + base.n - 8, " (CNAME)", 8) == 0)
        base.n -= 8;
    for (size_t i = 0; i < sizeof ftl_sources / sizeof ftl_sources[0]; i++)
        if (slice_eq_cstr(base, ftl_sources[i].text)) {
            d->block = base.n != s.n ? DMB_CNAME : ftl_sources[i].by;
            return 1;
        }
    return 0;
}

/* "<source> <name> is <value>", the source possibly of several words (FTL)
 * and the name possibly missing ("reply is truncated").  Tries each " is "
 * in turn until the words before the name are a known source; returns
 * DML_ANSWER / DML_DUP, DML_UNPLACED for an unknown source with an answer
 * value, 0 when the message is not of this form, DML_BAD when it is but is
 * broken. */
static int answer_form(struct slice m, struct dmline *d)
{
    struct slice first_v = SLICE_NULL, first_n = SLICE_NULL, first_s = SLICE_NULL;

    for (size_t i = 0; i + 3 <= m.n; i++) {
        size_t k, vstart;
        struct slice left, src, name;
        if (memcmp(m.p + i, " is", 3) != 0 || (i + 3 < m.n && m.p[i + 3] != ' '))
            continue;
        vstart = i + 3 < m.n ? i + 4 : m.n;
        left = slice_of(m.p, i);
        for (k = left.n; k > 0 && left.p[k - 1] != ' '; k--)
            ;
        if (k == 0) {
            src = left;          /* no name: "reply is truncated" */
            name = slice_of(m.p + i, 0);
        } else {
            src = slice_of(left.p, k - 1);
            name = slice_of(left.p + k, left.n - k);
        }
        if (is_answer_source(src) || ftl_source(src, d)) {
            d->source = src;
            d->name = name;
            if (vstart >= m.n)
                return DML_BAD;
            d->value = slice_of(m.p + vstart, m.n - vstart);
            if (slice_eq_cstr(src, "reply") && slice_eq_cstr(name, "query") &&
                slice_eq_cstr(d->value, "duplicate"))
                return DML_DUP;
            strip_suffix(d);
            if (slice_eq_cstr(d->value, "blocked during CNAME inspection"))
                d->block = DMB_CNAME;
            else if (slice_starts_with(d->value, "blocked upstream"))
                d->block = DMB_UPSTREAM;
            classify_value(d);
            return DML_ANSWER;
        }
        if (first_v.p == NULL && vstart < m.n &&
            answer_value(slice_of(m.p + vstart, m.n - vstart))) {
            first_s = src;
            first_n = name;
            first_v = slice_of(m.p + vstart, m.n - vstart);
        }
    }
    if (first_v.p == NULL)
        return 0;
    d->source = first_s;
    d->name = first_n;
    d->value = first_v;
    return DML_UNPLACED;
}

/* The message after the prefixes.  strict: only the forms that cannot be
 * an informational line (used when looking behind an unknown prefix). */
static int message(struct cur *c, struct dmline *d, int strict)
{
    struct cur c0 = *c;
    struct slice t1 = next_tok(c), t3;
    int k;

    d->source = t1;
    if (bracketed(t1, "query", &d->qtype) || bracketed(t1, "auth", &d->qtype)) {
        d->source.n = (size_t)(d->qtype.p - 1 - t1.p);
        d->name = next_tok(c);
        t3 = next_tok(c);
        if (!slice_eq_cstr(t3, "from") || c->i >= c->n)
            return DML_BAD;
        d->value = rest(c);
        if (!d->has_client)
            d->client = d->value;
        return DML_QUERY;
    }
    if (slice_eq_cstr(t1, "forwarded")) {
        d->name = next_tok(c);
        t3 = next_tok(c);
        if (!slice_eq_cstr(t3, "to") || c->i >= c->n)
            return DML_BAD;
        d->value = rest(c);
        return DML_FORWARD;
    }
    if (slice_starts_with(t1, "dnssec")) {
        int typed = bracketed(t1, "dnssec-query", &d->qtype) ||
                    bracketed(t1, "dnssec-retry", &d->qtype);
        if (strict && !(typed && c->i < c->n))
            return DML_BAD;
        return DML_AUX;
    }
    if (slice_eq_cstr(t1, "validation") || slice_eq_cstr(t1, "ipset") ||
        slice_eq_cstr(t1, "nftset")) {
        struct slice t2 = next_tok(c);
        if (strict && !(slice_eq_cstr(t2, "add") || slice_eq_cstr(next_tok(c), "is")))
            return DML_BAD;
        return DML_AUX;
    }
    *c = c0;
    k = answer_form(rest(c), d);
    if (k == DML_UNPLACED) {
        /* dnsmasq's own form with an unknown source word: not ours */
        if (strict)
            return DML_BAD;
        d->ukind = DML_ANSWER;
        return DML_UNPLACED;
    }
    if (k)
        return k;
    d->source = t1;
    return d->extra || is_answer_source(t1) ? DML_BAD : DML_INFO;
}

/* A line that is not one of the known forms: is there a query, forward,
 * answer or duplicate message behind a few words this parser does not know
 * ("QUIC 6 1.2.3.4/5 query[A] ...")?  DML_UNPLACED with d->ukind, or 0. */
static int behind_unknown_prefix(struct cur c, struct dmline *d)
{
    c.i = 0;
    for (int tok = 0; tok < 6 && c.i < c.n; tok++) {
        struct dmline probe;
        struct cur pc;
        int k;
        (void)next_tok(&c);
        if (c.i >= c.n)
            break;
        probe = *d;
        probe.extra = 1; /* any "x is y" form counts */
        pc = c;
        k = message(&pc, &probe, 1);
        if (k == DML_QUERY || k == DML_FORWARD || k == DML_ANSWER || k == DML_DUP ||
            k == DML_AUX) {
            *d = probe;
            d->extra = 0;
            d->has_client = 0;
            d->ukind = (enum dmline_kind)k;
            return DML_UNPLACED;
        }
    }
    return 0;
}

int dmline_parse(const char *p, size_t n, struct dmline *d)
{
    struct cur c, whole;
    int hk, k;

    memset(d, 0, sizeof *d);
    d->rcode = -1;
    hk = syslogh_parse(p, n, &d->h);
    if (hk < 0)
        return d->kind = DML_BAD;
    if (hk == SYSLOGH_SKIP)
        return d->kind = DML_SKIP;
    c.p = p + d->h.msg_off;
    c.n = n - d->h.msg_off;
    c.i = 0;
    whole = c;
    if (slice_starts_with(rest(&c), "started, version "))
        return d->kind = DML_START;
    /* proto mode: "UDP "/"TCP " right before the serial */
    if (c.n > 4 && (memcmp(c.p, "UDP ", 4) == 0 || memcmp(c.p, "TCP ", 4) == 0) &&
        is_digit(c.p[4])) {
        d->proto = c.p[0] == 'U' ? DMP_UDP : DMP_TCP;
        c.i = 4;
    }
    if (c.i < c.n && is_digit(c.p[c.i])) {
        /* extra mode: "<serial> [<addr>/<port> ]" */
        const size_t d0 = c.i;  /* where the serial's digits start */
        size_t i = d0;
        uint64_t s = 0;
        while (i < c.n && is_digit(c.p[i]) && i - d0 < 19)
            s = s * 10 + (uint64_t)(c.p[i++] - '0');
        if (i < c.n && c.p[i] == ' ') {
            struct cur save;
            struct slice t, port;
            size_t kk;
            d->extra = 1;
            d->serial = s;
            c.i = i + 1;
            save = c;
            t = next_tok(&c);
            for (kk = t.n; kk > 0 && t.p[kk - 1] != '/'; kk--)
                ;
            port = slice_of(t.p + kk, t.n - (kk ? kk : t.n));
            if (kk > 1 && port.n > 0 && port.n <= 5) {
                unsigned v = 0;
                size_t j;
                for (j = 0; j < port.n && is_digit(port.p[j]); j++)
                    v = v * 10 + (unsigned)(port.p[j] - '0');
                if (j == port.n && v <= 65535) {
                    d->has_client = 1;
                    d->client = slice_of(t.p, kk - 1);
                    d->port = v;
                } else {
                    c = save;
                }
            } else {
                c = save;
            }
        } else if (d->proto != DMP_NONE) {
            d->proto = DMP_NONE; /* "UDP 6x": not the proto prefix */
            c.i = 0;
        }
    }
    k = message(&c, d, 0);
    if (k == DML_BAD || k == DML_INFO || k == DML_UNPLACED) {
        /* the message may sit behind words this parser does not know */
        struct dmline keep = *d;
        if (behind_unknown_prefix(whole, d))
            return d->kind = DML_UNPLACED;
        *d = keep;
    }
    if (k == DML_UNPLACED) {
        /* an answer whose source words are unknown (they may hold what
         * looked like a prefix): keep the source, forget the prefix */
        d->extra = 0;
        d->has_client = 0;
        d->proto = DMP_NONE;
    }
    return d->kind = (enum dmline_kind)k;
}
