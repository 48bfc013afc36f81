/*
 * mv: Splunk's multivalue encoding in `__mv_<field>` columns.
 *
 * A multivalue cell is `$v1$;$v2$`: each value wrapped in `$`, a `$` inside
 * a value doubled, items joined by `;` (a `;` inside a value needs no escape).
 * The plain column holds the values joined with LF.  Readers prefer a
 * non-empty `__mv_` cell; writers emit both forms when there is more than one
 * value, and only the plain form (empty `__mv_`) for one value.
 */
#ifndef MV_H
#define MV_H

#include <stddef.h>

#include "util/arena.h"
#include "util/err.h"
#include "util/slice.h"

/* Iterator over the values of one field in one row. */
struct mv_iter {
    const char *p, *end;  /* VIEW: remaining encoded bytes */
    struct slice plain;   /* the single value when not multivalued */
    int mode;             /* 0 = plain value pending, 1 = decoding, 2 = done */
};

/* Values of a field: from `mvcell` when non-empty, else the single `plain`
 * value (an absent or empty plain value yields one empty value only when
 * `plain` is not absent). */
void mv_iter_init(struct mv_iter *it, struct slice plain, struct slice mvcell);

/*
 * Next value.  1 = *out set, 0 = no more, ERR_INPUT = malformed cell.
 * A value containing "$$" is unescaped into the arena (`a` may be NULL only
 * when the caller knows no "$" occurs; then ERR_NOMEM is returned).
 */
int mv_next(struct mv_iter *it, struct arena *a, struct slice *out);

/* The value a single-valued reader takes: the first of a non-empty
 * `mvcell`, else `plain` (also when `mvcell` is malformed). */
struct slice mv_first(struct slice plain, struct slice mvcell, struct arena *a);

/* Check that a whole cell is well formed; 0 or ERR_INPUT. */
int mv_validate(struct slice mvcell);

/*
 * Encode n values into both forms, in arena memory (VIEWs valid until the
 * arena is reset).  For n == 1, *mv is an empty slice; for n == 0 both are
 * absent (SLICE_NULL).  0 or ERR_NOMEM.
 */
int mv_encode(struct arena *a, const struct slice *vals, size_t n,
              struct slice *plain, struct slice *mv) WARN_UNUSED;

#endif
