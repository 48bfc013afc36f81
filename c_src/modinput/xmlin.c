#include "modinput/xmlin.h"

#include <string.h>

#include "limits.h"
#include "util/buf.h"
#include "util/xmem.h"

static int put_utf8(struct buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(b, u, n);
}

int xmlin_to_utf8(const char *p, size_t n, char **out, size_t *out_n)
{
    const unsigned char *u = (const unsigned char *)p;
    struct buf b;
    int be = -1, rc = 0;
    size_t i = 0;

    buf_init(&b, (size_t)MODINPUT_XML_MAX * 2 + 1);
    if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        be = 0;
        i = 2;
    } else if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
        be = 1;
        i = 2;
    } else if (n >= 2 && u[0] == '<' && u[1] == 0) {
        be = 0; /* declared utf-16 without a BOM */
    } else if (n >= 2 && u[0] == 0 && u[1] == '<') {
        be = 1;
    } else if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        i = 3;
    }
    if (be < 0) {
        rc = buf_append(&b, p + i, n - i);
    } else {
        for (; i + 1 < n && rc == 0; i += 2) {
            unsigned long c = be ? (unsigned long)(u[i] << 8 | u[i + 1])
                                 : (unsigned long)(u[i + 1] << 8 | u[i]);
            if (c >= 0xD800 && c <= 0xDBFF) {
                unsigned long lo;
                if (i + 3 >= n) {
                    rc = ERR_INPUT;
                    break;
                }
                lo = be ? (unsigned long)(u[i + 2] << 8 | u[i + 3])
                        : (unsigned long)(u[i + 3] << 8 | u[i + 2]);
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    rc = ERR_INPUT;
                    break;
                }
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            } else if (c >= 0xDC00 && c <= 0xDFFF) {
                rc = ERR_INPUT;
                break;
            }
            rc = put_utf8(&b, c);
        }
    }
    if (rc == 0)
        rc = buf_appendc(&b, '\0');
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_take(&b, out_n);
    (*out_n)--;
    return 0;
}

/* Decode text with character references into a new string (OWNED). */
static int decode(const char *p, size_t n, char **out)
{
    struct buf b;
    int rc = 0;

    buf_init(&b, (size_t)MODINPUT_XML_MAX + 1);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (p[i] != '&') {
            rc = buf_appendc(&b, p[i]);
            continue;
        }
        const char *semi = memchr(p + i, ';', n - i);
        size_t len;
        if (semi == NULL) {
            rc = ERR_INPUT;
            break;
        }
        len = (size_t)(semi - (p + i)) + 1;
        if (len == 5 && memcmp(p + i, "&amp;", 5) == 0)
            rc = buf_appendc(&b, '&');
        else if (len == 4 && memcmp(p + i, "&lt;", 4) == 0)
            rc = buf_appendc(&b, '<');
        else if (len == 4 && memcmp(p + i, "&gt;", 4) == 0)
            rc = buf_appendc(&b, '>');
        else if (len == 6 && memcmp(p + i, "&quot;", 6) == 0)
            rc = buf_appendc(&b, '"');
        else if (len == 6 && memcmp(p + i, "&apos;", 6) == 0)
            rc = buf_appendc(&b, '\'');
        else if (len >= 4 && p[i + 1] == '#') {
            unsigned long cp = 0;
            int hex = p[i + 2] == 'x' || p[i + 2] == 'X';
            size_t k = i + 2 + (size_t)hex, digits = 0;
            for (; k < i + len - 1; k++, digits++) {
                char c = p[k];
                int d = c >= '0' && c <= '9' ? c - '0'
                        : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                        : -1;
                if (d < 0 || cp > 0x10FFFF) {
                    rc = ERR_INPUT;
                    break;
                }
                cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            }
            if (rc == 0 && (digits == 0 || cp == 0 || cp > 0x10FFFF ||
                            (cp >= 0xD800 && cp <= 0xDFFF)))
                rc = ERR_INPUT;
            if (rc == 0)
                rc = put_utf8(&b, cp);
        } else {
            rc = ERR_INPUT;
        }
        i += len - 1;
    }
    if (rc == 0)
        rc = buf_appendc(&b, '\0');
    if (rc) {
        buf_free(&b);
        return rc;
    }
    *out = buf_take(&b, &n);
    return 0;
}

/* Value of attribute `name` inside a start tag's text (decoded, OWNED). */
static int attr(const char *t, size_t n, const char *name, char **out)
{
    size_t ln = strlen(name);
    *out = NULL;
    for (size_t i = 0; i + ln + 2 < n; i++) {
        if ((i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n' ||
             t[i - 1] == '\r') &&
            memcmp(t + i, name, ln) == 0) {
            size_t k = i + ln;
            while (k < n && (t[k] == ' ' || t[k] == '\t'))
                k++;
            if (k >= n || t[k] != '=')
                continue;
            k++;
            while (k < n && (t[k] == ' ' || t[k] == '\t'))
                k++;
            if (k >= n || (t[k] != '"' && t[k] != '\''))
                return ERR_INPUT;
            char q = t[k++];
            const char *end = memchr(t + k, q, n - k);
            if (end == NULL)
                return ERR_INPUT;
            return decode(t + k, (size_t)(end - (t + k)), out);
        }
    }
    return 0;
}

static int name_is(const char *t, size_t n, const char *name)
{
    size_t ln = strlen(name);
    return n >= ln && memcmp(t, name, ln) == 0 &&
           (n == ln || t[ln] == ' ' || t[ln] == '\t' || t[ln] == '\n' || t[ln] == '\r' ||
            t[ln] == '/' || t[ln] == '>');
}

int xmlin_parse(const char *in, size_t in_n, struct xmlin *x, struct err *e)
{
    char *doc = NULL, *pname = NULL;
    size_t n = 0, i = 0;
    int rc, stanzas = 0, in_cp = 0;
    struct buf text;

    memset(x, 0, sizeof *x);
    if (in_n > MODINPUT_XML_MAX)
        return err_set(e, ERR_LIMIT, "configuration XML of %zu bytes is larger than "
                       "MODINPUT_XML_MAX (%llu bytes; " LIMIT_BUILD_HINT ")", in_n,
                       (unsigned long long)MODINPUT_XML_MAX);
    rc = xmlin_to_utf8(in, in_n, &doc, &n);
    if (rc)
        return err_set(e, rc, "configuration XML: bad encoding");
    buf_init(&text, (size_t)MODINPUT_XML_MAX + 1);
    while (i < n && rc == 0) {
        if (doc[i] != '<') {
            const char *lt = memchr(doc + i, '<', n - i);
            size_t k = lt ? (size_t)(lt - doc) : n;
            if (pname || in_cp)
                rc = buf_append(&text, doc + i, k - i);
            i = k;
            continue;
        }
        if (n - i >= 4 && memcmp(doc + i, "<!--", 4) == 0) {
            const char *end = strstr(doc + i + 4, "-->");
            if (end == NULL)
                rc = ERR_INPUT;
            else
                i = (size_t)(end - doc) + 3;
            continue;
        }
        if (n - i >= 9 && memcmp(doc + i, "<![CDATA[", 9) == 0) {
            const char *end = strstr(doc + i + 9, "]]>");
            if (end == NULL) {
                rc = ERR_INPUT;
                continue;
            }
            if (pname || in_cp) {
                /* CDATA is literal: escape '&' so decode() leaves it as is */
                for (const char *c = doc + i + 9; c < end && rc == 0; c++)
                    rc = *c == '&' ? buf_append(&text, "&amp;", 5) : buf_appendc(&text, *c);
            }
            i = (size_t)(end - doc) + 3;
            continue;
        }
        {
            const char *gt = memchr(doc + i, '>', n - i);
            const char *t = doc + i + 1;
            size_t tn;
            if (gt == NULL) {
                rc = ERR_INPUT;
                continue;
            }
            tn = (size_t)(gt - t);
            i = (size_t)(gt - doc) + 1;
            if (tn && (t[0] == '?' || t[0] == '!'))
                continue;
            if (tn && t[0] == '/') {
                if (pname && name_is(t + 1, tn - 1, "param")) {
                    char *v = NULL;
                    rc = decode(text.p ? text.p : "", text.len, &v);
                    if (rc == 0 && stanzas == 1) {
                        if (x->n >= XMLIN_PARAMS_MAX) {
                            xfree(v);
                            rc = ERR_LIMIT;
                        } else {
                            x->p[x->n].name = pname;
                            x->p[x->n].value = v;
                            x->n++;
                            pname = NULL;
                        }
                    } else {
                        xfree(v);
                    }
                    xfree(pname);
                    pname = NULL;
                } else if (in_cp && name_is(t + 1, tn - 1, "checkpoint_dir")) {
                    /* decode leaves its output unset on failure: clear the
                     * old value first so it is not freed twice */
                    xfree(x->checkpoint_dir);
                    x->checkpoint_dir = NULL;
                    rc = decode(text.p ? text.p : "", text.len, &x->checkpoint_dir);
                    in_cp = 0;
                }
                continue;
            }
            if (x->root == NULL) {
                size_t k = 0;
                while (k < tn && t[k] != ' ' && t[k] != '>' && t[k] != '/' && t[k] != '\n')
                    k++;
                x->root = xstrndup(t, k);
                if (x->root == NULL)
                    rc = ERR_NOMEM;
            }
            if (name_is(t, tn, "stanza") || name_is(t, tn, "item")) {
                stanzas++;
                if (stanzas == 1)
                    rc = attr(t, tn, "name", &x->stanza);
            } else if (name_is(t, tn, "param")) {
                xfree(pname);
                pname = NULL;
                rc = attr(t, tn, "name", &pname);
                if (rc == 0 && pname == NULL)
                    rc = ERR_INPUT;
                buf_reset(&text);
                if (rc == 0 && tn && t[tn - 1] == '/') {
                    /* <param name="x"/>: an empty value */
                    if (stanzas == 1 && x->n < XMLIN_PARAMS_MAX) {
                        x->p[x->n].name = pname;
                        x->p[x->n].value = xstrndup("", 0);
                        if (x->p[x->n].value == NULL)
                            rc = ERR_NOMEM;
                        x->n++;
                        pname = NULL;
                    }
                    xfree(pname);
                    pname = NULL;
                }
            } else if (name_is(t, tn, "checkpoint_dir")) {
                in_cp = 1;
                buf_reset(&text);
            }
        }
    }
    xfree(pname);
    buf_free(&text);
    xfree(doc);
    if (rc == 0 && x->root == NULL)
        rc = ERR_INPUT;
    if (rc)
        return err_set(e, rc, "configuration XML: %s", rc == ERR_LIMIT ? "too many parameters"
                                                        : rc == ERR_NOMEM ? "out of memory"
                                                                          : "malformed");
    return 0;
}

const char *xmlin_get(const struct xmlin *x, const char *name)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->p[i].name, name) == 0)
            return x->p[i].value;
    return NULL;
}

void xmlin_free(struct xmlin *x)
{
    for (size_t i = 0; i < x->n; i++) {
        xfree(x->p[i].name);
        xfree(x->p[i].value);
    }
    xfree(x->root);
    xfree(x->checkpoint_dir);
    xfree(x->stanza);
    memset(x, 0, sizeof *x);
}
