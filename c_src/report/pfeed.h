/*
 * pfeed: the events dnsprofile counts, handed to the profile on a worker
 * thread (util/worker.h).
 *
 * The main thread reads, parses and joins; what the join decided for an
 * event is copied into a compact record (its strings into the batch's
 * text), and full batches are applied to the profile by the worker while
 * the main thread goes on.  Records are applied in the order they were
 * given, so the profile ends exactly as if each event had been added at
 * once.  The profile is touched only by the worker from pfeed_new until
 * pfeed_flush returns.
 *
 * Errors from the profile (ERR_NOMEM, ERR_LIMIT) come back with a later
 * call or with pfeed_flush; from then on every call returns that error.
 */
#ifndef REPORT_PFEED_H
#define REPORT_PFEED_H

#include <stddef.h>
#include <stdint.h>

#include "net/ipaddr.h"
#include "report/profile.h"
#include "util/err.h"
#include "util/slice.h"

/* A batch goes to the worker when it holds this many events ... */
#define PFEED_BATCH_EVENTS 4096
/* ... or this many bytes of copied field text. */
#define PFEED_BATCH_TEXT (1024u * 1024)

/* An answer's address is checked for a repeat against the first this many
 * distinct ones: answers list a few addresses, and in a longer list a
 * repeat past them is counted as another lookup. */
#define PFEED_ANSWER_REPEATS 16

struct pfeed;

/* OWNED, free with pfeed_free; NULL on allocation failure.  p is BORROWED;
 * threaded 0 applies every batch on the caller's thread. */
struct pfeed *pfeed_new(struct profile *p, int threaded);
/* Stops the worker (a batch in flight is finished first). */
void pfeed_free(struct pfeed *f);

/* A DNS answer: client (client_ip: the same as an address, or NULL) got
 * ips[0..nips-1] for name at time t.  Here and below, n is how many equal
 * events the call stands for (profile.h). */
int pfeed_lookup(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
                 struct slice name, const struct ipaddr *ips, size_t nips, int64_t t,
                 struct slice sourcetype, uint64_t n, struct err *e) WARN_UNUSED;

/* A network event (profile_conn's arguments). */
int pfeed_conn(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
               struct slice name, const struct ipaddr *ip, int64_t t, int udp3544,
               struct slice action, struct slice port, struct slice transport,
               struct slice sourcetype, uint64_t n, struct err *e) WARN_UNUSED;

/* A proxy request for host (profile_proxy's arguments). */
int pfeed_proxy(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
                struct slice host, int64_t t, struct slice sourcetype, uint64_t n,
                struct err *e) WARN_UNUSED;

/* Apply everything given so far and wait for it; then the profile may be
 * read (and the feed may take more events).  0 or the first error. */
int pfeed_flush(struct pfeed *f, struct err *e) WARN_UNUSED;

/* 1 if batches are applied on a thread of their own. */
int pfeed_threaded(const struct pfeed *f);

#endif
