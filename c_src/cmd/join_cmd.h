/*
 * join_cmd: the `dnsjoin` search command (sub-command "join").
 *
 * Adds to every network event the DNS answer that led to it (dns_query,
 * dns_client, dns_time, dns_age, dns_match, dns_queries) and tunnel fields
 * (tunnel, teredo_*, sixtofour_ipv4); every other event passes through
 * unchanged, in input order.  Declared as an `events` command: it runs on
 * the search head over the whole, merged stream and may hold rows back.
 */
#ifndef JOIN_CMD_H
#define JOIN_CMD_H

#include "scp/scp.h"

extern const struct scp_command join_command;

#endif
