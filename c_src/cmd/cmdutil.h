/*
 * cmdutil: small pieces the command front-ends share: numbers and addresses
 * formatted into the reply's arena, "__mv_<field>" names, and the list of
 * fields a reporting command declares in getinfo's required_fields.
 */
#ifndef CMDUTIL_H
#define CMDUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "net/ipaddr.h"
#include "scp/meta.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/slice.h"

/* Text in the arena (VIEW valid until it is reset); SLICE_NULL when out of
 * memory. */
struct slice cmd_u64(struct arena *a, uint64_t v);
struct slice cmd_us(struct arena *a, int64_t us);  /* seconds, shortest decimal */
struct slice cmd_ip(struct arena *a, const struct ipaddr *ip);

/* "__mv_" + f, NUL-terminated: OWNED (xfree), NULL when out of memory. */
char *cmd_mv_name(struct slice f);

/* A reporting command's map phase: "<cmd> phase=map <the user's arguments
 * as typed>" from getinfo's searchinfo (raw_args keep the quotes; older
 * splunkd versions send none, then values with blanks, quotes or
 * backslashes are quoted here).  *out OWNED (xfree).  0, ERR_NOMEM, or
 * ERR_LIMIT when the text would pass SCP_META_MAX / 2 bytes. */
int cmd_preop(const struct meta_info *in, const char *cmd, char **out) WARN_UNUSED;

/* dnsjoin.conf [search] mapphase, from default/ then local/ of the app this
 * binary runs from (true when unset or when the app is not found): whether
 * dnspdns and the unfiltered dnstimechart name their map phase when the
 * search does not say.  0, or ERR_ARGS naming the file and line. */
int cmd_mapphase_conf(int *on, struct err *e) WARN_UNUSED;

#define CMD_REQUIRED_MAX 24

struct reqfields {
    char *names[CMD_REQUIRED_MAX];  /* OWNED copies */
    size_t n;
};

/* Add a field once (an absent slice is ignored).  0, ERR_LIMIT, ERR_NOMEM. */
int reqfields_add(struct reqfields *r, struct slice name) WARN_UNUSED;
void reqfields_free(struct reqfields *r);

#endif
