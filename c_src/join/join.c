#include "join/join.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "scp/mv.h"
#include "util/num.h"
#include "util/rowpack.h"
#include "util/xmem.h"

/* A row shape: the column ids of one chunk and where the engine's fields
 * are.  Rows held past their chunk keep a reference. */
struct jschema {
    struct schema s;
    uint32_t *ids;            /* OWNED copy of the chunk's ids */
    int32_t idx[JF_N], mvidx[JF_N];     /* column indices */
    int32_t widx[JF_N], mvwidx[JF_N];   /* indices among stored cells */
    uint32_t *wmap;           /* OWNED copy of the chunk's column -> cell map */
    size_t nw;
    size_t refs;              /* held (copied) rows using it */
    struct jschema *next;     /* all shapes, for freeing */
};

/* What the engine keeps of a row until it is decided (the decision itself
 * is made into a struct join_event at release): small, because a window of
 * rows waits here. */
struct pev {
    uint8_t kind, has_time, client_is_ip;
    uint8_t udp3544;          /* dest_port 3544 over UDP (Teredo's) */
    struct join_flow flow;    /* with opts.flow */
    int64_t t;
    struct ipaddr ip, client_ip;
    struct slice client;      /* VIEW into the row or its held copy */
};

/* Held row text lives in FIFO blocks: rows leave in the order they came, so
 * blocks empty front to back and are reused, with no per-row malloc and no
 * fragmentation. */
#define TBLOCK_SIZE (1u << 20)
struct tblock {
    struct tblock *next;
    size_t cap, used, live;   /* live: rows in the block not yet freed */
    char data[];
};

/* Where a row is: its text, and its stored cells (NULL once held); the
 * rest of a struct join_row comes from the shape (pend_row). */
struct prow {
    struct slice raw;
    const char *base;
    const struct cell *cells;
};

struct pend {
    struct prow row;          /* packed: raw.p is the rowpack form, raw.n the
                               * text's length */
    struct pev ev;
    struct jschema *js;
    struct tblock *blk;       /* the block holding the row's copy, or NULL */
    uint32_t own_bytes;       /* counted in held_bytes (reserved) */
    uint8_t reserved;         /* counted; copied by join_written unless blk */
    uint8_t compact;          /* the copy is compact_held's encoding */
    uint8_t packed;           /* the copy is rowpack's form */
};

/* Held rows of one kind (shape and event kind) are packed against a
 * reference made of the last PACK_RECENT rows of that kind, renewed every
 * PACK_REFRESH rows so that it follows the stream. */
#define PACK_KINDS 16
#define PACK_REFRESH 256
#define PACK_RECENT 8
struct packer {
    const struct jschema *js; /* the kind: a shape ... */
    int kind;                 /* ... and an event kind */
    struct rowref *ref;       /* OWNED reference (one count), or NULL */
    uint32_t since;           /* rows packed since ref was made */
    uint32_t nrecent;         /* rows in recent */
    char *recent;             /* OWNED: ROWREF_TEXT_MAX bytes */
    size_t recent_n;
    unsigned long used;       /* for replacement */
};

/* What a released row leaves to free once its reply is written. */
struct later {
    struct tblock *blk;
    struct rowref *ref;       /* a packed row's reference, or NULL */
};

static void pend_row(const struct pend *p, struct join_row *row)
{
    row->raw = p->row.raw;
    row->packed = NULL;
    row->packed_n = 0;
    row->s = &p->js->s;
    row->base = p->row.base;
    row->cells = p->row.cells;
    row->idx = p->js->idx;
    row->mvidx = p->js->mvidx;
    row->widx = p->js->widx;
    row->mvwidx = p->js->mvwidx;
}

enum order { ORDER_UNKNOWN, ORDER_DESC, ORDER_ASC, ORDER_UNORDERED };

struct join {
    struct join_opts o;
    struct cols *cols;        /* BORROWED */
    struct iptab *tab;        /* OWNED */
    uint32_t fid[JF_N];       /* column id per field, COL_NONE if not used */
    uint32_t fmv[JF_N];
    uint32_t want[2 * JF_N];  /* the ids above that are used */
    size_t nwant;

    struct pend *q;           /* OWNED ring of pending rows, input order */
    size_t qcap, qhead, qlen;

    struct jschema *shapes;   /* OWNED list */
    struct jschema *cur;      /* the current chunk's shape */

    struct later *later;      /* OWNED array: what released rows leave, to
                               * release after the reply is written */
    size_t nlater, later_cap;
    struct tblock *tb_head, *tb_tail; /* OWNED FIFO of blocks in use */
    struct tblock *tb_spare;  /* OWNED: one empty block kept for reuse */
    struct cell *ccells;      /* OWNED scratch: a compact row's cells */
    size_t ccap;
    char *ptext;              /* OWNED scratch: a packed row's text */
    size_t ptext_cap;
    struct ipaddr *ans;       /* OWNED scratch: the addresses of the DNS row
                               * being classified (unordered_sink) */
    size_t nans, ans_cap;
    struct packer pk[PACK_KINDS];
    unsigned long pk_clock;
    uint64_t plain_bytes;     /* held rows kept as they came */

    /* order learning */
    enum order order;
    int tentative;            /* -1 newer to older, +1 older to newer, 0 not yet */
    uint64_t consistent;
    int have_time;
    int64_t wmin, wmax;       /* oldest and newest time seen */

    /* what has left: decisions sent and records dropped */
    int released_any, evicted_any;
    int64_t rel_lo, rel_hi, ev_lo, ev_hi;

    uint64_t held_bytes;
    size_t uncopied;          /* reserved rows at the queue's end not yet copied */
    struct join_stats st;
};

static const char *const default_names[JF_N] = {
    [JF_TIME] = "_time", [JF_QUERY] = "query", [JF_ANSWER] = "answer", [JF_SRC] = "src",
    [JF_IP1] = "dest_ip", [JF_IP2] = "dest", [JF_CLIENT1] = "src_ip", [JF_CLIENT2] = "src",
    [JF_DEST_PORT] = "dest_port", [JF_TRANSPORT] = "transport", [JF_SRC_PORT] = "src_port",
    [JF_ICMP_TYPE] = "icmp_type", [JF_ICMP_CODE] = "icmp_code",
};

static int intern_field(struct join *j, enum jf f, struct slice name)
{
    if (name.p == NULL) {
        j->fid[f] = j->fmv[f] = COL_NONE;
        return 0;
    }
    int rc = cols_intern(j->cols, name, &j->fid[f]);
    return rc ? rc : cols_mv_of(j->cols, j->fid[f], &j->fmv[f]);
}

struct join *join_new(const struct join_opts *o, struct cols *c)
{
    struct join *j = xcalloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->o = *o;
    j->cols = c;
    j->tab = iptab_new();
    if (j->tab == NULL)
        goto fail;
    for (int f = 0; f < JF_N; f++) {
        struct slice name = default_names[f] ? slice_cstr(default_names[f]) : SLICE_NULL;
        if (f == JF_QUERY)
            name = o->query_field;
        else if (f == JF_ANSWER)
            name = o->answer_field;
        else if (f == JF_IP1 && o->ip_field.p)
            name = o->ip_field;
        else if (f == JF_CLIENT1 && o->client_field.p)
            name = o->client_field;
        else if ((f == JF_IP2 && o->ip_field.p) || (f == JF_CLIENT2 && o->client_field.p) ||
                 ((f == JF_SRC_PORT || f == JF_ICMP_TYPE || f == JF_ICMP_CODE) && !o->flow))
            name = SLICE_NULL;  /* a named field has no fallback; only dnsjoin reads the flow */
        else if (f >= JF_X0) {
            size_t k = (size_t)(f - JF_X0), n = 0;
            while (o->extra && o->extra[n])
                n++;
            name = k < n ? slice_cstr(o->extra[k]) : SLICE_NULL;
        }
        if (intern_field(j, (enum jf)f, name))
            goto fail;
        if (j->fid[f] != COL_NONE)
            j->want[j->nwant++] = j->fid[f];
        if (j->fmv[f] != COL_NONE)
            j->want[j->nwant++] = j->fmv[f];
    }
    return j;
fail:
    join_free(j);
    return NULL;
}

/* Room for n bytes of held text; *blk receives the block to release later. */
static char *tb_alloc(struct join *j, size_t n, struct tblock **blk)
{
    struct tblock *b = j->tb_tail;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > TBLOCK_SIZE ? n : TBLOCK_SIZE;
        if (cap == TBLOCK_SIZE && j->tb_spare != NULL) {
            b = j->tb_spare;
            j->tb_spare = NULL;
        } else {
            b = xmalloc(sizeof *b + cap);
            if (b == NULL)
                return NULL;
            b->cap = cap;
        }
        b->next = NULL;
        b->used = b->live = 0;
        if (j->tb_tail)
            j->tb_tail->next = b;
        else
            j->tb_head = b;
        j->tb_tail = b;
    }
    char *p = b->data + b->used;
    b->used += n;
    b->live++;
    *blk = b;
    return p;
}

/* One row of the block is gone; empty blocks at the front are reused or
 * freed (rows leave in order, so the front empties first). */
static void tb_release(struct join *j, struct tblock *b)
{
    b->live--;
    while (j->tb_head && j->tb_head->live == 0 &&
           (j->tb_head != j->tb_tail || j->tb_head->used > 0)) {
        struct tblock *h = j->tb_head;
        j->tb_head = h->next;
        if (j->tb_tail == h)
            j->tb_tail = NULL;
        if (h->cap == TBLOCK_SIZE && j->tb_spare == NULL)
            j->tb_spare = h;
        else
            xfree(h);
    }
}

static void free_later(struct join *j)
{
    for (size_t i = 0; i < j->nlater; i++) {
        tb_release(j, j->later[i].blk);
        rowref_drop(j->later[i].ref);
    }
    j->nlater = 0;
}

/* The packers' references and buffers (rows packed against a reference
 * hold their own count of it). */
static void packers_free(struct join *j)
{
    for (size_t k = 0; k < PACK_KINDS; k++) {
        rowref_drop(j->pk[k].ref);
        xfree(j->pk[k].recent);
        memset(&j->pk[k], 0, sizeof j->pk[k]);
    }
}

void join_free(struct join *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->qlen; i++) {
        const struct pend *p = &j->q[(j->qhead + i) % j->qcap];
        if (p->packed)
            rowref_drop(rowpack_ref(p->row.raw.p));
    }
    free_later(j);
    packers_free(j);
    xfree(j->q);
    xfree(j->later);
    xfree(j->ccells);
    xfree(j->ptext);
    xfree(j->ans);
    while (j->tb_head) {
        struct tblock *n = j->tb_head->next;
        xfree(j->tb_head);
        j->tb_head = n;
    }
    xfree(j->tb_spare);
    while (j->shapes) {
        struct jschema *n = j->shapes->next;
        xfree(j->shapes->ids);
        xfree(j->shapes->wmap);
        xfree(j->shapes);
        j->shapes = n;
    }
    iptab_free(j->tab);
    xfree(j);
}

const uint32_t *join_want(const struct join *j, size_t *n)
{
    *n = j->nwant;
    return j->want;
}

void join_stats(const struct join *j, struct join_stats *st)
{
    *st = j->st;
    st->order = (int)j->order;
}

/* ---- shapes ----------------------------------------------------------- */

static struct jschema *shape_for(struct join *j, const struct csv_table *t)
{
    struct jschema *js;

    if (j->cur && j->cur->s.n == t->ncols &&
        memcmp(j->cur->ids, t->ids, t->ncols * sizeof *t->ids) == 0)
        return j->cur;
    js = xcalloc(1, sizeof *js);
    if (js == NULL)
        return NULL;
    js->ids = xmalloc((t->ncols ? t->ncols : 1) * sizeof *js->ids);
    if (js->ids == NULL) {
        xfree(js);
        return NULL;
    }
    memcpy(js->ids, t->ids, t->ncols * sizeof *t->ids);
    js->wmap = xmalloc((t->ncols ? t->ncols : 1) * sizeof *js->wmap);
    if (js->wmap == NULL) {
        xfree(js->ids);
        xfree(js);
        return NULL;
    }
    memcpy(js->wmap, t->wmap, t->ncols * sizeof *t->wmap);
    js->nw = t->nw;
    js->s.n = t->ncols;
    js->s.ids = js->ids;
    for (int f = 0; f < JF_N; f++) {
        js->idx[f] = js->mvidx[f] = -1;
        for (size_t k = 0; k < t->ncols; k++) {
            if (j->fid[f] != COL_NONE && t->ids[k] == j->fid[f])
                js->idx[f] = (int32_t)k;
            if (j->fmv[f] != COL_NONE && t->ids[k] == j->fmv[f])
                js->mvidx[f] = (int32_t)k;
        }
        js->widx[f] = js->idx[f] >= 0 && t->wmap[js->idx[f]] != UINT32_MAX
                          ? (int32_t)t->wmap[js->idx[f]] : -1;
        js->mvwidx[f] = js->mvidx[f] >= 0 && t->wmap[js->mvidx[f]] != UINT32_MAX
                            ? (int32_t)t->wmap[js->mvidx[f]] : -1;
    }
    js->next = j->shapes;
    j->shapes = js;
    return js;
}

/* Free shapes no row uses any more (called when no reply references them). */
static void gc_shapes(struct join *j)
{
    struct jschema **pp = &j->shapes;
    while (*pp) {
        struct jschema *js = *pp;
        if (js != j->cur && js->refs == 0) {
            *pp = js->next;
            xfree(js->ids);
            xfree(js->wmap);
            xfree(js);
        } else {
            pp = &js->next;
        }
    }
}

/* ---- fields ------------------------------------------------------------ */

struct slice join_field(const struct join_row *row, enum jf f, struct arena *a)
{
    int32_t i = row->idx[f], m = row->mvidx[f];
    int32_t wi = row->widx[f], wm = row->mvwidx[f];
    struct slice plain, mvc = SLICE_NULL;

    if (i < 0 && m < 0)
        return SLICE_NULL;
    if (row->cells == NULL || (i >= 0 && wi < 0) || (m >= 0 && wm < 0)) {
        /* a held row keeps only its text; read the field from it */
        plain = i >= 0 ? csv_raw_field(row->raw, (size_t)i, a) : SLICE_NULL;
        if (m >= 0)
            mvc = csv_raw_field(row->raw, (size_t)m, a);
    } else {
        plain = i >= 0 ? cell_slice(row->base, row->cells[wi]) : SLICE_NULL;
        if (m >= 0)
            mvc = cell_slice(row->base, row->cells[wm]);
    }
    /* most cells are single-valued: no call then */
    return mvc.n == 0 ? plain : mv_first(plain, mvc, a);
}

/* ---- order ------------------------------------------------------------- */

static void fmt_time(int64_t us, char *buf)
{
    num_format_us(us, buf);
}

/* Track the stream's direction (see the header comment). */
static void see_time(struct join *j, int64_t t)
{
    if (!j->have_time) {
        j->have_time = 1;
        j->wmin = j->wmax = t;
        j->consistent = 1;
        return;
    }
    int dir = t < j->wmin ? -1 : t > j->wmax ? 1 : 0;
    /* Inside [wmin, wmax] is a step back for an ordered stream unless it
     * equals the current edge. */
    if (dir == 0 && j->tentative != 0) {
        int64_t edge = j->tentative < 0 ? j->wmin : j->wmax;
        if (t != edge)
            dir = 2;
    }
    if (dir == 2 || (dir != 0 && j->tentative != 0 && dir != j->tentative)) {
        j->order = ORDER_UNORDERED;
    } else if (dir != 0 && j->tentative == 0) {
        j->tentative = dir;
    }
    if (t < j->wmin)
        j->wmin = t;
    if (t > j->wmax)
        j->wmax = t;
    if (j->order == ORDER_UNKNOWN) {
        j->consistent++;
        if (j->tentative != 0 && j->consistent >= JOIN_ORDER_CONFIRM)
            j->order = j->tentative < 0 ? ORDER_DESC : ORDER_ASC;
    }
}

static int order_error(struct join *j, const char *what, int64_t t, struct err *e)
{
    char a[NUM_US_STRMAX], b[NUM_US_STRMAX];
    fmt_time(t, a);
    fmt_time(j->tentative < 0 ? j->wmin : j->wmax, b);
    return err_set(e, ERR_INPUT,
                   "the input is not in time order: %s with _time=%s arrived after the stream "
                   "had reached _time=%s, and it could change results already sent. Put "
                   "'| sort 0 -_time' (or '| sort 0 _time') before the command",
                   what, a, b);
}

/* ---- pending queue ------------------------------------------------------ */

static struct pend *push(struct join *j)
{
    if (j->qlen == j->qcap) {
        size_t nc = j->qcap ? j->qcap * 2 : 4096;
        struct pend *nq = xreallocarray(NULL, nc, sizeof *nq);
        if (nq == NULL)
            return NULL;
        for (size_t i = 0; i < j->qlen; i++)
            nq[i] = j->q[(j->qhead + i) % j->qcap];
        xfree(j->q);
        j->q = nq;
        j->qcap = nc;
        j->qhead = 0;
    }
    return &j->q[(j->qhead + j->qlen++) % j->qcap];
}

/* Bytes a held copy of the row takes (see hold_copy). */
static size_t held_size(const struct join *j, const struct pend *p)
{
    size_t bytes = p->ev.client.n;
    if (!j->o.compact_held)
        return bytes + p->row.raw.n;
    /* one varint per stored cell, then the values */
    for (size_t k = 0; p->row.cells != NULL && k < p->js->nw; k++) {
        struct cell c = p->row.cells[k];
        uint64_t v = c.off == CELL_ABSENT ? 0 : (uint64_t)c.len + 1;
        do {
            bytes++;
            v >>= 7;
        } while (v);
        if (c.off != CELL_ABSENT)
            bytes += c.len;
    }
    return bytes;
}

/*
 * A row that must outlive its chunk is held in two steps: it is counted
 * (and maxbuffer checked) before the reply, so an error still reaches the
 * user in that reply; it is copied after the reply has been written
 * (join_written), so the rows that reply released are freed first and a
 * window of rows is never in memory twice.
 */
static int hold_reserve(struct join *j, struct pend *p, struct err *e)
{
    size_t bytes = held_size(j, p);
    if (bytes > UINT32_MAX)
        return err_set(e, ERR_LIMIT, "an event of more than 4 GB cannot be held");
    p->own_bytes = (uint32_t)bytes;
    p->reserved = 1;
    p->js->refs++;
    j->held_bytes += bytes;
    if (j->held_bytes > j->st.held_max_bytes)
        j->st.held_max_bytes = j->held_bytes;
    if (j->held_bytes > j->o.maxbuffer)
        return err_set(e, ERR_LIMIT,
                       "more than maxbuffer=%llu bytes of events had to be held (the input is "
                       "not in time order, or one window holds that much). Put '| sort 0 -_time' "
                       "before the command, use a smaller window, or raise maxbuffer",
                       (unsigned long long)j->o.maxbuffer);
    return 0;
}

static void put_varint(char **w, uint64_t v)
{
    do {
        unsigned char b = (unsigned char)(v & 0x7f);
        v >>= 7;
        *(*w)++ = (char)(b | (v ? 0x80 : 0));
    } while (v);
}

/* The packer for p's kind, made or taken over (least recently used) on
 * first sight.  NULL when out of memory. */
static struct packer *packer_for(struct join *j, const struct pend *p)
{
    struct packer *pk = NULL;
    for (size_t k = 0; k < PACK_KINDS; k++) {
        struct packer *c = &j->pk[k];
        if (c->js == p->js && c->kind == p->ev.kind) {
            pk = c;
            break;
        }
        if (pk == NULL || c->used < pk->used)
            pk = c;
    }
    if (pk->js != p->js || pk->kind != p->ev.kind) {
        if (pk->recent == NULL && (pk->recent = xmalloc(ROWREF_TEXT_MAX)) == NULL)
            return NULL;
        rowref_drop(pk->ref);
        pk->ref = NULL;
        pk->js = p->js;
        pk->kind = p->ev.kind;
        pk->since = pk->nrecent = 0;
        pk->recent_n = 0;
    }
    pk->used = ++j->pk_clock;
    return pk;
}

/* Let the packer see a row of its kind: the last PACK_RECENT rows before a
 * renewal make the next reference. */
static void packer_see(struct packer *pk, struct slice text)
{
    if (pk->ref != NULL && pk->since < PACK_REFRESH - PACK_RECENT)
        return;
    size_t n = text.n < ROWREF_TEXT_MAX - pk->recent_n ? text.n : ROWREF_TEXT_MAX - pk->recent_n;
    memcpy(pk->recent + pk->recent_n, text.p, n);
    pk->recent_n += n;
    if (++pk->nrecent < PACK_RECENT && pk->recent_n < ROWREF_TEXT_MAX)
        return;
    struct rowref *r = rowref_new(pk->recent, pk->recent_n);
    if (r == NULL)
        return;  /* the old reference (or none: rows stay plain) goes on */
    rowref_retire(pk->ref);
    rowref_drop(pk->ref);
    pk->ref = r;
    pk->since = pk->nrecent = 0;
    pk->recent_n = 0;
}

/* Pack p's text into its held copy own[0..bytes): the stored length, or 0
 * to keep it as it came. */
static size_t hold_pack(struct join *j, struct pend *p, char *own, size_t cap)
{
    struct packer *pk = packer_for(j, p);
    size_t k = 0;
    if (pk == NULL)
        return 0;
    if (pk->ref != NULL)
        k = rowpack_store(pk->ref, p->row.raw.p, p->row.raw.n, own, cap);
    pk->since++;
    packer_see(pk, p->row.raw);
    return k;
}

static int hold_copy(struct join *j, struct pend *p, struct err *e)
{
    size_t bytes = p->own_bytes;
    char *own = tb_alloc(j, bytes ? bytes : 1, &p->blk);
    char *w = own;

    if (own == NULL)
        return err_set(e, ERR_NOMEM, "out of memory holding an event");
    if (j->o.compact_held) {
        /* Only the stored cells: a reporting command never writes the row
         * back, and reads nothing else of it. */
        const struct cell *cells = p->row.cells;
        size_t nw = cells != NULL ? p->js->nw : 0;
        for (size_t k = 0; k < nw; k++)
            put_varint(&w, cells[k].off == CELL_ABSENT ? 0 : (uint64_t)cells[k].len + 1);
        for (size_t k = 0; k < nw; k++)
            if (cells[k].off != CELL_ABSENT) {
                memcpy(w, p->row.base + cells[k].off, cells[k].len);
                w += cells[k].len;
            }
        p->row.raw = SLICE_NULL;
        p->row.base = own;
        p->row.cells = NULL;
        p->compact = 1;
    } else {
        /* Text only: a window of held rows costs what it weighs on the wire
         * (or, past JOIN_HELD_PLAIN_MAX, packed); fields are split again from
         * the text if anyone asks. */
        size_t k = 0;
        if (j->plain_bytes > JOIN_HELD_PLAIN_MAX)
            k = hold_pack(j, p, own, p->row.raw.n);
        if (k > 0) {
            /* give back what packing saved: own is the block's last piece */
            p->blk->used -= p->row.raw.n - k;
            p->packed = 1;
            p->row.raw.p = own;
        } else {
            memcpy(w, p->row.raw.p, p->row.raw.n);
            p->row.raw.p = w;
            j->plain_bytes += bytes;
            k = p->row.raw.n;
        }
        p->row.base = p->row.raw.p;
        p->row.cells = NULL;
        w += k;
    }
    if (p->ev.client.p) {
        memmove(w, p->ev.client.p, p->ev.client.n);
        p->ev.client.p = w;
    }
    return 0;
}

/* A compact held row's cells, decoded into the engine's scratch (the sink
 * of a compact_held engine reads a row only while it is called). */
static struct cell *compact_cells(struct join *j, const struct pend *p)
{
    size_t nw = p->js->nw;
    const unsigned char *r = (const unsigned char *)p->row.base;
    if (nw > j->ccap) {
        struct cell *nc = xreallocarray(j->ccells, nw, sizeof *nc);
        if (nc == NULL)
            return NULL;
        j->ccells = nc;
        j->ccap = nw;
    }
    struct cell *cells = j->ccells;
    for (size_t k = 0; k < nw; k++) {
        uint64_t v = 0;
        unsigned sh = 0;
        unsigned char b;
        do {
            b = *r++;
            v |= (uint64_t)(b & 0x7f) << sh;
            sh += 7;
        } while (b & 0x80);
        cells[k].off = v == 0 ? CELL_ABSENT : 0;
        cells[k].len = v == 0 ? 0 : (uint32_t)(v - 1);
    }
    uint32_t off = (uint32_t)((const char *)r - p->row.base);
    for (size_t k = 0; k < nw; k++)
        if (cells[k].off != CELL_ABSENT) {
            cells[k].off = off;
            off += cells[k].len;
        }
    return nw ? cells : j->ccells;
}

/* ---- decisions ---------------------------------------------------------- */

static int better(const struct rec *a, const struct rec *b)
{
    int c;
    if (b == NULL || a->t > b->t)
        return 1;
    if (a->t < b->t)
        return 0;
    c = slice_cmp(rec_name(a), rec_name(b));
    if (c != 0)
        return c < 0;
    return slice_cmp(rec_client(a), rec_client(b)) < 0;
}

static int same_client(const struct rec *r, const struct join_event *ev)
{
    if (r->client_is_ip && ev->client_is_ip)
        return ipaddr_eq(&r->client_ip, &ev->client_ip);
    return slice_eq(rec_client(r), ev->client);
}

static int cmp_slices(const void *a, const void *b)
{
    return slice_cmp(*(const struct slice *)a, *(const struct slice *)b);
}

static struct slice arena_slice(struct arena *a, struct slice s)
{
    char *p = arena_dup(a, s.p, s.n);
    return p ? slice_of(p, s.n) : SLICE_NULL;
}

static int decide(struct join *j, struct join_event *ev, struct arena *a, struct err *e)
{
    int64_t lo = ev->t - j->o.window_us, hi = ev->t + j->o.skew_us;
    const struct rec *r, *best_client = NULL, *best_any = NULL;
    size_t n = 0;

    ev->match = JOIN_NONE;
    ev->names = NULL;
    ev->nnames = ev->ncandidates = 0;
    if (!ev->has_time)
        return 0;
    struct iptab_it it;
    for (r = iptab_first(j->tab, &ev->ip, &it); r != NULL; r = iptab_it_next(j->tab, &it)) {
        if (r->t < lo || r->t > hi)
            continue;
        n++;
        if (better(r, best_any))
            best_any = r;
        if (same_client(r, ev) && better(r, best_client))
            best_client = r;
    }
    ev->ncandidates = n;
    if (n == 0) {
        const struct join_history *h = j->o.history;
        struct join_hist_rec hr;
        if (h != NULL && !sinkholes_has(j->o.sinkholes, &ev->ip) &&
            h->lookup(h->ctx, &ev->ip, ev->t, ev->client, ev->client_is_ip, &ev->client_ip,
                      &hr) == 1) {
            ev->match = JOIN_HISTORY;
            ev->rec_t = hr.t;
            ev->name = arena_slice(a, hr.name);
            ev->rec_client = arena_slice(a, hr.client);
            ev->rec_ttext = arena_slice(a, hr.ttext);
            if (ev->name.p == NULL || ev->rec_client.p == NULL || ev->rec_ttext.p == NULL)
                return err_set(e, ERR_NOMEM, "out of memory deciding an event");
        }
        return 0;
    }

    const struct rec *pick = best_client;
    if (pick != NULL)
        ev->match = JOIN_CLIENT;
    else if (!j->o.scope_client && best_any != NULL) {
        pick = best_any;
        ev->match = JOIN_NETWORK;
    }
    if (pick != NULL) {
        ev->rec_t = pick->t;
        ev->name = rec_name(pick);
        ev->rec_client = rec_client(pick);
        ev->rec_ttext = rec_ttext(pick);
    }
    /* The record's strings are views: an evicted record's stay until the
     * reply has been written (iptab_flush_retired in join_written).
     * choice_only: no candidate list. */
    if (j->o.choice_only)
        return 0;

    struct slice *names = arena_alloc(a, n * sizeof *names);
    if (names == NULL)
        return err_set(e, ERR_NOMEM, "out of memory deciding an event");
    size_t k = 0;
    for (r = iptab_first(j->tab, &ev->ip, &it); r != NULL; r = iptab_it_next(j->tab, &it))
        if (r->t >= lo && r->t <= hi)
            names[k++] = rec_name(r);
    qsort(names, k, sizeof *names, cmp_slices);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (u == 0 || !slice_eq(names[u - 1], names[i]))
            names[u++] = names[i];
    if (u > j->o.maxnames)
        u = j->o.maxnames;
    ev->names = names;
    ev->nnames = u;
    return 0;
}

static int ready(const struct join *j, const struct pend *p, int finished)
{
    if (finished || p->ev.kind != JOIN_NET || !p->ev.has_time)
        return 1;
    if (j->order == ORDER_DESC)
        return j->wmin < p->ev.t - j->o.window_us;
    if (j->order == ORDER_ASC)
        return j->wmax > p->ev.t + j->o.skew_us;
    return 0;
}

/* Decide a row (network events) and hand it to the sink. */
static int hand_over(struct join *j, struct pend *p, struct arena *a, join_sink sink, void *ctx,
                     struct err *e)
{
    struct join_event ev;
    int rc;

    memset(&ev, 0, sizeof ev);
    ev.kind = (enum join_kind)p->ev.kind;
    ev.has_time = p->ev.has_time;
    ev.t = p->ev.t;
    ev.ip = p->ev.ip;
    ev.client = p->ev.client;
    ev.client_is_ip = p->ev.client_is_ip;
    ev.client_ip = p->ev.client_ip;
    ev.udp3544 = p->ev.udp3544;
    ev.flow = p->ev.flow;
    if (ev.kind == JOIN_DNS && j->o.unordered_sink) {
        /* classified just now (ingest_row): the scratch holds its answers */
        ev.answers = j->ans;
        ev.nanswers = j->nans;
    }
    if (ev.kind == JOIN_NET) {
        rc = decide(j, &ev, a, e);
        if (rc)
            return rc;
        if (ev.has_time) {
            int64_t lo = ev.t - j->o.window_us, hi = ev.t + j->o.skew_us;
            if (!j->released_any || lo < j->rel_lo)
                j->rel_lo = lo;
            if (!j->released_any || hi > j->rel_hi)
                j->rel_hi = hi;
            j->released_any = 1;
        }
    }
    struct join_row row;
    pend_row(p, &row);
    /* A packed row is unpacked only for a sink that reads fields. */
    if (p->packed) {
        row.packed = p->row.raw.p;
        row.packed_n = p->row.raw.n;
        row.raw = SLICE_NULL;
        row.base = NULL;
    }
    if (p->packed && j->o.sink_reads_fields) {
        if (p->row.raw.n > j->ptext_cap) {
            char *nt = xrealloc(j->ptext, p->row.raw.n);
            if (nt == NULL)
                return err_set(e, ERR_NOMEM, "out of memory releasing an event");
            j->ptext = nt;
            j->ptext_cap = p->row.raw.n;
        }
        if (rowpack_load(p->row.raw.p, j->ptext, p->row.raw.n))
            return err_set(e, ERR_STATE, "a held event could not be unpacked");
        row.raw = slice_of(j->ptext, p->row.raw.n);
        row.base = j->ptext;
    }
    if (p->compact) {
        row.cells = compact_cells(j, p);
        if (row.cells == NULL && p->js->nw > 0)
            return err_set(e, ERR_NOMEM, "out of memory releasing an event");
    } else if (row.cells == NULL && p->js->nw > 0 && j->o.sink_reads_fields) {
        /* A held row is text only: split it once for the sink instead of
         * once per field it reads. */
        struct cell *cells = arena_alloc(a, p->js->nw * sizeof *cells);
        if (cells == NULL)
            return err_set(e, ERR_NOMEM, "out of memory releasing an event");
        if (csv_cells_from_raw(row.raw, p->js->wmap, p->js->s.n, cells) == 0) {
            row.base = row.raw.p;
            row.cells = cells;
        }
    }
    return sink(ctx, &row, &ev, e);
}

/* Ask for a queued row's text ahead of its release: held rows go to the
 * sink about a window after they were read, long out of the cache, and
 * most releases come one per row read. */
static void prefetch_pend(const struct pend *p)
{
    if (p->packed)
        return;
    if (p->compact) {
        __builtin_prefetch(p->row.base);
        __builtin_prefetch(p->row.base + 64);
        return;
    }
    if (p->row.cells != NULL)
        __builtin_prefetch(p->row.cells);
    for (size_t off = 0; off < p->row.raw.n; off += 64)
        __builtin_prefetch(p->row.raw.p + off);
}

static int release(struct join *j, struct arena *a, join_sink sink, void *ctx, int finished,
                   struct err *e)
{
    if (j->qlen > 2)
        prefetch_pend(&j->q[(j->qhead + 2) % j->qcap]);
    while (j->qlen > 0) {
        struct pend *p = &j->q[j->qhead];
        int rc;
        if (!ready(j, p, finished))
            break;
        rc = hand_over(j, p, a, sink, ctx, e);
        if (rc)
            return rc;
        if (p->reserved && p->blk == NULL)
            j->uncopied--;  /* released in the request that left it waiting */
        if (p->blk) {
            /* The reply being built still points at it: free after it. */
            if (j->nlater == j->later_cap) {
                size_t nc = j->later_cap ? j->later_cap * 2 : 1024;
                struct later *nl = xreallocarray(j->later, nc, sizeof *nl);
                if (nl == NULL)
                    return err_set(e, ERR_NOMEM, "out of memory releasing events");
                j->later = nl;
                j->later_cap = nc;
            }
            j->later[j->nlater].blk = p->blk;
            j->later[j->nlater++].ref = p->packed ? rowpack_ref(p->row.raw.p) : NULL;
            if (!p->packed && !p->compact)
                j->plain_bytes -= p->own_bytes;
            p->blk = NULL;
        }
        if (p->reserved) {
            j->held_bytes -= p->own_bytes;
            p->js->refs--;
            p->reserved = 0;
        }
        j->qhead = (j->qhead + 1) % j->qcap;
        j->qlen--;
    }
    return 0;
}

/* Drop records no remaining or future event can use (ordered input only). */
static void evict(struct join *j)
{
    const struct rec *r;
    const struct pend *head = NULL;

    if (j->order != ORDER_DESC && j->order != ORDER_ASC)
        return;
    if (j->qlen > 0) {
        head = &j->q[j->qhead];
        if (head->ev.kind != JOIN_NET || !head->ev.has_time)
            head = NULL;
    }
    while ((r = iptab_oldest(j->tab)) != NULL) {
        int drop;
        if (j->order == ORDER_DESC) {
            int64_t keep_hi = j->wmin + j->o.skew_us;
            if (head && head->ev.t + j->o.skew_us > keep_hi)
                keep_hi = head->ev.t + j->o.skew_us;
            drop = r->t > keep_hi;
        } else {
            int64_t keep_lo = j->wmax;
            if (head && head->ev.t < keep_lo)
                keep_lo = head->ev.t;
            drop = r->t < keep_lo - j->o.window_us;
        }
        if (!drop)
            break;
        if (!j->evicted_any || r->t < j->ev_lo)
            j->ev_lo = r->t;
        if (!j->evicted_any || r->t > j->ev_hi)
            j->ev_hi = r->t;
        j->evicted_any = 1;
        iptab_pop(j->tab);
    }
}

/* ---- ingest --------------------------------------------------------------- */

/* One more address of the DNS row being classified (unordered_sink). */
static int keep_answer(struct join *j, const struct ipaddr *ip)
{
    if (j->nans == j->ans_cap) {
        size_t nc = j->ans_cap ? j->ans_cap * 2 : 16;
        struct ipaddr *v = xreallocarray(j->ans, nc, sizeof *v);
        if (v == NULL)
            return ERR_NOMEM;
        j->ans = v;
        j->ans_cap = nc;
    }
    j->ans[j->nans++] = *ip;
    return 0;
}

/* The IP protocol number a transport value names, 0 for none. */
static uint8_t transport_proto(struct slice tr, const struct ipaddr *dest)
{
    static const struct {
        const char *name;
        uint8_t proto;
    } names[] = {{"tcp", 6}, {"udp", 17}, {"sctp", 132}, {"icmpv6", 58}, {"ipv6-icmp", 58}};
    char low[16];
    uint64_t v;

    if (tr.n == 0 || tr.n >= sizeof low)
        return 0;
    if (tr.p[0] >= '0' && tr.p[0] <= '9')
        return num_parse_u64(tr, 1, 255, &v) == 0 ? (uint8_t)v : 0;
    for (size_t i = 0; i < tr.n; i++)
        low[i] = (char)(tr.p[i] >= 'A' && tr.p[i] <= 'Z' ? tr.p[i] | 0x20 : tr.p[i]);
    struct slice l = slice_of(low, tr.n);
    /* CIM's transport=icmp covers ICMPv6 too: the address family decides */
    if (slice_eq_cstr(l, "icmp"))
        return ipaddr_is_v4(dest) ? 1 : 58;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (slice_eq_cstr(l, names[i].name))
            return names[i].proto;
    return 0;
}

/* src_port/dest_port or icmp_type/icmp_code of a network event. */
static void read_flow(const struct join_row *row, const struct ipaddr *dest,
                      struct join_flow *fl, struct arena *a)
{
    uint64_t sp = 0, dp = 0;
    fl->proto = transport_proto(join_field(row, JF_TRANSPORT, a), dest);
    if (fl->proto == 6 || fl->proto == 17 || fl->proto == 132)
        fl->ports = num_parse_u64(join_field(row, JF_SRC_PORT, a), 0, 65535, &sp) == 0 &&
                    num_parse_u64(join_field(row, JF_DEST_PORT, a), 0, 65535, &dp) == 0;
    else if (fl->proto == 1 || fl->proto == 58)
        fl->ports = num_parse_u64(join_field(row, JF_ICMP_TYPE, a), 0, 255, &sp) == 0 &&
                    num_parse_u64(join_field(row, JF_ICMP_CODE, a), 0, 255, &dp) == 0;
    if (fl->ports) {
        fl->sport = (uint16_t)sp;
        fl->dport = (uint16_t)dp;
    }
}

static int classify(struct join *j, const struct csv_table *t, size_t r, struct pend *p,
                    struct arena *a, struct err *e)
{
    struct slice ts, q;
    int rc;

    memset(p, 0, sizeof *p);
    j->nans = 0;
    p->js = j->cur;
    p->row.raw = t->raw[r];
    p->row.base = t->base;
    /* no stored cells at all (nothing wanted): the row is read from its text */
    p->row.cells = t->nw ? &t->cells[r * t->nw] : NULL;
    struct join_row row;
    pend_row(p, &row);
    j->st.rows++;

    ts = join_field(&row, JF_TIME, a);
    p->ev.has_time = ts.p != NULL && num_parse_time_us(ts, &p->ev.t) == 0 &&
                     p->ev.t >= -JOIN_TIME_ABS_MAX && p->ev.t <= JOIN_TIME_ABS_MAX;
    /* A break in the order makes the engine hold everything from here on;
     * whether that can still be exact is checked against what has left. */
    if (p->ev.has_time)
        see_time(j, p->ev.t);

    q = join_field(&row, JF_QUERY, a);
    if (q.p != NULL && q.n > 0) {
        p->ev.kind = JOIN_DNS;
        j->st.dns++;
        if (!p->ev.has_time)
            return 0;
        struct slice client = join_field(&row, JF_SRC, a);
        int32_t ai = j->cur->widx[JF_ANSWER], am = j->cur->mvwidx[JF_ANSWER];
        /* the client as an address, parsed once for all the answers' records
         * (-1: not yet) */
        struct ipaddr cip;
        int cip_ok = -1;
        if (j->o.unordered_sink) {
            /* handed over right after this: the sink gets the client and
             * the parsed answers (a held copy would have to keep them) */
            p->ev.client = client.p ? client : SLICE_LIT("");
            p->ev.client_is_ip = client.n > 0 && ipaddr_parse(client, &p->ev.client_ip) == 0;
            cip_ok = p->ev.client_is_ip;
            cip = p->ev.client_ip;
        }
        struct mv_iter it;
        struct slice v;
        mv_iter_init(&it, ai >= 0 ? cell_slice(p->row.base, p->row.cells[ai]) : SLICE_NULL,
                     am >= 0 ? cell_slice(p->row.base, p->row.cells[am]) : SLICE_NULL);
        while (mv_next(&it, a, &v) == 1) {
            struct ipaddr ip;
            if (ipaddr_parse(v, &ip) != 0)
                continue;  /* CNAME targets, NXDOMAIN: no record */
            if (sinkholes_has(j->o.sinkholes, &ip)) {
                j->st.sinkholed++;  /* a blocked name, not a destination */
                continue;
            }
            if (j->o.unordered_sink && (rc = keep_answer(j, &ip)) != 0)
                return err_set(e, rc, "out of memory reading a DNS answer");
            if (j->released_any && p->ev.t >= j->rel_lo && p->ev.t <= j->rel_hi)
                return order_error(j, "a DNS answer", p->ev.t, e);
            if (cip_ok < 0)
                cip_ok = client.n > 0 && ipaddr_parse(client, &cip) == 0;
            rc = iptab_add(j->tab, &ip, p->ev.t, q, client.p ? client : SLICE_LIT(""),
                           cip_ok ? &cip : NULL, ts);
            if (rc == ERR_LIMIT && iptab_count(j->tab) < JOIN_RECORDS_MAX) {
                char ipt[IPADDR_STRMAX];
                ipaddr_format(&ip, ipt);
                return err_set(e, rc, "more than JOIN_ANSWERS_PER_IP_MAX (%llu) DNS answers "
                               "for %s in one window; use a smaller window, or leave that "
                               "address out with a search filter (" LIMIT_BUILD_HINT ")",
                               (unsigned long long)JOIN_ANSWERS_PER_IP_MAX, ipt);
            }
            if (rc == ERR_LIMIT)
                return err_set(e, rc, "more than JOIN_RECORDS_MAX (%llu) DNS answers held at "
                               "once; use a smaller window (" LIMIT_BUILD_HINT ")",
                               (unsigned long long)JOIN_RECORDS_MAX);
            if (rc)
                return err_set(e, rc, "out of memory storing a DNS answer");
            j->st.records++;
        }
        if (iptab_count(j->tab) > j->st.records_max)
            j->st.records_max = iptab_count(j->tab);
        return 0;
    }

    struct slice ipv = join_field(&row, JF_IP1, a);
    if ((ipv.p == NULL || ipv.n == 0) && j->fid[JF_IP2] != COL_NONE)
        ipv = join_field(&row, JF_IP2, a);
    if (ipv.p == NULL || ipaddr_parse(ipv, &p->ev.ip) != 0) {
        p->ev.kind = JOIN_PASS;
        return 0;
    }
    p->ev.kind = JOIN_NET;
    /* read while the cells are at hand: a held row has only its text */
    if (slice_eq_cstr(join_field(&row, JF_DEST_PORT, a), "3544")) {
        struct slice tr = join_field(&row, JF_TRANSPORT, a);
        p->ev.udp3544 = tr.n == 3 && (tr.p[0] | 0x20) == 'u' && (tr.p[1] | 0x20) == 'd' &&
                        (tr.p[2] | 0x20) == 'p';
    }
    if (j->o.flow)
        read_flow(&row, &p->ev.ip, &p->ev.flow, a);
    j->st.net++;
    struct slice cl = join_field(&row, JF_CLIENT1, a);
    if ((cl.p == NULL || cl.n == 0) && j->fid[JF_CLIENT2] != COL_NONE)
        cl = join_field(&row, JF_CLIENT2, a);
    p->ev.client = cl.p ? cl : SLICE_LIT("");
    {
        int is_ip = cl.n > 0 && ipaddr_parse(cl, &p->ev.client_ip) == 0;
        p->ev.client_is_ip = (uint8_t)is_ip;
    }
    /* a sinkhole is never looked up: stored records of it name blocked names */
    if (j->o.history != NULL && p->ev.has_time && !sinkholes_has(j->o.sinkholes, &p->ev.ip) &&
        (rc = j->o.history->want(j->o.history->ctx, &p->ev.ip, e)) != 0)
        return rc;
    if (p->ev.has_time && j->evicted_any) {
        int64_t lo = p->ev.t - j->o.window_us, hi = p->ev.t + j->o.skew_us;
        if (hi >= j->ev_lo && lo <= j->ev_hi)
            return order_error(j, "a network event", p->ev.t, e);
    }
    return 0;
}

/* Classify row r and queue it, or (unordered_sink) hand DNS and other rows
 * that need no decision straight to the sink. */
static int ingest_row(struct join *j, const struct csv_table *t, size_t r, struct arena *a,
                      join_sink sink, void *ctx, struct err *e)
{
    struct pend np, *p;
    int rc = classify(j, t, r, &np, a, e);

    if (rc)
        return rc;
    if (j->o.unordered_sink && np.ev.kind != JOIN_NET)
        return hand_over(j, &np, a, sink, ctx, e);
    p = push(j);
    if (p == NULL)
        return err_set(e, ERR_NOMEM, "out of memory queueing an event");
    *p = np;
    return 0;
}

int join_chunk(struct join *j, const struct csv_table *t, struct arena *a, join_sink sink,
               void *ctx, struct err *e)
{
    int rc;

    /* join_written has copied what the previous chunk left waiting */
    if (j->uncopied > 0)
        return err_set(e, ERR_STATE, "join_written was not called after a reply");
    free_later(j);
    if (t->ncols > 0) {
        j->cur = shape_for(j, t);
        if (j->cur == NULL)
            return err_set(e, ERR_NOMEM, "out of memory reading a chunk");
    }
    gc_shapes(j);
    for (size_t r = 0; r < t->nrows; r++) {
        rc = ingest_row(j, t, r, a, sink, ctx, e);
        if (rc)
            return rc;
        /* Once the order is known, rows leave as soon as they can, so the
         * queue and the record store hold about one window, not a chunk.
         * With a history source, decisions wait for the chunk's batch. */
        if ((j->order == ORDER_DESC || j->order == ORDER_ASC) && j->o.history == NULL) {
            rc = release(j, a, sink, ctx, 0, e);
            if (rc)
                return rc;
            evict(j);
        }
    }
    if (j->o.history != NULL && (rc = j->o.history->fetch(j->o.history->ctx, e)) != 0)
        return rc;
    rc = release(j, a, sink, ctx, 0, e);
    if (rc)
        return rc;
    /* Rows of this chunk still waiting must outlive its buffer: count them
     * now, copy them once the reply is out (join_written). */
    for (size_t i = j->qlen; i > 0; i--) {
        struct pend *p = &j->q[(j->qhead + i - 1) % j->qcap];
        if (p->reserved)
            break;  /* earlier rows are older chunks', already counted */
        rc = hold_reserve(j, p, e);
        if (rc)
            return rc;
        j->uncopied++;
    }
    evict(j);
    return 0;
}

int join_written(struct join *j, struct err *e)
{
    int rc;
    free_later(j);
    if (j->tab != NULL)
        iptab_flush_retired(j->tab);
    /* the uncopied rows are the queue's last ones; copied in queue order so
     * that blocks still empty front to back */
    for (size_t i = j->qlen - j->uncopied; i < j->qlen; i++) {
        struct pend *p = &j->q[(j->qhead + i) % j->qcap];
        if ((rc = hold_copy(j, p, e)) != 0)
            return rc;
        j->uncopied--;
    }
    return 0;
}

int join_finish(struct join *j, struct arena *a, join_sink sink, void *ctx, struct err *e)
{
    /* Called in the same request as the last join_chunk: rows released
     * there are still in the reply, so nothing is freed here. */
    int rc;
    if (j->o.history != NULL && (rc = j->o.history->fetch(j->o.history->ctx, e)) != 0)
        return rc;
    if ((rc = release(j, a, sink, ctx, 1, e)) != 0)
        return rc;
    /* Every row has left: the answers, the queue and the packers can go
     * before the last reply is written (its rows' text stays, in `later`). */
    iptab_clear(j->tab);
    xfree(j->q);
    j->q = NULL;
    j->qcap = j->qhead = j->qlen = 0;
    packers_free(j);
    return 0;
}

int join_feed(struct join *j, const struct csv_table *t, int finished, struct arena *a,
              join_sink sink, void *ctx, struct err *e)
{
    int rc = join_chunk(j, t, a, sink, ctx, e);
    if (rc == 0 && finished)
        rc = join_finish(j, a, sink, ctx, e);
    return rc;
}
