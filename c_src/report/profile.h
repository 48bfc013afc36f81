/*
 * profile: conversations (client, domain, destination IP) and the verdict
 * dnsprofile draws from each.
 *
 * Events come in as they are decided by the join engine: DNS answers
 * (lookups), network events with their chosen name (connections; no name
 * = a "nodns" conversation), and proxy requests (per client and URL host).
 * Each conversation keeps counters, its first and last time, the clock
 * hours it was active with the connections in each (report/hourset, about
 * a byte per active hour), and its distinct ports, transports and
 * sourcetypes, so state grows with conversations and their active hours,
 * never with events.
 *
 * Proxy requests are kept per (client, host), since a proxy log names the
 * site, not the address the client would have used; at the end they are
 * attached to every conversation of that client and domain (`proxied`),
 * or become a row of their own with an empty dest_ip when the client never
 * resolved or connected to that domain itself.
 */
#ifndef REPORT_PROFILE_H
#define REPORT_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "join/resolvers.h"
#include "net/ipaddr.h"
#include "report/beacon.h"
#include "report/endpoints.h"
#include "util/err.h"
#include "util/slice.h"

/* Distinct dest_port, transport and sourcetype values kept per
 * conversation (each); more are dropped and the row says so with "...". */
#define PROFILE_VALUES_MAX 100
/* Points in one sparkline: a longer range sums several hours per point. */
#define PROFILE_SPARK_POINTS_MAX 744

enum profile_path {
    PATH_DIRECT_BLOCKED, PATH_DIRECT_ALLOWED, PATH_DIRECT_MIXED, PATH_PROXIED,
    PATH_PROXIED_AND_DIRECT, PATH_LOOKUP_ONLY
};

struct profile;

/* OWNED, free with profile_free; NULL on allocation failure.  ep is
 * BORROWED for the profile's life. */
struct profile *profile_new(const struct endpoints *ep);
void profile_free(struct profile *p);

/* Who an event is about, interned once per event (a DNS answer with
 * several addresses is several lookups of one key). */
struct profile_key {
    uint32_t client, name;   /* name 0: none (blank) */
    uint8_t client_flags;    /* internal: the client is a Teredo or 6to4 address */
};

/* The public resolvers (join/resolvers) whose connections get a `bypass`
 * verdict; r is BORROWED for the profile's life (NULL: none).  Before
 * profile_order. */
void profile_set_resolvers(struct profile *p, const struct resolvers *r);

/* What the nodns and lookup_only verdicts allow for (profile_set_verdicts):
 * window_us: the join's window; earliest_us, latest_us: the search's
 * range (0: unbounded, the events' range is used); nodns_private: give
 * nodns rows to private, loopback, link-local, multicast and broadcast
 * addresses the nodns verdict (else they are expected, with a note). */
struct profile_verdicts {
    int64_t window_us, earliest_us, latest_us;
    int nodns_private;
};
/* Before profile_order. */
void profile_set_verdicts(struct profile *p, const struct profile_verdicts *v);

/* The site's own domains (local_domains=): a comma- or space-separated
 * list of suffixes, case-insensitive, a leading or trailing '.' ignored
 * (".corp.example." is corp.example).  A lookup_only row for such a name
 * or one below it on a label boundary (corp.example, a.corp.example, not
 * xcorp.example) gets expected=true.  list is BORROWED for the call (the
 * profile keeps copies); an empty list sets none.  Before profile_order.
 * 0, ERR_ARGS (an entry that is not a domain name, more than
 * LOCAL_DOMAINS_MAX entries) or ERR_NOMEM, e filled. */
int profile_set_local_domains(struct profile *p, struct slice list, struct err *e) WARN_UNUSED;

/* Keep each conversation's first lookup time (8 bytes a conversation, in
 * pages beside the conversations), for new_name: only with history=.
 * Before the first event. */
void profile_keep_first_lookups(struct profile *p);

/* The key of `client` (client_ip: the same as an address, or NULL when it
 * is not one) and `name`.  0 or ERR_NOMEM / ERR_LIMIT
 * (REPORT_CONVERSATIONS_MAX distinct strings), e filled. */
int profile_key(struct profile *p, struct slice client, const struct ipaddr *client_ip,
                struct slice name, struct profile_key *k, struct err *e) WARN_UNUSED;

/* A hint only, for the event profile_lookup or profile_conn (ip) or
 * profile_proxy (ip NULL) will count a few events later under key k:
 * stage 0 brings the conversation's slot into the cache, 1 the
 * conversation, 2 its hours and values.  Call the stages some events
 * apart, 0 first. */
void profile_prefetch(const struct profile *p, const struct profile_key *k,
                      const struct ipaddr *ip, int stage);

/* A DNS answer: the key's client got `ip` for its name at time t.  0 or
 * ERR_NOMEM / ERR_LIMIT (REPORT_CONVERSATIONS_MAX), e filled.  Here and
 * below, n (1 or more) is how many equal events the call stands for (a
 * map phase's weighted row): the profile ends as after n calls. */
int profile_lookup(struct profile *p, const struct profile_key *k, const struct ipaddr *ip,
                   int64_t t, struct slice sourcetype, uint64_t n, struct err *e) WARN_UNUSED;

/* A network event from the key's client to `ip`, tied to its name (none:
 * no DNS answer in the window).  udp3544: dest_port 3544 over UDP.  action
 * is read as DOMAIN.md 2.9 says. */
int profile_conn(struct profile *p, const struct profile_key *k, const struct ipaddr *ip,
                 int64_t t, int udp3544, struct slice action, struct slice port,
                 struct slice transport, struct slice sourcetype, uint64_t n,
                 struct err *e) WARN_UNUSED;

/* A proxy request from the key's client for a URL whose host is its name
 * (none: ignored). */
int profile_proxy(struct profile *p, const struct profile_key *k, int64_t t,
                  struct slice sourcetype, uint64_t n, struct err *e) WARN_UNUSED;

/* 1 blocked, 2 allowed, 0 neither (teardown, empty, unknown). */
int profile_action(struct slice action);

/* One output row; everything is a VIEW into the profile (valid until
 * profile_free) or a value. */
struct profile_row {
    struct slice src, dns_query;
    int has_ip;
    struct ipaddr ip;
    char ip_text[IPADDR_STRMAX];     /* "" without an address */
    uint64_t lookups, connections, blocked, allowed, proxied;
    int64_t first, last;             /* microseconds */
    uint64_t active_hours;
    enum profile_path path;
    enum tunnel_kind tunnel;
    /* the rhythm (report/beacon): of the lookups, or of the connections
     * when the conversation has no lookups */
    struct beacon_stats beat;
    unsigned hours_of_day;           /* distinct hours of the day (UTC) active, 0..24 */
    uint64_t days;                   /* distinct days (UTC) active */
    double beacon_score;             /* 0..1, when beat.gaps >= 2 */
    /* connections to a public resolver (join/resolvers): the service
     * (BYPASS_NONE: no such connection) and its provider */
    enum bypass bypass;
    struct slice bypass_provider;
    uint64_t name_clients;           /* distinct clients that resolved dns_query */
    /* with history= (profile_set_history), for a row with a name the KV
     * store answered for: */
    int has_name_first;              /* name_first and new_name are known */
    int64_t name_first;              /* name_first_seen, microseconds: the earliest of the
                                      * stored time_first and the name's first lookup in
                                      * the search (its first event without lookups) */
    int64_t name_ref;                /* the conversation's first lookup (without lookups:
                                      * its first event) */
    int new_name;                    /* name_ref - name_first <= new_within */
    int expected;                    /* lookup_only for a name resolved as a matter of course,
                                      * or nodns to a local address (grace 3) */
    int grace;                       /* 1: a nodns row whose connections all fall in the first
                                      * window of the range; 2: a lookup_only row whose
                                      * lookups all fall in the last; 3: nodns to a private
                                      * or similar address (not with nodns_private) */
    size_t conv;                     /* internal: the conversation */
    size_t pconv;                    /* internal: its proxy aggregate or SIZE_MAX */
};

/* The rows (nodns: include conversations without a name) as conversation
 * numbers (*order OWNED, xfree), sorted by connections descending, then
 * src, dns_query, dest_ip bytewise; each row is made with profile_row_of
 * when it is needed, so the rows never exist all at once.  Once called,
 * no more events may be added.  threaded: half the work on a thread of its
 * own (same result).  0, ERR_NOMEM or ERR_STATE. */
int profile_order(struct profile *p, int nodns, int threaded, uint32_t **order, size_t *n,
                  struct err *e) WARN_UNUSED;
/* The distinct names (string ids, never 0) of the rows order[0..n) in row
 * order, at most max of them: *ids OWNED (xfree), *m their count, *cut 1
 * when more were left out.  After profile_order.  0 or ERR_NOMEM, e
 * filled. */
int profile_row_names(const struct profile *p, const uint32_t *order, size_t n, size_t max,
                      uint32_t **ids, size_t *m, int *cut, struct err *e) WARN_UNUSED;

/* The text of string id (a VIEW, valid until profile_free): a name as the
 * rows show it (lower case, no trailing dot, when at most 1024 bytes). */
struct slice profile_name(const struct profile *p, uint32_t id);

/* name_first_seen and new_name (history=): stored_us[j] is the earliest
 * stored time_first of name ids[j] in microseconds (INT64_MAX: none
 * stored), for j < m (ids from profile_row_names, BORROWED for the call).
 * Each name's first seen is the earlier of that and its first lookup in
 * the search (its first event, when it has no lookup); new_within_us is
 * new_name's span.  Rows of names not among ids keep both columns empty.
 * After profile_order, before the rows are made.  0 or ERR_NOMEM. */
int profile_set_history(struct profile *p, const uint32_t *ids, const int64_t *stored_us,
                        size_t m, int64_t new_within_us, struct err *e) WARN_UNUSED;

/* Row `conv` of the order profile_order made (only after it). */
void profile_row_of(const struct profile *p, uint32_t conv, struct profile_row *r);
/* A hint only, for a row made soon after (rows come in sorted order, so
 * their conversations are scattered): stage 0 brings the conversation into
 * the cache, 1 what it points to, 2 the texts those point to.  Call the
 * stages some rows apart, 0 first. */
void profile_row_prefetch(const struct profile *p, uint32_t conv, int stage);

/* Distinct values of a row, sorted bytewise: which = 0 dest_port,
 * 1 transport, 2 sourcetype.  Fills up to max views; returns the count and
 * sets *truncated when PROFILE_VALUES_MAX cut the list. */
size_t profile_values(const struct profile *p, const struct profile_row *r, int which,
                      struct slice *out, size_t max, int *truncated);

/* The time range every sparkline covers: the search's range when bounded,
 * else the events'.  0 if no event had a time. */
int profile_hours(const struct profile *p, int64_t earliest_us, int64_t latest_us,
                  int64_t *h0, size_t *nhours);

/* Connection counts of a row per point: npoints = ceil(nhours / step) where
 * step = ceil(nhours / PROFILE_SPARK_POINTS_MAX); out has room for npoints.
 * Returns npoints. */
size_t profile_hourly(const struct profile *p, const struct profile_row *r, int64_t h0,
                      size_t nhours, uint64_t *out);

/* The finding sentence into out (NUL-terminated, truncated to n); returns
 * its length. */
size_t profile_finding(const struct profile *p, const struct profile_row *r, char *out,
                       size_t n);

const char *profile_path_name(enum profile_path path);

/* The columns after `finding`, in order; profile_extra makes their cells. */
#define PROFILE_EXTRA_N 12
#define PROFILE_EXTRA_NAMES \
    "lookup_interval", "interval_jitter", "active_days", "hours_of_day_active", "beacon_score", \
    "bypass", "bypass_provider", "name_clients", "name_first_seen", "new_name", "expected", \
    "note"
extern const char *const profile_extra_names[PROFILE_EXTRA_N];

/* Room profile_extra needs for its text. */
#define PROFILE_EXTRA_BUF 256

/* A row's cells after `finding` into cells[0..PROFILE_EXTRA_N-1]: VIEWs
 * into buf (PROFILE_EXTRA_BUF bytes, the caller's) or static text. */
void profile_extra(const struct profile *p, const struct profile_row *r, struct slice *cells,
                   char *buf);

/* The beacon_score at or above which the finding names the rhythm. */
#define PROFILE_BEACON_FINDING 0.5

#endif
