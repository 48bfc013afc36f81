/*
 * join: the time-aware join of network events to the DNS answers that led to
 * them, in one pass over a stream in any order.
 *
 * Every input row goes through a FIFO of pending rows so that output order
 * is input order.  DNS events (a non-empty query field) add one record per
 * IP answer; network events (an IP in the ip field) wait until every record
 * that could be a candidate has been seen, then get a decision:
 *
 *   candidates  records with the event's IP and
 *               t - window <= record time <= t + skew
 *   choice      the latest candidate of the event's own client (match
 *               "client"), else (scope=any) the latest of any client
 *               ("network"); ties go to the bytewise-first name.
 *
 * When is "every record seen"?  The stream's order is learnt as it comes:
 * once JOIN_ORDER_CONFIRM rows have arrived in one time direction, newest
 * first (Splunk's default) or oldest first (after sort), an event is decided
 * as soon as the stream has moved past its window, and records outside every
 * remaining window are dropped, so memory follows the window.  Until then,
 * or when rows arrive out of order, rows are held (up to maxbuffer bytes)
 * and decided at the end.  A late row that could change a decision already
 * sent, or needs records already dropped, stops the search with an ERROR
 * that says how to sort the input: never a silently wrong answer.
 */
#ifndef JOIN_H
#define JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "join/iptab.h"
#include "join/sinkhole.h"
#include "net/ipaddr.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/csvw.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/slice.h"

/* Events further than this from the epoch (about 73,000 years, in µs) have
 * no usable _time: t +/- window and the ages computed from t cannot
 * overflow. */
#define JOIN_TIME_ABS_MAX (INT64_MAX / 4)

/* Rows in one time direction before the direction is trusted. */
#define JOIN_ORDER_CONFIRM 10000

/* A stored answer from a history source (passive DNS). */
struct join_hist_rec {
    struct slice name, client, ttext;  /* valid until the reply is written */
    int64_t t;                         /* the time dns_age is measured from */
};

/*
 * Optional history source, consulted for network events with no candidate
 * in the window.  Lookups are batched: `want` is called for the address of
 * every network event as it arrives, `fetch` once before each batch of
 * decisions (at the end of every chunk, and at the end), and `lookup` for
 * each event that needs it, answered from what fetch brought in.  Errors in
 * fetch are the source's to report (as a WARN); the join goes on without.
 */
struct join_history {
    void *ctx;
    int (*want)(void *ctx, const struct ipaddr *ip, struct err *e);
    int (*fetch)(void *ctx, struct err *e);
    /* 1 with *out set, 0 for no stored answer. */
    int (*lookup)(void *ctx, const struct ipaddr *ip, int64_t t, struct slice client,
                  int client_is_ip, const struct ipaddr *client_ip, struct join_hist_rec *out);
};

struct join_opts {
    int64_t window_us, skew_us;
    int scope_client;        /* scope=client */
    struct slice ip_field;   /* SLICE_NULL: dest_ip, then dest */
    struct slice client_field; /* SLICE_NULL: src_ip, then src */
    struct slice query_field, answer_field;
    size_t maxnames;
    uint64_t maxbuffer;      /* bytes of held rows */
    const char *const *extra; /* more fields the caller reads (NULL-terminated) */
    const struct join_history *history; /* NULL: none */
    const struct sinkholes *sinkholes;  /* BORROWED: answers that make no record;
                                         * NULL: 0.0.0.0 and :: only */
    int sink_reads_fields;    /* the sink reads fields of rows (join_field):
                               * held rows are split once (a packed one
                               * unpacked) before calling it.  Without it a
                               * packed row reaches the sink as text only in
                               * `packed` (raw is SLICE_NULL) */
    /* For reporting commands, which never write rows back: */
    int unordered_sink;       /* rows that need no decision reach the sink at
                               * once, not in input order behind held rows */
    int compact_held;         /* held rows keep only the stored cells, not their
                               * text: the sink sees raw = SLICE_NULL, and the
                               * row only while it is called */
    int flow;                 /* read each network event's flow (struct
                               * join_flow): src_port, dest_port, transport,
                               * icmp_type, icmp_code */
    int choice_only;          /* the sink reads only match and the chosen
                               * record, while it is called: no candidate list
                               * (names is NULL), no copies */
};

/* Fields the engine locates in every row (for itself and its callers). */
enum jf {
    JF_TIME, JF_QUERY, JF_ANSWER, JF_SRC, JF_IP1, JF_IP2, JF_CLIENT1, JF_CLIENT2,
    JF_DEST_PORT, JF_TRANSPORT, JF_SRC_PORT, JF_ICMP_TYPE, JF_ICMP_CODE, JF_X0, JF_X1, JF_X2, JF_X3, JF_X4, JF_X5,
    JF_X6, JF_N
};

enum join_kind { JOIN_PASS, JOIN_DNS, JOIN_NET };
enum join_match { JOIN_NONE, JOIN_CLIENT, JOIN_NETWORK, JOIN_HISTORY };

/* A network event's flow, with opts.flow.  proto is the IP protocol
 * number from transport (tcp, udp, sctp, icmp, icmpv6 or a number; icmp
 * towards an IPv6 address is ICMPv6), 0 when absent or unknown.  ports:
 * sport and dport hold src_port and dest_port (TCP, UDP, SCTP) or
 * icmp_type and icmp_code (ICMP, ICMPv6); 0 when one is absent or no
 * number in range. */
struct join_flow {
    uint8_t proto;
    uint8_t ports;
    uint16_t sport, dport;
};

/* A row as the sink sees it: its cells and where the engine's fields are. */
struct join_row {
    struct slice raw;              /* input text or SLICE_NULL */
    const char *packed;            /* a held row's rowpack form, or NULL; raw
                                    * is then its text while the sink runs
                                    * with sink_reads_fields, else
                                    * SLICE_NULL */
    size_t packed_n;               /* the packed row's text length */
    const struct schema *s;
    const char *base;              /* the cells' values are offsets into base */
    const struct cell *cells;      /* s->n cells */
    const int32_t *idx;            /* JF_N column indices (-1 = absent) */
    const int32_t *mvidx;          /* JF_N column indices of the __mv_ companions */
    const int32_t *widx;           /* JF_N indices into cells (-1 = not stored) */
    const int32_t *mvwidx;
};

/* The decision for one row. */
struct join_event {
    enum join_kind kind;
    int has_time;
    int64_t t;
    struct ipaddr ip;              /* JOIN_NET: the destination */
    int client_is_ip;              /* client parsed as an address */
    struct ipaddr client_ip;
    struct slice client;           /* VIEW into the row; JOIN_NET, and JOIN_DNS
                                    * with unordered_sink (else empty) */
    int udp3544;                   /* JOIN_NET: dest_port 3544, transport udp
                                    * (any case): Teredo's port */
    struct join_flow flow;         /* JOIN_NET with opts.flow, else zeros */
    enum join_match match;
    int64_t rec_t;                 /* chosen record (match != NONE) */
    struct slice name, rec_client, rec_ttext;  /* VIEWs valid until the reply
                                                * is written (choice_only:
                                                * during the call) */
    struct slice *names;           /* ARENA array of VIEWs (as above):
                                    * distinct candidate names, sorted */
    size_t nnames;                 /* at most maxnames */
    size_t ncandidates;
    /* JOIN_DNS with unordered_sink: the answer's addresses as the engine
     * parsed them, in order, repeats kept (VIEW valid during the call), so
     * that the sink need not parse them again; NULL otherwise. */
    const struct ipaddr *answers;
    size_t nanswers;
};

/* Called once per input row, in input order.  Row and event are valid until
 * the reply that is being built has been written (the sink may queue them
 * in that reply).  0 or an ERR_* code with e filled. */
typedef int (*join_sink)(void *ctx, const struct join_row *row, const struct join_event *ev,
                         struct err *e);

struct join;

/* OWNED or NULL.  cols is BORROWED for the engine's life. */
struct join *join_new(const struct join_opts *o, struct cols *c);
void join_free(struct join *j);

/* Take one chunk's rows; decide and hand to the sink those that can be.
 * scratch is the reply's arena.  0 or an ERR_* code with e filled. */
int join_chunk(struct join *j, const struct csv_table *t, struct arena *scratch,
               join_sink sink, void *ctx, struct err *e) WARN_UNUSED;

/* The reply of the last join_chunk has been written and its input buffer
 * is about to be reused: free the rows that reply released, copy the rows
 * still waiting.  Must be called after every reply but the last.  0 or
 * ERR_NOMEM with e filled. */
int join_written(struct join *j, struct err *e) WARN_UNUSED;

/* One request: join_chunk, then join_finish when it is the last. */
int join_feed(struct join *j, const struct csv_table *t, int finished, struct arena *scratch,
              join_sink sink, void *ctx, struct err *e) WARN_UNUSED;

/* End of input: decide and hand over everything still held. */
int join_finish(struct join *j, struct arena *scratch, join_sink sink, void *ctx,
                struct err *e) WARN_UNUSED;

/* First value of a field in a row (the plain value, or the first item of a
 * non-empty __mv_ cell), or SLICE_NULL when absent.  Values with "$$" are
 * unescaped into `a`. */
struct slice join_field(const struct join_row *row, enum jf f, struct arena *a);

/* The column ids the engine reads, for csv_parse_want (VIEW into j). */
const uint32_t *join_want(const struct join *j, size_t *n);

/* Statistics for messages and tests. */
struct join_stats {
    uint64_t rows, dns, net, records, held_max_bytes, records_max;
    uint64_t sinkholed;  /* answers that were sinkholes (no record) */
    int order;  /* 0 unknown, 1 newest first, 2 oldest first, 3 unordered */
};
void join_stats(const struct join *j, struct join_stats *st);

#endif
