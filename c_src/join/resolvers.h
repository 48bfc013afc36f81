/*
 * resolvers: connections that go around the network's own DNS, to a
 * public resolver over DNS over HTTPS, TLS or QUIC, or plain DNS.
 *
 * A host that resolves names through a public DoH or DoT service makes
 * no DNS event the network can see, so dnsjoin cannot join its later
 * connections; the connection to the resolver itself is what shows it.
 * The resolvers are the rows of the app's
 * lookups/dnsjoin_public_resolvers.csv (columns `address`: an address or
 * CIDR range, `provider`, `protocols`: the services it offers among dns,
 * doh, dot and doq, separated by spaces).  A connection gets a kind from
 * its transport and destination port, and is flagged only when its
 * destination is a resolver offering that service:
 *
 *   tcp/443, udp/443   doh  (HTTP/2 and HTTP/3)
 *   tcp/853            dot  (RFC 7858)
 *   udp/853            doq  (RFC 9250: DNS over QUIC uses UDP/853)
 *   tcp/53, udp/53     dns  (plain DNS to an outside resolver)
 *
 * Sanctioned resolvers (local_resolvers) are never flagged, as source or
 * destination: the site's own resolvers forward to public ones, and a
 * site may use a public one on purpose.
 */
#ifndef JOIN_RESOLVERS_H
#define JOIN_RESOLVERS_H

#include <stddef.h>

#include "net/ipaddr.h"
#include "util/err.h"
#include "util/slice.h"

enum bypass { BYPASS_NONE, BYPASS_DNS, BYPASS_DOH, BYPASS_DOT, BYPASS_DOQ };

struct resolvers;

/* OWNED: no public resolver, no sanctioned one.  NULL only on allocation
 * failure. */
struct resolvers *resolvers_new(void);

/* OWNED: the resolvers in the CSV file at path.  NULL with e filled:
 * ERR_IO (cannot read it), ERR_INPUT (no `address`, `provider` or
 * `protocols` column), ERR_LIMIT (larger than RESOLVERS_FILE_MAX),
 * ERR_CSV (not CSV), ERR_NOMEM.  Rows whose address is not an address or
 * range, whose provider is empty or longer than RESOLVERS_PROVIDER_MAX,
 * or whose protocols name no known service (or an unknown one) are
 * skipped and counted in *skipped. */
struct resolvers *resolvers_load(const char *path, size_t *skipped, struct err *e);

void resolvers_free(struct resolvers *r);

/* Add the sanctioned resolvers of list: addresses or CIDR ranges
 * separated by commas or spaces.  0, or ERR_ARGS (an item that is no
 * address or range, named in e; more than LOCAL_RESOLVERS_MAX items),
 * ERR_NOMEM. */
int resolvers_set_local(struct resolvers *r, struct slice list, struct err *e) WARN_UNUSED;

/* The service a connection (IP protocol number proto, destination port
 * dport) would use to reach a resolver: BYPASS_NONE for other ports. */
enum bypass resolvers_kind(unsigned proto, unsigned dport);

/* Whether src -> dst on proto/dport reaches a public resolver around the
 * network's DNS: the kind, with *provider (VIEW into r) set, or
 * BYPASS_NONE.  src may be NULL (the client is not an address). */
enum bypass resolvers_match(const struct resolvers *r, const struct ipaddr *src,
                            const struct ipaddr *dst, unsigned proto, unsigned dport,
                            struct slice *provider);

/* "dns", "doh", "dot", "doq" (NULL for BYPASS_NONE). */
const char *resolvers_kind_name(enum bypass k);

/* Public resolver rows loaded; sanctioned entries. */
size_t resolvers_count(const struct resolvers *r);
size_t resolvers_local_count(const struct resolvers *r);

/* <app>/lookups/dnsjoin_public_resolvers.csv for this executable: 0 or
 * ERR_IO. */
int resolvers_default_path(char *out, size_t n);

#endif
