#include "cmd/wrows.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/cmdutil.h"
#include "limits.h"
#include "report/dname.h"
#include "scp/mv.h"
#include "util/buf.h"
#include "util/num.h"
#include "util/xmem.h"

/* A distinct row: its projection (key) is text[off, off + len), as one
 * length-prefixed value per cell of the schema but the weight. */
struct wentry {
    uint64_t hash;
    uint64_t weight;
    int64_t t;                /* _time, for the order (has_time) */
    uint32_t off, len;
    uint8_t has_time;
};

struct wrows {
    struct cols *cols;        /* BORROWED */
    size_t nf;                /* projected fields */
    uint32_t fid[WROWS_FIELDS_MAX], fmv[WROWS_FIELDS_MAX];
    enum wrows_kind kind[WROWS_FIELDS_MAX];
    uint32_t wid;             /* the weight's column */
    /* the written schema: the fields, the __mv_ columns of WR_ALL ones,
     * the weight */
    uint32_t out_ids[2 * WROWS_FIELDS_MAX + 1];
    struct schema out;
    size_t ncells;            /* key cells: out.n - 1 */
    uint32_t want[2 * WROWS_FIELDS_MAX + 1];
    size_t nwant;

    char *text;               /* OWNED: the keys */
    size_t text_len, text_cap;
    struct wentry *ents;      /* OWNED */
    size_t n, cap;
    uint32_t *slots;          /* OWNED: entry index + 1, 0 = empty */
    size_t nslots;
    uint32_t *order;          /* OWNED: the entries sorted (wrows_emit, replay) */
    struct buf key;           /* the row being added */
    uint64_t events, rows_in;
    int sent;                 /* rows were queued in a reply not yet written */
};

void wrows_join_fields(const struct join_opts *o, struct wrows_field *f)
{
    int ip_named = o->ip_field.p != NULL, cl_named = o->client_field.p != NULL;
    f[0] = (struct wrows_field){SLICE_LIT("_time"), WR_FIRST};
    f[1] = (struct wrows_field){o->query_field, WR_FIRST};
    f[2] = (struct wrows_field){o->answer_field, WR_ALL};
    f[3] = (struct wrows_field){SLICE_LIT("src"), WR_FIRST};  /* a DNS event's client */
    f[4] = (struct wrows_field){ip_named ? o->ip_field : SLICE_LIT("dest_ip"), WR_FIRST};
    f[5] = (struct wrows_field){ip_named ? SLICE_NULL : SLICE_LIT("dest"), WR_FIRST};
    f[6] = (struct wrows_field){cl_named ? o->client_field : SLICE_LIT("src_ip"), WR_FIRST};
}

struct wrows *wrows_new(struct cols *cols, const struct wrows_field *fields, size_t n)
{
    struct wrows *w = xcalloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->cols = cols;
    buf_init(&w->key, UINT32_MAX);
    for (size_t i = 0; i < n; i++) {
        uint32_t id;
        size_t k;
        if (fields[i].name.p == NULL)
            continue;
        if (cols_intern(cols, fields[i].name, &id))
            goto fail;
        for (k = 0; k < w->nf && w->fid[k] != id; k++)
            ;
        if (k == w->nf) {
            if (w->nf == WROWS_FIELDS_MAX)
                goto fail;
            w->fid[k] = id;
            w->kind[k] = fields[i].kind;
            if (cols_mv_of(cols, id, &w->fmv[k]))
                goto fail;
            w->nf++;
        } else if (fields[i].kind == WR_ALL ||
                   (fields[i].kind == WR_FIRST && w->kind[k] == WR_URL_HOST)) {
            w->kind[k] = fields[i].kind;  /* the widest reading wins */
        }
    }
    if (cols_intern(cols, slice_cstr(WROWS_WEIGHT_FIELD), &w->wid))
        goto fail;
    for (size_t k = 0; k < w->nf; k++)
        w->out_ids[w->out.n++] = w->fid[k];
    for (size_t k = 0; k < w->nf; k++)
        if (w->kind[k] == WR_ALL)
            w->out_ids[w->out.n++] = w->fmv[k];
    w->ncells = w->out.n;
    w->out_ids[w->out.n++] = w->wid;
    w->out.ids = w->out_ids;
    for (size_t k = 0; k < w->nf; k++) {
        w->want[w->nwant++] = w->fid[k];
        w->want[w->nwant++] = w->fmv[k];
    }
    w->want[w->nwant++] = w->wid;
    return w;
fail:
    wrows_free(w);
    return NULL;
}

void wrows_free(struct wrows *w)
{
    if (w == NULL)
        return;
    xfree(w->text);
    xfree(w->ents);
    xfree(w->slots);
    xfree(w->order);
    buf_free(&w->key);
    xfree(w);
}

const uint32_t *wrows_want(const struct wrows *w, size_t *n)
{
    *n = w->nwant;
    return w->want;
}

int wrows_required(const struct wrows *w, struct reqfields *r)
{
    int rc = 0;
    /* splunkd sends a field's __mv_ companion with it */
    for (size_t k = 0; k < w->nf && rc == 0; k++)
        rc = reqfields_add(r, cols_name(w->cols, w->fid[k]));
    return rc;
}

const struct schema *wrows_schema(const struct wrows *w) { return &w->out; }
size_t wrows_count(const struct wrows *w) { return w->n; }
uint64_t wrows_events(const struct wrows *w) { return w->events; }
uint64_t wrows_rows_in(const struct wrows *w) { return w->rows_in; }

size_t wrows_bytes(const struct wrows *w)
{
    return w->text_cap + w->cap * (sizeof *w->ents + sizeof *w->order) +
           w->nslots * sizeof *w->slots + w->key.cap;
}

void wrows_clear(struct wrows *w)
{
    w->n = 0;
    w->text_len = 0;
    if (w->slots != NULL)
        memset(w->slots, 0, w->nslots * sizeof *w->slots);
}

int wrows_weight(struct slice v, uint64_t *w, struct err *e)
{
    if (slice_is_blank(v)) {
        *w = 1;
        return 0;
    }
    if (num_parse_u64(v, 1, WROWS_WEIGHT_MAX, w))
        return err_set(e, ERR_INPUT, "field " WROWS_WEIGHT_FIELD " of a map-phase row is not a "
                       "whole number from 1 to WROWS_WEIGHT_MAX (%llu)",
                       (unsigned long long)WROWS_WEIGHT_MAX);
    return 0;
}

/* 64-bit hash of a key: eight bytes at a time, multiply and fold. */
static uint64_t key_hash(const unsigned char *p, size_t n)
{
    uint64_t h = 0x243f6a8885a308d3u ^ n;
    while (n >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = (h ^ x) * 0x9fb21c651e98df25u;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t x = 0;
    memcpy(&x, p, n);
    h = (h ^ x) * 0x9fb21c651e98df25u;
    return h ^ (h >> 32);
}

/* Append one cell's value to the key: its length (4 bytes) and bytes. */
static int put_cell(struct buf *b, struct slice v)
{
    uint32_t n = (uint32_t)v.n;
    if (buf_append(b, &n, sizeof n))
        return ERR_NOMEM;
    return v.n > 0 ? buf_append(b, v.p, v.n) : 0;
}

static int grow_slots(struct wrows *w)
{
    size_t ns = w->nslots ? w->nslots * 2 : 1024;
    uint32_t *s = xcalloc(ns, sizeof *s);
    if (s == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < w->n; i++) {
        size_t k = (size_t)w->ents[i].hash & (ns - 1);
        while (s[k] != 0)
            k = (k + 1) & (ns - 1);
        s[k] = (uint32_t)(i + 1);
    }
    xfree(w->slots);
    w->slots = s;
    w->nslots = ns;
    return 0;
}

/* Add the key in w->key with weight wt (and time t when has_time). */
static int insert(struct wrows *w, uint64_t wt, int has_time, int64_t t)
{
    const unsigned char *kp = (const unsigned char *)w->key.p;
    size_t kn = w->key.len;
    uint64_t h = key_hash(kp, kn);

    if (kn > UINT32_MAX || w->n >= UINT32_MAX - 1)
        return ERR_LIMIT;
    if ((w->n + 1) * 2 > w->nslots && grow_slots(w))
        return ERR_NOMEM;
    size_t k = (size_t)h & (w->nslots - 1);
    for (; w->slots[k] != 0; k = (k + 1) & (w->nslots - 1)) {
        struct wentry *x = &w->ents[w->slots[k] - 1];
        if (x->hash == h && x->len == kn && memcmp(w->text + x->off, kp, kn) == 0) {
            x->weight += wt;  /* bounded: the sum of all weights is */
            return 0;
        }
    }
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 1024;
        struct wentry *ne = xreallocarray(w->ents, nc, sizeof *ne);
        if (ne == NULL)
            return ERR_NOMEM;
        w->ents = ne;
        w->cap = nc;
        uint32_t *no = xreallocarray(w->order, nc, sizeof *no);
        if (no == NULL)
            return ERR_NOMEM;
        w->order = no;
    }
    if (w->text_cap - w->text_len < kn) {
        size_t nc = w->text_cap ? w->text_cap : 65536;
        while (nc - w->text_len < kn)
            nc *= 2;
        if (nc > UINT32_MAX)
            return ERR_LIMIT;
        char *nt = xrealloc(w->text, nc);
        if (nt == NULL)
            return ERR_NOMEM;
        w->text = nt;
        w->text_cap = nc;
    }
    memcpy(w->text + w->text_len, kp, kn);
    w->ents[w->n] = (struct wentry){h, wt, t, (uint32_t)w->text_len, (uint32_t)kn,
                                    (uint8_t)has_time};
    w->text_len += kn;
    w->slots[k] = (uint32_t)(++w->n);
    return 0;
}

/* Column index in t of column id `id`, or -1. */
static long col_of(const struct csv_table *t, uint32_t id)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (t->ids[c] == id)
            return (long)c;
    return -1;
}

static struct slice cell_at(const struct csv_table *t, size_t r, long c)
{
    return c < 0 ? SLICE_NULL : csv_cell(t, r, (size_t)c);
}

int wrows_add(struct wrows *w, const struct csv_table *t, struct arena *a, struct err *e)
{
    long pc[WROWS_FIELDS_MAX] = {0}, mc[WROWS_FIELDS_MAX] = {0};
    long wc = col_of(t, w->wid);
    int rc;

    for (size_t k = 0; k < w->nf; k++) {
        pc[k] = col_of(t, w->fid[k]);
        mc[k] = col_of(t, w->fmv[k]);
    }
    for (size_t r = 0; r < t->nrows; r++) {
        uint64_t wt;
        int64_t tm = 0;
        int has_time = 0;
        if ((rc = wrows_weight(cell_at(t, r, wc), &wt, e)) != 0)
            return rc;
        if (wt > WROWS_WEIGHT_MAX - w->events)
            return err_set(e, ERR_INPUT, "field " WROWS_WEIGHT_FIELD " of the map-phase rows "
                           "makes the events they stand for exceed WROWS_WEIGHT_MAX (%llu)",
                           (unsigned long long)WROWS_WEIGHT_MAX);
        buf_reset(&w->key);
        rc = 0;
        /* in the schema's order: the fields, then the WR_ALL ones' __mv_ */
        for (size_t k = 0; k < w->nf && rc == 0; k++) {
            struct slice plain = cell_at(t, r, pc[k]), v = plain;
            if (w->kind[k] != WR_ALL)
                v = mv_first(plain, cell_at(t, r, mc[k]), a);
            if (w->kind[k] == WR_URL_HOST) {
                /* the host stands for the URL only if it reads back as itself */
                struct slice h = dname_url_host(v);
                if (h.n > 0 && slice_eq(dname_url_host(h), h))
                    v = h;
            }
            if (k == 0)
                has_time = v.p != NULL && num_parse_time_us(v, &tm) == 0;
            rc = put_cell(&w->key, v);
        }
        for (size_t k = 0; k < w->nf && rc == 0; k++)
            if (w->kind[k] == WR_ALL)
                rc = put_cell(&w->key, cell_at(t, r, mc[k]));
        if (rc == 0)
            rc = insert(w, wt, has_time, tm);
        if (rc == ERR_LIMIT)
            return err_set(e, rc, "more than 4 GB of distinct map-phase rows");
        if (rc)
            return err_set(e, ERR_NOMEM, "out of memory keeping the map-phase rows");
        w->events += wt;
        w->rows_in++;
    }
    return 0;
}

/* Decode entry i's key into cells[0 .. ncells) in schema order. */
static void decode(const struct wrows *w, const struct wentry *x, struct slice *cells)
{
    const char *p = w->text + x->off;
    for (size_t c = 0; c < w->ncells; c++) {
        uint32_t n;
        memcpy(&n, p, sizeof n);
        p += sizeof n;
        cells[c] = slice_of(p, n);
        p += n;
    }
}

static const struct wrows *sort_ctx;

/* Newest first, rows without _time last, then by the key's bytes: one
 * order whatever order the rows came in. */
static int ent_cmp(const void *pa, const void *pb)
{
    const struct wentry *x = &sort_ctx->ents[*(const uint32_t *)pa];
    const struct wentry *y = &sort_ctx->ents[*(const uint32_t *)pb];
    if (x->has_time != y->has_time)
        return x->has_time ? -1 : 1;
    if (x->has_time && x->t != y->t)
        return x->t > y->t ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_ctx->text + x->off, sort_ctx->text + y->off, n);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void sort_entries(struct wrows *w)
{
    if (w->n == 0)
        return;  /* order is NULL until the first row */
    for (size_t i = 0; i < w->n; i++)
        w->order[i] = (uint32_t)i;
    /* one sort at a time per process: the commands are single-threaded
     * here */
    sort_ctx = w;
    qsort(w->order, w->n, sizeof *w->order, ent_cmp);
    sort_ctx = NULL;
}

static int emit_gen(void *ctx, size_t i, struct slice *cells, struct arena *scratch)
{
    struct wrows *w = ctx;
    const struct wentry *x = &w->ents[w->order[i]];
    char num[24];
    size_t n = num_format_u64(x->weight, num);
    decode(w, x, cells);
    cells[w->ncells] = slice_of(arena_dup(scratch, num, n), n);
    return cells[w->ncells].p == NULL ? ERR_NOMEM : 0;
}

int wrows_emit(struct wrows *w, struct scp *s, struct err *e)
{
    if (w->n == 0)
        return 0;
    sort_entries(w);
    if (scp_emit_gen(s, &w->out, emit_gen, w, 0, w->n))
        return err_set(e, ERR_NOMEM, "out of memory writing the map-phase rows");
    return 0;
}

/* Rows per replayed chunk. */
#define REPLAY_ROWS 4096

int wrows_replay(struct wrows *w, struct scp *s, struct join *j, join_sink sink, void *ctx,
                 struct err *e)
{
    struct csv_table t;
    struct slice cells[2 * WROWS_FIELDS_MAX + 1];
    size_t nwant;
    const uint32_t *want = join_want(j, &nwant);
    int rc = 0;

    csv_table_init(&t);
    sort_entries(w);
    for (size_t i = 0; i < w->n && rc == 0; i += REPLAY_ROWS) {
        size_t end = i + REPLAY_ROWS < w->n ? i + REPLAY_ROWS : w->n;
        /* the rows as a table, as csv_parse_copy would read them written
         * out: the values are copied, never escaped and parsed again */
        rc = csv_table_begin(&t, s->cols, w->out.ids, w->out.n, want, nwant, e);
        for (size_t r = i; r < end && rc == 0; r++) {
            const struct wentry *x = &w->ents[w->order[r]];
            char num[24];
            size_t n = num_format_u64(x->weight, num);
            decode(w, x, cells);
            cells[w->ncells] = slice_of(num, n);
            rc = csv_table_add_row(&t, cells, e);
        }
        if (rc == 0)
            rc = join_chunk(j, &t, &s->arena, sink, ctx, e);
        /* as after a reply: the engine copies what it holds of the chunk */
        if (rc == 0)
            rc = join_written(j, e);
        arena_reset(&s->arena);
    }
    if (rc == 0)
        rc = join_finish(j, &s->arena, sink, ctx, e);
    csv_table_free(&t);
    return rc;
}

int wrows_step(struct wrows *w, const struct wrows_use *u, struct scp *s,
               const struct csv_table *in, int finished, struct err *e)
{
    int rc = wrows_add(w, in, &s->arena, e);
    if (rc)
        return rc;
    if (u->map) {
        if (!finished && wrows_bytes(w) < WROWS_MAP_BYTES)
            return 0;
        w->sent = 1;
        if ((rc = wrows_emit(w, s, e)) == 0 && finished)
            scp_msg(s, LOG_INFO, "%s (map phase): %llu events read, sent as weighted rows",
                    u->cmd, (unsigned long long)w->rows_in);
        return rc;
    }
    if (wrows_bytes(w) > u->maxbuffer)
        return err_set(e, ERR_LIMIT, "%s: the map phase's distinct rows passed maxbuffer= "
                       "(%llu bytes); raise it, narrow the search, or leave mapphase= out",
                       u->cmd, (unsigned long long)u->maxbuffer);
    if (!finished)
        return 0;
    scp_msg(s, LOG_INFO, "%s: merged %llu rows of the map phase into %zu, standing for %llu "
            "events", u->cmd, (unsigned long long)w->rows_in, w->n,
            (unsigned long long)w->events);
    return wrows_replay(w, s, u->j, u->sink, u->ctx, e);
}

void wrows_written(struct wrows *w)
{
    if (w != NULL && w->sent) {
        wrows_clear(w);
        w->sent = 0;
    }
}
