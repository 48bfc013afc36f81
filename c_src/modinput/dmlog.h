/*
 * dmlog: bytes of a dnsmasq log -> lines -> transactions.
 *
 * Glue between the pure line parser, the clock and the reassembly: splits
 * the bytes it is given into lines, keeps the byte offset of each, counts
 * what it skips, and reports the first line it cannot parse (with its line
 * number) once, as a WARN on stderr.  I/O stays with the caller.
 */
#ifndef DMLOG_H
#define DMLOG_H

#include <stddef.h>
#include <stdint.h>

#include "modinput/stamp.h"
#include "modinput/txn.h"
#include "util/err.h"

struct dmlog {
    struct txn_tab *tx;     /* OWNED */
    struct stamp_ctx clk;
    uint64_t off;           /* input offset of the next byte to be given */
    uint64_t lineno;        /* lines seen (1-based number of the last one) */
    uint64_t bad, long_lines, bad_time;
    int skipping;           /* inside an over-long line: drop to its newline */
    int warned;             /* the first unparsed line was logged */
    int warned_long, warned_forced, warned_answers;  /* each limit warns once */
};

/* 0 or ERR_NOMEM.  The emit callback receives finished transactions.
 * start_off: the input offset the first byte given will have. */
int dmlog_init(struct dmlog *l, const struct stamp_ctx *clk, int64_t flush_us,
               txn_emit_fn emit, void *ctx, uint64_t start_off) WARN_UNUSED;
void dmlog_free(struct dmlog *l);

/* Consume the complete lines in p[0..n); *used receives the bytes consumed
 * (a partial last line is left for the next call, unless `eof`, when it is
 * taken as a line).  0 or an error from the emit callback / the state. */
int dmlog_feed(struct dmlog *l, const char *p, size_t n, int eof, size_t *used,
               struct err *e) WARN_UNUSED;

/* One INFO line of counts on stderr, after any limit WARN not yet given. */
void dmlog_report(struct dmlog *l);

#endif
