/*
 * profile_rows: dnsprofile's result rows as the reply's CSV, made while the
 * reply is written, so that the rows never exist all at once.
 *
 * The reply's frame header needs the body's length before the first byte,
 * so every row is made twice: once to measure it and once to write it.
 * Most of a row is its hourly sparkline, which is measured from its counts
 * and written in place (prows_line).  With a second thread, the rows are
 * measured in two halves at once, and written in blocks of about 256 KB of
 * which the worker makes every other one ahead, into one of two buffers,
 * while the main thread makes the ones between and copies the worker's.
 * The profile is only read while rows are made, so the two threads share
 * it; each has its own scratch.
 */
#ifndef PROFILE_ROWS_H
#define PROFILE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "report/profile.h"
#include "scp/csvw.h"
#include "util/err.h"

/* The output columns, in order. */
#define PROWS_NCOLS (23 + PROFILE_EXTRA_N)
extern const char *const prows_names[PROWS_NCOLS];

struct prows;

/* OWNED, free with prows_free; NULL on allocation failure.  p and order
 * (n rows as conversation numbers, from profile_order) are BORROWED until
 * prows_free.  h0, nhours: the sparkline's hours (profile_hours), npoints
 * its points (0: no sparkline).  threaded: use a second thread. */
struct prows *prows_new(const struct profile *p, const uint32_t *order, size_t n, int64_t h0,
                        size_t nhours, size_t npoints, int threaded);

/* Measure every row, and start making the first block ahead.  Call before
 * the reply is prepared.  0 or ERR_NOMEM / ERR_LIMIT, e filled. */
int prows_measure(struct prows *r, struct err *e) WARN_UNUSED;

/* csvw producers (ctx: the prows): a row's cells, and its line, whose
 * length comes from prows_measure.  Lines must be asked for in row order
 * (a row may be asked again at once), as csvw writes them. */
int prows_cells(void *ctx, size_t i, struct slice *cells, struct arena *scratch);
int prows_line(void *ctx, size_t i, char *dst, size_t cap, size_t *len, struct arena *scratch);

/* Waits for the worker's block in flight, if any. */
void prows_free(struct prows *r);

#endif
