/*
 * stamp: a full UTC time for a header's "Mmm dd hh:mm:ss" (DOMAIN.md §1.5.6).
 *
 * dnsmasq's own stamps carry no year and no zone.  The zone comes from the
 * configuration (the process's TZ, set by main, or a fixed offset); the
 * year either counts forward from a given year (rolling over when the
 * month goes back, Dec -> Jan) or is the latest year that does not put the
 * line after a reference time ("now", or the file's mtime) by more than a
 * day.  In a repeated DST hour the earlier reading is used unless that
 * would make time run backwards.  ISO stamps with an offset are exact.
 */
#ifndef STAMP_H
#define STAMP_H

#include <stdint.h>

#include "modinput/syslogh.h"
#include "util/err.h"

struct stamp_ctx {
    int fixed;          /* 1: zone is off_sec east of UTC; 0: the process's local zone */
    int off_sec;
    int year;           /* counting mode: the year of the current line; 0 = reference mode */
    int last_mon;
    int64_t ref_s;      /* reference mode: no line is later than this + 1 day */
    int64_t last_us;    /* previous result, to resolve repeated DST hours */
    int64_t cache_key;  /* local hour last converted */
    int64_t cache_off;  /* its UTC offset */
};

/* Zone text: "" or "local" (the process's TZ), "UTC"/"Z"/"GMT", "+hh:mm",
 * "-hhmm", or an IANA name that exists under /usr/share/zoneinfo.  For an
 * IANA name *tz_env receives the TZ value main must set before use
 * (BORROWED: points into name).  0 or ERR_ARGS with a message. */
int stamp_zone_parse(const char *name, struct stamp_ctx *c, const char **tz_env, struct err *e);

/* year > 0: count from it; otherwise reference mode with ref_s. */
void stamp_set_year(struct stamp_ctx *c, int year, int64_t ref_s);

/* us since the epoch, UTC, for a header; a header without a timestamp
 * gets the previous line's time.  Returns 0 or ERR_INPUT (impossible date). */
int stamp_to_us(struct stamp_ctx *c, const struct syslogh *h, int64_t *out) WARN_UNUSED;

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t stamp_days(int y, int m, int d);

#endif
