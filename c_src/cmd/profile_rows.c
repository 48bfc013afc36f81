#include "cmd/profile_rows.h"

#include <string.h>

#include "cmd/cmdutil.h"
#include "limits.h"
#include "report/endpoints.h"
#include "scp/mv.h"
#include "util/bytes.h"
#include "util/num.h"
#include "util/worker.h"
#include "util/xmem.h"

enum {
    PC_SRC, PC_QUERY, PC_DEST_IP, PC_LOOKUPS, PC_CONNECTIONS, PC_BLOCKED, PC_ALLOWED,
    PC_PROXIED, PC_CPL, PC_FIRST, PC_LAST, PC_HOURS, PC_PORT, PC_PORT_MV, PC_TRANSPORT,
    PC_TRANSPORT_MV, PC_SOURCETYPE, PC_SOURCETYPE_MV, PC_HOURLY, PC_HOURLY_MV, PC_PATH,
    PC_TUNNEL, PC_FINDING, PC_EXTRA, PC_N = PC_EXTRA + PROFILE_EXTRA_N
};
_Static_assert(PC_N == PROWS_NCOLS, "PROWS_NCOLS is the number of columns");

const char *const prows_names[PROWS_NCOLS] = {
    "src", "dns_query", "dest_ip", "lookups", "connections", "blocked", "allowed", "proxied",
    "conn_per_lookup", "first_seen", "last_seen", "active_hours", "dest_port", "__mv_dest_port",
    "transport", "__mv_transport", "sourcetype", "__mv_sourcetype", "hourly", "__mv_hourly",
    "path", "tunnel", "finding", PROFILE_EXTRA_NAMES,
};

/* Bytes of row text in one block made ahead (each of the two buffers). */
#define SIDE_BYTES (256u * 1024)

/* One thread's scratch for making rows. */
struct rowctx {
    struct arena a;          /* reset per row */
    uint64_t *counts;        /* OWNED: the sparkline's points */
    struct slice *vals;      /* OWNED: PROFILE_VALUES_MAX * 2 + 1 */
};

enum { JOB_MEASURE, JOB_BLOCK };

struct prows {
    const struct profile *p;     /* BORROWED */
    const uint32_t *order;       /* BORROWED */
    size_t n, nhours, npoints;
    int64_t h0;
    struct rowctx x[2];          /* [0] the main thread's, [1] the worker's */
    uint32_t *lens;              /* OWNED: each row's line, from prows_measure */
    struct worker *w;            /* OWNED, NULL without a second thread */
    /* Blocks: rows bstart[b] .. bstart[b + 1] - 1.  The worker makes the
     * odd ones that fit a buffer, into side[] alternately. */
    size_t *bstart;              /* OWNED: nblocks + 1 */
    unsigned char *bworker;      /* OWNED: per block, 1 if the worker makes it */
    size_t nblocks;
    char *side[2];               /* OWNED: SIDE_BYTES each */
    size_t side_block[2];        /* the block side[k] holds, SIZE_MAX: none */
    size_t cur;                  /* block of the row written last */
    size_t off_row, off;         /* that row and where it starts in its buffer */
    /* the one job in flight (worker_submit hands over this) */
    struct job {
        int kind;
        size_t from, to;         /* JOB_MEASURE: rows; JOB_BLOCK: block `from` */
        int side;
        struct err e;
    } job;
    int in_flight;
};

/* ---- one row ------------------------------------------------------------ */

static struct slice fmt_ip_text(struct arena *a, const char *text)
{
    size_t n = strlen(text);
    char *p = arena_dup(a, text, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

/* conn_per_lookup's text into buf (RATIO_STRMAX): connections / lookups
 * with two decimals, rounded half up; empty when l is 0.  Its length. */
#define RATIO_STRMAX 48
static size_t ratio_text(uint64_t c, uint64_t l, char *buf)
{
    if (l == 0)
        return 0;
    uint64_t hundredths = (c * 200 + l) / (2 * l);
    size_t n = num_format_u64(hundredths / 100, buf);
    buf[n++] = '.';
    buf[n++] = (char)('0' + hundredths % 100 / 10);
    buf[n++] = (char)('0' + hundredths % 10);
    return n;
}

static struct slice fmt_ratio(struct arena *a, uint64_t c, uint64_t l)
{
    char buf[RATIO_STRMAX];
    size_t n = ratio_text(c, l, buf);
    if (n == 0)
        return SLICE_LIT("");
    char *p = arena_dup(a, buf, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

/* A row's values of one kind into x->vals, "..." last when
 * PROFILE_VALUES_MAX cut the list.  Their count. */
static size_t values_of(const struct prows *r, struct rowctx *x, const struct profile_row *row,
                        int which)
{
    int trunc;
    size_t n = profile_values(r->p, row, which, x->vals, PROFILE_VALUES_MAX * 2, &trunc);
    if (trunc)
        x->vals[n++] = SLICE_LIT("...");
    return n;
}

/* A multivalue cell pair. */
static int values_cells(const struct prows *r, struct rowctx *x, const struct profile_row *row,
                        int which, struct slice *plain, struct slice *mv)
{
    size_t n = values_of(r, x, row, which);
    if (n == 0) {
        *plain = *mv = SLICE_LIT("");
        return 0;
    }
    return mv_encode(&x->a, x->vals, n, plain, mv);
}

/* Row i's cells but the sparkline's (set empty), whose counts go to
 * x->counts. */
static int cells_but_hourly(const struct prows *r, struct rowctx *x, size_t i, struct slice *c)
{
    struct profile_row row;
    const struct profile_row *w = &row;
    struct arena *a = &x->a;
    char finding[1024];

    profile_row_of(r->p, r->order[i], &row);
    c[PC_SRC] = w->src;
    c[PC_QUERY] = w->dns_query;
    c[PC_DEST_IP] = w->has_ip ? fmt_ip_text(a, w->ip_text) : SLICE_LIT("");
    c[PC_LOOKUPS] = cmd_u64(a, w->lookups);
    c[PC_CONNECTIONS] = cmd_u64(a, w->connections);
    c[PC_BLOCKED] = cmd_u64(a, w->blocked);
    c[PC_ALLOWED] = cmd_u64(a, w->allowed);
    c[PC_PROXIED] = cmd_u64(a, w->proxied);
    c[PC_CPL] = fmt_ratio(a, w->connections, w->lookups);
    c[PC_FIRST] = cmd_us(a, w->first);
    c[PC_LAST] = cmd_us(a, w->last);
    c[PC_HOURS] = cmd_u64(a, w->active_hours);
    if (values_cells(r, x, w, 0, &c[PC_PORT], &c[PC_PORT_MV]) ||
        values_cells(r, x, w, 1, &c[PC_TRANSPORT], &c[PC_TRANSPORT_MV]) ||
        values_cells(r, x, w, 2, &c[PC_SOURCETYPE], &c[PC_SOURCETYPE_MV]))
        return ERR_NOMEM;
    if (r->npoints > 0)
        (void)profile_hourly(r->p, w, r->h0, r->nhours, x->counts);
    c[PC_HOURLY] = c[PC_HOURLY_MV] = SLICE_LIT("");
    c[PC_PATH] = slice_cstr(profile_path_name(w->path));
    c[PC_TUNNEL] = slice_cstr(endpoints_kind_name(w->tunnel));
    size_t fl = profile_finding(r->p, w, finding, sizeof finding);
    char *fp = arena_dup(a, finding, fl);
    if (fp == NULL)
        return ERR_NOMEM;
    c[PC_FINDING] = slice_of(fp, fl);
    char extra[PROFILE_EXTRA_BUF];
    profile_extra(r->p, w, &c[PC_EXTRA], extra);
    for (int k = PC_EXTRA; k < PC_N; k++) {
        char *ep = c[k].n ? arena_dup(a, c[k].p, c[k].n) : NULL;
        c[k] = c[k].n ? slice_of(ep, ep ? c[k].n : 0) : SLICE_LIT("");
        if (ep == NULL && c[k].p == NULL)
            return ERR_NOMEM;
    }
    for (int k = 0; k < PC_N; k++)
        if (c[k].p == NULL)
            return ERR_NOMEM;
    return 0;
}

/* ---- the sparkline -------------------------------------------------------- */

/* Splunk Web draws a multivalue whose first value is this marker as a
 * sparkline.  Its two cells are written here as csvw would write what
 * mv_encode makes of the marker and the counts (digits need no escaping):
 * the plain one quoted, since it has newlines and never a quote; the
 * multivalue one as it is. */
#define SPARK_MARK "##__SPARKLINE__##"

/* "\n0" and ";$0$" repeated ZEROS_RUN times: most hours of most rows are
 * quiet, and runs of zeros are copied. */
#define ZEROS_RUN 64
#define REP4(s) s s s s
#define REP64(s) REP4(REP4(REP4(s)))
static const char zeros_plain[] = REP64("\n0"), zeros_mv[] = REP64(";$0$");

static size_t digits(uint64_t v)
{
    size_t n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

/* The digits of all the points. */
static size_t spark_digits(const struct prows *r, const struct rowctx *x)
{
    size_t d = 0;
    for (size_t k = 0; k < r->npoints; k++)
        d += digits(x->counts[k]);
    return d;
}

/* The plain cell's text ("marker\nc1\nc2..."), the multivalue cell's
 * ("$marker$;$c1$;$c2$..."), and both as a row holds them, with the comma
 * between. */
#define SPARK_PLAIN(np, d) (sizeof SPARK_MARK - 1 + (np) + (d))
#define SPARK_MV(np, d) (2 + sizeof SPARK_MARK - 1 + 3 * (np) + (d))
static size_t spark_len(const struct prows *r, size_t d)
{
    return 2 + SPARK_PLAIN(r->npoints, d) + 1 + SPARK_MV(r->npoints, d);
}

/* ... and the bytes (spark_len of them), given the digits of all the
 * points (spark_digits): both forms in one pass over the points, the
 * multivalue one at the offset the plain one's length gives. */
static char *spark_put(const struct prows *r, const struct rowctx *x, size_t digs, char *d)
{
    size_t ml = sizeof SPARK_MARK - 1, np = r->npoints, z;
    const uint64_t *v = x->counts;
    char *p = d, *m = d + 1 + SPARK_PLAIN(np, digs) + 2;
    *p++ = '"';
    memcpy(p, SPARK_MARK, ml);
    p += ml;
    p[SPARK_PLAIN(np, digs) - ml] = '"';
    p[SPARK_PLAIN(np, digs) - ml + 1] = ',';
    *m++ = '$';
    memcpy(m, SPARK_MARK, ml);
    m += ml;
    *m++ = '$';
    for (size_t k = 0; k < np; k++) {
        for (z = 0; k + z < np && v[k + z] == 0 && z < ZEROS_RUN; z++)
            ;
        if (z > 1) {
            bytes_copy(p, zeros_plain, 2 * z);
            p += 2 * z;
            bytes_copy(m, zeros_mv, 4 * z);
            m += 4 * z;
            k += z - 1;
            continue;
        }
        *p++ = '\n';
        *m++ = ';';
        *m++ = '$';
        if (v[k] < 10) {
            *p++ = (char)('0' + v[k]);
            *m++ = (char)('0' + v[k]);
        } else {
            char t[24];
            size_t n = num_format_u64(v[k], t);
            memcpy(p, t, n);
            p += n;
            memcpy(m, t, n);
            m += n;
        }
        *m++ = '$';
    }
    return m;
}

/* ---- rows as cells and as text -------------------------------------------- */

int prows_cells(void *ctx, size_t i, struct slice *c, struct arena *scratch)
{
    struct prows *r = ctx;
    struct rowctx *x = &r->x[0];
    (void)scratch;  /* x->a lives as long: the cells are used before the next row */
    arena_reset(&x->a);
    if (cells_but_hourly(r, x, i, c))
        return ERR_NOMEM;
    if (r->npoints == 0)
        return 0;
    /* the cells inside the text a line holds: "plain",mv */
    size_t d = spark_digits(r, x), np = r->npoints;
    char *t = arena_alloc(&x->a, spark_len(r, d));
    if (t == NULL)
        return ERR_NOMEM;
    (void)spark_put(r, x, d, t);
    c[PC_HOURLY] = slice_of(t + 1, SPARK_PLAIN(np, d));
    c[PC_HOURLY_MV] = slice_of(t + 1 + SPARK_PLAIN(np, d) + 2, SPARK_MV(np, d));
    return 0;
}

/* Rows are made in order and their conversations are scattered: ask for
 * the parts of the rows a little ahead, each a step further in. */
static void prefetch_ahead(const struct prows *r, size_t i)
{
    if (i + 8 < r->n)
        profile_row_prefetch(r->p, r->order[i + 8], 0);
    if (i + 4 < r->n)
        profile_row_prefetch(r->p, r->order[i + 4], 1);
    if (i + 2 < r->n)
        profile_row_prefetch(r->p, r->order[i + 2], 2);
}

/* ---- a row's length, without its text -------------------------------------- */

/* csvw's length of the text of v (nothing more is written). */
static size_t text_len(struct slice v)
{
    int special;
    /* most of the rhythm, bypass and grace cells are empty */
    return v.n == 0 ? 0 : csvw_value_len(v, &special);
}

static size_t text_len_c(const char *s) { return text_len(slice_cstr(s)); }

/* The two cells values_cells makes, as csvw writes them: the plain cell is
 * the values one per line, the multivalue cell "$v1$;$v2$..." with '$'
 * doubled (made only for two values or more); either is quoted when it
 * holds a comma, quote or line end, its quotes doubled. */
static size_t values_len(const struct prows *r, struct rowctx *x, const struct profile_row *row,
                         int which)
{
    size_t n = values_of(r, x, row, which);
    if (n == 0)
        return 0;
    size_t plain = n - 1, mv = 3 * n - 1, quotes = 0;
    int special = 0;
    for (size_t i = 0; i < n; i++) {
        struct slice v = x->vals[i];
        plain += v.n;
        mv += v.n;
        for (size_t k = 0; k < v.n; k++) {
            char ch = v.p[k];
            mv += ch == '$';
            quotes += ch == '"';
            special |= ch == ',' || ch == '"' || ch == '\n' || ch == '\r';
        }
    }
    if (n > 1 || special)
        plain += quotes + 2;
    if (n == 1)
        return plain;
    return plain + mv + (special ? quotes + 2 : 0);
}

static size_t u64_len(uint64_t v) { return digits(v); }

static size_t us_len(int64_t us)
{
    char buf[NUM_US_STRMAX];
    return num_format_us(us, buf);
}

/* What row_text gives as *len, without making the cells (prows_measure). */
static size_t row_len(const struct prows *r, struct rowctx *x, size_t i)
{
    struct profile_row row;
    const struct profile_row *w = &row;
    char finding[1024];

    prefetch_ahead(r, i);
    profile_row_of(r->p, r->order[i], &row);
    size_t n = PC_N - 1;  /* the commas */
    n += text_len(w->src) + text_len(w->dns_query);
    n += w->has_ip ? text_len_c(w->ip_text) : 0;
    n += u64_len(w->lookups) + u64_len(w->connections) + u64_len(w->blocked) +
         u64_len(w->allowed) + u64_len(w->proxied);
    char ratio[RATIO_STRMAX];
    n += ratio_text(w->connections, w->lookups, ratio);
    n += us_len(w->first) + us_len(w->last) + u64_len(w->active_hours);
    n += values_len(r, x, w, 0) + values_len(r, x, w, 1) + values_len(r, x, w, 2);
    n += text_len_c(profile_path_name(w->path)) + text_len_c(endpoints_kind_name(w->tunnel));
    size_t fl = profile_finding(r->p, w, finding, sizeof finding);
    n += text_len(slice_of(finding, fl));
    struct slice ec[PROFILE_EXTRA_N];
    char extra[PROFILE_EXTRA_BUF];
    profile_extra(r->p, w, ec, extra);
    for (int k = 0; k < PROFILE_EXTRA_N; k++)
        n += text_len(ec[k]);
    if (r->npoints > 0) {
        (void)profile_hourly(r->p, w, r->h0, r->nhours, x->counts);
        n += spark_len(r, spark_digits(r, x)) - 1;  /* its comma is counted above */
    }
    return n;
}

/* ---- a row's text, written in place ---------------------------------------- */

/* Where a row is being written; d becomes NULL once a write would pass
 * end (the row's measured length), and stays so. */
struct out {
    char *d, *end;
};

static void out_bytes(struct out *o, const char *p, size_t n)
{
    if (o->d == NULL || (size_t)(o->end - o->d) < n) {
        o->d = NULL;
        return;
    }
    bytes_copy(o->d, p, n);
    o->d += n;
}

static void out_char(struct out *o, char c) { out_bytes(o, &c, 1); }

/* v as csvw writes a cell. */
static void out_value(struct out *o, struct slice v)
{
    int special;
    if (v.n == 0)
        return;  /* as csvw writes an empty cell: nothing */
    size_t n = csvw_value_len(v, &special);
    if (o->d == NULL || (size_t)(o->end - o->d) < n) {
        o->d = NULL;
        return;
    }
    o->d = csvw_put_value(o->d, v, special);
}

static void out_u64(struct out *o, uint64_t v)
{
    char t[24];
    out_bytes(o, t, num_format_u64(v, t));
}

static void out_us(struct out *o, int64_t us)
{
    char t[NUM_US_STRMAX];
    out_bytes(o, t, num_format_us(us, t));
}

/* One value into a cell being written: '$' doubled in the multivalue form
 * (mv), '"' doubled in a quoted cell. */
static void out_escaped(struct out *o, struct slice v, int mv, int quoted)
{
    for (size_t k = 0; k < v.n; k++) {
        out_char(o, v.p[k]);
        if ((mv && v.p[k] == '$') || (quoted && v.p[k] == '"'))
            out_char(o, v.p[k]);
    }
}

/* The two cells values_cells makes, written as csvw writes them (see
 * values_len), with the comma between. */
static void out_values(const struct prows *r, struct rowctx *x, const struct profile_row *row,
                       int which, struct out *o)
{
    int special = 0;
    size_t n = values_of(r, x, row, which);
    for (size_t i = 0; i < n && !special; i++)
        for (size_t k = 0; k < x->vals[i].n && !special; k++) {
            char ch = x->vals[i].p[k];
            special = ch == ',' || ch == '"' || ch == '\n' || ch == '\r';
        }
    int quoted = n > 1 || special;
    if (quoted)
        out_char(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            out_char(o, '\n');
        out_escaped(o, x->vals[i], 0, quoted);
    }
    if (quoted)
        out_char(o, '"');
    out_char(o, ',');
    if (n < 2)
        return;
    if (special)
        out_char(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            out_char(o, ';');
        out_char(o, '$');
        out_escaped(o, x->vals[i], 1, special);
        out_char(o, '$');
    }
    if (special)
        out_char(o, '"');
}

/* Row i's text, as csvw makes it of the cells prows_cells gives, written at
 * dst; NULL if it would pass end. */
static char *row_put(const struct prows *r, struct rowctx *x, size_t i, char *dst, char *end)
{
    struct profile_row row;
    const struct profile_row *w = &row;
    struct out o = {dst, end};
    char finding[1024];

    prefetch_ahead(r, i);
    profile_row_of(r->p, r->order[i], &row);
    out_value(&o, w->src);
    out_char(&o, ',');
    out_value(&o, w->dns_query);
    out_char(&o, ',');
    if (w->has_ip)
        out_value(&o, slice_cstr(w->ip_text));
    out_char(&o, ',');
    const uint64_t nums[] = {w->lookups, w->connections, w->blocked, w->allowed, w->proxied};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        out_u64(&o, nums[k]);
        out_char(&o, ',');
    }
    char ratio[RATIO_STRMAX];
    out_bytes(&o, ratio, ratio_text(w->connections, w->lookups, ratio));
    out_char(&o, ',');
    out_us(&o, w->first);
    out_char(&o, ',');
    out_us(&o, w->last);
    out_char(&o, ',');
    out_u64(&o, w->active_hours);
    out_char(&o, ',');
    for (int which = 0; which < 3; which++) {
        out_values(r, x, w, which, &o);
        out_char(&o, ',');
    }
    if (r->npoints > 0) {
        (void)profile_hourly(r->p, w, r->h0, r->nhours, x->counts);
        size_t digs = spark_digits(r, x);
        if (o.d != NULL && (size_t)(o.end - o.d) >= spark_len(r, digs))
            o.d = spark_put(r, x, digs, o.d);
        else
            o.d = NULL;
    } else {
        out_char(&o, ',');  /* two empty cells */
    }
    out_char(&o, ',');
    out_value(&o, slice_cstr(profile_path_name(w->path)));
    out_char(&o, ',');
    out_value(&o, slice_cstr(endpoints_kind_name(w->tunnel)));
    out_char(&o, ',');
    size_t fl = profile_finding(r->p, w, finding, sizeof finding);
    out_value(&o, slice_of(finding, fl));
    struct slice ec[PROFILE_EXTRA_N];
    char extra[PROFILE_EXTRA_BUF];
    profile_extra(r->p, w, ec, extra);
    for (int k = 0; k < PROFILE_EXTRA_N; k++) {
        out_char(&o, ',');
        out_value(&o, ec[k]);
    }
    return o.d;
}

/* Row i's text at dst, which has room for exactly its measured length len:
 * 0, or ERR_STATE when the row is not that long. */
static int row_at(const struct prows *r, struct rowctx *x, size_t i, char *dst, size_t len)
{
    return row_put(r, x, i, dst, dst + len) == dst + len ? 0 : ERR_STATE;
}

/* ---- measuring and writing ahead ------------------------------------------ */

static int measure(struct prows *r, struct rowctx *x, size_t from, size_t to, struct err *e)
{
    for (size_t i = from; i < to; i++) {
        size_t len = row_len(r, x, i);
        if (len > SCP_REPLY_MAX)
            return err_set(e, ERR_LIMIT, "a row is larger than SCP_REPLY_MAX (%llu bytes); "
                           "narrow the search (" LIMIT_BUILD_HINT ")",
                           (unsigned long long)SCP_REPLY_MAX);
        r->lens[i] = (uint32_t)len;
    }
    return 0;
}

/* Make block b into side[k] (all its rows fit: see make_blocks). */
static int make_block(struct prows *r, struct rowctx *x, size_t b, int k, struct err *e)
{
    size_t off = 0;
    for (size_t i = r->bstart[b]; i < r->bstart[b + 1]; i++) {
        if (r->lens[i] > SIDE_BYTES - off || row_at(r, x, i, r->side[k] + off, r->lens[i]))
            return err_set(e, ERR_STATE, "row %zu changed length while the reply was written", i);
        off += r->lens[i];
    }
    return 0;
}

static int run_job(void *ctx, void *job)
{
    struct prows *r = ctx;
    struct job *j = job;
    if (j->kind == JOB_MEASURE)
        return measure(r, &r->x[1], j->from, j->to, &j->e);
    return make_block(r, &r->x[1], j->from, j->side, &j->e);
}

static int worker_block(const struct prows *r, size_t b) { return r->bworker[b]; }

/* Hand the first worker block after `after` (SIZE_MAX: from the start) to
 * the worker, into side[k].  Nothing is in flight then, so there is no
 * earlier result to take: 0, or ERR_STATE if there was. */
static int start_block(struct prows *r, size_t after, int k)
{
    size_t b = after == SIZE_MAX ? 0 : after + 1;
    while (b < r->nblocks && !worker_block(r, b))
        b++;
    if (b >= r->nblocks)
        return 0;
    r->job = (struct job){.kind = JOB_BLOCK, .from = b, .side = k};
    err_clear(&r->job.e);
    r->side_block[k] = b;
    r->in_flight = 1;
    return worker_submit(r->w, &r->job) != 0 ? ERR_STATE : 0;
}

/* Rows in blocks of at most SIDE_BYTES (a longer row alone). */
static int make_blocks(struct prows *r)
{
    size_t cap = r->n / 64 + 2, acc = 0;
    r->bstart = xcalloc(cap, sizeof *r->bstart);
    if (r->bstart == NULL)
        return ERR_NOMEM;
    r->nblocks = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (i == 0 || acc + r->lens[i] > SIDE_BYTES) {
            if (r->nblocks + 2 > cap) {
                size_t *nb = xreallocarray(r->bstart, cap * 2, sizeof *nb);
                if (nb == NULL)
                    return ERR_NOMEM;
                r->bstart = nb;
                cap *= 2;
            }
            r->bstart[r->nblocks++] = i;
            acc = 0;
        }
        acc += r->lens[i];
    }
    r->bstart[r->nblocks] = r->n;
    /* the odd blocks that fit a buffer go to the worker */
    r->bworker = xcalloc(r->nblocks ? r->nblocks : 1, 1);
    if (r->bworker == NULL)
        return ERR_NOMEM;
    for (size_t b = 1; r->w != NULL && b < r->nblocks; b += 2) {
        size_t bytes = 0;
        for (size_t i = r->bstart[b]; i < r->bstart[b + 1]; i++)
            bytes += r->lens[i];
        r->bworker[b] = bytes <= SIDE_BYTES;
    }
    return 0;
}

int prows_measure(struct prows *r, struct err *e)
{
    int rc;
    r->lens = xcalloc(r->n ? r->n : 1, sizeof *r->lens);
    if (r->lens == NULL)
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    size_t mid = r->w != NULL ? r->n / 2 : r->n;
    if (mid < r->n) {
        r->job = (struct job){.kind = JOB_MEASURE, .from = mid, .to = r->n};
        err_clear(&r->job.e);
        if (worker_submit(r->w, &r->job) != 0)
            return err_set(e, ERR_STATE, "a job was left with the worker");
    }
    rc = measure(r, &r->x[0], 0, mid, e);
    if (mid < r->n) {
        int wrc = worker_wait(r->w);
        if (rc == 0 && wrc != 0) {
            *e = r->job.e;
            rc = wrc;
        }
    }
    if (rc)
        return rc;
    if (make_blocks(r))
        return err_set(e, ERR_NOMEM, "out of memory writing the rows");
    if (r->w != NULL && start_block(r, SIZE_MAX, 0) != 0)
        return err_set(e, ERR_STATE, "a job was left with the worker");
    return 0;
}

int prows_line(void *ctx, size_t i, char *dst, size_t cap, size_t *len, struct arena *scratch)
{
    struct prows *r = ctx;
    (void)scratch;
    if (r->lens == NULL) {  /* not measured: measure it here */
        *len = row_len(r, &r->x[0], i);
        if (dst == NULL || *len > cap)
            return 0;
        return row_at(r, &r->x[0], i, dst, *len);
    }
    *len = r->lens[i];
    if (dst == NULL || *len > cap)
        return 0;
    while (r->cur + 1 < r->nblocks && i >= r->bstart[r->cur + 1])
        r->cur++;
    size_t b = r->cur;
    if (!worker_block(r, b))
        return row_at(r, &r->x[0], i, dst, *len);
    int k = r->side_block[0] == b ? 0 : r->side_block[1] == b ? 1 : -1;
    if (k < 0)
        return ERR_STATE;
    if (r->in_flight && r->job.from == b) {
        /* the block's first row: wait for it, then hand over the next */
        r->in_flight = 0;
        int rc = worker_wait(r->w);
        if (rc != 0)
            return rc;
        if (start_block(r, b, k ^ 1) != 0)
            return ERR_STATE;
        r->off_row = r->bstart[b];
        r->off = 0;
    }
    if (i != r->off_row) {
        /* rows come in order: the next row starts after this one */
        r->off += r->lens[r->off_row];
        r->off_row = i;
    }
    bytes_copy(dst, r->side[k] + r->off, *len);
    return 0;
}

/* ---- life ----------------------------------------------------------------- */

static int ctx_init(struct rowctx *x, size_t npoints)
{
    arena_init(&x->a, 16u * 1024, (size_t)-1);
    x->counts = xcalloc(npoints ? npoints : 1, sizeof *x->counts);
    x->vals = xcalloc(PROFILE_VALUES_MAX * 2 + 1, sizeof *x->vals);
    return x->counts != NULL && x->vals != NULL ? 0 : ERR_NOMEM;
}

static void ctx_free(struct rowctx *x)
{
    arena_free(&x->a);
    xfree(x->counts);
    xfree(x->vals);
}

struct prows *prows_new(const struct profile *p, const uint32_t *order, size_t n, int64_t h0,
                        size_t nhours, size_t npoints, int threaded)
{
    struct prows *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    *r = (struct prows){.p = p, .order = order, .n = n, .h0 = h0, .nhours = nhours,
                        .npoints = npoints, .side_block = {SIZE_MAX, SIZE_MAX}};
    int rc = ctx_init(&r->x[0], npoints) | ctx_init(&r->x[1], npoints);
    if (rc == 0 && threaded && n > 1) {
        r->side[0] = xmalloc(SIDE_BYTES);
        r->side[1] = xmalloc(SIDE_BYTES);
        r->w = worker_new(run_job, r, 1, 1);
        if (r->side[0] == NULL || r->side[1] == NULL || r->w == NULL)
            rc = ERR_NOMEM;
        else if (!worker_threaded(r->w)) {
            /* no thread after all: everything on this one */
            worker_free(r->w);
            r->w = NULL;
        }
    }
    if (rc) {
        prows_free(r);
        return NULL;
    }
    return r;
}

void prows_free(struct prows *r)
{
    if (r == NULL)
        return;
    worker_free(r->w);  /* first: a block may be in the making */
    ctx_free(&r->x[0]);
    ctx_free(&r->x[1]);
    xfree(r->lens);
    xfree(r->bstart);
    xfree(r->bworker);
    xfree(r->side[0]);
    xfree(r->side[1]);
    xfree(r);
}
