/*
 * sinkhole: answers that block a name rather than name a destination.
 *
 * Pi-hole, dnsmasq's address=/name/ and most DNS filters answer a blocked
 * name with 0.0.0.0 or ::, or with an address of their own that serves a
 * block page.  Such an answer says nothing about where a later connection
 * goes: on a filtered network every blocked name shares it, so a
 * connection to it would be "joined" to whichever blocked name came last.
 * These answers make no join record, no passive DNS record, and are never
 * looked up in the KV store history.
 *
 * The set is 0.0.0.0 and :: always, plus the rows of the app's
 * lookups/dnsjoin_sinkholes.csv (column `sinkhole`: an address or a CIDR
 * range; empty as shipped).
 */
#ifndef JOIN_SINKHOLE_H
#define JOIN_SINKHOLE_H

#include <stddef.h>

#include "net/ipaddr.h"
#include "util/err.h"

/* The file is read whole once per search: a wrong path cannot load much. */
#define SINKHOLE_FILE_MAX (1u * 1024 * 1024)

struct sinkholes;

/* OWNED: 0.0.0.0 and :: only.  NULL only on allocation failure. */
struct sinkholes *sinkholes_builtin(void);

/* OWNED: 0.0.0.0, :: and the ranges in the CSV file at path.  NULL with e
 * filled: ERR_IO (cannot read it), ERR_INPUT (no `sinkhole` column),
 * ERR_LIMIT (larger than SINKHOLE_FILE_MAX), ERR_NOMEM.  Rows whose value
 * is not an address or range are skipped and counted in *skipped. */
struct sinkholes *sinkholes_load(const char *path, size_t *skipped, struct err *e);

void sinkholes_free(struct sinkholes *s);

/* 1 if a is a sinkhole answer.  s NULL: the built-in set (0.0.0.0, ::). */
int sinkholes_has(const struct sinkholes *s, const struct ipaddr *a);

/* Entries in the set, the two built-in ones included. */
size_t sinkholes_count(const struct sinkholes *s);

#define SINKHOLES_CSV "dnsjoin_sinkholes.csv"
#define SINKHOLES_SITE_CSV "dnsjoin_sinkholes_site.csv"

/* <app>/lookups/dnsjoin_sinkholes_site.csv for this executable when it
 * exists, else <app>/lookups/dnsjoin_sinkholes.csv: 0 or ERR_IO. */
int sinkholes_default_path(char *out, size_t n);

#endif
