/*
 * xmlin: the configuration XML splunkd writes on stdin (SPLUNK_APP.md §7.3,
 * §7.4): run mode's <input> and validation's <items>.
 *
 * Not a general XML parser: it reads elements, attributes, text, CDATA,
 * comments, processing instructions and the five named plus numeric
 * character references, which is everything splunkd and the SDK fixtures
 * use.  Input in UTF-8, or UTF-16LE/BE (with a byte-order mark, or declared
 * and recognised from its zero bytes), is converted to UTF-8 first.  Only
 * the first <stanza>/<item> is kept: this input runs one process per stanza
 * (use_single_instance false).
 */
#ifndef XMLIN_H
#define XMLIN_H

#include <stddef.h>

#include "util/err.h"

#define XMLIN_PARAMS_MAX 64

struct xmlin_param {
    char *name;   /* OWNED */
    char *value;  /* OWNED */
};

struct xmlin {
    char *root;            /* OWNED: "input" or "items" */
    char *checkpoint_dir;  /* OWNED or NULL */
    char *stanza;          /* OWNED or NULL: name attribute of the first stanza/item */
    size_t n;
    struct xmlin_param p[XMLIN_PARAMS_MAX];
};

/* Parse p[0..n).  0, or ERR_INPUT / ERR_LIMIT / ERR_NOMEM with e filled;
 * x is always safe to xmlin_free afterwards. */
int xmlin_parse(const char *p, size_t n, struct xmlin *x, struct err *e) WARN_UNUSED;

/* The value of a <param name="name"> of the first stanza (BORROWED), or NULL. */
const char *xmlin_get(const struct xmlin *x, const char *name);

void xmlin_free(struct xmlin *x);

/* Convert p[0..n) to UTF-8 by BOM / zero-byte pattern.  *out is OWNED
 * (xfree), NUL-terminated.  0, ERR_INPUT (bad UTF-16), ERR_NOMEM. */
int xmlin_to_utf8(const char *p, size_t n, char **out, size_t *out_n) WARN_UNUSED;

#endif
