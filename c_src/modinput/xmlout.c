#include "modinput/xmlout.h"

#include "util/num.h"

static int escape(struct buf *b, struct slice s, int attr)
{
    size_t i = 0, start;
    int rc = 0;

    while (i < s.n && rc == 0) {
        start = i;
        while (i < s.n) {
            unsigned char c = (unsigned char)s.p[i];
            if (c == '&' || c == '<' || c == '>' || (attr && c == '"') ||
                (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
                break;
            i++;
        }
        if (i > start)
            rc = buf_append(b, s.p + start, i - start);
        if (i >= s.n || rc)
            break;
        switch (s.p[i]) {
        case '&': rc = buf_appends(b, "&amp;"); break;
        case '<': rc = buf_appends(b, "&lt;"); break;
        case '>': rc = buf_appends(b, "&gt;"); break;
        case '"': rc = buf_appends(b, "&quot;"); break;
        default: break; /* not allowed in XML 1.0: dropped */
        }
        i++;
    }
    return rc;
}

int xmlout_escape(struct buf *b, struct slice s) { return escape(b, s, 0); }

int xmlout_escape_attr(struct buf *b, struct slice s) { return escape(b, s, 1); }

static int elem(struct buf *b, const char *tag, struct slice v)
{
    int rc;
    if (v.p == NULL)
        return 0;
    rc = buf_printf(b, "<%s>", tag);
    if (rc == 0)
        rc = xmlout_escape(b, v);
    if (rc == 0)
        rc = buf_printf(b, "</%s>", tag);
    return rc;
}

int xmlout_event(struct buf *b, const struct xmlout_meta *m, int64_t time_us, struct slice data)
{
    char t[NUM_US_STRMAX];
    /* Splunk reads at most 3 decimals */
    int64_t ms_us = time_us - (time_us % 1000 + 1000) % 1000;
    size_t tn = num_format_us(ms_us, t);
    int rc = buf_appends(b, "<event");
    if (rc == 0 && m->stanza.p) {
        rc = buf_appends(b, " stanza=\"");
        if (rc == 0)
            rc = xmlout_escape_attr(b, m->stanza);
        if (rc == 0)
            rc = buf_appendc(b, '"');
    }
    if (rc == 0)
        rc = buf_appends(b, " unbroken=\"1\"><time>");
    if (rc == 0)
        rc = buf_append(b, t, tn);
    if (rc == 0)
        rc = buf_appends(b, "</time>");
    if (rc == 0)
        rc = elem(b, "source", m->source);
    if (rc == 0)
        rc = elem(b, "sourcetype", m->sourcetype);
    if (rc == 0)
        rc = elem(b, "index", m->index);
    if (rc == 0)
        rc = elem(b, "host", m->host);
    if (rc == 0)
        rc = elem(b, "data", data);
    if (rc == 0)
        rc = buf_appends(b, "<done/></event>\n");
    return rc;
}
