/*
 * joinopts: the options every command built on the join engine shares
 * (window, skew, scope, ip, client, query, answer, maxnames, maxbuffer),
 * read from the SPL arguments with their defaults and limits.
 */
#ifndef JOINOPTS_H
#define JOINOPTS_H

#include "join/join.h"
#include "join/resolvers.h"
#include "join/sinkhole.h"
#include "rest/history.h"
#include "scp/args.h"
#include "scp/scp.h"

/* Fill o from a.  ip_is_field: whether ip= names the IP field (dnsjoin,
 * dnsprofile) or is left to the caller (dnstimechart's address filter).
 * 0 or ERR_ARGS with e filled. */
int joinopts_parse(struct args *a, int ip_is_field, struct join_opts *o, struct err *e) WARN_UNUSED;

/* A byte size: digits with an optional K, KB, M, MB, G or GB (powers of
 * 1024).  0 or ERR_INPUT. */
int joinopts_size(struct slice s, uint64_t *out) WARN_UNUSED;

/* history=<collection> and history_window=<timespan> (default 7d): when
 * history= is given, make a passive DNS history source from the session's
 * splunkd_uri and session key (s->info) with the join's skew, set
 * o->history, and hand the source to the caller (*out, OWNED: free with
 * history_free after the join engine).  KV store problems are WARN
 * messages, never errors.  Call after joinopts_parse.  0, ERR_ARGS or
 * ERR_NOMEM with e filled; *out NULL when history= is absent. */
int joinopts_history(struct scp *s, struct args *a, struct join_opts *o, struct history **out,
                     struct err *e) WARN_UNUSED;

/* The same for dnsprofile, which also asks the source for name_first_seen
 * (history_first_seen): its KV store WARNs say those columns are empty
 * too. */
int joinopts_history_names(struct scp *s, struct args *a, struct join_opts *o,
                           struct history **out, struct err *e) WARN_UNUSED;

/* The sinkhole answers (join/sinkhole): 0.0.0.0, :: and the app's
 * lookups/dnsjoin_sinkholes.csv.  A missing file is no error (the built-in
 * pair only); an unreadable or malformed one, or rows that are not
 * addresses, give a WARN naming `cmd` and the built-in pair is used.  *out
 * is OWNED (sinkholes_free after the engine); o, when not NULL, gets
 * o->sinkholes.  0 or ERR_NOMEM with e filled. */
int joinopts_sinkholes(struct scp *s, const char *cmd, struct join_opts *o,
                       struct sinkholes **out, struct err *e) WARN_UNUSED;

/* The public resolvers (join/resolvers) of the app's
 * lookups/dnsjoin_public_resolvers.csv and the sanctioned ones of
 * local_resolvers=<list>.  A missing file is no error (nothing is
 * flagged); an unreadable or malformed one, or rows that are skipped, give
 * a WARN naming `cmd`.  *out is OWNED (resolvers_free).  0, ERR_ARGS (a
 * bad local_resolvers=) or ERR_NOMEM with e filled. */
int joinopts_resolvers(struct scp *s, struct args *a, const char *cmd, struct resolvers **out,
                       struct err *e) WARN_UNUSED;

#endif
