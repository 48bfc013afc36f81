/* setenv and localtime_r are POSIX, not C11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "report/bins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/num.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int bins_parse(struct slice s, struct bins *b, struct err *e)
{
    static const struct {
        const char *name;
        int64_t sec;
        int days;
    } units[] = {
        {"", 1, 0},        {"s", 1, 0},        {"sec", 1, 0},       {"secs", 1, 0},
        {"second", 1, 0},  {"seconds", 1, 0},  {"m", 60, 0},        {"min", 60, 0},
        {"mins", 60, 0},   {"minute", 60, 0},  {"minutes", 60, 0},  {"h", 3600, 0},
        {"hr", 3600, 0},   {"hrs", 3600, 0},   {"hour", 3600, 0},   {"hours", 3600, 0},
        {"d", 86400, 1},   {"day", 86400, 1},  {"days", 86400, 1},
    };
    size_t i = 0;
    uint64_t v;

    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    if (num_parse_u64(slice_of(s.p, i), 1, 86400ull * BINS_SPAN_DAYS_MAX, &v) == 0) {
        struct slice unit = slice_of(s.p + i, s.n - i);
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
            if (!slice_eq_cstr(unit, units[k].name))
                continue;
            if (v * (uint64_t)units[k].sec > 86400ull * BINS_SPAN_DAYS_MAX)
                break;
            memset(b, 0, sizeof *b);
            b->span_us = (int64_t)v * units[k].sec * US_PER_SEC;
            b->days = units[k].days ? (int)v : 0;
            return 0;
        }
    }
    return err_set(e, ERR_ARGS, "span=%.*s: expected a whole number with unit s, m, h or d "
                   "(such as 30s, 5m, 1h, 1d), at most %dd", (int)(s.n > 64 ? 64 : s.n), s.p,
                   BINS_SPAN_DAYS_MAX);
}

/* A zone name must exist in the zone database: glibc silently falls back to
 * UTC for an unknown name, which would shift every day bin without a word. */
static int zone_file_exists(const char *name)
{
    const char *dirs[] = {getenv("TZDIR"), "/usr/share/zoneinfo", "/usr/lib/zoneinfo",
                          "/usr/share/lib/zoneinfo"};
    char path[512];
    struct stat st;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (dirs[i] == NULL || dirs[i][0] == 0)
            continue;
        int n = snprintf(path, sizeof path, "%s/%s", dirs[i], name);
        if (n < 0 || (size_t)n >= sizeof path)
            continue;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
    }
    return 0;
}

int bins_set_tz(struct slice tz, struct err *e)
{
    char name[256];
    int ok = tz.n > 0 && tz.n < sizeof name;
    int has_digit = 0;

    for (size_t i = 0; ok && i < tz.n; i++) {
        unsigned char c = (unsigned char)tz.p[i];
        has_digit |= c >= '0' && c <= '9';
        /* letters, digits and the punctuation of zone names and POSIX rules */
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             strchr("/_-+:,.<>", c) != NULL;
    }
    if (ok) {
        memcpy(name, tz.p, tz.n);
        name[tz.n] = 0;
        /* no way out of the zone directory */
        ok = name[0] != '/' && strstr(name, "..") == NULL;
    }
    /* A POSIX rule ("IST-5:30", "EST5EDT,M3.2.0,M11.1.0") always has a
     * digit in its offset; a zone name must be in the database. */
    if (ok && !has_digit && !zone_file_exists(name))
        ok = 0;
    if (ok && has_digit && strchr(name, '/') != NULL && !zone_file_exists(name))
        ok = 0;
    if (!ok)
        return err_set(e, ERR_ARGS, "tz=%.*s: expected a time zone name such as Europe/Berlin "
                       "or Asia/Kolkata, or a POSIX TZ string such as IST-5:30",
                       (int)(tz.n > 64 ? 64 : tz.n), tz.p);
    if (setenv("TZ", name, 1) != 0)
        return err_set(e, ERR_NOMEM, "out of memory setting the time zone");
    tzset();
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's civil calendar algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Local midnight starting the day-bin that holds t. */
static int64_t day_floor(int days, int64_t t_us)
{
    time_t s = (time_t)floor_div(t_us, US_PER_SEC);
    struct tm tm;
    int64_t y;
    int m, d;

    if (localtime_r(&s, &tm) == NULL)
        return floor_div(t_us, 86400 * US_PER_SEC) * 86400 * US_PER_SEC;
    int64_t dn = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    civil_from_days(floor_div(dn, days) * days, &y, &m, &d);
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)(y - 1900);
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;  /* let the zone say whether midnight is DST */
    time_t r = mktime(&tm);
    /* A zone that skips midnight makes mktime pick a nearby instant; never
     * let the bin start after the event. */
    if ((int64_t)r * US_PER_SEC > t_us)
        r = s;
    return (int64_t)r * US_PER_SEC;
}

int64_t bins_floor(struct bins *b, int64_t t_us)
{
    if (b->days == 0)
        return floor_div(t_us, b->span_us) * b->span_us;
    if (b->hi > b->lo && t_us >= b->lo && t_us < b->hi)
        return b->lo;
    int64_t lo = day_floor(b->days, t_us);
    b->lo = lo;
    b->hi = bins_next(b, lo);
    return lo;
}

int64_t bins_next(struct bins *b, int64_t start_us)
{
    if (b->days == 0)
        return start_us + b->span_us;
    /* The next bin starts within a few hours of start + N days (DST moves
     * it by at most 2 hours anywhere), and lasts far longer than that, so
     * six hours past the nominal end is always inside it. */
    return day_floor(b->days, start_us + b->span_us + 6 * 3600 * US_PER_SEC);
}
