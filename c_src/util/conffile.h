/*
 * conffile: one stanza of a Splunk .conf file (dnsjoin.conf), read the way
 * splunkd reads it: "[stanza]" headers, "key = value" lines, '#' or ';'
 * comments, blanks around keys and values ignored.  Later files (local/)
 * override earlier ones (default/) by being read after them.
 */
#ifndef CONFFILE_H
#define CONFFILE_H

#include "util/err.h"
#include "util/slice.h"

/* Longest line read; a longer one is ERR_ARGS. */
#define CONFFILE_LINE_MAX 4096

/* Called for each key of the stanza: k and v are VIEWs valid for the call;
 * `file` names the file in messages (e.g. "local/dnsjoin.conf").  A
 * non-zero return stops the read and is returned (e filled). */
typedef int (*conffile_set)(void *ctx, struct slice k, struct slice v, const char *file,
                            int line, struct err *e);

/* Read [stanza] of the file at path.  A missing file is 0 (the defaults
 * stand).  0, ERR_ARGS (a line past CONFFILE_LINE_MAX) or set's code. */
int conffile_read(const char *path, const char *file, const char *stanza, conffile_set set,
                  void *ctx, struct err *e) WARN_UNUSED;

/* A .conf boolean (true/false, 1/0, t/f, yes/no, y/n, on/off, any case):
 * 0, or ERR_INPUT. */
int conffile_bool(struct slice v, int *out) WARN_UNUSED;

#endif
