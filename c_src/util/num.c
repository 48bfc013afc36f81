#include "util/num.h"

int num_parse_u64(struct slice s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s.p == NULL || s.n == 0 || s.n > 20)
        return ERR_INPUT;
    for (size_t i = 0; i < s.n; i++) {
        unsigned d = (unsigned char)s.p[i] - '0';
        if (d > 9)
            return ERR_INPUT;
        if (v > (UINT64_MAX - d) / 10)
            return ERR_INPUT;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return ERR_INPUT;
    *out = v;
    return 0;
}

int num_parse_time_us(struct slice s, int64_t *out)
{
    size_t i = 0;
    int neg = 0, digits = 0;
    uint64_t sec = 0, frac = 0;
    const uint64_t sec_max = (uint64_t)(INT64_MAX / US_PER_SEC) - 1;

    if (s.p == NULL || s.n == 0 || s.n > 64)
        return ERR_INPUT;
    if (s.p[0] == '-' || s.p[0] == '+') {
        neg = s.p[0] == '-';
        i++;
    }
    for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++, digits++) {
        sec = sec * 10 + (uint64_t)(s.p[i] - '0');
        if (sec > sec_max)
            return ERR_INPUT;
    }
    if (i < s.n && s.p[i] == '.') {
        int fd = 0;
        i++;
        for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++, fd++, digits++)
            if (fd < 6)
                frac = frac * 10 + (uint64_t)(s.p[i] - '0');
        for (; fd < 6; fd++)
            frac *= 10;
    }
    if (i != s.n || digits == 0)
        return ERR_INPUT;
    *out = (int64_t)(sec * (uint64_t)US_PER_SEC + frac);
    if (neg)
        *out = -*out;
    return 0;
}

static int unit_is(struct slice u, const char *const *names)
{
    for (; *names; names++)
        if (slice_eq_cstr(u, *names))
            return 1;
    return 0;
}

int num_parse_span_us(struct slice s, int64_t *out)
{
    static const char *const sec[] = {"", "s", "sec", "secs", "second", "seconds", NULL};
    static const char *const min[] = {"m", "min", "mins", "minute", "minutes", NULL};
    static const char *const hour[] = {"h", "hr", "hrs", "hour", "hours", NULL};
    static const char *const day[] = {"d", "day", "days", NULL};
    static const char *const week[] = {"w", "week", "weeks", NULL};
    size_t i = 0;
    uint64_t v;
    int64_t mult;
    struct slice unit;

    if (s.p == NULL)
        return ERR_INPUT;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    if (num_parse_u64(slice_of(s.p, i), 0, 100ULL * 365 * 86400, &v))
        return ERR_INPUT;
    unit = slice_of(s.p + i, s.n - i);
    if (unit_is(unit, sec))
        mult = 1;
    else if (unit_is(unit, min))
        mult = 60;
    else if (unit_is(unit, hour))
        mult = 3600;
    else if (unit_is(unit, day))
        mult = 86400;
    else if (unit_is(unit, week))
        mult = 7 * 86400;
    else
        return ERR_INPUT;
    if (v > (uint64_t)(100LL * 365 * 86400 / mult))
        return ERR_INPUT;
    *out = (int64_t)v * mult * US_PER_SEC;
    return 0;
}

size_t num_format_u64(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

size_t num_format_us(int64_t us, char *out)
{
    size_t n = 0;
    uint64_t a, sec, frac;

    if (us < 0) {
        out[n++] = '-';
        a = (uint64_t)(-(us + 1)) + 1;
    } else {
        a = (uint64_t)us;
    }
    sec = a / (uint64_t)US_PER_SEC;
    frac = a % (uint64_t)US_PER_SEC;
    n += num_format_u64(sec, out + n);
    if (frac) {
        char f[7];
        int k = 6;
        for (int i = 5; i >= 0; i--) {
            f[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        while (k > 0 && f[k - 1] == '0')
            k--;
        out[n++] = '.';
        for (int i = 0; i < k; i++)
            out[n++] = f[i];
    }
    out[n] = '\0';
    return n;
}
