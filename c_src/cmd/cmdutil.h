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

#define CMD_REQUIRED_MAX 24

struct reqfields {
    char *names[CMD_REQUIRED_MAX];  /* OWNED copies */
    size_t n;
};

/* Add a field once (an absent slice is ignored).  0, ERR_LIMIT, ERR_NOMEM. */
int reqfields_add(struct reqfields *r, struct slice name) WARN_UNUSED;
void reqfields_free(struct reqfields *r);

#endif
