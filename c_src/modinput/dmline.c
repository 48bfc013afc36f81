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

static void classify_value(struct dmline *d)
{
    struct slice v = d->value;

    d->rcode = -1;
    if (slice_eq_cstr(d->name, "error")) {
        uint64_t num = 0;
        d->vkind = DMV_RCODE;
        if (slice_eq_cstr(v, "SERVFAIL"))
            d->rcode = 2;
        else if (slice_eq_cstr(v, "REFUSED"))
            d->rcode = 5;
        else if (slice_eq_cstr(v, "not implemented"))
            d->rcode = 4;
        else {
            size_t i;
            for (i = 0; i < v.n && i < 5 && is_digit(v.p[i]); i++)
                num = num * 10 + (uint64_t)(v.p[i] - '0');
            d->rcode = (i == v.n && i > 0 && num < 65536) ? (int)num : 2;
        }
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

static int is_answer_source(struct slice s)
{
    return slice_eq_cstr(s, "reply") || slice_eq_cstr(s, "cached") ||
           slice_eq_cstr(s, "cached-stale") || slice_eq_cstr(s, "config") ||
           slice_eq_cstr(s, "DHCP") || (s.n > 1 && s.p[0] == '/');
}

/* The message after the extra-mode prefix. */
static int message(struct cur *c, struct dmline *d)
{
    struct slice t1 = next_tok(c), t2, t3;

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
    if (slice_starts_with(t1, "dnssec") || slice_eq_cstr(t1, "validation") ||
        slice_eq_cstr(t1, "ipset") || slice_eq_cstr(t1, "nftset")) {
        (void)bracketed(t1, "dnssec-query", &d->qtype);
        return DML_AUX;
    }
    t2 = next_tok(c);
    if (slice_eq_cstr(t2, "is") && is_answer_source(t1)) {
        /* a missing name drops the name and its gap */
        d->name = slice_of(t2.p, 0);
    } else {
        d->name = t2;
        t3 = next_tok(c);
        if (!slice_eq_cstr(t3, "is"))
            return d->extra || is_answer_source(t1) ? DML_BAD : DML_INFO;
    }
    if (c->i >= c->n)
        return DML_BAD;
    d->value = rest(c);
    if (slice_eq_cstr(t1, "reply") && slice_eq_cstr(d->name, "query") &&
        slice_eq_cstr(d->value, "duplicate"))
        return DML_DUP;
    if (!d->extra && !is_answer_source(t1))
        return DML_INFO;
    strip_suffix(d);
    classify_value(d);
    return DML_ANSWER;
}

int dmline_parse(const char *p, size_t n, struct dmline *d)
{
    struct cur c;
    int hk;

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
    if (slice_starts_with(rest(&c), "started, version "))
        return d->kind = DML_START;
    if (c.n > 0 && is_digit(c.p[0])) {
        /* extra mode: "<serial> [<addr>/<port> ]" */
        size_t i = 0;
        uint64_t s = 0;
        while (i < c.n && is_digit(c.p[i]) && i < 19)
            s = s * 10 + (uint64_t)(c.p[i++] - '0');
        if (i < c.n && c.p[i] == ' ') {
            struct cur save;
            struct slice t, port;
            size_t k;
            d->extra = 1;
            d->serial = s;
            c.i = i + 1;
            save = c;
            t = next_tok(&c);
            for (k = t.n; k > 0 && t.p[k - 1] != '/'; k--)
                ;
            port = slice_of(t.p + k, t.n - (k ? k : t.n));
            if (k > 1 && port.n > 0 && port.n <= 5) {
                unsigned v = 0;
                size_t j;
                for (j = 0; j < port.n && is_digit(port.p[j]); j++)
                    v = v * 10 + (unsigned)(port.p[j] - '0');
                if (j == port.n && v <= 65535) {
                    d->has_client = 1;
                    d->client = slice_of(t.p, k - 1);
                    d->port = v;
                } else {
                    c = save;
                }
            } else {
                c = save;
            }
        }
    }
    return d->kind = message(&c, d);
}
