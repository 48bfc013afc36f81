/*
 * csv: the reader for the CSV bodies splunkd sends (RFC 4180 as splunkd
 * writes it: LF or CRLF line ends, quoted values with "" escapes, embedded
 * newlines, arbitrary bytes).
 *
 * Zero-copy: a parsed table is an array of (offset, length) cells into the
 * body.  A quoted value containing "" is unescaped in place (it only gets
 * shorter), which is why the body is writable.  Bytes are never validated or
 * decoded, so invalid UTF-8 passes through untouched.
 *
 * Every row also keeps its text (`raw`), so writers can copy it verbatim;
 * a row whose text was changed by unescaping gets a re-quoted copy.  Cells
 * are stored only for the columns the caller asks for: a command that reads
 * five fields of sixty does not pay for the other fifty-five.
 *
 * Shape rules: the first line is the header; every row must have exactly as
 * many fields as the header (splunkd always writes rectangular tables), and a
 * repeated column name is an error, since Splunk results cannot hold two
 * fields of the same name.  An empty body is a table with no columns.
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>
#include <stdint.h>

#include "scp/cols.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/slice.h"

/* One value as (offset, length) from the body start: half the size of a
 * slice, and a 50,000-row chunk of 60 columns has three million of them. */
struct cell {
    uint32_t off;  /* CELL_ABSENT: no value */
    uint32_t len;
};
#define CELL_ABSENT UINT32_MAX

static inline struct slice cell_slice(const char *base, struct cell c)
{
    return c.off == CELL_ABSENT ? SLICE_NULL : slice_of(base + c.off, c.len);
}

struct csv_table {
    const char *base;     /* VIEW: the body the cells are offsets into */
    size_t ncols;
    size_t nrows;
    uint32_t *ids;        /* OWNED by the table: column ids (cols registry) */
    uint32_t *mv;         /* OWNED: per column, index of its __mv_ column or UINT32_MAX */
    struct cell *cells;   /* OWNED array, nw per row; values are in `base` */
    size_t nw;            /* cells stored per row */
    uint32_t *wmap;       /* OWNED: per column, its index among a row's cells,
                           * or UINT32_MAX when not stored */
    size_t wmap_cap;
    struct slice *raw;    /* OWNED array: per row, its CSV text without the
                           * line end (VIEW into the body, or into `side`) */
    struct arena side;    /* re-quoted text of rows changed by unescaping */
    size_t raw_cap;
    uint32_t *escw;       /* OWNED scratch: stored cells of the current row
                           * that hold "" escapes */
    uint32_t *skip;       /* OWNED: per column, how many columns from it on
                           * are not stored (never the last column) */
    size_t cells_cap;
    size_t ids_cap;
    char *own;            /* OWNED: the stored values (csv_parse_copy) */
    size_t own_len;
    size_t own_cap;
};

void csv_table_init(struct csv_table *t);
void csv_table_free(struct csv_table *t);

/*
 * Parse body[0..n) into t (reusing t's arrays).  Column names are interned in
 * `c`.  The body is modified in place (quote unescaping) and must outlive the
 * table.  Bodies are limited to 4 GB (32-bit offsets).  0, ERR_CSV, ERR_LIMIT
 * or ERR_NOMEM (e filled, with the 1-based row number and no row content).
 */
int csv_parse(char *body, size_t n, struct cols *c, struct csv_table *t,
              struct err *e) WARN_UNUSED;

/* The same, storing cells only for the columns whose ids are in want[0..nwant)
 * (want == NULL: all columns). */
int csv_parse_want(char *body, size_t n, struct cols *c, const uint32_t *want, size_t nwant,
                   struct csv_table *t, struct err *e) WARN_UNUSED;

/* The same, with the stored cells' values copied into the table (unescaped),
 * so that the body may be reused as soon as this returns: base points into
 * the table, and rows keep no text (raw[r] is SLICE_NULL).  For a reader
 * that works on a table while the next body arrives; the values are a
 * fraction of the body when few columns are wanted. */
int csv_parse_copy(char *body, size_t n, struct cols *c, const uint32_t *want, size_t nwant,
                   struct csv_table *t, struct err *e) WARN_UNUSED;

/* A table built from values rather than parsed (a reduce replaying rows it
 * keeps): csv_table_begin sets the columns, ids[0..ncols) (distinct; their
 * __mv_ companions paired as the parser pairs them) and which are stored
 * (want, as csv_parse_want); csv_table_add_row copies one row's ncols
 * values, vals[k] for column k, into the table.  The table then reads as
 * csv_parse_copy's would for the same rows written as CSV: rows keep no
 * text.  0, ERR_LIMIT or ERR_NOMEM (e filled). */
int csv_table_begin(struct csv_table *t, struct cols *c, const uint32_t *ids, size_t ncols,
                    const uint32_t *want, size_t nwant, struct err *e) WARN_UNUSED;
int csv_table_add_row(struct csv_table *t, const struct slice *vals, struct err *e) WARN_UNUSED;

/* Value of column col in a row; SLICE_NULL for a column whose cells were
 * not stored (read it from the row text with csv_raw_field). */
static inline struct slice csv_cell(const struct csv_table *t, size_t row, size_t col)
{
    uint32_t w = t->wmap[col];
    return w == UINT32_MAX ? SLICE_NULL : cell_slice(t->base, t->cells[row * t->nw + w]);
}

/*
 * Split a row's text (a `raw` slice) into ncols values.  Values with ""
 * escapes are unescaped into `a`; the others are VIEWs into the text.
 * 0, ERR_CSV (field count differs) or ERR_NOMEM.
 */
int csv_split_raw(struct slice raw, size_t ncols, struct slice *out, struct arena *a) WARN_UNUSED;

/* The stored cells of a row, from its text: out[wmap[k]] for every column k
 * with wmap[k] != UINT32_MAX, offsets from raw.p.  0, or ERR_CSV when the
 * field count differs or a stored value has "" escapes (read those with
 * csv_raw_field). */
int csv_cells_from_raw(struct slice raw, const uint32_t *wmap, size_t ncols,
                       struct cell *out) WARN_UNUSED;

/* Field k of a row's text (unescaped into `a` when needed), or SLICE_NULL
 * when the row has fewer fields or memory ran out. */
struct slice csv_raw_field(struct slice raw, size_t k, struct arena *a);

/* Index of the column with id `id`, or -1. */
long csv_col_index(const struct csv_table *t, uint32_t id);

#endif
