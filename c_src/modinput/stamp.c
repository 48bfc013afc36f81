#include "modinput/stamp.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int64_t stamp_days(int y, int m, int d)
{
    /* Howard Hinnant's days_from_civil */
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int parse_offset(const char *s, int *off)
{
    int sign, hh, mm;
    size_t n = strlen(s);
    if ((s[0] != '+' && s[0] != '-') || (n != 6 && n != 5 && n != 3))
        return -1;
    for (size_t i = 1; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(n == 6 && i == 3 && s[i] == ':'))
            return -1;
    sign = s[0] == '-' ? -1 : 1;
    hh = (s[1] - '0') * 10 + (s[2] - '0');
    mm = n == 3 ? 0 : (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
    if (hh > 15 || mm > 59)
        return -1;
    *off = sign * (hh * 3600 + mm * 60);
    return 0;
}

int stamp_zone_parse(const char *name, struct stamp_ctx *c, const char **tz_env, struct err *e)
{
    char path[512];
    struct stat st;

    memset(c, 0, sizeof *c);
    c->cache_key = INT64_MIN;
    *tz_env = NULL;
    if (name == NULL || name[0] == '\0' || strcmp(name, "local") == 0)
        return 0;
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 || strcmp(name, "GMT") == 0) {
        c->fixed = 1;
        return 0;
    }
    if (name[0] == '+' || name[0] == '-') {
        if (parse_offset(name, &c->off_sec))
            return err_set(e, ERR_ARGS, "bad time zone offset (use +hh:mm or -hhmm)");
        c->fixed = 1;
        return 0;
    }
    /* an IANA name: letters, digits, '_', '-', '+', '/' without "..", present on disk */
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '+' || *p == '/'))
            return err_set(e, ERR_ARGS, "bad time zone name");
    if (strstr(name, "..") || name[0] == '/' || strlen(name) > 200)
        return err_set(e, ERR_ARGS, "bad time zone name");
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return err_set(e, ERR_ARGS, "unknown time zone (not in /usr/share/zoneinfo)");
    *tz_env = name;
    return 0;
}

void stamp_set_year(struct stamp_ctx *c, int year, int64_t ref_s)
{
    c->year = year > 0 ? year : 0;
    c->last_mon = 0;
    c->ref_s = ref_s;
}

static int64_t local_off(time_t t)
{
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL)
        return 0;
    return tm.tm_gmtoff;
}

/* UTC seconds for local wall-clock seconds L (as if L were UTC). */
static int64_t from_local(struct stamp_ctx *c, int64_t L)
{
    int64_t key = L / 3600, ob, oa, cb, ca;
    int vb, va;

    if (c->fixed)
        return L - c->off_sec;
    if (key == c->cache_key)
        return L - c->cache_off;
    ob = local_off((time_t)(L - 86400));
    oa = local_off((time_t)(L + 86400));
    cb = L - ob;
    ca = L - oa;
    vb = cb + local_off((time_t)cb) == L;
    va = ca + local_off((time_t)ca) == L;
    if (ob == oa || !(vb && va)) {
        /* unambiguous, or in a gap (then read it with the offset before) */
        int64_t off = va && !vb ? oa : ob;
        if (ob == oa || vb != va) {
            c->cache_key = key;
            c->cache_off = off;
        }
        return L - off;
    }
    /* a repeated hour: the earlier reading unless time would run backwards */
    {
        int64_t early = cb < ca ? cb : ca, late = cb < ca ? ca : cb;
        return early * 1000000 + 999999 < c->last_us ? late : early;
    }
}

int stamp_to_us(struct stamp_ctx *c, const struct syslogh *h, int64_t *out)
{
    int y;
    int64_t L, s;

    if (h->mon == 0) {
        *out = c->last_us;
        return 0;
    }
    if (h->year > 0) {
        y = h->year;
    } else if (c->year > 0) {
        if (c->last_mon && h->mon + 6 < c->last_mon)
            c->year++; /* Dec -> Jan */
        y = c->year;
    } else {
        struct tm rt;
        time_t r = (time_t)(c->ref_s + 86400);
        if (gmtime_r(&r, &rt) == NULL)
            return ERR_INPUT;
        y = rt.tm_year + 1900;
        if (h->mon > rt.tm_mon + 1 || (h->mon == rt.tm_mon + 1 && h->day > rt.tm_mday))
            y--;
    }
    c->last_mon = h->mon;
    if (h->day > days_in_month(y, h->mon))
        return ERR_INPUT;
    L = stamp_days(y, h->mon, h->day) * 86400 + h->hour * 3600 + h->min * 60 + h->sec;
    if (h->has_off)
        s = L - h->off_sec;
    else
        s = from_local(c, L);
    *out = s * 1000000 + h->usec;
    c->last_us = *out;
    return 0;
}
