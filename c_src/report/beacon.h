/*
 * beacon: the rhythm of a conversation's events (dnsprofile's beaconing
 * verdict), from the gaps between its lookups, in a few bytes per
 * conversation and a small sketch for those with gaps.
 *
 * Each conversation has a slot (8 bytes, zeroed = no event yet) holding
 * the time of its previous event; a gap (|t - previous|, in whole
 * seconds) goes into a sketch allocated with the conversation's first gap
 * (16 bytes and 12 per bucket used).
 * The sketch is a sparse log-scale histogram: 32 buckets per doubling
 * (1024 over 1 s .. 2^32 s), at most BEACON_ENTRIES_MAX of them used, each
 * keeping its count and the smallest and largest gap it saw.  A gap is
 * represented by the middle of its bucket's smallest and largest, so it is
 * within 2^shift / 64 of itself (shift 0: 1.6%), and a bucket whose gaps
 * are all equal is exact.  When a gap needs a bucket past the cap, the
 * buckets are merged in pairs (shift + 1, the bound doubles): 4 buckets
 * span a factor of 1.09 at shift 0, 1.19 at 1, 1.41 at 2, so a coarser
 * sketch means gaps that already vary a lot; 4 is what keeps dnsprofile
 * inside its memory target at 10M events.
 *
 * Order: gaps are differences of consecutive events as they arrive, exact
 * when a conversation's events arrive sorted, newest first (Splunk's
 * default) or oldest first, with the same result either way.  Events less
 * than a second after the previous one counted are one event (a lookup
 * logged twice, A and AAAA answers).  A conversation whose events change
 * direction by a second or more is marked unordered and its rhythm is not
 * reported (beacon_get gives unordered = 1).
 *
 * Two streams: lookups, and connections for a conversation that has no
 * lookups (a name another client resolved, no DNS at all).  A slot follows
 * connections until its first lookup, and lookups from then on.
 */
#ifndef REPORT_BEACON_H
#define REPORT_BEACON_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Buckets one sketch uses at most (12 bytes each). */
#define BEACON_ENTRIES_MAX 4

enum beacon_stream { BEACON_LOOKUPS = 0, BEACON_CONNS = 1 };

/* A conversation's state; zeroed is empty.  Internal: prev is the previous
 * event's time in 1/16 s from the store's base, offset by 2^31 (0: none);
 * sk names the sketch in the store (0: none yet), the stream in its top
 * bit.  Slots need no freeing: the store holds the sketches. */
struct beacon_slot {
    uint32_t prev, sk;
};

/* The time base the slots' times count from, and their sketches. */
struct beacon;

/* OWNED, free with beacon_free (which frees every slot's sketch); NULL
 * when out of memory. */
struct beacon *beacon_new(void);
void beacon_free(struct beacon *b);

/* Bytes the sketches take (for tests and measurements). */
size_t beacon_bytes(const struct beacon *b);

/* An event of a stream at t (microseconds).  0 or ERR_NOMEM.  An event
 * more than about 4 years from the first one the store saw is not
 * counted. */
int beacon_add(struct beacon *b, struct beacon_slot *s, int64_t t, enum beacon_stream st)
    WARN_UNUSED;

/* A hint only, for beacon_add on s soon: brings its sketch into the
 * cache (s itself should be there). */
void beacon_prefetch(const struct beacon *b, const struct beacon_slot *s);

/* What beacon_get reports. */
struct beacon_stats {
    uint64_t gaps;           /* gaps counted */
    double median;           /* seconds (gaps > 0) */
    double mad;              /* median absolute deviation from median, seconds */
    double err;              /* the bound: each gap represented within err of itself (relative) */
    int unordered;           /* events changed direction: no rhythm */
    enum beacon_stream stream;
};

/* The slot's rhythm (all zero for an empty slot). */
void beacon_get(const struct beacon *b, const struct beacon_slot *s, struct beacon_stats *out);

/* The score 0..1 (see docs/DESIGN.md, "dnsprofile verdicts"):
 * regularity * support * (1 + spread) / 2 with
 *   regularity = max(0, 1 - 2 * jitter)      jitter = mad / median
 *   support    = min(1, gaps / 24)
 *   spread     = max(hours_of_day / 24, min(days, 7) / 7). */
double beacon_score(double jitter, uint64_t gaps, unsigned hours_of_day, uint64_t days);

#endif
