/*
 * csvw: builds one reply's CSV body from rows of any shape.
 *
 * Rows are added as (schema, cells) pairs: a schema is a list of column ids,
 * the cells are that many slices.  Rows from different input chunks (held
 * back by a command and released later) and rows with extra output fields
 * can be mixed in one reply.  The header is the union of the columns that
 * some row actually sets (cell.p != NULL), in order of first appearance, so
 * a column that no row writes is not sent (the bug the Python SDK had in
 * taking the header from the first row cannot happen).
 *
 * Values are quoted only where needed (comma, quote, CR, LF), and a row whose
 * only field is empty is written as "" so it is not a blank line.
 *
 * Rows, schemas and cells are BORROWED until csvw_finish: the caller keeps
 * them alive (arena or chunk buffer) until the reply has been written.
 */
#ifndef CSVW_H
#define CSVW_H

#include <stddef.h>
#include <stdint.h>

#include "scp/cols.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/slice.h"

struct schema {
    size_t n;
    const uint32_t *ids;  /* BORROWED */
};

struct csvw_row {
    const struct schema *s;
    const struct slice *cells;  /* s->n slices; p == NULL = not set */
};

struct csvw {
    struct csvw_row *rows;  /* OWNED array (pointers inside are borrowed) */
    size_t nrows, cap;
    uint32_t *mark;         /* OWNED: per column id, header position + 1 */
    size_t mark_cap;
};

void csvw_init(struct csvw *w);
void csvw_free(struct csvw *w);

/* Forget the rows (after a reply). */
void csvw_reset(struct csvw *w);

/* Queue one row.  0 or ERR_NOMEM. */
int csvw_add(struct csvw *w, const struct schema *s, const struct slice *cells) WARN_UNUSED;

/* Serialize header + rows into out (appended).  With no rows, nothing is
 * written (an empty body).  0, ERR_NOMEM or ERR_LIMIT (SCP_REPLY_MAX). */
int csvw_finish(struct csvw *w, const struct cols *c, struct buf *out, struct err *e) WARN_UNUSED;

/* Append one value with minimal quoting. */
int csvw_value(struct buf *out, struct slice v) WARN_UNUSED;

#endif
