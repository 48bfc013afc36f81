#include "scp/csv.h"

#include <string.h>

#include "limits.h"
#include "util/bytes.h"
#include "util/xmem.h"

void csv_table_init(struct csv_table *t)
{
    memset(t, 0, sizeof *t);
    arena_init(&t->side, 64u * 1024, CSV_FIELD_MAX * 4ull);
}

void csv_table_free(struct csv_table *t)
{
    xfree(t->ids);
    xfree(t->mv);
    xfree(t->cells);
    xfree(t->raw);
    xfree(t->wmap);
    xfree(t->escw);
    xfree(t->skip);
    xfree(t->own);
    arena_free(&t->side);
    memset(t, 0, sizeof *t);
    arena_init(&t->side, 64u * 1024, CSV_FIELD_MAX * 4ull);
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

/* "" -> " within a value, in place; returns the new length. */
static size_t unescape_in_place(char *p, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        p[w++] = p[i];
        if (p[i] == '"' && i + 1 < n && p[i + 1] == '"')
            i++;
    }
    return w;
}

/* The limit messages, out of the hot loop. */
static int field_too_big(size_t row, struct err *e)
{
    return err_set(e, ERR_LIMIT, "row %zu: a value is larger than CSV_FIELD_MAX (%llu bytes); "
                   "shorten it with eval substr() or drop it with '| fields - <name>' before the "
                   "command (" LIMIT_BUILD_HINT ")", row, (unsigned long long)CSV_FIELD_MAX);
}

static int cols_too_many(struct err *e)
{
    return err_set(e, ERR_LIMIT, "more than COLS_INTERN_MAX (%llu) distinct column names in this "
                   "search; keep only the fields the command needs with '| fields' before it ("
                   LIMIT_BUILD_HINT ")", (unsigned long long)COLS_INTERN_MAX);
}

/*
 * Read one field starting at *pos.  On return *pos is past the separator.
 * The body is not changed: a quoted value with "" escapes is returned as it
 * stands (*esc set) and unescaped later only if the caller keeps it.
 */
static inline int read_field(char *b, size_t n, size_t *pos, struct slice *out,
                             enum field_end *end, size_t row, int *esc, struct err *e)
{
    size_t i = *pos;

    *esc = 0;
    if (i < n && b[i] == '"') {
        size_t start = ++i;
        for (;;) {
            const char *q = bytes_chr(b + i, n - i, '"');
            if (q == NULL)
                return err_set(e, ERR_CSV, "row %zu: unterminated quoted value", row);
            i = (size_t)(q - b) + 1;
            if (i < n && b[i] == '"') {  /* "" is one quote */
                *esc = 1;
                i++;
                continue;
            }
            break;
        }
        if (i - 1 - start > CSV_FIELD_MAX)
            return field_too_big(row, e);
        *out = slice_of(b + start, i - 1 - start);
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
        return field_too_big(row, e);
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

/*
 * Pass over up to max fields of a row from b[*pos] without reading them:
 * fields not stored, which only need their commas counted.  A field is
 * passed only if it ends at a comma, holds no quote, CR or LF (then the
 * reader takes over: a quoted value, a line end, a lone CR) and is within
 * CSV_FIELD_MAX, so the result is the reader's.  Most such fields are
 * empty __mv_ companions: 16 bytes a step count many at once.  Returns how
 * many were passed; *pos is then the start of the next field.
 */
static size_t pass_fields(const char *b, size_t n, size_t *pos, size_t max)
{
    size_t i = *pos, start = i, done = 0;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'),
                  lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    while (done < max && n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        unsigned stopm = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr)));
        unsigned cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma));
        if (stopm)
            cm &= (stopm & -stopm) - 1;  /* the commas before the first stop */
        for (; cm && done < max; cm &= cm - 1) {
            size_t at = i + (size_t)__builtin_ctz(cm);
            if (at - start > CSV_FIELD_MAX)
                goto out;
            done++;
            start = at + 1;
        }
        if (stopm)
            goto out;
        i += 16;
    }
#elif defined(__aarch64__) && defined(__ARM_NEON)
    const uint8x16_t comma = vdupq_n_u8(','), quote = vdupq_n_u8('"'), lf = vdupq_n_u8('\n'),
                     cr = vdupq_n_u8('\r');
    while (done < max && n - i >= 16) {
        uint8x16_t v = vld1q_u8((const uint8_t *)b + i);
        uint8x16_t st = vorrq_u8(vorrq_u8(vceqq_u8(v, quote), vceqq_u8(v, lf)), vceqq_u8(v, cr));
        /* four bits per byte */
        uint64_t stopm = vget_lane_u64(
            vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(st), 4)), 0);
        uint64_t cm = vget_lane_u64(
            vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(vceqq_u8(v, comma)), 4)), 0);
        if (stopm)
            cm &= (stopm & -stopm) - 1;
        while (cm && done < max) {
            unsigned z = (unsigned)__builtin_ctzll(cm) >> 2;
            size_t at = i + z;
            if (at - start > CSV_FIELD_MAX)
                goto out;
            done++;
            start = at + 1;
            cm &= ~(UINT64_C(0xF) << (z * 4));
        }
        if (stopm)
            goto out;
        i += 16;
    }
#endif
    for (; done < max && i < n; i++) {
        char c = b[i];
        if (c == '"' || c == '\n' || c == '\r')
            break;
        if (c == ',') {
            if (i - start > CSV_FIELD_MAX)
                break;
            done++;
            start = i + 1;
        }
    }
out:
    *pos = start;
    return done;
}

static int grow_cells(struct csv_table *t, size_t need)
{
    if (need <= t->cells_cap)
        return 0;
    /* 1.5x: the array is kept for the next chunk, so the slack of
     * doubling would be paid for the whole session */
    size_t ncap = t->cells_cap ? t->cells_cap : 1024;
    while (ncap < need)
        ncap += ncap / 2;
    struct cell *nc = xreallocarray(t->cells, ncap, sizeof *nc);
    if (nc == NULL)
        return ERR_NOMEM;
    t->cells = nc;
    t->cells_cap = ncap;
    return 0;
}

/* Pair each plain column with its __mv_ companion. */
static int pair_mv(struct cols *c, struct csv_table *t, struct err *e)
{
    int rc;
    for (size_t k = 0; k < t->ncols; k++) {
        t->mv[k] = UINT32_MAX;
        if (cols_is_mv(c, t->ids[k]))
            continue;
        uint32_t mid;
        rc = cols_mv_of(c, t->ids[k], &mid);
        if (rc == ERR_LIMIT)
            return cols_too_many(e);
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

/* Room for n column ids. */
static int grow_ids(struct csv_table *t, size_t n)
{
    if (n <= t->ids_cap)
        return 0;
    size_t ncap = t->ids_cap ? t->ids_cap * 2 : 64;
    while (ncap < n)
        ncap *= 2;
    uint32_t *ni = xreallocarray(t->ids, ncap, sizeof *ni);
    if (ni == NULL)
        return ERR_NOMEM;
    t->ids = ni;
    uint32_t *nm = xreallocarray(t->mv, ncap, sizeof *nm);
    if (nm == NULL)
        return ERR_NOMEM;
    t->mv = nm;
    t->ids_cap = ncap;
    return 0;
}

/* Which columns keep cells: those in want[0..nwant) (want NULL: all). */
static int set_wmap(struct csv_table *t, const uint32_t *want, size_t nwant)
{
    if (t->ncols > t->wmap_cap) {
        uint32_t *nm = xreallocarray(t->wmap, t->ncols, sizeof *nm);
        uint32_t *nr = nm ? xreallocarray(t->escw, t->ncols, sizeof *nr) : NULL;
        uint32_t *ns = nr ? xreallocarray(t->skip, t->ncols, sizeof *ns) : NULL;
        if (nm)
            t->wmap = nm;
        if (nr)
            t->escw = nr;
        if (ns == NULL)
            return ERR_NOMEM;
        t->skip = ns;
        t->wmap_cap = t->ncols;
    }
    t->nw = 0;
    for (size_t k = 0; k < t->ncols; k++) {
        int w = want == NULL;
        for (size_t i = 0; !w && i < nwant; i++)
            w = want[i] == t->ids[k];
        t->wmap[k] = w ? (uint32_t)t->nw++ : UINT32_MAX;
    }
    /* the last column is always read, so that the line end is checked */
    for (size_t k = t->ncols; k-- > 0;)
        t->skip[k] = k + 1 == t->ncols || t->wmap[k] != UINT32_MAX ? 0 : t->skip[k + 1] + 1;
    return 0;
}

static int parse_header(char *b, size_t n, size_t *pos, struct cols *c,
                        struct csv_table *t, struct err *e)
{
    enum field_end end = END_FIELD;
    int rc;

    t->ncols = 0;
    while (end == END_FIELD) {
        struct slice name = SLICE_NULL;
        uint32_t id;
        int esc = 0;
        rc = read_field(b, n, pos, &name, &end, 0, &esc, e);
        if (rc)
            return rc;
        if (esc)
            name.n = unescape_in_place((char *)(uintptr_t)name.p, name.n);
        if (t->ncols >= CSV_COLS_MAX)
            return err_set(e, ERR_LIMIT, "the input has more than CSV_COLS_MAX (%llu) columns; "
                           "keep only the fields the command needs with '| fields' before it ("
                           LIMIT_BUILD_HINT ")", (unsigned long long)CSV_COLS_MAX);
        /* checked here so that a limit error from cols_intern means the
         * session's column count */
        /* "__mv_" + a name of CSV_NAME_MAX bytes is that name's companion */
        size_t nmax = name.n > 5 && name.p != NULL && memcmp(name.p, "__mv_", 5) == 0
                          ? CSV_NAME_MAX + 5
                          : CSV_NAME_MAX;
        if (name.n > nmax)
            return err_set(e, ERR_LIMIT, "column %zu has a name longer than CSV_NAME_MAX (%llu "
                           "bytes); rename the field before the command (" LIMIT_BUILD_HINT ")",
                           t->ncols + 1, (unsigned long long)CSV_NAME_MAX);
        if (grow_ids(t, t->ncols + 1))
            return err_set(e, ERR_NOMEM, "out of memory reading the header");
        rc = cols_intern(c, name, &id);
        if (rc == ERR_LIMIT)
            return cols_too_many(e);
        if (rc)
            return err_set(e, rc, "out of memory reading the header");
        for (size_t k = 0; k < t->ncols; k++)
            if (t->ids[k] == id)
                return err_set(e, ERR_CSV, "column %zu repeats the name of column %zu",
                               t->ncols + 1, k + 1);
        t->ids[t->ncols++] = id;
    }
    return pair_mv(c, t, e);
}

int csv_parse(char *b, size_t n, struct cols *c, struct csv_table *t, struct err *e)
{
    return csv_parse_want(b, n, c, NULL, 0, t, e);
}

/* Room for n more bytes of copied values (the caller keeps own_len + n
 * under 4 GB). */
static int grow_own(struct csv_table *t, size_t n)
{
    size_t ncap = t->own_cap ? t->own_cap : 64u * 1024;
    while (ncap < t->own_len + n)
        ncap += ncap / 2;
    char *no = xrealloc(t->own, ncap);
    if (no == NULL)
        return ERR_NOMEM;
    t->own = no;
    t->own_cap = ncap;
    return 0;
}

static int parse(char *b, size_t n, struct cols *c, const uint32_t *want, size_t nwant,
                 int copy_values, struct csv_table *t, struct err *e)
{
    size_t pos = 0;
    int rc;

    t->base = b;
    t->own_len = 0;
    t->ncols = 0;
    t->nrows = 0;
    t->nw = 0;
    arena_reset(&t->side);
    if (n == 0)
        return 0;
    if (n >= CELL_ABSENT)
        return err_set(e, ERR_LIMIT, "a body of %zu bytes is over the 4 GB a table can index", n);
    rc = parse_header(b, n, &pos, c, t, e);
    if (rc)
        return rc;
    if (set_wmap(t, want, nwant))
        return err_set(e, ERR_NOMEM, "out of memory reading the header");

    while (pos < n) {
        size_t row = t->nrows + 1, base, k = 0;
        enum field_end end = END_FIELD;

        if (t->nrows >= CSV_ROWS_MAX)
            return err_set(e, ERR_LIMIT, "more than CSV_ROWS_MAX (%llu) rows in one chunk; lower "
                           "maxresultrows in limits.conf so that splunkd sends smaller chunks ("
                           LIMIT_BUILD_HINT ")", (unsigned long long)CSV_ROWS_MAX);
        base = t->nrows * t->nw;
        rc = grow_cells(t, base + t->nw);
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
        size_t start = pos, nesc = 0;
        while (end == END_FIELD) {
            struct slice v = SLICE_NULL;
            int esc = 0;
            if (k < t->ncols && t->skip[k] > 1) {
                /* a run of fields not stored: count their commas */
                size_t passed = pass_fields(b, n, &pos, t->skip[k]);
                k += passed;
                if (passed > 0)
                    continue;  /* none passed: the reader takes this field */
            }
            rc = read_field(b, n, &pos, &v, &end, row, &esc, e);
            if (rc)
                return rc;
            if (k >= t->ncols)
                return err_set(e, ERR_CSV, "row %zu has more fields than the header (%zu)",
                               row, t->ncols);
            uint32_t w = t->wmap[k++];
            if (w != UINT32_MAX && copy_values) {
                /* the body is under 4 GB, and so is what is copied of it */
                if (v.n > t->own_cap - t->own_len && grow_own(t, v.n))
                    return err_set(e, ERR_NOMEM, "out of memory reading row %zu", row);
                bytes_copy(t->own + t->own_len, v.p, v.n);
                t->cells[base + w].off = (uint32_t)t->own_len;
                t->cells[base + w].len =
                    (uint32_t)(esc ? unescape_in_place(t->own + t->own_len, v.n) : v.n);
                t->own_len += t->cells[base + w].len;
            } else if (w != UINT32_MAX) {
                t->cells[base + w].off = (uint32_t)(v.p - b);
                t->cells[base + w].len = (uint32_t)v.n;
                if (esc)
                    t->escw[nesc++] = w;
            }
        }
        if (k != t->ncols)
            return err_set(e, ERR_CSV, "row %zu has %zu fields, the header has %zu",
                           row, k, t->ncols);
        if (copy_values) {
            t->raw[t->nrows++] = SLICE_NULL;
            continue;
        }
        size_t line_end = pos;
        if (end == END_LINE)
            line_end -= (line_end >= start + 2 && b[line_end - 2] == '\r') ? 2 : 1;
        t->raw[t->nrows] = slice_of(b + start, line_end - start);
        if (nesc > 0) {
            /* A kept value has "" escapes: keep the row's text as received
             * in `side`, then unescape the kept values in the body. */
            char *copy = arena_dup(&t->side, b + start, line_end - start);
            if (copy == NULL)
                return err_set(e, ERR_NOMEM, "out of memory reading row %zu", row);
            t->raw[t->nrows].p = copy;
            for (size_t i = 0; i < nesc; i++) {
                struct cell *cl = &t->cells[base + t->escw[i]];
                cl->len = (uint32_t)unescape_in_place(b + cl->off, cl->len);
            }
        }
        t->nrows++;
    }
    return 0;
}

int csv_parse_want(char *b, size_t n, struct cols *c, const uint32_t *want, size_t nwant,
                   struct csv_table *t, struct err *e)
{
    return parse(b, n, c, want, nwant, 0, t, e);
}

int csv_parse_copy(char *b, size_t n, struct cols *c, const uint32_t *want, size_t nwant,
                   struct csv_table *t, struct err *e)
{
    /* allocated first: values are copied to own + own_len, even empty ones */
    t->own_len = 0;
    if (t->own == NULL && grow_own(t, 1))
        return err_set(e, ERR_NOMEM, "out of memory reading a chunk");
    int rc = parse(b, n, c, want, nwant, 1, t, e);
    /* the cells are offsets into the copy; on an error the table is unusable */
    t->base = t->own;
    return rc;
}

int csv_table_begin(struct csv_table *t, struct cols *c, const uint32_t *ids, size_t ncols,
                    const uint32_t *want, size_t nwant, struct err *e)
{
    t->ncols = 0;
    t->nrows = 0;
    t->nw = 0;
    t->own_len = 0;
    arena_reset(&t->side);
    if (ncols > CSV_COLS_MAX)
        return err_set(e, ERR_LIMIT, "more than CSV_COLS_MAX (%llu) columns",
                       (unsigned long long)CSV_COLS_MAX);
    if (grow_ids(t, ncols) || (t->own == NULL && grow_own(t, 1)))
        return err_set(e, ERR_NOMEM, "out of memory starting a table");
    if (ncols > 0)
        memcpy(t->ids, ids, ncols * sizeof *ids);
    t->ncols = ncols;
    t->base = t->own;
    int rc = pair_mv(c, t, e);
    if (rc == 0 && set_wmap(t, want, nwant))
        rc = err_set(e, ERR_NOMEM, "out of memory starting a table");
    return rc;
}

int csv_table_add_row(struct csv_table *t, const struct slice *vals, struct err *e)
{
    size_t base = t->nrows * t->nw, add = 0;
    if (t->nrows >= CSV_ROWS_MAX)
        return err_set(e, ERR_LIMIT, "more than CSV_ROWS_MAX (%llu) rows in one table",
                       (unsigned long long)CSV_ROWS_MAX);
    for (size_t k = 0; k < t->ncols; k++)
        if (t->wmap[k] != UINT32_MAX)
            add += vals[k].n;
    if (add >= CELL_ABSENT - t->own_len)
        return err_set(e, ERR_LIMIT, "a table's values passed 4 GB");
    if (grow_cells(t, base + t->nw) || (add > t->own_cap - t->own_len && grow_own(t, add)))
        return err_set(e, ERR_NOMEM, "out of memory adding a row");
    if (t->nrows == t->raw_cap) {
        size_t ncap = t->raw_cap ? t->raw_cap * 2 : 1024;
        struct slice *nr = xreallocarray(t->raw, ncap, sizeof *nr);
        if (nr == NULL)
            return err_set(e, ERR_NOMEM, "out of memory adding a row");
        t->raw = nr;
        t->raw_cap = ncap;
    }
    for (size_t k = 0; k < t->ncols; k++) {
        uint32_t w = t->wmap[k];
        if (w == UINT32_MAX)
            continue;
        bytes_copy(t->own + t->own_len, vals[k].p, vals[k].n);
        t->cells[base + w].off = (uint32_t)t->own_len;
        t->cells[base + w].len = (uint32_t)vals[k].n;
        t->own_len += vals[k].n;
    }
    t->raw[t->nrows++] = SLICE_NULL;
    t->base = t->own;  /* grow_own may have moved it */
    return 0;
}

/* One field of a row's text: its content and whether it holds "" escapes.
 * Returns the offset past the field's comma (n + 1 after the last field). */
static size_t raw_next(const char *p, size_t n, size_t i, size_t *start, size_t *len, int *esc)
{
    *esc = 0;
    if (i < n && p[i] == '"') {
        size_t j = i + 1;
        for (;;) {
            const char *q = bytes_chr(p + j, n - j, '"');
            size_t end = q ? (size_t)(q - p) : n;
            if (end + 1 < n && p[end + 1] == '"') {
                *esc = 1;
                j = end + 2;
                continue;
            }
            *start = i + 1;
            *len = end - i - 1;
            return end + 1 < n ? end + 2 : n + 1;
        }
    }
    const char *c = bytes_chr(p + i, n - i, ',');
    size_t end = c ? (size_t)(c - p) : n;
    *start = i;
    *len = end - i;
    return c ? end + 1 : n + 1;
}

static struct slice unescape(const char *p, size_t n, struct arena *a)
{
    char *d = a ? arena_alloc(a, n ? n : 1) : NULL;
    size_t w = 0;
    if (d == NULL)
        return SLICE_NULL;
    for (size_t i = 0; i < n; i++) {
        d[w++] = p[i];
        if (p[i] == '"' && i + 1 < n && p[i + 1] == '"')
            i++;
    }
    return slice_of(d, w);
}

int csv_split_raw(struct slice raw, size_t ncols, struct slice *out, struct arena *a)
{
    size_t i = 0, k = 0, st, len;
    int esc;
    while (i <= raw.n && k < ncols) {
        i = raw_next(raw.p, raw.n, i, &st, &len, &esc);
        out[k] = esc ? unescape(raw.p + st, len, a) : slice_of(raw.p + st, len);
        if (out[k].p == NULL)
            return ERR_NOMEM;
        k++;
    }
    return k == ncols && i == raw.n + 1 ? 0 : ERR_CSV;
}

int csv_cells_from_raw(struct slice raw, const uint32_t *wmap, size_t ncols, struct cell *out)
{
    size_t i = 0, k = 0, st, len;
    int esc;
    while (i <= raw.n && k < ncols) {
        i = raw_next(raw.p, raw.n, i, &st, &len, &esc);
        uint32_t w = wmap[k++];
        if (w == UINT32_MAX)
            continue;
        if (esc)
            return ERR_CSV;
        out[w].off = (uint32_t)st;
        out[w].len = (uint32_t)len;
    }
    return k == ncols && i == raw.n + 1 ? 0 : ERR_CSV;
}

struct slice csv_raw_field(struct slice raw, size_t k, struct arena *a)
{
    size_t i = 0, st, len;
    int esc;
    if (raw.p == NULL)
        return SLICE_NULL;  /* a row of csv_parse_copy keeps no text */
    for (size_t f = 0; i <= raw.n; f++) {
        i = raw_next(raw.p, raw.n, i, &st, &len, &esc);
        if (f == k)
            return esc ? unescape(raw.p + st, len, a) : slice_of(raw.p + st, len);
    }
    return SLICE_NULL;
}
