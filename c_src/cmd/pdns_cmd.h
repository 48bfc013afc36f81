/*
 * pdns_cmd: the `dnspdns` search command (sub-command "pdns").
 *
 * Reads DNS events (a non-empty query field; its answer values that are IP
 * addresses; the client in src; _time), aggregates them into passive DNS
 * records (rest/pdns.h), merges them with the records already in the KV
 * store collection (collection=, default dnsjoin_pdns: read the stored
 * records of the same addresses first, then write with batch_save) and
 * returns one summary row per record: rrname, rrtype, rdata, time_first,
 * time_last, count, last_client and status (inserted, updated, or
 * not_saved when the KV store could not be read or written; a WARN names
 * the problem).  Declared `reporting`: it runs once, on the search head,
 * over the whole result set.
 */
#ifndef PDNS_CMD_H
#define PDNS_CMD_H

#include "scp/scp.h"

extern const struct scp_command pdns_command;

#endif
