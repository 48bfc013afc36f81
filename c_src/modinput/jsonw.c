#include "modinput/jsonw.h"

#include <string.h>

#include "util/num.h"

const char *jsonw_rcode_name(int rcode)
{
    static const char *const names[] = {
        "No Error", "Format Error", "Server Failure", "Non-Existent Domain", "NotImp",
        "Refused", "YXDomain", "YXRRSet", "NXRRSet", "NotAuth", "NotZone"};
    if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
        return names[rcode];
    return "Unknown";
}

/* Length of a valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0xC2 || c > 0xF4)
        return 0;
    if (c < 0xE0)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
            return 0; /* overlong, surrogate */
        return 3;
    }
    if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
        return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return 4;
}

int jsonw_str(struct buf *b, struct slice s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0, start;
    int rc;

    rc = buf_appendc(b, '"');
    if (rc)
        return rc;
    while (i < s.n) {
        start = i;
        while (i < s.n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
            i++;
        if (i > start) {
            if ((rc = buf_append(b, p + start, i - start)) != 0)
                return rc;
        }
        if (i >= s.n)
            break;
        if (p[i] >= 0x80) {
            size_t l = utf8_len(p + i, s.n - i);
            if (l) {
                rc = buf_append(b, p + i, l);
                i += l;
            } else {
                rc = buf_append(b, "\xEF\xBF\xBD", 3);
                i++;
            }
        } else if (p[i] == '"' || p[i] == '\\') {
            char esc[2] = {'\\', (char)p[i]};
            rc = buf_append(b, esc, 2);
            i++;
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15]};
            rc = buf_append(b, esc, 6);
            i++;
        }
        if (rc)
            return rc;
    }
    return buf_appendc(b, '"');
}

static int key(struct buf *b, const char *k)
{
    int rc = buf_appendc(b, ',');
    if (rc == 0)
        rc = buf_appendc(b, '"');
    if (rc == 0)
        rc = buf_appends(b, k);
    if (rc == 0)
        rc = buf_append(b, "\":", 2);
    return rc;
}

static int kv_str(struct buf *b, const char *k, struct slice v)
{
    int rc = key(b, k);
    return rc ? rc : jsonw_str(b, v);
}

static int kv_u64(struct buf *b, const char *k, uint64_t v)
{
    char num[24];
    size_t n = num_format_u64(v, num);
    int rc = key(b, k);
    return rc ? rc : buf_append(b, num, n);
}

static int kv_arr(struct buf *b, const char *k, const struct slice *v, size_t n)
{
    int rc = key(b, k);
    if (rc == 0)
        rc = buf_appendc(b, '[');
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i)
            rc = buf_appendc(b, ',');
        if (rc == 0)
            rc = jsonw_str(b, v[i]);
    }
    return rc ? rc : buf_appendc(b, ']');
}

/* "type=65" -> "TYPE65" (RFC 3597 text form); other types as logged. */
static int kv_type(struct buf *b, const char *k, struct slice t)
{
    char tmp[32];
    if (slice_starts_with(t, "type=") && t.n - 5 < sizeof tmp - 4) {
        memcpy(tmp, "TYPE", 4);
        memcpy(tmp + 4, t.p + 5, t.n - 5);
        t = slice_of(tmp, t.n - 1);
    }
    return kv_str(b, k, t);
}

int jsonw_txn(struct buf *b, const struct txn_ev *ev)
{
    char num[NUM_US_STRMAX];
    size_t n = num_format_us(ev->time_us, num);
    int rc;

    rc = buf_append(b, "{\"time\":", 8);
    if (rc == 0)
        rc = buf_append(b, num, n);
    if (rc == 0)
        rc = kv_str(b, "src", ev->src);
    if (rc == 0 && ev->has_port)
        rc = kv_u64(b, "src_port", ev->port);
    if (rc == 0 && ev->proto != DMP_NONE)
        rc = kv_str(b, "transport", slice_cstr(dmline_proto_name(ev->proto)));
    if (rc == 0)
        rc = kv_str(b, "query", ev->query);
    if (rc == 0)
        rc = kv_type(b, "query_type", ev->qtype);
    if (rc == 0)
        rc = kv_type(b, "record_type", ev->qtype);
    if (rc == 0)
        rc = kv_arr(b, "answer", ev->answer, ev->n_answer);
    if (rc == 0)
        rc = kv_u64(b, "answer_count", ev->n_answer);
    if (rc == 0)
        rc = kv_arr(b, "cname", ev->cname, ev->n_cname);
    if (rc == 0 && ev->rcode >= 0) {
        rc = kv_str(b, "reply_code", slice_cstr(jsonw_rcode_name(ev->rcode)));
        if (rc == 0)
            rc = kv_u64(b, "reply_code_id", (uint64_t)ev->rcode);
    }
    if (rc == 0 && ev->answer_source.p)
        rc = kv_str(b, "answer_source", ev->answer_source);
    if (rc == 0 && ev->response_us >= 0) {
        n = num_format_us(ev->response_us, num);
        rc = key(b, "response_time");
        if (rc == 0)
            rc = buf_append(b, num, n);
    }
    /* action only when something answered: an unanswered query was
     * neither let through nor blocked as far as the log says */
    if (rc == 0 && ev->block != DMB_NONE) {
        rc = kv_str(b, "action", SLICE_LIT("blocked"));
        if (rc == 0)
            rc = kv_str(b, "blocked_by", slice_cstr(dmline_block_name(ev->block)));
        if (rc == 0 && ev->block_reason.p)
            rc = kv_str(b, "blocked_reason", ev->block_reason);
    } else if (rc == 0 && ev->rcode >= 0) {
        rc = kv_str(b, "action", SLICE_LIT("allowed"));
    }
    if (rc == 0 && ev->dest.p) {
        struct slice d = ev->dest;
        const char *hash = memchr(d.p, '#', d.n);
        if (hash) {
            uint64_t port;
            struct slice ps = slice_of(hash + 1, d.n - (size_t)(hash + 1 - d.p));
            d.n = (size_t)(hash - d.p);
            rc = kv_str(b, "dest", d);
            if (rc == 0 && num_parse_u64(ps, 0, 65535, &port) == 0)
                rc = kv_u64(b, "dest_port", port);
        } else {
            rc = kv_str(b, "dest", d);
        }
    }
    if (rc == 0 && ev->exact)
        rc = kv_u64(b, "serial", ev->serial);
    if (rc == 0 && ev->duplicate && ev->exact && ev->duplicate_of)
        rc = kv_u64(b, "duplicate_of", ev->duplicate_of);
    if (rc == 0 && ev->ede.p)
        rc = kv_str(b, "ede", ev->ede);
    if (rc == 0)
        rc = kv_str(b, "confidence", ev->exact ? SLICE_LIT("exact") : SLICE_LIT("heuristic"));
    if (rc == 0)
        rc = buf_appends(b, ",\"vendor_product\":\"dnsmasq\"}");
    return rc;
}
