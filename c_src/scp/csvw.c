#include "scp/csvw.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "limits.h"
#include "util/bytes.h"
#include "util/io.h"
#include "util/rowpack.h"
#include "util/xmem.h"

/* Output block: flushed to fd when full; each value is copied whole, so a
 * value larger than the block is written directly. */
#define WBLOCK (256u * 1024)

void csvw_init(struct csvw *w)
{
    memset(w, 0, sizeof *w);
    arena_init(&w->scratch, 64u * 1024, (size_t)-1);
    arena_init(&w->gscratch, 16u * 1024, (size_t)-1);
}

void csvw_free(struct csvw *w)
{
    xfree(w->rows);
    xfree(w->gens);
    xfree(w->text);
    xfree(w->mark);
    xfree(w->header);
    for (size_t i = 0; i < sizeof w->maps / sizeof w->maps[0]; i++)
        xfree(w->maps[i].map);
    xfree(w->block);
    xfree(w->split);
    xfree(w->quote);
    xfree(w->gcells);
    xfree(w->bigline);
    arena_free(&w->scratch);
    arena_free(&w->gscratch);
    csvw_init(w);
}

void csvw_reset(struct csvw *w)
{
    /* The header marks are cleared by the next csvw_prepare. */
    w->nrows = 0;
    w->nlog = 0;
    w->ngens = 0;
    w->text_row = NULL;
}

static int add_row(struct csvw *w, struct slice raw, const struct schema *s,
                   const struct slice *cells, const char *base, const struct cell *ccells,
                   const struct schema *xs, const struct slice *xcells)
{
    if (s == NULL)
        return ERR_STATE;  /* every row has a schema; the loops below rely on it */
    if (raw.n > INT32_MAX)
        return ERR_LIMIT;  /* cannot happen below SCP_BODY_MAX */
    if (w->nrows == w->cap) {
        size_t ncap = w->cap ? w->cap + w->cap / 2 : 1024;
        struct csvw_row *nr = xreallocarray(w->rows, ncap, sizeof *nr);
        if (nr == NULL)
            return ERR_NOMEM;
        w->rows = nr;
        w->cap = ncap;
    }
    struct csvw_row *r = &w->rows[w->nrows];
    r->raw = raw.p;
    r->raw_n = (uint32_t)raw.n;
    r->packed = 0;
    r->gen = 0;
    r->s = s;
    r->cells = cells;
    r->base = base;
    r->ccells = ccells;
    r->xs = xs;
    r->xcells = xcells;
    w->nrows++;
    w->nlog++;
    return 0;
}

int csvw_add(struct csvw *w, const struct schema *s, const struct slice *cells)
{
    return add_row(w, SLICE_NULL, s, cells, NULL, NULL, NULL, NULL);
}

int csvw_add2(struct csvw *w, struct slice raw, const struct schema *s, const char *base,
              const struct cell *cells, const struct schema *xs, const struct slice *xcells)
{
    return add_row(w, raw, s, NULL, base, cells, xs, xcells);
}

int csvw_add_packed(struct csvw *w, const char *stored, size_t n, const struct schema *s,
                    const struct schema *xs, const struct slice *xcells)
{
    int rc = add_row(w, slice_of(stored, n), s, NULL, NULL, NULL, xs, xcells);
    if (rc == 0)
        w->rows[w->nrows - 1].packed = 1;
    return rc;
}

int csvw_add_gen_lines(struct csvw *w, const struct schema *s, csvw_gen_fn gen,
                       csvw_line_fn line, void *ctx, size_t i, size_t n)
{
    if (n == 0)
        return 0;
    if (w->ngens == w->gens_cap) {
        size_t ncap = w->gens_cap ? w->gens_cap * 2 : 8;
        struct csvw_gen *ng = xreallocarray(w->gens, ncap, sizeof *ng);
        if (ng == NULL)
            return ERR_NOMEM;
        w->gens = ng;
        w->gens_cap = ncap;
    }
    if (w->ngens >= UINT32_MAX)
        return ERR_LIMIT;
    int rc = add_row(w, SLICE_NULL, s, NULL, NULL, NULL, NULL, NULL);
    if (rc)
        return rc;
    w->gens[w->ngens] = (struct csvw_gen){.fn = gen, .line = line, .ctx = ctx, .i = i, .n = n};
    w->rows[w->nrows - 1].gen = (uint32_t)++w->ngens;
    w->nlog += n - 1;
    return 0;
}

int csvw_add_gen(struct csvw *w, const struct schema *s, csvw_gen_fn gen, void *ctx, size_t i,
                 size_t n)
{
    return csvw_add_gen_lines(w, s, gen, NULL, ctx, i, n);
}

/* Walk the rows: a generated entry stands for its range's n rows, the k-th
 * made by fn(i + k).  NULL at the end. */
struct rowit {
    size_t r, k;
};
static const struct csvw_row *rowit_next(const struct csvw *w, struct rowit *it, size_t *gi)
{
    while (it->r < w->nrows) {
        const struct csvw_row *row = &w->rows[it->r];
        const struct csvw_gen *g = row->gen ? &w->gens[row->gen - 1] : NULL;
        size_t n = g ? g->n : 1;
        if (it->k < n) {
            *gi = (g ? g->i : 0) + it->k++;
            return row;
        }
        it->r++;
        it->k = 0;
    }
    return NULL;
}

/* Run a generated row's producer; *tmp becomes the row with plain cells,
 * valid until the next generated row. */
static int gen_row(struct csvw *w, const struct csvw_row *row, size_t gi, struct csvw_row *tmp)
{
    if (row->s->n > w->gcells_cap) {
        struct slice *nc = xreallocarray(w->gcells, row->s->n, sizeof *nc);
        if (nc == NULL)
            return ERR_NOMEM;
        w->gcells = nc;
        w->gcells_cap = row->s->n;
    }
    for (size_t k = 0; k < row->s->n; k++)
        w->gcells[k] = SLICE_NULL;
    arena_reset(&w->gscratch);
    const struct csvw_gen *g = &w->gens[row->gen - 1];
    if (g->fn(g->ctx, gi, w->gcells, &w->gscratch))
        return ERR_NOMEM;
    *tmp = *row;
    tmp->gen = 0;
    tmp->cells = w->gcells;
    return 0;
}

static const unsigned char needs_quote[256] = {[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1};

/* Word-at-a-time test for ',', '"', LF, CR: the writer looks at every byte
 * of every value twice (length, then copy), so this is the hot loop. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
static inline uint64_t has_zero(uint64_t v) { return (v - ONES) & ~v & HIGHS; }

static inline int has_special(const char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        if (_mm_movemask_epi8(m))
            return 1;
    }
#endif
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

/* Bytes a value takes in the output; *special says whether it is quoted. */
static inline size_t value_len2(struct slice v, int *special)
{
    size_t q = 0;
    *special = has_special(v.p, v.n);
    if (!*special)
        return v.n;
    for (const char *p = v.p, *end = v.p + v.n; (p = bytes_chr(p, (size_t)(end - p), '"')) != NULL; p++)
        q++;
    return v.n + q + 2;
}

static size_t value_len(struct slice v)
{
    int special;
    return value_len2(v, &special);
}

/* Copy a value, quoted when `special`, into d (room checked by the caller). */
static inline char *put_value2(char *d, struct slice v, int special)
{
    if (!special) {
        bytes_copy(d, v.p, v.n);
        return d + v.n;
    }
    *d++ = '"';
    const char *p = v.p, *end = v.p + v.n;
    for (;;) {
        const char *q = bytes_chr(p, (size_t)(end - p), '"');
        size_t k = (size_t)((q ? q + 1 : end) - p);
        bytes_copy(d, p, k);
        d += k;
        if (q == NULL)
            break;
        *d++ = '"';
        p = q + 1;
    }
    *d++ = '"';
    return d;
}

static char *put_value(char *d, struct slice v)
{
    return put_value2(d, v, has_special(v.p, v.n));
}

size_t csvw_value_len(struct slice v, int *special) { return value_len2(v, special); }

char *csvw_put_value(char *d, struct slice v, int special) { return put_value2(d, v, special); }

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

static inline struct slice base_cell(const struct csvw_row *row, size_t k)
{
    if (row->cells)
        return row->cells[k];
    if (row->ccells)
        return cell_slice(row->base, row->ccells[k]);
    /* a text-only row: every field is set (its value is read on demand) */
    return slice_of(row->raw, row->raw_n);
}

/* A text-only row's input bytes; a packed row's are unpacked into w->text,
 * valid until the next packed row is read. */
static int row_text(struct csvw *w, const struct csvw_row *row, struct slice *out)
{
    if (!row->packed) {
        *out = slice_of(row->raw, row->raw_n);
        return 0;
    }
    if (w->text_row != row) {
        if (row->raw_n > w->text_cap) {
            size_t ncap = row->raw_n > 2 * w->text_cap ? row->raw_n : 2 * w->text_cap;
            char *nt = xrealloc(w->text, ncap);
            if (nt == NULL)
                return ERR_NOMEM;
            w->text = nt;
            w->text_cap = ncap;
        }
        if (rowpack_load(row->raw, w->text, row->raw_n))
            return ERR_STATE;
        w->text_row = row;
        w->split_row = NULL;  /* its values may point into the old text */
    }
    *out = slice_of(w->text, row->raw_n);
    return 0;
}

/* Split a text-only row once, for the rare reply whose header does not
 * start with the row's own columns. */
static int split_row(struct csvw *w, const struct csvw_row *row)
{
    if (row->s == NULL)
        return ERR_STATE;
    if (row->cells || row->ccells || w->split_row == row)
        return 0;
    if (row->s->n > w->split_cap) {
        struct slice *ns = xreallocarray(w->split, row->s->n, sizeof *ns);
        if (ns == NULL)
            return ERR_NOMEM;
        w->split = ns;
        w->split_cap = row->s->n;
    }
    struct slice text;
    int rc = row_text(w, row, &text);
    if (rc)
        return rc;
    if (csv_split_raw(text, row->s->n, w->split, &w->scratch))
        return ERR_CSV;
    w->split_row = row;
    return 0;
}

/* Add the set columns of one part to the header; 1 if every column of the
 * schema is now in the header (later rows of that shape add nothing). */
static int mark_part(struct csvw *w, const struct schema *s, const struct csvw_row *row,
                     const struct slice *xcells)
{
    int complete = 1;
    for (size_t k = 0; k < s->n; k++) {
        uint32_t id = s->ids[k];
        if (w->mark[id])
            continue;
        if ((xcells ? xcells[k] : base_cell(row, k)).p == NULL) {
            complete = 0;
            continue;
        }
        w->header[w->nh++] = id;
        w->mark[id] = (uint32_t)w->nh;
    }
    return complete;
}

/* Map header position -> cell (index into cells, or into xcells + n),
 * cached per shape for the current header. */
static int build_map(struct csvw *w, const struct csvw_row *row)
{
    struct csvw_map *m = NULL;
    size_t nmaps = sizeof w->maps / sizeof w->maps[0];

    for (size_t i = 0; i < nmaps; i++)
        if (w->maps[i].map && w->maps[i].s == row->s && w->maps[i].xs == row->xs) {
            m = &w->maps[i];
            break;
        }
    if (m == NULL) {
        m = &w->maps[0];
        for (size_t i = 1; i < nmaps; i++)
            if (w->maps[i].used < m->used)
                m = &w->maps[i];
        if (w->nh > m->cap) {
            int *nm = xreallocarray(m->map, w->nh, sizeof *nm);
            if (nm == NULL)
                return ERR_NOMEM;
            m->map = nm;
            m->cap = w->nh;
        }
        m->s = row->s;
        m->xs = row->xs;
        for (size_t h = 0; h < w->nh; h++)
            m->map[h] = -1;
        m->identity = 1;
        for (size_t k = 0; k < row->s->n; k++) {
            uint32_t mk = w->mark[row->s->ids[k]];
            if (mk)
                m->map[mk - 1] = (int)k;
            if (mk != k + 1)
                m->identity = 0;
        }
        for (size_t k = 0; row->xs && k < row->xs->n; k++) {
            uint32_t mk = w->mark[row->xs->ids[k]];
            if (mk)
                m->map[mk - 1] = (int)(row->s->n + k);
        }
    }
    m->used = ++w->map_clock;
    w->map = m->map;
    w->map_identity = m->identity;
    return 0;
}

/* The header changed: every cached map is stale. */
static void drop_maps(struct csvw *w)
{
    for (size_t i = 0; i < sizeof w->maps / sizeof w->maps[0]; i++)
        w->maps[i].s = w->maps[i].xs = NULL;
}

static inline struct slice cell_at(const struct csvw *w, const struct csvw_row *row, int k)
{
    if (k < 0 || row->s == NULL)
        return SLICE_NULL;
    if ((size_t)k < row->s->n) {
        if (row->cells == NULL && row->ccells == NULL)
            return w->split[k];
        return base_cell(row, (size_t)k);
    }
    return row->xcells[(size_t)k - row->s->n];
}

static int same_shape(const struct csvw_row *a, const struct csvw_row *b)
{
    return a->s == b->s && a->xs == b->xs;
}

static int reply_too_large(struct err *e)
{
    return err_set(e, ERR_LIMIT, "a reply is larger than SCP_REPLY_MAX (%llu bytes); lower "
                   "maxresultrows in limits.conf so that splunkd sends smaller chunks, or "
                   "narrow the search (" LIMIT_BUILD_HINT ")", (unsigned long long)SCP_REPLY_MAX);
}

/* The generated range of row when its producer's lines stand for its
 * cells: the header is exactly its schema, of more than one column (a lone
 * empty cell is written as "", which a line does not know). */
static const struct csvw_gen *line_gen(struct csvw *w, const struct csvw_row *row)
{
    if (!row->gen || w->gens[row->gen - 1].line == NULL || row->xs != NULL)
        return NULL;
    if (row->s != w->lines_s) {
        w->lines_s = row->s;
        w->lines_ok = row->s->n == w->nh && w->nh > 1;
        for (size_t k = 0; w->lines_ok && k < w->nh; k++)
            w->lines_ok = w->header[k] == row->s->ids[k];
    }
    return w->lines_ok ? &w->gens[row->gen - 1] : NULL;
}

int csvw_prepare(struct csvw *w, const struct cols *c, size_t *body_len, struct err *e)
{
    size_t maxline = 0;
    size_t total = 0;
    const struct csvw_row *last = NULL;
    const struct schema *complete = NULL;

    *body_len = 0;
    w->lines_s = NULL;
    w->split_row = NULL;
    arena_reset(&w->scratch);
    for (size_t h = 0; h < w->nh; h++)
        w->mark[w->header[h]] = 0;
    w->nh = 0;
    drop_maps(w);
    if (w->nrows == 0)
        return 0;
    if (mark_grow(w, cols_count(c)))
        return err_set(e, ERR_NOMEM, "out of memory writing a reply");
    if (w->block == NULL && (w->block = xmalloc(WBLOCK)) == NULL)
        return err_set(e, ERR_NOMEM, "out of memory writing a reply");

    /* Union of the columns some row sets, first appearance first.  Once all
     * of a schema's columns are in the header, its later rows are skipped. */
    struct rowit it = {0, 0};
    const struct csvw_row *ent;
    size_t gi;
    while ((ent = rowit_next(w, &it, &gi)) != NULL) {
        const struct csvw_row *row = ent;
        struct csvw_row tmp;
        if (row->gen && row->s != complete) {
            if (gen_row(w, row, gi, &tmp))
                return err_set(e, ERR_NOMEM, "out of memory writing a reply");
            row = &tmp;
        }
        if (row->s != complete && mark_part(w, row->s, row, NULL))
            complete = row->s;
        if (row->xs)
            (void)mark_part(w, row->xs, row, row->xcells);
    }

    for (size_t h = 0; h < w->nh; h++)
        total += value_len(cols_name(c, w->header[h])) + 1;
    if (w->nh == 1 && cols_name(c, w->header[0]).n == 0)
        total += 2;
    size_t words = (w->nlog * w->nh + 63) / 64;
    if (words > w->quote_cap) {
        uint64_t *nq = xreallocarray(w->quote, words, sizeof *nq);
        if (nq == NULL)
            return err_set(e, ERR_NOMEM, "out of memory writing a reply");
        w->quote = nq;
        w->quote_cap = words;
    }
    memset(w->quote, 0, words * sizeof *w->quote);
    size_t bit = 0;
    last = NULL;
    it.r = it.k = 0;
    while ((ent = rowit_next(w, &it, &gi)) != NULL) {
        const struct csvw_row *row = ent;
        size_t rowlen = w->nh, nonempty = 0;
        struct csvw_row tmp;
        const struct csvw_gen *lg = line_gen(w, row);
        if (lg != NULL) {
            /* measured by its producer, no cells made */
            size_t len;
            arena_reset(&w->gscratch);
            if (lg->line(lg->ctx, gi, NULL, 0, &len, &w->gscratch))
                return err_set(e, ERR_NOMEM, "out of memory writing a reply");
            maxline = len > maxline ? len : maxline;
            bit += w->nh;
            total += len + 1;
            if (total > SCP_REPLY_MAX)
                return reply_too_large(e);
            continue;
        }
        if (row->gen) {
            if (gen_row(w, row, gi, &tmp))
                return err_set(e, ERR_NOMEM, "out of memory writing a reply");
            row = &tmp;
        }
        if (last == NULL || !same_shape(row, last)) {
            if (build_map(w, row))
                return err_set(e, ERR_NOMEM, "out of memory writing a reply");
            last = ent;  /* tmp (a generated row) has its shape */
        }
        size_t h0 = 0;
        if (!(row->raw != NULL && w->map_identity) && split_row(w, row))
            return err_set(e, ERR_CSV, "a held row could not be split again");
        if (row->raw != NULL && w->map_identity && row->s != NULL) {
            /* verbatim: the input text stands for the first s->n cells */
            h0 = row->s->n;
            bit += h0;
            /* the raw text holds its own h0 - 1 commas */
            rowlen = row->raw_n + (w->nh - h0) + 1;
            nonempty += row->raw_n;
        }
        for (size_t h = h0; h < w->nh; h++, bit++) {
            struct slice v = cell_at(w, row, w->map[h]);
            int special;
            if (v.p == NULL || v.n == 0)
                continue;
            nonempty += v.n;
            rowlen += value_len2(v, &special);
            if (special)
                w->quote[bit / 64] |= UINT64_C(1) << (bit % 64);
        }
        if (w->nh == 1 && nonempty == 0)
            rowlen += 2;
        total += rowlen;
        if (total > SCP_REPLY_MAX)
            return reply_too_large(e);
    }
    if (maxline > WBLOCK && maxline > w->bigline_cap) {
        /* now, so that writing after the frame header needs no memory */
        char *nb = xrealloc(w->bigline, maxline);
        if (nb == NULL)
            return err_set(e, ERR_NOMEM, "out of memory writing a reply");
        w->bigline = nb;
        w->bigline_cap = maxline;
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
    bytes_copy(o->b + o->n, p, n);
    o->n += n;
    return 0;
}

static inline int wvalue2(struct wout *o, struct slice v, int special, char sep)
{
    int rc = 0;
    if (o->n + 2 * v.n + 3 <= WBLOCK) {
        char *d = put_value2(o->b + o->n, v, special);
        if (sep)
            *d++ = sep;
        o->n = (size_t)(d - o->b);
        return 0;
    }
    /* A large value: quote it piecewise without a second copy. */
    if (!special) {
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

static int wvalue(struct wout *o, struct slice v, char sep)
{
    return wvalue2(o, v, has_special(v.p, v.n), sep);
}

/* A generated row through its line producer: straight into the block when
 * it fits, else after a flush, else (longer than the block) through the
 * line buffer prepare sized.  Then the newline. */
static int wline(struct csvw *w, struct wout *o, const struct csvw_gen *g, size_t gi)
{
    size_t len, room = WBLOCK - o->n;
    int rc;
    arena_reset(&w->gscratch);
    if (g->line(g->ctx, gi, o->b + o->n, room, &len, &w->gscratch))
        return ERR_NOMEM;
    if (len <= room) {
        o->n += len;
    } else if ((rc = wflush(o)) != 0) {
        return rc;
    } else if (len <= WBLOCK) {
        arena_reset(&w->gscratch);
        if (g->line(g->ctx, gi, o->b, WBLOCK, &len, &w->gscratch))
            return ERR_NOMEM;
        o->n = len;
    } else {
        arena_reset(&w->gscratch);
        if (len > w->bigline_cap ||
            g->line(g->ctx, gi, w->bigline, w->bigline_cap, &len, &w->gscratch))
            return ERR_NOMEM;
        if ((rc = wraw(o, w->bigline, len)) != 0)
            return rc;
    }
    return wraw(o, "\n", 1);
}

static int write_body(struct csvw *w, const struct cols *c, struct wout *o)
{
    w->lines_s = NULL;
    w->split_row = NULL;
    arena_reset(&w->scratch);
    const struct csvw_row *last = NULL;
    int rc = 0;

    for (size_t h = 0; h < w->nh && rc == 0; h++)
        rc = wvalue(o, cols_name(c, w->header[h]), h + 1 < w->nh ? ',' : 0);
    if (rc == 0 && w->nh == 1 && cols_name(c, w->header[0]).n == 0)
        rc = wraw(o, "\"\"", 2);
    if (rc == 0)
        rc = wraw(o, "\n", 1);
    size_t bit = 0;
    struct rowit it = {0, 0};
    const struct csvw_row *ent;
    size_t gi;
    while (rc == 0 && (ent = rowit_next(w, &it, &gi)) != NULL) {
        const struct csvw_row *row = ent;
        size_t nonempty = 0;
        struct csvw_row tmp;
        const struct csvw_gen *lg = line_gen(w, row);
        if (lg != NULL) {
            rc = wline(w, o, lg, gi);
            bit += w->nh;
            continue;
        }
        if (row->gen) {
            if (gen_row(w, row, gi, &tmp))
                return ERR_NOMEM;
            row = &tmp;
        }
        if (last == NULL || !same_shape(row, last)) {
            if (build_map(w, row))
                return ERR_NOMEM;
            last = ent;  /* tmp (a generated row) has its shape */
        }
        size_t h0 = 0;
        if (!(row->raw != NULL && w->map_identity) && split_row(w, row))
            return ERR_CSV;
        if (row->raw != NULL && w->map_identity && row->s != NULL) {
            struct slice text;
            if (row_text(w, row, &text))
                return ERR_CSV;
            h0 = row->s->n;
            bit += h0;
            nonempty += text.n;
            rc = wraw(o, text.p, text.n);
            if (rc == 0 && h0 < w->nh)
                rc = wraw(o, ",", 1);
        }
        for (size_t h = h0; h < w->nh && rc == 0; h++, bit++) {
            struct slice v = cell_at(w, row, w->map[h]);
            char sep = h + 1 < w->nh ? ',' : 0;
            if (v.p == NULL || v.n == 0) {
                /* Empty cells, common in Splunk results: only the separator. */
                if (sep) {
                    if (o->n == WBLOCK && (rc = wflush(o)) != 0)
                        break;
                    o->b[o->n++] = sep;
                }
                continue;
            }
            nonempty += v.n;
            rc = wvalue2(o, v, (int)((w->quote[bit / 64] >> (bit % 64)) & 1), sep);
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
    else if (rc != 0 && rc != ERR_PIPE && rc != ERR_IO)  /* those come with a message */
        err_set(e, rc, "%s writing a reply", err_str(rc));
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
