/*
 * hourset: the clock hours a conversation was active in, with a count per
 * hour, in about one byte per active hour.
 *
 * dnsprofile keeps one per conversation for the whole search, so this is
 * most of its memory.  A cell per hour of the range would cost 840 bytes
 * per conversation over 35 days, active or not, and a pair of 32-bit
 * numbers per active hour 8.  Here the hours are a byte string of (gap
 * from the previous hour, count) entries in ascending order: a gap of 1..8
 * with a count of 0..15 is one byte, a gap of 1..64 with a count of 0..255
 * two, anything else a marker byte and two LEB128 numbers.
 *
 * Input arrives close to time order, newest or oldest first: an hour past
 * either end, or the first or last hour again, is reached without a walk;
 * any other hour walks from the start (a short walk: a conversation has a
 * byte or two per active hour).  Shuffled input is correct, only slower.
 */
#ifndef REPORT_HOURSET_H
#define REPORT_HOURSET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct hourset {
    uint8_t *b;                  /* OWNED; NULL when empty */
    uint32_t head, len, cap;     /* the entries are b[head, head + len) of cap */
    uint32_t first, last;        /* hours since the epoch (len > 0) */
    uint32_t last_off;           /* where the last entry starts (len > 0) */
};

/* Zeroed is empty.  Free with hourset_free (the struct itself is the
 * caller's). */
void hourset_free(struct hourset *s);

/* Mark hour h active and add c to its count.  0, or with the set unchanged
 * ERR_NOMEM, or ERR_LIMIT when it would pass REPORT_HOURSET_BYTES_MAX
 * bytes (limits.h) or the count its 64-bit range. */
int hourset_add(struct hourset *s, uint32_t h, uint64_t c) WARN_UNUSED;

/* Entries in ascending order: init, then next until it returns 0. */
struct hourset_it {
    const struct hourset *s;
    uint32_t off, hour;
};
void hourset_it_init(struct hourset_it *it, const struct hourset *s);
int hourset_next(struct hourset_it *it, uint32_t *h, uint64_t *c);

/* Distinct active hours (a walk over the entries). */
size_t hourset_count(const struct hourset *s);

/* Bytes allocated (for tests and measurements). */
size_t hourset_bytes(const struct hourset *s);

#endif
