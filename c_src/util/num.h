/*
 * num: bounded number parsing from slices, and the time and duration forms
 * Splunk uses.  No strtol/atoi: every parser checks every byte and overflow.
 *
 * Times are int64 microseconds since the epoch ("us"), which holds every
 * `_time` Splunk writes (at most 6 decimals) exactly, so differences and the
 * printed `dns_age` are exact.
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/slice.h"

#define US_PER_SEC INT64_C(1000000)

/* Decimal digits only, value in [min, max].  0 or ERR_INPUT. */
int num_parse_u64(struct slice s, uint64_t min, uint64_t max, uint64_t *out) WARN_UNUSED;

/* Optional sign, digits, optional '.' and fraction (digits past 6 are
 * dropped, not rounded).  Leading/trailing blanks are not accepted.
 * 0 or ERR_INPUT.  Range: about +/- 292,000 years. */
int num_parse_time_us(struct slice s, int64_t *out) WARN_UNUSED;

/* Splunk timespan: <int>[unit] with units s sec secs second seconds, m min
 * mins minute minutes, h hr hrs hour hours, d day days, w week weeks; a bare
 * integer is seconds.  0 or ERR_INPUT. */
int num_parse_span_us(struct slice s, int64_t *out) WARN_UNUSED;

/* Shortest decimal form of us/1e6: "12", "-0.5", "0.000001".  Writes a NUL-
 * terminated string into out (at least NUM_US_STRMAX bytes); returns length. */
#define NUM_US_STRMAX 32
size_t num_format_us(int64_t us, char *out);

/* Decimal form of an unsigned integer; returns length. */
size_t num_format_u64(uint64_t v, char *out);

#endif
