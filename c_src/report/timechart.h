/*
 * timechart: counts per (time bin, series) and the table Splunk's
 * `timechart count by <field>` would draw from them (DOMAIN.md 3).
 *
 * Only the non-zero (bin, series) cells are kept, in one hash table, so the
 * state follows the number of bins times the series active in each, never
 * the number of events.  The table is built once at the end:
 *
 *   columns  the `limit` series with the largest totals (ties bytewise;
 *            limit 0 = all), shown in bytewise order, then NULL (events
 *            without the field, usenull) and OTHER (the cut series summed,
 *            useother; only when something was cut)
 *   rows     ascending bins; with cont, every bin from the search's
 *            earliest time (or the first event) to its latest time (or the
 *            last event), else only bins with events
 */
#ifndef REPORT_TIMECHART_H
#define REPORT_TIMECHART_H

#include <stddef.h>
#include <stdint.h>

#include "report/bins.h"
#include "util/err.h"
#include "util/slice.h"

struct tchart;

/* OWNED, free with tchart_free; NULL on allocation failure. */
struct tchart *tchart_new(void);
void tchart_free(struct tchart *tc);

/* Count one event in the bin starting at bin_us, series `series` (an absent
 * or empty value is the NULL series; the value is copied).  0, ERR_NOMEM or
 * ERR_LIMIT (REPORT_SERIES_MAX series), e filled. */
int tchart_add(struct tchart *tc, int64_t bin_us, struct slice series, struct err *e) WARN_UNUSED;

/* Count n >= 1 events at once (a map phase's partial count).  As
 * tchart_add, and ERR_INPUT (nothing counted, e not filled: the caller
 * names the field) when the events counted would pass UINT64_MAX, so no
 * cell, series total or OTHER sum can wrap. */
int tchart_add_n(struct tchart *tc, int64_t bin_us, struct slice series, uint64_t n,
                 struct err *e) WARN_UNUSED;

/* One non-zero cell, as a map phase emits it. */
struct tchart_cell {
    int64_t bin_us;
    struct slice series;  /* VIEW into the tchart; empty = the NULL series */
    uint64_t n;
};

/* Every non-zero cell, by bin, then series bytewise (NULL first), so that
 * the list does not depend on the hash table.  *out OWNED (xfree), *n its
 * length (*out NULL when 0).  0 or ERR_NOMEM. */
int tchart_cells(const struct tchart *tc, struct tchart_cell **out, size_t *n) WARN_UNUSED;

/* Events counted so far. */
uint64_t tchart_events(const struct tchart *tc);

struct tchart_opts {
    uint64_t limit;              /* 0 = keep every series */
    int useother, usenull, cont;
    int64_t earliest_us, latest_us; /* the search's range; 0 = unbounded */
};

struct tchart_table {
    size_t ncols;                /* series columns, NULL and OTHER included */
    struct slice *names;         /* OWNED array; VIEWs into the tchart */
    size_t nrows;
    int64_t *time_us, *span_us;  /* OWNED: per row, bin start and length */
    uint64_t *counts;            /* OWNED: nrows * ncols, row-major */
};

/* Build the table (`b` places the bins; only its cache changes).  A series
 * whose name equals "NULL" or "OTHER" while that column is shown is counted
 * in it, since a table cannot hold two columns of one name.  0, ERR_NOMEM or
 * ERR_LIMIT (REPORT_BINS_MAX rows, or a table too large for one reply). */
int tchart_build(const struct tchart *tc, const struct tchart_opts *o, struct bins *b,
                 struct tchart_table *out, struct err *e) WARN_UNUSED;
void tchart_table_free(struct tchart_table *t);

#endif
