/*
 * endpoints: known tunnel endpoints, for dnsprofile's `tunnel` column.
 *
 * The list ships with the app as lookups/tunnel_endpoints.csv (columns
 * endpoint,endpoint_type,tunnel,note; endpoint_type is name, ip or cidr;
 * tunnel is teredo or 6to4), so a site can add its own Teredo servers
 * without a new binary.  The built-in list (DOMAIN.md 4.4 and 4.5) is the
 * fallback when the file cannot be read.
 */
#ifndef REPORT_ENDPOINTS_H
#define REPORT_ENDPOINTS_H

#include <stddef.h>

#include "net/ipaddr.h"
#include "util/err.h"
#include "util/slice.h"

/* Lines of the file are limited so a wrong path cannot load a huge file. */
#define ENDPOINTS_FILE_MAX (4u * 1024 * 1024)

enum tunnel_kind { TUNNEL_NONE, TUNNEL_TEREDO, TUNNEL_6TO4 };

struct endpoints;

/* OWNED: the list in the file at `path`.  NULL with e filled: ERR_IO (cannot
 * read it), ERR_INPUT (no endpoint/endpoint_type/tunnel columns), ERR_LIMIT,
 * ERR_NOMEM.  Rows with an unknown type, tunnel or address are skipped and
 * counted in *skipped. */
struct endpoints *endpoints_load(const char *path, size_t *skipped, struct err *e);

/* OWNED: the built-in list; NULL only on allocation failure. */
struct endpoints *endpoints_builtin(void);

void endpoints_free(struct endpoints *ep);

/* Tunnel kind of a domain name (case and a trailing dot ignored). */
enum tunnel_kind endpoints_name(const struct endpoints *ep, struct slice name);

/* Tunnel kind of an address (exact ip entries and cidr ranges). */
enum tunnel_kind endpoints_ip(const struct endpoints *ep, const struct ipaddr *a);

/* Where the app's copy of the file is: <app>/lookups/tunnel_endpoints.csv,
 * the app found from this executable (util/appdir), because splunkd's
 * working directory for a search command is not the app's.  0 or ERR_IO. */
int endpoints_default_path(char *out, size_t n);

const char *endpoints_kind_name(enum tunnel_kind k);

#endif
