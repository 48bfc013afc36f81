/*
 * conffile: one stanza of a Splunk .conf file (dnsjoin.conf), read the way
 * splunkd reads it: "[stanza]" headers, "key = value" lines, '#' or ';'
 * comments, blanks around keys and values ignored.  Later files (local/)
 * override earlier ones (default/) by being read after them.  Sizes:
 * CONFFILE_BYTES_MAX and CONFFILE_LINE_MAX (limits.h).
 */
#ifndef CONFFILE_H
#define CONFFILE_H

#include <stddef.h>

#include "util/err.h"
#include "util/slice.h"

/* Called for each key of the stanza: k and v are VIEWs valid for the call;
 * `file` names the file in messages (e.g. "local/dnsjoin.conf").  A
 * non-zero return stops the parse and is returned (e filled). */
typedef int (*conffile_set)(void *ctx, struct slice k, struct slice v, const char *file,
                            int line, struct err *e);

/* Hand every key of [stanza] in p[0..n) to set, in order.  Pure: reads
 * only the buffer.  0, ERR_ARGS (a line of CONFFILE_LINE_MAX bytes or
 * more) or set's code. */
int conffile_parse(const char *p, size_t n, const char *file, const char *stanza,
                   conffile_set set, void *ctx, struct err *e) WARN_UNUSED;

/* conffile_parse of the file at path.  A missing file is 0 (the defaults
 * stand); one past CONFFILE_BYTES_MAX, or unreadable, is ERR_ARGS. */
int conffile_read(const char *path, const char *file, const char *stanza, conffile_set set,
                  void *ctx, struct err *e) WARN_UNUSED;

/* A .conf boolean (true/false, 1/0, t/f, yes/no, y/n, on/off, any case):
 * 0, or ERR_INPUT. */
int conffile_bool(struct slice v, int *out) WARN_UNUSED;

#endif
