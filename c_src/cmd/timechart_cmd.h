/*
 * timechart_cmd: the `dnstimechart` search command (sub-command
 * "timechart").
 *
 * `timechart count by <field>` (default by sourcetype) over DNS, network
 * and proxy events, optionally keeping only the traffic of a domain, an
 * address range or a client range, where "the traffic of a domain"
 * includes network events the dnsjoin engine ties to that domain's DNS
 * answers.  A reporting command: rows come out in the reply to the final
 * request.
 */
#ifndef TIMECHART_CMD_H
#define TIMECHART_CMD_H

#include "scp/scp.h"

extern const struct scp_command timechart_command;

#endif
