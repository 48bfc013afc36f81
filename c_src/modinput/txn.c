#include "modinput/txn.h"

#include <string.h>

#include "limits.h"
#include "util/buf.h"
#include "util/xmem.h"

#define NBUCKETS (1u << 16)
#define TS_ABSENT UINT32_MAX
#define RECENT_MAX TXN_RECENT_MAX

/* A string stored in a transaction's own buffer; len TS_ABSENT = absent. */
struct tstr {
    uint32_t off, len;
};

enum { IT_ANSWER, IT_CNAME };
struct item {
    uint32_t off, len;
    uint32_t kind;
};

struct tx {
    struct tx *prev, *next;    /* open list in start order */
    struct tx *knext, *nnext;  /* key-hash and name-hash chains */
    struct tx *orig;           /* the original this duplicate waits for */
    struct tx *dups, *dnext;   /* duplicates waiting for this one */
    uint32_t khash, nhash;
    int extra, has_port, dup, terminal, cname_pending, answered, in_k;
    int linked;                /* on the open list (counted in t->open) */
    int freed;                 /* on the free list */
    unsigned port;
    uint64_t epoch, serial, off;
    int64_t t_us;
    int64_t ans_us;            /* log time of its first answer line */
    int64_t fin_us;            /* log time it was finished (recent ring) */
    int rcode;
    uint32_t dropped;          /* answers past DNSMASQ_ANSWERS_MAX */
    enum dmline_proto proto;   /* of the query line */
    enum dmline_block block;   /* first block seen in its answer lines */
    struct tstr src, query, qtype, dest, asrc, ede, breason;
    struct buf s;              /* OWNED: bytes of every tstr and item */
    struct buf items;          /* OWNED: struct item array */
};

/* What add_answer needs from a line, live or replayed from a plain run. */
struct ans_in {
    struct slice source, name, value, ede;
    int vkind, rcode, reverse, block, ftl_local;
    int64_t t_us;              /* log time of the answer line */
};

struct runrec {
    uint32_t name_off, name_len, val_off, val_len, ede_off, ede_len;
    int vkind, rcode, reverse, block, ftl_local;
    int64_t t_us;
};

struct txn_tab {
    int64_t flush_us;
    txn_emit_fn emit;
    void *ctx;
    struct tx *kb[NBUCKETS], *nb[NBUCKETS];
    struct tx *head, *tail;    /* open list */
    struct tx *free;           /* released structs, kept with their buffers */
    struct {                   /* extra mode, per writing process: */
        uint32_t pid;
        struct tx *x;          /* the transaction of its previous line, or NULL */
    } last[TXN_WRITERS_MAX];
    unsigned last_reuse;       /* slot to take when every one is in use */
    struct tx *recent[RECENT_MAX]; /* finished originals, newest at recent_pos - 1 */
    unsigned recent_pos;
    size_t open;
    uint64_t epoch;
    int64_t now_us;            /* time of the newest line */
    /* plain mode: the answer run being read */
    int run_on;
    uint64_t run_off;
    struct buf run_s;          /* OWNED: source + names/values of the run */
    struct buf run_r;          /* OWNED: struct runrec array */
    uint32_t run_src_len;
    struct slice *va;          /* OWNED: scratch slices for an event */
    size_t vcap;
    struct txn_stats st;
};

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

static uint32_t fnv_lower(struct slice s)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static int eq_nocase(struct slice a, struct slice b)
{
    if (a.n != b.n)
        return 0;
    for (size_t i = 0; i < a.n; i++) {
        unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if (y >= 'A' && y <= 'Z')
            y |= 0x20;
        if (x != y)
            return 0;
    }
    return 1;
}

static uint32_t key_hash(uint64_t epoch, uint64_t serial, struct slice client, unsigned port)
{
    uint32_t h = 2166136261u;
    h = fnv(h, &epoch, sizeof epoch);
    h = fnv(h, &serial, sizeof serial);
    h = fnv(h, &port, sizeof port);
    return fnv(h, client.p, client.n);
}

static struct slice view(const struct tx *x, struct tstr s)
{
    if (s.len == TS_ABSENT)
        return SLICE_NULL;
    return slice_of(x->s.p ? x->s.p + s.off : "", s.len);
}

static int put(struct tx *x, struct slice v, struct tstr *out)
{
    if (v.p == NULL) {
        out->off = 0;
        out->len = TS_ABSENT;
        return 0;
    }
    if (v.n > DNSMASQ_LINE_MAX)
        return ERR_LIMIT;
    out->off = (uint32_t)x->s.len;
    out->len = (uint32_t)v.n;
    return buf_append(&x->s, v.p, v.n);
}

static const struct tstr TS_NONE = {0, TS_ABSENT};

struct txn_tab *txn_new(int64_t flush_us, txn_emit_fn emit, void *ctx)
{
    struct txn_tab *t = xcalloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->flush_us = flush_us;
    t->emit = emit;
    t->ctx = ctx;
    buf_init(&t->run_s, (size_t)DNSMASQ_ANSWERS_MAX * 2 * DNSMASQ_LINE_MAX);
    buf_init(&t->run_r, (size_t)DNSMASQ_ANSWERS_MAX * sizeof(struct runrec));
    return t;
}

static void tx_destroy(struct tx *x)
{
    buf_free(&x->s);
    buf_free(&x->items);
    xfree(x);
}

void txn_free(struct txn_tab *t)
{
    struct tx *x, *n;
    if (t == NULL)
        return;
    for (x = t->head; x; x = n) {
        n = x->next;
        tx_destroy(x);
    }
    for (x = t->free; x; x = n) {
        n = x->next;
        tx_destroy(x);
    }
    for (unsigned i = 0; i < RECENT_MAX; i++)
        if (t->recent[i])
            tx_destroy(t->recent[i]);
    buf_free(&t->run_s);
    buf_free(&t->run_r);
    xfree(t->va);
    xfree(t);
}

static struct tx *tx_alloc(struct txn_tab *t)
{
    struct tx *x = t->free;
    if (x) {
        t->free = x->next;
        buf_reset(&x->s);
        buf_reset(&x->items);
        struct buf s = x->s, it = x->items;
        memset(x, 0, sizeof *x);
        x->s = s;
        x->items = it;
    } else {
        x = xcalloc(1, sizeof *x);
        if (x == NULL)
            return NULL;
        buf_init(&x->s, (size_t)DNSMASQ_ANSWERS_MAX * 2 * DNSMASQ_LINE_MAX);
        buf_init(&x->items, (size_t)DNSMASQ_ANSWERS_MAX * 2 * sizeof(struct item));
    }
    x->rcode = -1;
    x->src = x->query = x->qtype = x->dest = x->asrc = x->ede = x->breason = TS_NONE;
    return x;
}

static void unlink_chain(struct tx **head, struct tx *x, int name)
{
    for (struct tx **pp = head; *pp; pp = name ? &(*pp)->nnext : &(*pp)->knext)
        if (*pp == x) {
            *pp = name ? x->nnext : x->knext;
            return;
        }
}

/* Take x off every index (it is no longer open). */
static void tx_unlink(struct txn_tab *t, struct tx *x)
{
    /* A duplicate can be finished through its original after it was
     * already taken off the list: unlinking twice must be harmless, or
     * the open count underflows. */
    if (!x->linked)
        return;
    x->linked = 0;
    if (x->prev)
        x->prev->next = x->next;
    else
        t->head = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        t->tail = x->prev;
    if (x->in_k)
        unlink_chain(&t->kb[x->khash & (NBUCKETS - 1)], x, 0);
    unlink_chain(&t->nb[x->nhash & (NBUCKETS - 1)], x, 1);
    if (x->orig) {
        for (struct tx **pp = &x->orig->dups; *pp; pp = &(*pp)->dnext)
            if (*pp == x) {
                *pp = x->dnext;
                break;
            }
    }
    /* duplicates still waiting must not point at a struct about to be reused */
    for (struct tx *d = x->dups; d; d = d->dnext)
        d->orig = NULL;
    for (unsigned i = 0; i < TXN_WRITERS_MAX; i++)
        if (t->last[i].x == x)
            t->last[i].x = NULL;
    t->open--;
    x->prev = x->next = x->knext = x->nnext = x->orig = x->dups = x->dnext = NULL;
}

static void tx_release(struct txn_tab *t, struct tx *x)
{
    if (x->freed)
        return;
    x->freed = 1;
    tx_unlink(t, x);
    x->next = t->free;
    t->free = x;
}

/* Keep a finished, answered transaction for a while: its "reply query is
 * duplicate" lines may come after a few lines of other transactions. */
static void keep_recent(struct txn_tab *t, struct tx *x)
{
    struct tx *old;
    tx_unlink(t, x);
    x->fin_us = t->now_us;
    old = t->recent[t->recent_pos];
    if (old && !old->freed) {
        old->freed = 1;
        old->next = t->free;
        t->free = old;
    }
    t->recent[t->recent_pos] = x;
    t->recent_pos = (t->recent_pos + 1) % RECENT_MAX;
}

static int ensure_va(struct txn_tab *t, size_t n)
{
    if (n <= t->vcap)
        return 0;
    struct slice *v = xreallocarray(t->va, n, sizeof *v);
    if (v == NULL)
        return ERR_NOMEM;
    t->va = v;
    t->vcap = n;
    return 0;
}

/* Emit x, taking the answer part from a (x itself, or x's original). */
static int emit(struct txn_tab *t, const struct tx *x, const struct tx *a)
{
    struct txn_ev ev;
    const struct item *it = (const struct item *)a->items.p;
    size_t n = a->items.len / sizeof *it, na = 0, nc = 0;
    int rc;

    rc = ensure_va(t, n ? n : 1);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (it[i].kind == IT_ANSWER)
            t->va[na++] = slice_of(a->s.p + it[i].off, it[i].len);
    for (size_t i = 0; i < n; i++)
        if (it[i].kind == IT_CNAME)
            t->va[na + nc++] = slice_of(a->s.p + it[i].off, it[i].len);
    memset(&ev, 0, sizeof ev);
    ev.time_us = x->t_us;
    ev.start_off = x->off;
    ev.exact = x->extra;
    ev.serial = x->serial;
    ev.src = view(x, x->src);
    ev.has_port = x->has_port;
    ev.port = x->port;
    ev.query = view(x, x->query);
    ev.qtype = view(x, x->qtype);
    ev.dest = view(a, a->dest);
    ev.answer_source = view(a, a->asrc);
    ev.ede = view(a, a->ede);
    ev.answer = t->va;
    ev.n_answer = na;
    ev.cname = t->va + na;
    ev.n_cname = nc;
    ev.rcode = a->rcode;
    ev.duplicate = x->dup;
    ev.duplicate_of = (a != x) ? a->serial : 0;
    ev.proto = x->proto;
    ev.block = a->block;
    ev.block_reason = view(a, a->breason);
    /* a duplicate waited for its original's answer */
    ev.response_us = a->answered ? (a->ans_us > x->t_us ? a->ans_us - x->t_us : 0) : -1;
    t->st.emitted++;
    if (a->block != DMB_NONE)
        t->st.blocked++;
    if (a == x)  /* a duplicate repeats its original's answers */
        t->st.answers_dropped += a->dropped;
    return t->emit(t->ctx, &ev);
}

/* Emit x and the duplicates waiting for it, then release them all. */
static int finish(struct txn_tab *t, struct tx *x)
{
    int rc = emit(t, x, x->orig && x->orig->terminal ? x->orig : x);
    while (rc == 0 && x->dups) {
        struct tx *d = x->dups;
        x->dups = d->dnext;
        d->orig = NULL;
        rc = emit(t, d, x);
        tx_release(t, d);
    }
    if (x->extra && !x->dup && x->terminal)
        keep_recent(t, x);
    else
        tx_release(t, x);
    return rc;
}

static struct tx *find_key(struct txn_tab *t, uint64_t serial, struct slice client, unsigned port,
                           uint32_t *h)
{
    *h = key_hash(t->epoch, serial, client, port);
    for (struct tx *x = t->kb[*h & (NBUCKETS - 1)]; x; x = x->knext)
        if (x->khash == *h && x->serial == serial && x->epoch == t->epoch && x->port == port &&
            slice_eq(view(x, x->src), client))
            return x;
    return NULL;
}

static struct tx *new_tx(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off,
                         struct err *e, int *rc)
{
    struct tx *x;

    if (t->open >= DNSMASQ_INFLIGHT_MAX && t->head != NULL) {
        /* a flood of unanswered queries: finish the oldest rather than grow */
        t->st.forced++;
        *rc = finish(t, t->head);
        if (*rc)
            return NULL;
    }
    x = tx_alloc(t);
    if (x == NULL) {
        *rc = err_set(e, ERR_NOMEM, "out of memory for an open DNS transaction");
        return NULL;
    }
    x->extra = d->extra && d->has_client;
    x->proto = d->proto;
    x->serial = d->serial;
    x->has_port = d->has_client;
    x->port = d->port;
    x->epoch = t->epoch;
    x->off = off;
    x->t_us = time_us;
    *rc = put(x, d->client, &x->src);
    if (*rc == 0)
        *rc = put(x, d->name, &x->query);
    if (*rc == 0)
        *rc = put(x, d->qtype, &x->qtype);
    if (*rc) {
        x->next = t->free;
        t->free = x;
        err_set(e, *rc, "a DNS transaction exceeds its size limit");
        return NULL;
    }
    x->prev = t->tail;
    if (t->tail)
        t->tail->next = x;
    else
        t->head = x;
    t->tail = x;
    t->open++;
    x->linked = 1;
    x->nhash = fnv_lower(d->name);
    x->nnext = t->nb[x->nhash & (NBUCKETS - 1)];
    t->nb[x->nhash & (NBUCKETS - 1)] = x;
    if (x->extra) {
        x->khash = key_hash(t->epoch, d->serial, d->client, d->port);
        x->in_k = 1;
        x->knext = t->kb[x->khash & (NBUCKETS - 1)];
        t->kb[x->khash & (NBUCKETS - 1)] = x;
    }
    t->st.queries++;
    return x;
}

static int push_item(struct tx *x, struct slice v, uint32_t kind)
{
    struct item it;
    int rc;

    if (x->items.len / sizeof it >= DNSMASQ_ANSWERS_MAX) {
        x->dropped++; /* further records of a huge answer are dropped, counted */
        return 0;
    }
    it.off = (uint32_t)x->s.len;
    it.len = (uint32_t)v.n;
    it.kind = kind;
    rc = buf_append(&x->s, v.p, v.n);
    if (rc == 0)
        rc = buf_append(&x->items, &it, sizeof it);
    return rc;
}

static int has_cname(const struct tx *x, struct slice name)
{
    const struct item *it = (const struct item *)x->items.p;
    for (size_t i = 0; i < x->items.len / sizeof *it; i++)
        if (it[i].kind == IT_CNAME && eq_nocase(slice_of(x->s.p + it[i].off, it[i].len), name))
            return 1;
    return 0;
}

static int add_answer(struct tx *x, const struct ans_in *a)
{
    int rc = 0;

    if (!x->answered) {
        struct slice src = a->source;
        if (src.n > 0 && src.p[0] == '/')
            src = SLICE_LIT("hosts");
        else if (a->block != DMB_NONE || a->ftl_local)
            src = SLICE_LIT("pihole"); /* FTL made the answer; its reason is kept apart */
        if (a->block != DMB_NONE && slice_eq_cstr(a->source, "reply"))
            src = a->source;           /* "reply x is blocked during CNAME inspection" */
        rc = put(x, src, &x->asrc);
        if (rc)
            return rc;
        x->answered = 1;
        x->ans_us = a->t_us;
    }
    if (a->block != DMB_NONE && x->block == DMB_NONE) {
        /* the reason as FTL logged it: its source, or the value of a
         * "reply x is blocked during CNAME inspection" line */
        x->block = (enum dmline_block)a->block;
        rc = put(x, slice_eq_cstr(a->source, "reply") ? a->value : a->source, &x->breason);
        if (rc)
            return rc;
    }
    if (x->cname_pending && a->name.n > 0 && !eq_nocase(a->name, view(x, x->query)) &&
        !has_cname(x, a->name)) {
        rc = push_item(x, a->name, IT_CNAME);
        if (rc)
            return rc;
    }
    x->cname_pending = 0;
    switch (a->vkind) {
    case DMV_CNAME:
        x->cname_pending = 1;
        x->terminal = 0;
        if (x->rcode < 0)
            x->rcode = 0;
        return 0;
    case DMV_IP4:
    case DMV_IP6:
    case DMV_NAME:
        rc = push_item(x, a->value, IT_ANSWER);
        break;
    case DMV_RCODE:
        if (a->ede.p)
            rc = put(x, a->ede, &x->ede);
        break;
    default:
        break;
    }
    /* "blocked during CNAME inspection" says nothing of the rcode FTL sent */
    if (!(a->block != DMB_NONE && a->vkind == DMV_OTHER))
        x->rcode = a->rcode >= 0 ? a->rcode : 0;
    x->terminal = 1;
    return rc;
}

static void ans_from_line(const struct dmline *d, int64_t time_us, struct ans_in *a)
{
    a->t_us = time_us;
    a->source = d->source;
    a->name = d->name;
    a->value = d->value;
    a->ede = d->ede;
    a->vkind = d->vkind;
    a->rcode = d->rcode;
    a->reverse = d->reverse;
    a->block = d->block;
    a->ftl_local = d->ftl_local;
}

static int same_question(const struct tx *a, const struct tx *b)
{
    return eq_nocase(view(a, a->query), view(b, b->query)) &&
           slice_eq(view(a, a->qtype), view(b, b->qtype));
}

/* Whether o can be the original of x's "reply query is duplicate" line.
 * dnsmasq writes those lines after the original's reply, so the original
 * has been answered; an unanswered one asking the same is another
 * duplicate still waiting, whose own line has not come yet. */
static int can_be_original(const struct tx *o, const struct tx *x)
{
    return o != NULL && o != x && !o->dup && o->answered && o->extra == x->extra &&
           o->epoch == x->epoch && o->off < x->off && same_question(o, x);
}

/* The newest open transaction that can be x's original. */
static struct tx *find_original(struct txn_tab *t, const struct tx *x)
{
    for (struct tx *o = t->nb[x->nhash & (NBUCKETS - 1)]; o; o = o->nnext)
        if (can_be_original(o, x))
            return o;
    return NULL;
}

/* The slot holding the transaction of the previous line the process with
 * this pid wrote (a line without a pid counts as pid 0). */
static struct tx **last_of(struct txn_tab *t, struct slice pid_text)
{
    uint32_t pid = 0;
    unsigned i, free_i = TXN_WRITERS_MAX;

    for (size_t k = 0; k < pid_text.n && k < 9; k++)
        pid = pid * 10 + (uint32_t)(pid_text.p[k] - '0');
    for (i = 0; i < TXN_WRITERS_MAX; i++) {
        if (t->last[i].x != NULL && t->last[i].pid == pid)
            return &t->last[i].x;
        if (t->last[i].x == NULL && free_i == TXN_WRITERS_MAX)
            free_i = i;
    }
    if (free_i == TXN_WRITERS_MAX) {
        free_i = t->last_reuse;
        t->last_reuse = (t->last_reuse + 1) % TXN_WRITERS_MAX;
    }
    t->last[free_i].pid = pid;
    t->last[free_i].x = NULL;
    return &t->last[free_i].x;
}

static int feed_extra(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off,
                      struct err *e)
{
    uint32_t h;
    struct tx *x = find_key(t, d->serial, d->client, d->port, &h);
    struct tx **last = last_of(t, d->h.pid);
    int rc = 0;

    /* A packet's lines are contiguous in what one process writes: a
     * complete answer followed by that process's line of another
     * transaction is final, unless the line is one of the "reply query is
     * duplicate" lines dnsmasq writes right after it.  Lines of another
     * process (a TCP child) say nothing about it. */
    if (*last && *last != x && (*last)->terminal && d->kind != DML_DUP) {
        rc = finish(t, *last); /* clears *last */
        if (rc)
            return rc;
    }
    switch (d->kind) {
    case DML_QUERY:
        if (x) {
            /* the same key again: the old one is over */
            rc = finish(t, x);
            if (rc)
                return rc;
        }
        x = new_tx(t, d, time_us, off, e, &rc);
        if (x == NULL)
            return rc;
        *last = x;
        return 0;
    case DML_FORWARD:
        if (x == NULL) {
            t->st.orphans++;
            return 0;
        }
        rc = put(x, d->value, &x->dest);
        *last = x;
        return rc;
    case DML_ANSWER: {
        struct ans_in a;
        if (x == NULL) {
            t->st.orphans++;
            return 0;
        }
        ans_from_line(d, time_us, &a);
        *last = x;
        return add_answer(x, &a);
    }
    case DML_DUP: {
        struct tx *o;
        if (x == NULL) {
            t->st.orphans++;
            return 0;
        }
        x->dup = 1;
        /* the original's reply is the previous line the same process wrote */
        o = *last;
        if (!can_be_original(o, x))
            o = find_original(t, x);
        for (unsigned i = 1; o == NULL && i <= RECENT_MAX; i++) {
            struct tx *r = t->recent[(t->recent_pos + RECENT_MAX - i) % RECENT_MAX];
            if (r && r->epoch == x->epoch && same_question(r, x))
                o = r;
        }
        if (o == NULL)
            return 0; /* finished at flush time, without an answer */
        if (o->terminal) {
            /* the original's reply has just been logged */
            rc = emit(t, x, o);
            tx_release(t, x);
            return rc;
        }
        x->orig = o;
        x->dnext = o->dups;
        o->dups = x;
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- plain mode ---- */

static int run_continues(const struct txn_tab *t, const struct dmline *d)
{
    const struct runrec *r;
    size_t n;

    if (!t->run_on || d->kind != DML_ANSWER || d->extra)
        return 0;
    if (d->source.n != t->run_src_len || memcmp(d->source.p, t->run_s.p, d->source.n) != 0)
        return 0;
    n = t->run_r.len / sizeof *r;
    r = (const struct runrec *)t->run_r.p + n - 1;
    if (r->vkind == DMV_CNAME)
        return 1;
    /* the same name goes on only with more records of the same type */
    if (!eq_nocase(d->name, slice_of(t->run_s.p + r->name_off, r->name_len)) ||
        (int)d->vkind != r->vkind ||
        (d->vkind != DMV_IP4 && d->vkind != DMV_IP6 && d->vkind != DMV_NAME))
        return 0;
    /* a record seen twice means a second packet for the same name */
    for (const struct runrec *q = (const struct runrec *)t->run_r.p; q <= r; q++)
        if (eq_nocase(d->name, slice_of(t->run_s.p + q->name_off, q->name_len)) &&
            slice_eq(d->value, slice_of(t->run_s.p + q->val_off, q->val_len)))
            return 0;
    return 1;
}

static int run_add(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off)
{
    struct runrec r;
    int rc;

    if (!t->run_on) {
        buf_reset(&t->run_s);
        buf_reset(&t->run_r);
        rc = buf_append(&t->run_s, d->source.p, d->source.n);
        if (rc)
            return rc;
        t->run_src_len = (uint32_t)d->source.n;
        t->run_on = 1;
        t->run_off = off;
    }
    if (t->run_r.len / sizeof r >= DNSMASQ_ANSWERS_MAX) {
        t->st.answers_dropped++;
        return 0;
    }
    memset(&r, 0, sizeof r);
    r.name_off = (uint32_t)t->run_s.len;
    r.name_len = (uint32_t)d->name.n;
    rc = buf_append(&t->run_s, d->name.p, d->name.n);
    r.val_off = (uint32_t)t->run_s.len;
    r.val_len = (uint32_t)d->value.n;
    if (rc == 0)
        rc = buf_append(&t->run_s, d->value.p, d->value.n);
    r.ede_off = (uint32_t)t->run_s.len;
    r.ede_len = d->ede.p ? (uint32_t)d->ede.n : TS_ABSENT;
    if (rc == 0 && d->ede.p)
        rc = buf_append(&t->run_s, d->ede.p, d->ede.n);
    r.vkind = d->vkind;
    r.rcode = d->rcode;
    r.reverse = d->reverse;
    r.block = d->block;
    r.ftl_local = d->ftl_local;
    r.t_us = time_us;
    if (rc == 0)
        rc = buf_append(&t->run_r, &r, sizeof r);
    return rc;
}

/* The query type a final value implies, or NULL for "any". */
static const char *type_for(int vkind)
{
    switch (vkind) {
    case DMV_IP4:
    case DMV_NODATA4:
        return "A";
    case DMV_IP6:
    case DMV_NODATA6:
        return "AAAA";
    case DMV_NAME:
        return "PTR";
    default:
        return NULL;
    }
}

static int apply_run(struct txn_tab *t, struct tx *x)
{
    const struct runrec *r = (const struct runrec *)t->run_r.p;
    size_t n = t->run_r.len / sizeof *r;
    struct ans_in a;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        a.source = slice_of(t->run_s.p, t->run_src_len);
        a.name = slice_of(t->run_s.p + r[i].name_off, r[i].name_len);
        a.value = slice_of(t->run_s.p + r[i].val_off, r[i].val_len);
        a.ede = r[i].ede_len == TS_ABSENT ? SLICE_NULL
                                          : slice_of(t->run_s.p + r[i].ede_off, r[i].ede_len);
        a.vkind = r[i].vkind;
        a.rcode = r[i].rcode;
        a.reverse = r[i].reverse;
        a.block = r[i].block;
        a.ftl_local = r[i].ftl_local;
        a.t_us = r[i].t_us;
        rc = add_answer(x, &a);
    }
    return rc;
}

static int close_run(struct txn_tab *t)
{
    const struct runrec *r = (const struct runrec *)t->run_r.p;
    size_t n = t->run_r.len / sizeof *r;
    char ptr[DMLINE_PTR_MAX];
    struct slice name, src;
    const char *want;
    struct tx *x = NULL, *o, *on;
    uint32_t h;
    int rc = 0, is_reply;

    if (!t->run_on)
        return 0;
    t->run_on = 0;
    if (n == 0)
        return 0;
    name = slice_of(t->run_s.p + r[0].name_off, r[0].name_len);
    if (r[0].reverse) {
        size_t pn = dmline_ptr_name(name, ptr);
        if (pn)
            name = slice_of(ptr, pn);
    }
    want = type_for(r[n - 1].vkind);
    h = fnv_lower(name);
    if (r[0].vkind == DMV_RCODE && slice_eq_cstr(name, "error")) {
        /* "reply error is REFUSED" names nothing: guess the oldest query
         * still waiting for its upstream */
        for (o = t->head; o && x == NULL; o = o->next)
            if (!o->extra && !o->answered && o->dest.len != TS_ABSENT && o->off < t->run_off)
                x = o;
        h = x ? x->nhash : h;
    }
    for (o = x ? NULL : t->nb[h & (NBUCKETS - 1)]; o; o = o->nnext)
        if (!o->extra && !o->terminal && o->off < t->run_off &&
            eq_nocase(view(o, o->query), name) &&
            (want == NULL || slice_eq_cstr(view(o, o->qtype), want))) {
            x = o;
            break;
        }
    if (x == NULL) {
        t->st.orphans++;
        return 0;
    }
    rc = apply_run(t, x);
    if (rc || !x->terminal)
        return rc;
    src = slice_of(t->run_s.p, t->run_src_len);
    is_reply = slice_eq_cstr(src, "reply");
    /* dnsmasq answers in-flight duplicates from the same upstream reply */
    for (o = t->nb[h & (NBUCKETS - 1)]; is_reply && o && rc == 0; o = on) {
        on = o->nnext;
        if (o != x && !o->extra && !o->answered && o->off < t->run_off && same_question(o, x)) {
            o->dup = 1;
            rc = apply_run(t, o);
            if (rc == 0)
                rc = finish(t, o);
            on = t->nb[h & (NBUCKETS - 1)]; /* chain changed; rescan */
        }
    }
    if (rc == 0)
        rc = finish(t, x);
    return rc;
}

static int feed_plain(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off,
                      struct err *e)
{
    int rc = 0;

    switch (d->kind) {
    case DML_QUERY: {
        struct tx *x = new_tx(t, d, time_us, off, e, &rc);
        return x ? 0 : rc;
    }
    case DML_FORWARD: {
        uint32_t h = fnv_lower(d->name);
        for (struct tx *o = t->nb[h & (NBUCKETS - 1)]; o; o = o->nnext)
            if (!o->extra && !o->terminal && eq_nocase(view(o, o->query), d->name)) {
                if (o->dest.len == TS_ABSENT)
                    rc = put(o, d->value, &o->dest);
                return rc;
            }
        return 0;
    }
    case DML_ANSWER:
        return run_add(t, d, time_us, off);
    default:
        return 0;
    }
}

int txn_feed(struct txn_tab *t, const struct dmline *d, int64_t time_us, uint64_t off,
             struct err *e)
{
    int rc;

    /* so that an error the emit callback sets can be told from one it did
     * not describe (below) */
    if (e != NULL)
        e->code = 0;
    t->st.lines++;
    if (time_us > t->now_us)
        t->now_us = time_us;
    if (t->run_on && !run_continues(t, d)) {
        rc = close_run(t);
        if (rc)
            return rc;
    }
    switch (d->kind) {
    case DML_START:
        /* a new daemon: nothing open will be answered, serials restart */
        rc = txn_flush_all(t, e);
        t->epoch++;
        t->st.epochs++;
        return rc;
    case DML_AUX:
        t->st.aux++;
        break;
    case DML_INFO:
        t->st.info++;
        break;
    case DML_SKIP:
        t->st.skipped++;
        return 0;
    default:
        break;
    }
    if (d->extra && d->has_client)
        rc = feed_extra(t, d, time_us, off, e);
    else
        rc = feed_plain(t, d, time_us, off, e);
    /* an error the emit callback described keeps its own message */
    if ((rc == ERR_LIMIT || rc == ERR_NOMEM) && (e == NULL || e->code != rc))
        return err_set(e, rc, "DNS transaction state: %s", err_str(rc));
    return rc;
}

int txn_tick(struct txn_tab *t, int64_t now_us, struct err *e)
{
    int rc = 0;
    (void)e;
    /* an answer run in progress is left alone: its lines are contiguous */
    while (rc == 0 && t->head && t->head->t_us < now_us - t->flush_us)
        rc = finish(t, t->head);
    return rc;
}

int txn_flush_all(struct txn_tab *t, struct err *e)
{
    int rc = 0;
    (void)e;
    if (t->run_on)
        rc = close_run(t);
    while (rc == 0 && t->head)
        rc = finish(t, t->head);
    return rc;
}

uint64_t txn_resume_off(const struct txn_tab *t, uint64_t none)
{
    uint64_t r = none;
    if (t->head && t->head->off < r)
        r = t->head->off;
    if (t->run_on && t->run_off < r)
        r = t->run_off;
    /* a duplicate line still to come may need a finished original: re-read
     * those too (they are not emitted twice: the caller remembers them) */
    for (unsigned i = 0; i < RECENT_MAX; i++)
        if (t->recent[i] && t->recent[i]->epoch == t->epoch && t->recent[i]->off < r &&
            t->recent[i]->fin_us >= t->now_us - t->flush_us)
            r = t->recent[i]->off;
    return r;
}

size_t txn_open_count(const struct txn_tab *t) { return t->open; }

const struct txn_stats *txn_stats(const struct txn_tab *t) { return &t->st; }
