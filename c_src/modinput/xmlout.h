/*
 * xmlout: Splunk's XML event stream (SPLUNK_APP.md §7.5).
 *
 * Escapes &, <, > (and quotes in attributes) and drops characters XML 1.0
 * does not allow (C0 controls other than tab, LF, CR), so any bytes the
 * log carried give a well-formed stream.
 */
#ifndef XMLOUT_H
#define XMLOUT_H

#include <stdint.h>

#include "util/buf.h"
#include "util/slice.h"

/* Element text: &, <, > escaped. */
int xmlout_escape(struct buf *b, struct slice s) WARN_UNUSED;
/* Attribute value: also '"'. */
int xmlout_escape_attr(struct buf *b, struct slice s) WARN_UNUSED;

/* Metadata for every event of one stanza; null slices are omitted. */
struct xmlout_meta {
    struct slice stanza, source, sourcetype, index, host;
};

/* Append one complete <event> (unbroken, with <done/>). */
int xmlout_event(struct buf *b, const struct xmlout_meta *m, int64_t time_us,
                 struct slice data) WARN_UNUSED;

#endif
