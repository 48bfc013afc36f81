#include "modinput/syslogh.h"

#include <string.h>

#include "util/err.h"

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static int month_of(const char *p)
{
    for (int i = 0; i < 12; i++)
        if (memcmp(p, month_names + 3 * i, 3) == 0)
            return i + 1;
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Exactly `w` digits at p (p has at least w bytes). */
static int digits(const char *p, int w, int *out)
{
    int v = 0;
    for (int i = 0; i < w; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* "hh:mm:ss" at p; returns bytes used (8) or -1. */
static int clock_hms(const char *p, size_t n, struct syslogh *h)
{
    if (n < 8 || p[2] != ':' || p[5] != ':' || digits(p, 2, &h->hour) ||
        digits(p + 3, 2, &h->min) || digits(p + 6, 2, &h->sec))
        return -1;
    if (h->hour > 23 || h->min > 59 || h->sec > 60)
        return -1;
    return 8;
}

/* "Mmm dd hh:mm:ss": the day is space-padded by ctime() but "06" and a bare
 * "6" occur in hand-made files; accept all three.  Returns bytes used or -1. */
static int bsd_stamp(const char *p, size_t n, struct syslogh *h)
{
    size_t i;
    int r;

    if (n < 14 || (h->mon = month_of(p)) == 0 || p[3] != ' ')
        return -1;
    i = 4;
    if (p[i] == ' ')
        i++;
    if (!is_digit(p[i]))
        return -1;
    h->day = p[i++] - '0';
    if (i < n && is_digit(p[i]))
        h->day = h->day * 10 + (p[i++] - '0');
    if (h->day < 1 || h->day > 31 || i >= n || p[i] != ' ')
        return -1;
    i++;
    r = clock_hms(p + i, n - i, h);
    if (r < 0)
        return -1;
    return (int)i + r;
}

/* "yyyy-mm-ddThh:mm:ss[.frac][Z|+hh:mm|+hhmm]".  Returns bytes used or -1. */
static int iso_stamp(const char *p, size_t n, struct syslogh *h)
{
    size_t i;
    int r;

    if (n < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
        digits(p, 4, &h->year) || digits(p + 5, 2, &h->mon) || digits(p + 8, 2, &h->day))
        return -1;
    if (h->mon < 1 || h->mon > 12 || h->day < 1 || h->day > 31 || h->year < 1970)
        return -1;
    r = clock_hms(p + 11, n - 11, h);
    if (r < 0)
        return -1;
    i = 19;
    if (i < n && p[i] == '.') {
        int fd = 0;
        i++;
        h->usec = 0;
        for (; i < n && is_digit(p[i]); i++, fd++)
            if (fd < 6)
                h->usec = h->usec * 10 + (p[i] - '0');
        if (fd == 0)
            return -1;
        for (; fd < 6; fd++)
            h->usec *= 10;
    }
    if (i < n && p[i] == 'Z') {
        h->has_off = 1;
        h->off_sec = 0;
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        int oh, om, sign = p[i] == '-' ? -1 : 1;
        i++;
        if (n - i < 4 || digits(p + i, 2, &oh))
            return -1;
        i += 2;
        if (p[i] == ':')
            i++;
        if (n - i < 2 || digits(p + i, 2, &om) || oh > 23 || om > 59)
            return -1;
        i += 2;
        h->has_off = 1;
        h->off_sec = sign * (oh * 3600 + om * 60);
    }
    return (int)i;
}

/* OpenWrt logread: "Www Mmm dd hh:mm:ss yyyy".  Returns bytes used or -1. */
static int ctime_stamp(const char *p, size_t n, struct syslogh *h)
{
    int r;
    size_t i;

    if (n < 24 || p[3] != ' ')
        return -1;
    r = bsd_stamp(p + 4, n - 4, h);
    if (r < 0)
        return -1;
    i = 4 + (size_t)r;
    if (n - i < 5 || p[i] != ' ' || digits(p + i + 1, 4, &h->year))
        return -1;
    return (int)i + 5;
}

/* Next space-delimited token starting at *i; advances *i past one space. */
static struct slice token(const char *p, size_t n, size_t *i)
{
    size_t s = *i;
    while (*i < n && p[*i] != ' ')
        (*i)++;
    struct slice t = slice_of(p + s, *i - s);
    if (*i < n)
        (*i)++;
    return t;
}

/* "prog[pid]:" or "prog:"; fills prog and pid.  0 or -1. */
static int tag(struct slice t, struct syslogh *h)
{
    size_t k;

    if (t.n < 2 || t.p[t.n - 1] != ':')
        return -1;
    t.n--;
    for (k = 0; k < t.n && t.p[k] != '['; k++)
        ;
    if (k == 0)
        return -1;
    h->prog = slice_of(t.p, k);
    if (k == t.n) {
        h->pid = slice_of(t.p + k, 0);
        return 0;
    }
    if (t.p[t.n - 1] != ']')
        return -1;
    h->pid = slice_of(t.p + k + 1, t.n - k - 2);
    return 0;
}

static int classify(const struct syslogh *h)
{
    return slice_eq_cstr(h->prog, "dnsmasq") ? SYSLOGH_DNS : SYSLOGH_SKIP;
}

/* RFC 5424 after "<pri>1 ": TS HOST APP PROCID MSGID SD [MSG]. */
static int rfc5424(const char *p, size_t n, size_t i, struct syslogh *h)
{
    struct slice ts = token(p, n, &i);
    if (!(ts.n == 1 && ts.p[0] == '-')) {
        int r = iso_stamp(ts.p, ts.n, h);
        if (r < 0 || (size_t)r != ts.n)
            return ERR_INPUT;
    }
    (void)token(p, n, &i);            /* host */
    h->prog = token(p, n, &i);
    h->pid = token(p, n, &i);
    if (slice_eq_cstr(h->pid, "-"))
        h->pid.n = 0;
    (void)token(p, n, &i);            /* msgid */
    if (i >= n)
        return ERR_INPUT;
    if (p[i] == '-') {
        i++;
    } else if (p[i] == '[') {
        /* structured data: [id k="v"]... with \] escapes inside values */
        while (i < n && p[i] == '[') {
            int inq = 0;
            for (i++; i < n; i++) {
                if (inq && p[i] == '\\') {
                    i++;
                    continue;
                }
                if (p[i] == '"')
                    inq = !inq;
                else if (!inq && p[i] == ']')
                    break;
            }
            if (i >= n)
                return ERR_INPUT;
            i++;
        }
    } else {
        return ERR_INPUT;
    }
    if (i < n && p[i] == ' ')
        i++;
    /* an optional UTF-8 BOM before MSG */
    if (n - i >= 3 && memcmp(p + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    h->msg_off = i;
    return classify(h);
}

int syslogh_parse(const char *p, size_t n, struct syslogh *h)
{
    size_t i = 0;
    int r;

    memset(h, 0, sizeof *h);
    if (n > 0 && p[0] == '<') {
        /* "<pri>" as written on the wire or kept by some collectors */
        for (i = 1; i < n && i < 5 && is_digit(p[i]); i++)
            ;
        if (i == 1 || i >= n || p[i] != '>')
            return ERR_INPUT;
        i++;
        if (n - i >= 2 && p[i] == '1' && p[i + 1] == ' ')
            return rfc5424(p, n, i + 2, h);
    }
    p += i;
    n -= i;
    r = bsd_stamp(p, n, h);
    if (r < 0) {
        memset(h, 0, sizeof *h);
        r = iso_stamp(p, n, h);
    }
    if (r < 0) {
        memset(h, 0, sizeof *h);
        r = ctime_stamp(p, n, h);
    }
    if (r < 0) {
        memset(h, 0, sizeof *h);
        r = 0; /* no timestamp: "dnsmasq: msg" debug echo */
    }
    {
        size_t j = (size_t)r;
        if (r > 0) {
            if (j >= n || p[j] != ' ')
                return ERR_INPUT;
            j++;
        }
        /* The tag is at most the third token: [host] [facility.level] tag. */
        for (int k = 0; k < 3 && j < n; k++) {
            struct slice t = token(p, n, &j);
            if (tag(t, h) == 0) {
                h->msg_off = i + j;
                return classify(h);
            }
            if (r == 0)
                break;
        }
    }
    return ERR_INPUT;
}
