/*
 * txn: dnsmasq log lines -> DNS transactions (DOMAIN.md §1.3-§1.5).
 *
 * Extra and proto mode (lines carry "[UDP|TCP ]<serial> <addr>/<port>") are
 * exact: lines are grouped on (epoch, serial, client), never on the
 * transport (a UDP query dnsmasq retries upstream over TCP logs its later
 * lines with "TCP" under the same serial); the transport of the query line
 * is the client's.  A "started, version" line opens a new
 * epoch, and "reply query is duplicate" takes the answer of the original it
 * follows (dnsmasq writes it right after the original's reply lines) or,
 * when lines came between, of the newest answered one with the same name
 * and type.  "Follows" is per process: the daemon's TCP children write to
 * the same log, and their lines may fall anywhere between the daemon's.
 *
 * Plain mode is a heuristic: an answer run (contiguous lines of one source,
 * a <CNAME> line continuing onto the next name) goes to the newest open
 * query for the run's first name whose type fits the run's final value; an
 * upstream reply also goes to the other open, unanswered queries for the
 * same name and type (plain mode logs nothing for in-flight duplicates,
 * which dnsmasq answers from the same reply).
 *
 * A transaction is finished when its answer is complete and the same
 * process's line of another transaction follows (a packet's lines are
 * contiguous in what one process writes), when it is older than
 * flush_after, at a new epoch, or at txn_flush_all().  Finished
 * transactions go to the emit callback in the order they finish.
 */
#ifndef TXN_H
#define TXN_H

#include <stddef.h>
#include <stdint.h>

#include "modinput/dmline.h"
#include "util/err.h"
#include "util/slice.h"

/* limits.h candidate: finished originals kept for late "reply query is
 * duplicate" lines (observed: a query line of another client can sit between
 * a reply and its duplicate lines).  Those finished within flush_after also
 * hold the resume offset back, so a restart re-reads them; the count bounds
 * the memory this takes (a few MB). */
#define TXN_RECENT_MAX 4096

/* Processes whose previous line is remembered in extra mode: the daemon and
 * its TCP children (dnsmasq allows 20 at once by default) each write whole
 * lines to the one log, interleaved with each other's.  When more write at
 * once, the oldest slot is reused; its open transaction is then finished by
 * flush_after instead. */
#define TXN_WRITERS_MAX 32

/* One finished transaction; every VIEW is valid only during the callback. */
struct txn_ev {
    int64_t time_us;           /* first line of the transaction */
    uint64_t start_off;        /* byte offset of that line in the input */
    int exact;                 /* 1: extra mode; 0: plain-mode heuristic */
    uint64_t serial;           /* extra mode only */
    struct slice src;          /* VIEW: client address */
    int has_port;
    unsigned port;             /* client port (extra mode) */
    struct slice query;        /* VIEW */
    struct slice qtype;        /* VIEW: "A", "AAAA", "type=65" as dnsmasq logs it */
    struct slice dest;         /* VIEW: upstream "addr" or "addr#port", null if not forwarded */
    struct slice answer_source;/* VIEW: reply, cached, cached-stale, config, hosts, DHCP; null */
    struct slice ede;          /* VIEW: extended DNS error text, null if none */
    const struct slice *answer;/* VIEW: addresses (or names for PTR) */
    size_t n_answer;
    const struct slice *cname; /* VIEW: CNAME targets in chain order */
    size_t n_cname;
    int rcode;                 /* DNS rcode, -1 when no answer was seen */
    int duplicate;             /* answered as an in-flight duplicate */
    uint64_t duplicate_of;     /* the original's serial (extra mode) */
    enum dmline_proto proto;   /* the query line's transport (proto mode), else DMP_NONE */
    enum dmline_block block;   /* Pi-hole answered it with a block, else DMB_NONE */
    struct slice block_reason; /* VIEW: FTL's reason as logged ("gravity blocked"), null if none */
    int64_t response_us;       /* first answer line's time - time_us; -1: no answer.  As coarse
                                * as the log's timestamps (syslog's: whole seconds) */
};

/* Return 0 to go on, or an ERR_* code to stop (txn_feed returns it). */
typedef int (*txn_emit_fn)(void *ctx, const struct txn_ev *ev);

/* forced: finished early because DNSMASQ_INFLIGHT_MAX were open;
 * answers_dropped: answer lines past DNSMASQ_ANSWERS_MAX in one transaction. */
struct txn_stats {
    uint64_t lines, queries, emitted, orphans, aux, info, skipped, epochs, forced;
    uint64_t answers_dropped;
    uint64_t blocked;          /* emitted transactions with a Pi-hole block */
};

struct txn_tab;

/* OWNED (txn_free); NULL on allocation failure.  flush_us: how long an
 * open transaction waits for late lines, in log time. */
struct txn_tab *txn_new(int64_t flush_us, txn_emit_fn emit, void *ctx);
void txn_free(struct txn_tab *t);

/* Feed one parsed line with its time (us since the epoch, UTC) and the
 * byte offset where it starts.  Lines of kind DML_BAD are counted by the
 * caller, not here.  0, ERR_NOMEM, ERR_LIMIT, or the callback's code. */
int txn_feed(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off,
             struct err *e) WARN_UNUSED;

/* Finish transactions that started before now_us - flush_us. */
int txn_tick(struct txn_tab *t, int64_t now_us, struct err *e) WARN_UNUSED;

/* Finish everything open (end of input, idle, new daemon). */
int txn_flush_all(struct txn_tab *t, struct err *e) WARN_UNUSED;

/* Smallest start offset of any unfinished transaction, buffered line, or
 * recently finished original a late duplicate line may still need; `none`
 * when there is none: resuming there loses nothing. */
uint64_t txn_resume_off(const struct txn_tab *t, uint64_t none);

size_t txn_open_count(const struct txn_tab *t);

const struct txn_stats *txn_stats(const struct txn_tab *t);

#endif
