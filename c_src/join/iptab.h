/*
 * iptab: the DNS answers a join can still use, indexed by answered address.
 *
 * A record is (address, name, client, time): one per IP answer of one DNS
 * event.  Records are kept in arrival order in one ring, and each address
 * keeps the sequence numbers of its records, also in arrival order.  For
 * time-ordered input, arrival order is time order, so the records that fall
 * out of every remaining window are always at the front of the ring and are
 * evicted there in O(1) each: memory follows the window, not the stream.
 */
#ifndef IPTAB_H
#define IPTAB_H

#include <stddef.h>
#include <stdint.h>

#include "net/ipaddr.h"
#include "util/err.h"
#include "util/slice.h"

struct rec {
    struct ipaddr ip;        /* the answered address */
    int64_t t;               /* the DNS event's _time, microseconds */
    const char *text;        /* name, client, time text, back to back, in
                              * the table's text blocks */
    uint32_t name_n, client_n, ttext_n;
    int client_is_ip;
    struct ipaddr client_ip; /* valid when client_is_ip */
};

static inline struct slice rec_name(const struct rec *r) { return slice_of(r->text, r->name_n); }
static inline struct slice rec_client(const struct rec *r)
{
    return slice_of(r->text + r->name_n, r->client_n);
}
static inline struct slice rec_ttext(const struct rec *r)
{
    return slice_of(r->text + r->name_n + r->client_n, r->ttext_n);
}

struct iptab;

struct iptab *iptab_new(void);  /* OWNED or NULL */
void iptab_free(struct iptab *t);

/* Add a record (strings are copied; client_ip: the client as an address,
 * NULL when it is not one).  0, ERR_NOMEM or ERR_LIMIT (JOIN_RECORDS_MAX
 * records held at once, or JOIN_ANSWERS_PER_IP_MAX for this address). */
int iptab_add(struct iptab *t, const struct ipaddr *ip, int64_t time_us, struct slice name,
              struct slice client, const struct ipaddr *client_ip,
              struct slice ttext) WARN_UNUSED;

/* Iterating the records of one address: the address is looked up once by
 * iptab_first; records are BORROWED until the next add or evict. */
struct iptab_it {
    const void *ent;  /* the address's entry, or NULL */
    size_t i;
};
const struct rec *iptab_first(const struct iptab *t, const struct ipaddr *ip,
                              struct iptab_it *it);
const struct rec *iptab_it_next(const struct iptab *t, struct iptab_it *it);

/* The oldest record still held (first in arrival order), or NULL. */
const struct rec *iptab_oldest(const struct iptab *t);

/* Drop the oldest record.  Its strings (rec_name, rec_client, rec_ttext)
 * stay valid until iptab_flush_retired: a reply can point at them. */
void iptab_pop(struct iptab *t);

/* Free the strings of the records dropped so far (after a reply). */
void iptab_flush_retired(struct iptab *t);

/* Drop every record (their strings retired, as by iptab_pop) and shrink the
 * index back to a new table's size. */
void iptab_clear(struct iptab *t);

size_t iptab_count(const struct iptab *t);

#endif
