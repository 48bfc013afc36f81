/*
 * cols: the session's column names, interned to small integer ids.
 *
 * Every chunk carries its own CSV header, and the columns may change from one
 * chunk to the next.  Interning each header once per chunk turns all later
 * work (finding a field, pairing `f` with `__mv_f`, computing the union of
 * output columns) into integer comparisons, and lets rows from different
 * chunks be written into one reply.
 */
#ifndef COLS_H
#define COLS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/slice.h"

#define COL_NONE UINT32_MAX

struct cols;

struct cols *cols_new(void);  /* OWNED, free with cols_free; NULL on OOM */
void cols_free(struct cols *c);

/* Id of `name`, adding it if new.  0, ERR_NOMEM, or ERR_LIMIT past
 * COLS_INTERN_MAX or CSV_NAME_MAX. */
int cols_intern(struct cols *c, struct slice name, uint32_t *id) WARN_UNUSED;

/* Id of `name` or COL_NONE, without adding it. */
uint32_t cols_find(const struct cols *c, struct slice name);

/* VIEW into the registry, valid until cols_free. */
struct slice cols_name(const struct cols *c, uint32_t id);

/* For a plain name f, the id of "__mv_f" (interned on demand); for an id
 * that is itself an __mv_ column, COL_NONE. */
int cols_mv_of(struct cols *c, uint32_t id, uint32_t *mv_id) WARN_UNUSED;

/* 1 if the column is an "__mv_" companion. */
int cols_is_mv(const struct cols *c, uint32_t id);

/* For "__mv_f", the id of "f" if interned, else COL_NONE. */
uint32_t cols_plain_of(const struct cols *c, uint32_t mv_id);

size_t cols_count(const struct cols *c);

#endif
