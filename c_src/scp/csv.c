#include "scp/csv.h"

#include <string.h>

#include "limits.h"
#include "util/xmem.h"

void csv_table_init(struct csv_table *t)
{
    memset(t, 0, sizeof *t);
}

void csv_table_free(struct csv_table *t)
{
    xfree(t->ids);
    xfree(t->mv);
    xfree(t->cells);
    xfree(t->raw);
    csv_table_init(t);
}

long csv_col_index(const struct csv_table *t, uint32_t id)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (t->ids[i] == id)
            return (long)i;
    return -1;
}

/* Field-ending bytes of an unquoted field. */
static const unsigned char stop[256] = {[','] = 1, ['\n'] = 1, ['\r'] = 1};

/* Parser states between fields: what the byte after a field means. */
enum field_end {
    END_FIELD,  /* ',' : another field follows on this line */
    END_LINE,   /* '\n' or "\r\n" */
    END_BODY    /* no more bytes */
};

/*
 * Read one field starting at *pos.  On return *pos is past the separator.
 * Quoted fields are unescaped in place.
 */
static inline int read_field(char *b, size_t n, size_t *pos, struct slice *out,
                             enum field_end *end, size_t row, int *mod, struct err *e)
{
    size_t i = *pos;

    if (i < n && b[i] == '"') {
        size_t start = ++i, w = i;
        for (;;) {
            char *q = memchr(b + i, '"', n - i);
            if (q == NULL)
                return err_set(e, ERR_CSV, "row %zu: unterminated quoted value", row);
            size_t qi = (size_t)(q - b);
            if (w != i)
                memmove(b + w, b + i, qi - i);
            w += qi - i;
            i = qi + 1;
            if (i < n && b[i] == '"') {  /* "" is one quote */
                *mod = 1;
                b[w++] = '"';
                i++;
                continue;
            }
            break;
        }
        if (w - start > CSV_FIELD_MAX)
            return err_set(e, ERR_LIMIT, "row %zu: a value is larger than CSV_FIELD_MAX (%u bytes)",
                           row, (unsigned)CSV_FIELD_MAX);
        *out = slice_of(b + start, w - start);
        if (i >= n) {
            *end = END_BODY;
        } else if (b[i] == ',') {
            *end = END_FIELD;
            i++;
        } else if (b[i] == '\n') {
            *end = END_LINE;
            i++;
        } else if (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n') {
            *end = END_LINE;
            i += 2;
        } else {
            return err_set(e, ERR_CSV, "row %zu: unexpected byte after a closing quote", row);
        }
        *pos = i;
        return 0;
    }

    size_t start = i;
    for (;;) {
        while (i < n && !stop[(unsigned char)b[i]])
            i++;
        /* A lone CR inside an unquoted value is data; only CRLF ends a line. */
        if (i < n && b[i] == '\r' && !(i + 1 < n && b[i + 1] == '\n')) {
            i++;
            continue;
        }
        break;
    }
    if (i - start > CSV_FIELD_MAX)
        return err_set(e, ERR_LIMIT, "row %zu: a value is larger than CSV_FIELD_MAX (%u bytes)",
                       row, (unsigned)CSV_FIELD_MAX);
    *out = slice_of(b + start, i - start);
    if (i >= n) {
        *end = END_BODY;
    } else if (b[i] == ',') {
        *end = END_FIELD;
        i++;
    } else if (b[i] == '\n') {
        *end = END_LINE;
        i++;
    } else {
        *end = END_LINE;  /* CRLF */
        i += 2;
    }
    *pos = i;
    return 0;
}

static int grow_cells(struct csv_table *t, size_t need)
{
    if (need <= t->cells_cap)
        return 0;
    size_t ncap = t->cells_cap ? t->cells_cap : 1024;
    while (ncap < need)
        ncap *= 2;
    struct cell *nc = xreallocarray(t->cells, ncap, sizeof *nc);
    if (nc == NULL)
        return ERR_NOMEM;
    t->cells = nc;
    t->cells_cap = ncap;
    return 0;
}

static int parse_header(char *b, size_t n, size_t *pos, struct cols *c,
                        struct csv_table *t, struct err *e)
{
    enum field_end end = END_FIELD;
    int rc;

    t->ncols = 0;
    while (end == END_FIELD) {
        struct slice name;
        uint32_t id;
        int mod = 0;
        rc = read_field(b, n, pos, &name, &end, 0, &mod, e);
        if (rc)
            return rc;
        if (t->ncols >= CSV_COLS_MAX)
            return err_set(e, ERR_LIMIT, "the header has more than CSV_COLS_MAX (%d) columns",
                           CSV_COLS_MAX);
        if (t->ncols == t->ids_cap) {
            size_t ncap = t->ids_cap ? t->ids_cap * 2 : 64;
            uint32_t *ni = xreallocarray(t->ids, ncap, sizeof *ni);
            if (ni == NULL)
                return err_set(e, ERR_NOMEM, "out of memory reading the header");
            t->ids = ni;
            uint32_t *nm = xreallocarray(t->mv, ncap, sizeof *nm);
            if (nm == NULL)
                return err_set(e, ERR_NOMEM, "out of memory reading the header");
            t->mv = nm;
            t->ids_cap = ncap;
        }
        rc = cols_intern(c, name, &id);
        if (rc == ERR_LIMIT)
            return err_set(e, rc, "column name longer than CSV_NAME_MAX (%d) or more than "
                           "COLS_INTERN_MAX (%d) distinct columns", CSV_NAME_MAX, COLS_INTERN_MAX);
        if (rc)
            return err_set(e, rc, "out of memory reading the header");
        for (size_t k = 0; k < t->ncols; k++)
            if (t->ids[k] == id)
                return err_set(e, ERR_CSV, "column %zu repeats the name of column %zu",
                               t->ncols + 1, k + 1);
        t->ids[t->ncols++] = id;
    }
    /* Pair each plain column with its __mv_ companion. */
    for (size_t k = 0; k < t->ncols; k++) {
        t->mv[k] = UINT32_MAX;
        if (cols_is_mv(c, t->ids[k]))
            continue;
        uint32_t mid;
        rc = cols_mv_of(c, t->ids[k], &mid);
        if (rc)
            return err_set(e, rc, "out of memory reading the header");
        for (size_t j = 0; j < t->ncols; j++)
            if (t->ids[j] == mid) {
                t->mv[k] = (uint32_t)j;
                break;
            }
    }
    return 0;
}

int csv_parse(char *b, size_t n, struct cols *c, struct csv_table *t, struct err *e)
{
    size_t pos = 0;
    int rc;

    t->base = b;
    t->ncols = 0;
    t->nrows = 0;
    if (n == 0)
        return 0;
    if (n >= CELL_ABSENT)
        return err_set(e, ERR_LIMIT, "a body of %zu bytes is over the 4 GB a table can index", n);
    rc = parse_header(b, n, &pos, c, t, e);
    if (rc)
        return rc;

    while (pos < n) {
        size_t row = t->nrows + 1, base, k = 0;
        enum field_end end = END_FIELD;

        if (t->nrows >= CSV_ROWS_MAX)
            return err_set(e, ERR_LIMIT, "more than CSV_ROWS_MAX (%d) rows in one chunk",
                           CSV_ROWS_MAX);
        base = t->nrows * t->ncols;
        rc = grow_cells(t, base + t->ncols);
        if (rc)
            return err_set(e, rc, "out of memory reading row %zu", row);
        if (t->nrows == t->raw_cap) {
            size_t ncap = t->raw_cap ? t->raw_cap * 2 : 1024;
            struct slice *nr = xreallocarray(t->raw, ncap, sizeof *nr);
            if (nr == NULL)
                return err_set(e, ERR_NOMEM, "out of memory reading row %zu", row);
            t->raw = nr;
            t->raw_cap = ncap;
        }
        size_t start = pos;
        int mod = 0;
        while (end == END_FIELD) {
            struct slice v;
            rc = read_field(b, n, &pos, &v, &end, row, &mod, e);
            if (rc)
                return rc;
            if (k >= t->ncols)
                return err_set(e, ERR_CSV, "row %zu has more fields than the header (%zu)",
                               row, t->ncols);
            t->cells[base + k].off = (uint32_t)(v.p - b);
            t->cells[base + k++].len = (uint32_t)v.n;
        }
        if (k != t->ncols)
            return err_set(e, ERR_CSV, "row %zu has %zu fields, the header has %zu",
                           row, k, t->ncols);
        size_t line_end = pos;
        if (end == END_LINE)
            line_end -= (line_end >= start + 2 && b[line_end - 2] == '\r') ? 2 : 1;
        t->raw[t->nrows] = mod ? SLICE_NULL : slice_of(b + start, line_end - start);
        t->nrows++;
    }
    return 0;
}

/* A raw row has no "" escapes, so a quoted value ends at the next quote. */
static size_t raw_next(const char *p, size_t n, size_t i, size_t *start, size_t *len)
{
    if (i < n && p[i] == '"') {
        const char *q = memchr(p + i + 1, '"', n - i - 1);
        size_t end = q ? (size_t)(q - p) : n;
        *start = i + 1;
        *len = end - i - 1;
        return end + 1 < n ? end + 2 : n + 1;  /* past the comma */
    }
    const char *c = memchr(p + i, ',', n - i);
    size_t end = c ? (size_t)(c - p) : n;
    *start = i;
    *len = end - i;
    return c ? end + 1 : n + 1;
}

int csv_split_raw(struct slice raw, size_t ncols, const char *base, struct cell *out)
{
    size_t i = 0, k = 0, st, len;
    while (i <= raw.n && k < ncols) {
        i = raw_next(raw.p, raw.n, i, &st, &len);
        out[k].off = (uint32_t)(raw.p + st - base);
        out[k].len = (uint32_t)len;
        k++;
    }
    return k == ncols && i == raw.n + 1 ? 0 : ERR_CSV;
}

struct slice csv_raw_field(struct slice raw, size_t k)
{
    size_t i = 0, st, len;
    for (size_t f = 0; i <= raw.n; f++) {
        i = raw_next(raw.p, raw.n, i, &st, &len);
        if (f == k)
            return slice_of(raw.p + st, len);
    }
    return SLICE_NULL;
}
