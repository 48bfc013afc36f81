/*
 * passthrough: returns every row unchanged.  The reference for the codec's
 * correctness (every byte of every field comes back) and for speed (every
 * other command is measured against it).
 */
#ifndef PASSTHROUGH_H
#define PASSTHROUGH_H

#include "scp/scp.h"

extern const struct scp_command passthrough_command;

#endif
