/*
 * profile_cmd: the `dnsprofile` search command (sub-command "profile").
 *
 * One row per (client, domain, destination IP) conversation from the
 * dnsjoin engine's decisions: lookups, connections, blocked/allowed,
 * proxy use, timing, an hourly sparkline, the path the traffic took, tunnel
 * kind and a one-sentence finding.  A reporting command: rows come out in
 * the reply to the final request.
 */
#ifndef PROFILE_CMD_H
#define PROFILE_CMD_H

#include "scp/scp.h"

extern const struct scp_command profile_command;

/* For tests, which check that each way gives the same bytes: 0 writes the
 * reply from the row cells alone, without the line producer; 0 counts the
 * events on the main thread. */
extern int profile_cmd_lines, profile_cmd_threads;

#endif
