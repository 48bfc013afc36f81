/*
 * pdns: passive DNS records (Passive DNS Common Output Format, DOMAIN.md
 * 5), aggregated from DNS events and merged with what the KV store holds.
 *
 * One record per (rrname, rrtype, rdata):
 *   rrname      the query name, ASCII-lowercased, one trailing '.' removed
 *   rrtype      "A" for an IPv4 answer, "AAAA" for IPv6 (the answer decides,
 *               not the query type: a CNAME chain ends in the address)
 *   rdata       the address in canonical text (ipaddr_format), so every
 *               spelling of one address is one record and history= lookups
 *               can ask for it exactly
 *   time_first  earliest answer, epoch seconds (fraction dropped)
 *   time_last   latest answer, epoch seconds (fraction dropped)
 *   count       answers given to clients, as seen in the resolver's log
 *   last_client the client of the latest answer (on equal times the
 *               bytewise-first client, so the result does not depend on
 *               the input order)
 *   _key        "<rrname>|<rrtype>|<rdata>" (readable; unique because
 *               rrtype and rdata never contain '|')
 *
 * Merge with a stored record of the same key: the earliest time_first, the
 * latest time_last, the counts summed, last_client from whichever side has
 * the later time_last (the new side on a tie).
 */
#ifndef PDNS_H
#define PDNS_H

#include <stddef.h>
#include <stdint.h>

#include "net/ipaddr.h"
#include "rest/kv.h"
#include "util/err.h"
#include "util/slice.h"

#define PDNS_NAME_MAX 1024  /* longer names are skipped (real ones are < 254) */

enum pdns_status { PDNS_INSERTED, PDNS_UPDATED };

struct pdns_rec {
    struct slice key;          /* OWNED by the table: the _key text */
    struct slice rrname, rrtype, rdata;  /* VIEWs into key */
    char *client;              /* OWNED: last_client, NUL-terminated */
    size_t client_n;
    struct ipaddr ip;
    int64_t time_first, time_last;
    uint64_t count;
    enum pdns_status status;
    int merged;                /* a stored record was merged in */
};

struct pdns;

/* OWNED or NULL.  At most max_records records (pdns_add says ERR_LIMIT). */
struct pdns *pdns_new(size_t max_records);
void pdns_free(struct pdns *p);

/* One answer: name -> ip at time t_us, given to client (may be empty).
 * 0; ERR_INPUT for an empty or over-long name (nothing stored); ERR_LIMIT
 * past max_records; ERR_NOMEM. */
int pdns_add(struct pdns *p, struct slice name, const struct ipaddr *ip, int64_t t_us,
             struct slice client) WARN_UNUSED;

/* One partial record from a map phase (the same fields a record has):
 * rrname as pdns_add stored it (lowercased here again, no '.' removed),
 * times in epoch seconds, count >= 1.  Merged like answers: the earliest
 * first, the latest last, counts summed, last_client from the later last
 * (the bytewise-first client on equal times), so any split of the answers
 * over map phases gives the records one table would.  0; ERR_INPUT for an
 * empty or over-long name, first > last, count 0, or when the summed count
 * would overflow (nothing changed); ERR_LIMIT past max_records; ERR_NOMEM. */
int pdns_add_partial(struct pdns *p, struct slice rrname, const struct ipaddr *ip,
                     int64_t first_s, int64_t last_s, uint64_t count,
                     struct slice client) WARN_UNUSED;

/* Merge a stored document (kv_find_rdata callback shape); documents for
 * keys not in the table, and repeats, are ignored.  0 or ERR_NOMEM. */
int pdns_merge(struct pdns *p, const struct kv_doc *d) WARN_UNUSED;

size_t pdns_count(const struct pdns *p);
/* BORROWED until the next pdns_add or pdns_free. */
const struct pdns_rec *pdns_get(const struct pdns *p, size_t i);

/* The distinct rdata values, in first-seen order: OWNED array (xfree) of
 * VIEWs into the table.  NULL with *n = 0 when empty or out of memory
 * (then *n is SIZE_MAX). */
struct slice *pdns_rdata_list(const struct pdns *p, size_t *n);

/* Record i as a KV document (VIEWs into the table). */
void pdns_doc(const struct pdns *p, size_t i, struct kv_doc *d);

#endif
