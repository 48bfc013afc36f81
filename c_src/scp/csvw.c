#include "scp/csvw.h"

#include <string.h>

#include "limits.h"
#include "util/io.h"
#include "util/xmem.h"

/* Output block: flushed to fd when full; each value is copied whole, so a
 * value larger than the block is written directly. */
#define WBLOCK (256u * 1024)

void csvw_init(struct csvw *w)
{
    memset(w, 0, sizeof *w);
}

void csvw_free(struct csvw *w)
{
    xfree(w->rows);
    xfree(w->mark);
    xfree(w->header);
    xfree(w->map);
    xfree(w->block);
    csvw_init(w);
}

void csvw_reset(struct csvw *w)
{
    /* The header marks are cleared by the next csvw_prepare. */
    w->nrows = 0;
}

int csvw_add2(struct csvw *w, const struct schema *s, const struct slice *cells,
              const struct schema *xs, const struct slice *xcells)
{
    if (w->nrows == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 1024;
        struct csvw_row *nr = xreallocarray(w->rows, ncap, sizeof *nr);
        if (nr == NULL)
            return ERR_NOMEM;
        w->rows = nr;
        w->cap = ncap;
    }
    w->rows[w->nrows].s = s;
    w->rows[w->nrows].cells = cells;
    w->rows[w->nrows].xs = xs;
    w->rows[w->nrows].xcells = xcells;
    w->nrows++;
    return 0;
}

int csvw_add(struct csvw *w, const struct schema *s, const struct slice *cells)
{
    return csvw_add2(w, s, cells, NULL, NULL);
}

static const unsigned char needs_quote[256] = {[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1};

/* Word-at-a-time test for ',', '"', LF, CR: the writer looks at every byte
 * of every value twice (length, then copy), so this is the hot loop. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
static inline uint64_t has_zero(uint64_t v) { return (v - ONES) & ~v & HIGHS; }

static int has_special(const char *p, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        if (has_zero(v ^ (ONES * ',')) | has_zero(v ^ (ONES * '"')) |
            has_zero(v ^ (ONES * '\n')) | has_zero(v ^ (ONES * '\r')))
            return 1;
    }
    for (; i < n; i++)
        if (needs_quote[(unsigned char)p[i]])
            return 1;
    return 0;
}

/* Bytes a value takes in the output. */
static size_t value_len(struct slice v)
{
    size_t q = 0;
    if (!has_special(v.p, v.n))
        return v.n;
    for (const char *p = v.p, *end = v.p + v.n; (p = memchr(p, '"', (size_t)(end - p))) != NULL; p++)
        q++;
    return v.n + q + 2;
}

/* Copy a value with quoting into d (room checked by the caller). */
static char *put_value(char *d, struct slice v)
{
    if (!has_special(v.p, v.n)) {
        if (v.n)
            memcpy(d, v.p, v.n);
        return d + v.n;
    }
    *d++ = '"';
    const char *p = v.p, *end = v.p + v.n;
    for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        size_t k = (size_t)((q ? q + 1 : end) - p);
        memcpy(d, p, k);
        d += k;
        if (q == NULL)
            break;
        *d++ = '"';
        p = q + 1;
    }
    *d++ = '"';
    return d;
}

int csvw_value(struct buf *out, struct slice v)
{
    int rc = buf_reserve(out, value_len(v));
    if (rc)
        return rc;
    out->len = (size_t)(put_value(out->p + out->len, v) - out->p);
    return 0;
}

static int mark_grow(struct csvw *w, size_t ncols)
{
    if (ncols <= w->mark_cap)
        return 0;
    uint32_t *nm = xreallocarray(w->mark, ncols, sizeof *nm);
    if (nm == NULL)
        return ERR_NOMEM;
    memset(nm + w->mark_cap, 0, (ncols - w->mark_cap) * sizeof *nm);
    w->mark = nm;
    w->mark_cap = ncols;
    uint32_t *nh = xreallocarray(w->header, ncols, sizeof *nh);
    if (nh == NULL)
        return ERR_NOMEM;
    w->header = nh;
    return 0;
}

/* Add the set columns of one part to the header; 1 if every column of the
 * schema is now in the header (later rows of that shape add nothing). */
static int mark_part(struct csvw *w, const struct schema *s, const struct slice *cells)
{
    int complete = 1;
    for (size_t k = 0; k < s->n; k++) {
        uint32_t id = s->ids[k];
        if (w->mark[id])
            continue;
        if (cells[k].p == NULL) {
            complete = 0;
            continue;
        }
        w->header[w->nh++] = id;
        w->mark[id] = (uint32_t)w->nh;
    }
    return complete;
}

/* Map header position -> cell (index into cells, or into xcells + n). */
static int build_map(struct csvw *w, const struct csvw_row *row)
{
    if (w->nh > w->map_cap) {
        int *nm = xreallocarray(w->map, w->nh, sizeof *nm);
        if (nm == NULL)
            return ERR_NOMEM;
        w->map = nm;
        w->map_cap = w->nh;
    }
    for (size_t h = 0; h < w->nh; h++)
        w->map[h] = -1;
    for (size_t k = 0; k < row->s->n; k++) {
        uint32_t m = w->mark[row->s->ids[k]];
        if (m)
            w->map[m - 1] = (int)k;
    }
    for (size_t k = 0; row->xs && k < row->xs->n; k++) {
        uint32_t m = w->mark[row->xs->ids[k]];
        if (m)
            w->map[m - 1] = (int)(row->s->n + k);
    }
    return 0;
}

static inline struct slice cell_at(const struct csvw_row *row, int k)
{
    if (k < 0)
        return SLICE_NULL;
    if ((size_t)k < row->s->n)
        return row->cells[k];
    return row->xcells[(size_t)k - row->s->n];
}

static int same_shape(const struct csvw_row *a, const struct csvw_row *b)
{
    return a->s == b->s && a->xs == b->xs;
}

int csvw_prepare(struct csvw *w, const struct cols *c, size_t *body_len, struct err *e)
{
    size_t total = 0;
    const struct csvw_row *last = NULL;
    const struct schema *complete = NULL;

    *body_len = 0;
    for (size_t h = 0; h < w->nh; h++)
        w->mark[w->header[h]] = 0;
    w->nh = 0;
    if (w->nrows == 0)
        return 0;
    if (mark_grow(w, cols_count(c)))
        return err_set(e, ERR_NOMEM, "out of memory writing a reply");
    if (w->block == NULL && (w->block = xmalloc(WBLOCK)) == NULL)
        return err_set(e, ERR_NOMEM, "out of memory writing a reply");

    /* Union of the columns some row sets, first appearance first.  Once all
     * of a schema's columns are in the header, its later rows are skipped. */
    for (size_t r = 0; r < w->nrows; r++) {
        const struct csvw_row *row = &w->rows[r];
        if (row->s != complete && mark_part(w, row->s, row->cells))
            complete = row->s;
        if (row->xs)
            (void)mark_part(w, row->xs, row->xcells);
    }

    for (size_t h = 0; h < w->nh; h++)
        total += value_len(cols_name(c, w->header[h])) + 1;
    if (w->nh == 1 && cols_name(c, w->header[0]).n == 0)
        total += 2;
    last = NULL;
    for (size_t r = 0; r < w->nrows; r++) {
        const struct csvw_row *row = &w->rows[r];
        size_t rowlen = w->nh, nonempty = 0;
        if (last == NULL || !same_shape(row, last)) {
            if (build_map(w, row))
                return err_set(e, ERR_NOMEM, "out of memory writing a reply");
            last = row;
        }
        for (size_t h = 0; h < w->nh; h++) {
            struct slice v = cell_at(row, w->map[h]);
            if (v.p == NULL)
                continue;
            nonempty += v.n;
            rowlen += value_len(v);
        }
        if (w->nh == 1 && nonempty == 0)
            rowlen += 2;
        total += rowlen;
        if (total > SCP_REPLY_MAX)
            return err_set(e, ERR_LIMIT, "a reply is larger than SCP_REPLY_MAX (%llu bytes)",
                           (unsigned long long)SCP_REPLY_MAX);
    }
    *body_len = total;
    return 0;
}


struct wout {
    int fd;
    struct buf *mem;   /* non-NULL: write into memory instead */
    char *b;
    size_t n;
    struct err *e;
};

static int wflush(struct wout *o)
{
    int rc = 0;
    if (o->n == 0)
        return 0;
    if (o->mem)
        rc = buf_append(o->mem, o->b, o->n);
    else
        rc = io_write_all(o->fd, o->b, o->n, o->e);
    o->n = 0;
    return rc;
}

/* Bytes as they are: into the block, or straight out when larger. */
static int wraw(struct wout *o, const char *p, size_t n)
{
    if (o->n + n > WBLOCK) {
        int rc = wflush(o);
        if (rc)
            return rc;
        if (n > WBLOCK)
            return o->mem ? buf_append(o->mem, p, n) : io_write_all(o->fd, p, n, o->e);
    }
    memcpy(o->b + o->n, p, n);
    o->n += n;
    return 0;
}

static int wvalue(struct wout *o, struct slice v, char sep)
{
    int rc = 0;
    if (o->n + 2 * v.n + 3 <= WBLOCK) {
        char *d = put_value(o->b + o->n, v);
        if (sep)
            *d++ = sep;
        o->n = (size_t)(d - o->b);
        return 0;
    }
    /* A large value: quote it piecewise without a second copy. */
    if (!has_special(v.p, v.n)) {
        rc = wraw(o, v.p, v.n);
    } else {
        const char *p = v.p, *end = v.p + v.n;
        rc = wraw(o, "\"", 1);
        while (rc == 0) {
            const char *q = memchr(p, '"', (size_t)(end - p));
            rc = wraw(o, p, (size_t)((q ? q + 1 : end) - p));
            if (rc || q == NULL)
                break;
            rc = wraw(o, "\"", 1);
            p = q + 1;
        }
        if (rc == 0)
            rc = wraw(o, "\"", 1);
    }
    if (rc == 0 && sep)
        rc = wraw(o, &sep, 1);
    return rc;
}

static int write_body(struct csvw *w, const struct cols *c, struct wout *o)
{
    const struct csvw_row *last = NULL;
    int rc = 0;

    for (size_t h = 0; h < w->nh && rc == 0; h++)
        rc = wvalue(o, cols_name(c, w->header[h]), h + 1 < w->nh ? ',' : 0);
    if (rc == 0 && w->nh == 1 && cols_name(c, w->header[0]).n == 0)
        rc = wraw(o, "\"\"", 2);
    if (rc == 0)
        rc = wraw(o, "\n", 1);
    for (size_t r = 0; r < w->nrows && rc == 0; r++) {
        const struct csvw_row *row = &w->rows[r];
        size_t nonempty = 0;
        if (last == NULL || !same_shape(row, last)) {
            if (build_map(w, row))
                return ERR_NOMEM;
            last = row;
        }
        for (size_t h = 0; h < w->nh && rc == 0; h++) {
            struct slice v = cell_at(row, w->map[h]);
            char sep = h + 1 < w->nh ? ',' : 0;
            if (v.p == NULL)
                v = SLICE_LIT("");
            nonempty += v.n;
            rc = wvalue(o, v, sep);
        }
        if (rc == 0 && w->nh == 1 && nonempty == 0)
            rc = wraw(o, "\"\"", 2);
        if (rc == 0)
            rc = wraw(o, "\n", 1);
    }
    if (rc == 0)
        rc = wflush(o);
    return rc;
}

int csvw_write(struct csvw *w, const struct cols *c, int fd, struct err *e)
{
    struct wout o = {fd, NULL, w->block, 0, e};
    int rc;
    if (w->nrows == 0)
        return 0;
    rc = write_body(w, c, &o);
    if (rc == ERR_NOMEM)
        err_set(e, rc, "out of memory writing a reply");
    return rc;
}

int csvw_finish(struct csvw *w, const struct cols *c, struct buf *out, struct err *e)
{
    size_t len;
    struct wout o = {-1, out, NULL, 0, e};
    int rc = csvw_prepare(w, c, &len, e);
    if (rc || w->nrows == 0)
        return rc;
    o.b = w->block;
    rc = write_body(w, c, &o);
    if (rc)
        err_set(e, rc, "out of memory writing a reply");
    return rc;
}
