/*
 * bins: time bins as Splunk's `bin`/`timechart` draw them (DOMAIN.md 3).
 *
 * A bin starting at x covers [x, x + span).  Spans given in seconds,
 * minutes or hours (including 24h) are aligned to multiples of the span in
 * epoch time, whatever the zone.  Spans given in days (1d, 2d, ...) are
 * calendar days that start at local midnight in the process's time zone
 * (set it with bins_set_tz, the command's tz= option); a day bin is 23 or
 * 25 hours long across a DST change, and an N-day bin starts on a local
 * date whose day number since 1970-01-01 is a multiple of N.
 *
 * Local time comes from the C library (localtime_r/mktime after setenv TZ +
 * tzset): it knows the zone database, including half-hour and 45-minute
 * offsets and historical rule changes, which a hand-written offset table
 * would not.  The price is that the zone is process-wide state, which is
 * fine for a process that runs one search command.
 */
#ifndef REPORT_BINS_H
#define REPORT_BINS_H

#include <stdint.h>

#include "util/err.h"
#include "util/slice.h"

/* Longest span accepted: one year of days. */
#define BINS_SPAN_DAYS_MAX 366

struct bins {
    int64_t span_us;   /* fixed spans: the length; day spans: days * 86400 s */
    int days;          /* > 0: calendar days in local time */
    int64_t lo, hi;    /* cache: the last day bin computed, [lo, hi) */
};

/* Parse a span: an integer with unit s, sec, secs, second(s), m, min,
 * mins, minute(s), h, hr, hrs, hour(s), d, day(s); a bare integer is
 * seconds.  1s to BINS_SPAN_DAYS_MAX days.  0 or ERR_ARGS with e filled. */
int bins_parse(struct slice s, struct bins *b, struct err *e) WARN_UNUSED;

/* Use zone `tz` (an Olson name such as Asia/Kolkata, or a POSIX TZ string
 * such as IST-5:30) for local time from now on.  Names are checked against
 * the zone database so a typo is an error, not silent UTC.  0 or ERR_ARGS. */
int bins_set_tz(struct slice tz, struct err *e) WARN_UNUSED;

/* Start of the bin containing t (microseconds since the epoch). */
int64_t bins_floor(struct bins *b, int64_t t_us);

/* Start of the bin after the one starting at `start_us`. */
int64_t bins_next(struct bins *b, int64_t start_us);

#endif
