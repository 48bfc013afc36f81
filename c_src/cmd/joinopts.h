/*
 * joinopts: the options every command built on the join engine shares
 * (window, skew, scope, ip, client, query, answer, maxnames, maxbuffer),
 * read from the SPL arguments with their defaults and limits.
 */
#ifndef JOINOPTS_H
#define JOINOPTS_H

#include "join/join.h"
#include "scp/args.h"

/* Fill o from a.  ip_is_field: whether ip= names the IP field (dnsjoin,
 * dnsprofile) or is left to the caller (dnstimechart's address filter).
 * 0 or ERR_ARGS with e filled. */
int joinopts_parse(struct args *a, int ip_is_field, struct join_opts *o, struct err *e) WARN_UNUSED;

/* A byte size: digits with an optional K, KB, M, MB, G or GB (powers of
 * 1024).  0 or ERR_INPUT. */
int joinopts_size(struct slice s, uint64_t *out) WARN_UNUSED;

#endif
