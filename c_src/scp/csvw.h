/*
 * csvw: builds one reply's CSV body from rows of any shape.
 *
 * Rows are added as (schema, cells) pairs, optionally with a second
 * (schema, cells) pair of extra fields: a schema is a list of column ids, the
 * cells are that many slices.  Rows from different input chunks (held back by
 * a command and released later) and rows with added output fields can be
 * mixed in one reply.  The header is the union of the columns that some row
 * actually sets (cell.p != NULL), in order of first appearance, so a column
 * that no row writes is not sent, and one that only a later row writes is
 * not lost.
 *
 * Values are quoted only where needed (comma, quote, CR, LF), and a row whose
 * only field is empty is written as "" so it is not a blank line.
 *
 * The body is streamed: csvw_prepare computes the header and the exact body
 * length (the frame header needs it first), csvw_write sends the body through
 * a small fixed buffer, so a reply never exists twice in memory.
 *
 * Rows, schemas and cells are BORROWED until the body has been written.
 */
#ifndef CSVW_H
#define CSVW_H

#include <stddef.h>
#include <stdint.h>

#include "scp/cols.h"
#include "scp/csv.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/slice.h"

struct schema {
    size_t n;
    const uint32_t *ids;  /* BORROWED */
};

/* Produces the cells of generated row i into cells (s->n slices, preset to
 * SLICE_NULL = not set), allocating from scratch, which is reset before each
 * call.  Called more than once per row (while the header is built, for the
 * length, and for the bytes): every call for one i must give the same cells.
 * 0 or ERR_NOMEM. */
typedef int (*csvw_gen_fn)(void *ctx, size_t i, struct slice *cells, struct arena *scratch);

/* Optional with a generated range: row i as the text the writer would make
 * of fn's cells when the reply's header is exactly the range's schema (the
 * cells in order, each as csvw_put_value writes it, comma-separated, no
 * newline).  Sets *len to its length and writes it into dst only when dst
 * is not NULL and *len <= cap, so a producer can measure a row without
 * formatting its largest cells, and write it where it goes.  scratch is
 * reset before each call.  Every call for one i must give the same text.
 * 0, ERR_NOMEM, or another ERR_* code (the reply is then cut short). */
typedef int (*csvw_line_fn)(void *ctx, size_t i, char *dst, size_t cap, size_t *len,
                            struct arena *scratch);

/* A generated range: rows i .. i + n - 1 made by fn(ctx, ...). */
struct csvw_gen {
    csvw_gen_fn fn;
    csvw_line_fn line;           /* or NULL */
    void *ctx;                   /* BORROWED */
    size_t i, n;
};

/* One queued row (64 bytes: a reply can queue a whole window of rows). */
struct csvw_row {
    const char *raw;             /* the row's input bytes, their rowpack form
                                  * (packed), or NULL */
    uint32_t raw_n : 31;         /* the input bytes' length */
    uint32_t packed : 1;
    uint32_t gen;                /* a generated range: index + 1 in gens */
    const struct schema *s;
    const struct slice *cells;   /* s->n slices; p == NULL = not set ... */
    const char *base;            /* ... or, when cells is NULL, s->n compact */
    const struct cell *ccells;   /* cells (csv.h) into base; when both are NULL
                                  * the row is its raw text, every field set */
    const struct schema *xs;     /* extra fields, or NULL */
    const struct slice *xcells;
};

struct csvw {
    struct csvw_row *rows;  /* OWNED array (pointers inside are borrowed) */
    size_t nrows, cap;
    struct csvw_gen *gens;  /* OWNED array of the generated ranges */
    size_t ngens, gens_cap;
    char *text;             /* OWNED: the last packed row, unpacked */
    size_t text_cap;
    const struct csvw_row *text_row;
    size_t nlog;            /* rows written: a generated entry counts gen_n */
    uint32_t *mark;         /* OWNED: per column id, header position + 1 */
    size_t mark_cap;
    uint32_t *header;       /* OWNED: column ids in header order (after prepare) */
    size_t nh;
    /* Maps header position -> cell for the last few row shapes (rows of
     * two shapes often alternate: events with and without added fields). */
    struct csvw_map {
        const struct schema *s, *xs;
        int *map;           /* OWNED */
        size_t cap;
        int identity;       /* the base part maps to header positions 0..n-1 */
        unsigned long used; /* for replacement */
    } maps[8];
    unsigned long map_clock;
    int *map;               /* BORROWED: the current shape's map */
    int map_identity;
    uint64_t *quote;        /* OWNED: per written cell, 1 bit "needs quoting",
                             * found by prepare so write does not scan again */
    size_t quote_cap;       /* in 64-bit words */
    struct slice *split;    /* OWNED: a text-only row split into values */
    size_t split_cap;
    struct arena scratch;   /* unescaped values of split rows */
    const struct csvw_row *split_row;
    char *block;            /* OWNED: output block, allocated by prepare so that
                             * writing the body after the frame header cannot
                             * fail for lack of memory */
    const struct schema *lines_s;  /* the schema line_gen last checked ... */
    int lines_ok;           /* ... and whether the header is exactly it */
    char *bigline;          /* OWNED: a generated line longer than the block
                             * (sized by prepare) */
    size_t bigline_cap;
    struct slice *gcells;   /* OWNED: the current generated row's cells */
    size_t gcells_cap;
    struct arena gscratch;  /* their values; reset per generated row */
};

void csvw_init(struct csvw *w);
void csvw_free(struct csvw *w);

/* Forget the rows (after a reply). */
void csvw_reset(struct csvw *w);

/* Queue one row.  0 or ERR_NOMEM. */
int csvw_add(struct csvw *w, const struct schema *s, const struct slice *cells) WARN_UNUSED;
/* Queue one row with extra fields (xs may be NULL).  `raw` (or SLICE_NULL)
 * is the row's CSV text as received, holding exactly the cells of `s` in
 * order: when the reply's header starts with s's columns, the row is copied
 * verbatim instead of re-quoted, which is where most of the time goes. */
int csvw_add2(struct csvw *w, struct slice raw, const struct schema *s, const char *base,
              const struct cell *cells, const struct schema *xs,
              const struct slice *xcells) WARN_UNUSED;

/* Queue a row held in rowpack's stored form (util/rowpack.h) whose input
 * text is n bytes: it is unpacked while the reply is written, one row at a
 * time.  0, ERR_NOMEM or ERR_LIMIT. */
int csvw_add_packed(struct csvw *w, const char *stored, size_t n, const struct schema *s,
                    const struct schema *xs, const struct slice *xcells) WARN_UNUSED;

/* Queue n generated rows, gen(i) .. gen(i + n - 1): their cells exist only
 * while they are measured or written, and the n rows take one entry, so a
 * large reply need not be held in memory (s and ctx are BORROWED until the
 * body has been written).  0 or ERR_NOMEM. */
int csvw_add_gen(struct csvw *w, const struct schema *s, csvw_gen_fn gen, void *ctx,
                 size_t i, size_t n) WARN_UNUSED;
/* The same with a line producer (NULL: none), used instead of gen for the
 * length and the bytes whenever the header is exactly s; gen still decides
 * the header and stands in otherwise. */
int csvw_add_gen_lines(struct csvw *w, const struct schema *s, csvw_gen_fn gen,
                       csvw_line_fn line, void *ctx, size_t i, size_t n) WARN_UNUSED;

/* Compute the header and the exact body length (0 with no rows: an empty
 * body).  0, ERR_NOMEM, or ERR_LIMIT past SCP_REPLY_MAX. */
int csvw_prepare(struct csvw *w, const struct cols *c, size_t *body_len, struct err *e) WARN_UNUSED;

/* Write the prepared body to fd.  0, ERR_PIPE or ERR_IO. */
int csvw_write(struct csvw *w, const struct cols *c, int fd, struct err *e) WARN_UNUSED;

/* prepare + write into a buffer (tests, scpdrive). */
int csvw_finish(struct csvw *w, const struct cols *c, struct buf *out, struct err *e) WARN_UNUSED;

/* Append one value with minimal quoting. */
int csvw_value(struct buf *out, struct slice v) WARN_UNUSED;

/* For line producers: the bytes v takes in a row (*special: whether it is
 * quoted), and v written that way into d, which has that much room;
 * returns the end. */
size_t csvw_value_len(struct slice v, int *special);
char *csvw_put_value(char *d, struct slice v, int special);

#endif
