/*
 * history: the join engine's history source (join/join.h, struct
 * join_history) backed by a passive DNS collection that dnspdns fills.
 *
 * A network event with no candidate in the window is matched against the
 * stored records of its address with
 *     time_first <= t + skew   and   time_last >= t - history_window,
 * the one with the latest time_last first (ties: the bytewise-first name).
 * The match gives dns_query = rrname, dns_client = last_client, and
 * dns_time / dns_age measured from time_last when time_last <= t + skew,
 * else (the record was still being answered after t) from time_first, the
 * only answer the record proves was given before the event.
 *
 * Lookups are batched: every network event's address is noted as it
 * arrives (want), all new addresses are asked for in a few "$in" requests
 * at the end of each chunk (fetch), and every answer, including "nothing
 * stored", is cached for the life of the process, so an address is asked
 * for once per search, never per event.
 *
 * Faults never stop the search: the first failed request is reported
 * through the warn callback (naming the problem), no further requests are
 * made, and events without an in-window answer get dns_match=none.
 *
 * The same collection answers dnsprofile's name_first_seen: the earliest
 * time_first of the records of each name (history_first_seen), asked for
 * once, with the rows, in a few "$in" requests by rrname.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "join/join.h"
#include "rest/kv.h"
#include "util/err.h"

/* Called with one line of text (no secrets) for an inspector WARN. */
typedef void (*history_warn_fn)(void *ctx, const char *msg);

struct history_opts {
    const char *splunkd_uri;         /* BORROWED for history_new only */
    const char *session_key;         /* BORROWED for history_new only (copied, wiped later) */
    size_t session_key_len;
    const char *collection;          /* BORROWED for history_new only */
    int64_t window_us, skew_us;      /* history_window, the join's skew */
    const char *app_dir;             /* NULL: found from the binary's location */
    const struct rest_transport *transport;  /* NULL: libcurl; else taken over */
    history_warn_fn warn;
    void *warn_ctx;
    size_t max_records;              /* records cached at most (PDNS_RECORDS_MAX, which
                                      * the warning names); also the documents
                                      * history_first_seen reads at most */
    int names;                       /* history_first_seen will be asked: a failure's
                                      * WARN says that its columns are empty too */
};

struct history;

/* OWNED or NULL (out of memory, e filled).  A setup problem (bad
 * dnsjoin.conf, bad splunkd_uri) is not an error: it is reported through
 * warn at the first fetch and the source answers "nothing stored". */
struct history *history_new(const struct history_opts *o, struct err *e);
void history_free(struct history *h);

/* The hook for join_opts.history: BORROWED for the history's life. */
const struct join_history *history_hook(struct history *h);

/* No stored record (history_first_seen). */
#define HISTORY_NONE INT64_MAX

/*
 * The earliest time_first (epoch seconds) of the stored records whose
 * rrname is names[i], into first[i] (HISTORY_NONE: none stored), for
 * i < n.  names (BORROWED for the call) are distinct and spelled as pdns
 * stores rrname (lower case, no trailing dot); an empty one is not asked
 * for (HISTORY_NONE); first has room for n.  They
 * are asked for in "$in" requests by rrname (kv_find_rrname), a few
 * hundred names each at most.  *ok = 1 when every request was answered;
 * *ok = 0 when the KV store was not available or failed before (already
 * reported), or a request fails now or more than max_records documents
 * come back (reported here through warn, once): first[] is then not to be
 * used.  No further requests follow a failure.  0, or ERR_NOMEM with e
 * filled.
 */
int history_first_seen(struct history *h, const struct slice *names, size_t n, int64_t *first,
                       int *ok, struct err *e) WARN_UNUSED;

/* Statistics for messages and tests. */
struct history_stats {
    unsigned long requests;   /* KV store requests */
    size_t addresses;         /* distinct addresses asked for */
    size_t records;           /* records cached */
    unsigned long matches;    /* lookups answered from history */
    size_t names;             /* names asked for by history_first_seen */
    int failed;               /* a request failed (already warned) */
};
void history_stats(const struct history *h, struct history_stats *st);

#endif
