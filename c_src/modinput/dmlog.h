/*
 * dmlog: bytes of a dnsmasq log -> lines -> transactions.
 *
 * Glue between the pure line parser, the clock and the reassembly: splits
 * the bytes it is given into lines, keeps the byte offset of each, counts
 * what it skips, and reports the first line it cannot parse (with its line
 * number) once, as a WARN on stderr.  I/O stays with the caller.
 *
 * No silent loss: a dnsmasq line that holds a query, forward, answer,
 * duplicate or DNSSEC message the parser cannot place (an unknown prefix,
 * an unknown answer source) is counted as unplaced, by kind, and the first
 * of each kind is shown once in a WARN that names the settings this input
 * reads.  When most query-like lines are unplaced the log is in a format
 * this input does not read: dmlog_mostly_unplaced() says so for the whole
 * input (--file), dmlog_periodic() warns every DMLOG_UNPLACED_WARN_US for
 * the lines since its last check (run mode).
 */
#ifndef DMLOG_H
#define DMLOG_H

#include <stddef.h>
#include <stdint.h>

#include "modinput/stamp.h"
#include "modinput/txn.h"
#include "util/err.h"

/* Which unplaced lines are counted apart (the kind they would have had). */
enum dmlog_ukind { DMU_QUERY, DMU_FORWARD, DMU_ANSWER, DMU_DUP, DMU_AUX, DMU_KINDS };

/* Run mode: how often the share of unplaced lines is looked at (10 min),
 * and how many query-like lines a window needs before it is judged. */
#define DMLOG_UNPLACED_WARN_US (600ll * 1000000)
#define DMLOG_UNPLACED_MIN_LINES 10

struct dmlog {
    struct txn_tab *tx;     /* OWNED */
    struct stamp_ctx clk;
    uint64_t off;           /* input offset of the next byte to be given */
    uint64_t lineno;        /* lines seen (1-based number of the last one) */
    uint64_t bad, long_lines, bad_time;
    int skipping;           /* inside an over-long line: drop to its newline */
    int warned;             /* the first unparsed line was logged */
    int warned_long, warned_forced, warned_answers;  /* each limit warns once */
    uint64_t like;          /* query-like lines: placed kinds plus unplaced */
    uint64_t unplaced;      /* of those, not placed (all kinds) */
    uint64_t unplaced_kind[DMU_KINDS];
    unsigned warned_unplaced;   /* bit per dmlog_ukind: its first line was shown */
    uint64_t win_like, win_unplaced;  /* since the last dmlog_periodic() check */
    int64_t win_start_us;   /* wall clock of that check, 0 before the first */
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

/* 1 when the input had at least DMLOG_UNPLACED_MIN_LINES query-like lines
 * and more than half of them were unplaced. */
int dmlog_mostly_unplaced(const struct dmlog *l);

/* Run mode, called often with the wall clock: every DMLOG_UNPLACED_WARN_US,
 * a WARN when most query-like lines since the last check were unplaced.
 * Returns 1 when it warned. */
int dmlog_periodic(struct dmlog *l, int64_t now_us);

#endif
