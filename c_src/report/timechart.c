#include "report/timechart.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "report/strtab.h"
#include "util/xmem.h"

/* One non-zero cell.  series 0 is the empty string, i.e. NULL. */
struct cell {
    int64_t bin;
    uint32_t series;
    uint32_t used;
    uint64_t n;
};

struct tchart {
    struct strtab *names;   /* OWNED: series values */
    struct cell *cells;     /* OWNED open-addressing table */
    size_t ncells, cap;     /* cap: power of two */
    uint64_t events;
};

struct tchart *tchart_new(void)
{
    struct tchart *tc = xcalloc(1, sizeof *tc);
    if (tc == NULL)
        return NULL;
    tc->names = strtab_new(REPORT_SERIES_MAX);
    if (tc->names == NULL) {
        xfree(tc);
        return NULL;
    }
    return tc;
}

void tchart_free(struct tchart *tc)
{
    if (tc == NULL)
        return;
    strtab_free(tc->names);
    xfree(tc->cells);
    xfree(tc);
}

static size_t cell_hash(int64_t bin, uint32_t series)
{
    uint64_t h = (uint64_t)bin * 0x9e3779b97f4a7c15ull ^ (uint64_t)series * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return (size_t)h;
}

static int grow(struct tchart *tc)
{
    size_t cap = tc->cap ? tc->cap * 2 : 1024;
    struct cell *c = xcalloc(cap, sizeof *c);
    if (c == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < tc->cap; i++) {
        if (!tc->cells[i].used)
            continue;
        size_t k = cell_hash(tc->cells[i].bin, tc->cells[i].series) & (cap - 1);
        while (c[k].used)
            k = (k + 1) & (cap - 1);
        c[k] = tc->cells[i];
    }
    xfree(tc->cells);
    tc->cells = c;
    tc->cap = cap;
    return 0;
}

int tchart_add(struct tchart *tc, int64_t bin_us, struct slice series, struct err *e)
{
    return tchart_add_n(tc, bin_us, series, 1, e);
}

int tchart_add_n(struct tchart *tc, int64_t bin_us, struct slice series, uint64_t n,
                 struct err *e)
{
    uint32_t id = 0;
    /* every cell and every sum of cells is at most the events counted */
    if (n > UINT64_MAX - tc->events)
        return ERR_INPUT;
    if (!slice_is_blank(series)) {
        int rc = strtab_intern(tc->names, series, &id);
        if (rc == ERR_LIMIT)
            return err_set(e, rc, "more than REPORT_SERIES_MAX (%llu) distinct values of the "
                           "by-field; split by a field with fewer values (" LIMIT_BUILD_HINT ")",
                           (unsigned long long)REPORT_SERIES_MAX);
        if (rc)
            return err_set(e, rc, "out of memory counting a series");
    }
    if ((tc->ncells + 1) * 4 > tc->cap * 3 && grow(tc))
        return err_set(e, ERR_NOMEM, "out of memory counting events");
    size_t k = cell_hash(bin_us, id) & (tc->cap - 1);
    while (tc->cells[k].used && (tc->cells[k].bin != bin_us || tc->cells[k].series != id))
        k = (k + 1) & (tc->cap - 1);
    if (!tc->cells[k].used) {
        tc->cells[k].used = 1;
        tc->cells[k].bin = bin_us;
        tc->cells[k].series = id;
        tc->ncells++;
    }
    tc->cells[k].n += n;
    tc->events += n;
    return 0;
}

static int cmp_cell(const void *a, const void *b)
{
    const struct tchart_cell *x = a, *y = b;
    if (x->bin_us != y->bin_us)
        return x->bin_us < y->bin_us ? -1 : 1;
    return slice_cmp(x->series, y->series);
}

int tchart_cells(const struct tchart *tc, struct tchart_cell **out, size_t *n)
{
    struct tchart_cell *c;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if (tc->ncells == 0)
        return 0;
    c = xcalloc(tc->ncells, sizeof *c);
    if (c == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < tc->cap; i++) {
        if (!tc->cells[i].used)
            continue;
        c[k].bin_us = tc->cells[i].bin;
        c[k].series = tc->cells[i].series ? strtab_get(tc->names, tc->cells[i].series)
                                          : SLICE_LIT("");
        c[k].n = tc->cells[i].n;
        k++;
    }
    qsort(c, k, sizeof *c, cmp_cell);
    *out = c;
    *n = k;
    return 0;
}

uint64_t tchart_events(const struct tchart *tc) { return tc->events; }

void tchart_table_free(struct tchart_table *t)
{
    xfree(t->names);
    xfree(t->time_us);
    xfree(t->span_us);
    xfree(t->counts);
    memset(t, 0, sizeof *t);
}

/* qsort has no context argument: the ranking compares through these. */
static const struct strtab *g_names;
static const uint64_t *g_totals;

static int by_total(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (g_totals[x] != g_totals[y])
        return g_totals[x] > g_totals[y] ? -1 : 1;
    return slice_cmp(strtab_get(g_names, x), strtab_get(g_names, y));
}

static int by_name(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return slice_cmp(strtab_get(g_names, x), strtab_get(g_names, y));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Row of bin `t` in the ascending times, or -1. */
static long find_row(const int64_t *times, size_t n, int64_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (times[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && times[lo] == t ? (long)lo : -1;
}

int tchart_build(const struct tchart *tc, const struct tchart_opts *o, struct bins *b,
                 struct tchart_table *out, struct err *e)
{
    size_t nnames = strtab_count(tc->names);
    uint64_t *totals = xcalloc(nnames, sizeof *totals);
    uint32_t *order = xcalloc(nnames, sizeof *order);
    int32_t *colof = xcalloc(nnames, sizeof *colof);
    int64_t *bins = xcalloc(tc->ncells ? tc->ncells : 1, sizeof *bins);
    size_t nseries = 0, nbins = 0, nkept, ncols;
    int rc = ERR_NOMEM;

    memset(out, 0, sizeof *out);
    if (!totals || !order || !colof || !bins) {
        err_set(e, ERR_NOMEM, "out of memory building the chart");
        goto done;
    }
    for (size_t i = 0; i < tc->cap; i++)
        if (tc->cells[i].used) {
            totals[tc->cells[i].series] += tc->cells[i].n;
            bins[nbins++] = tc->cells[i].bin;
        }
    if (nbins == 0) {
        rc = 0;
        goto done;
    }

    /* columns: rank, keep the top `limit`, show them bytewise */
    for (uint32_t id = 1; id < nnames; id++)
        if (totals[id] > 0)
            order[nseries++] = id;
    g_names = tc->names;
    g_totals = totals;
    qsort(order, nseries, sizeof *order, by_total);
    nkept = o->limit == 0 || o->limit > nseries ? nseries : (size_t)o->limit;
    int has_null = o->usenull && totals[0] > 0;
    int has_other = o->useother && nkept < nseries;
    qsort(order, nkept, sizeof *order, by_name);
    out->names = xcalloc(nkept + 2, sizeof *out->names);
    if (out->names == NULL) {
        err_set(e, ERR_NOMEM, "out of memory building the chart");
        goto done;
    }
    ncols = 0;
    for (size_t i = 0; i < nnames; i++)
        colof[i] = -1;
    int32_t null_col = -1, other_col = -1;
    for (size_t i = 0; i < nkept; i++) {
        struct slice nm = strtab_get(tc->names, order[i]);
        if ((has_null && slice_eq_cstr(nm, "NULL")) || (has_other && slice_eq_cstr(nm, "OTHER")))
            continue;  /* placed below, in the special column */
        colof[order[i]] = (int32_t)ncols;
        out->names[ncols++] = nm;
    }
    if (has_null) {
        null_col = (int32_t)ncols;
        out->names[ncols++] = SLICE_LIT("NULL");
        colof[0] = null_col;
    }
    if (has_other) {
        other_col = (int32_t)ncols;
        out->names[ncols++] = SLICE_LIT("OTHER");
        for (size_t i = nkept; i < nseries; i++)
            colof[order[i]] = other_col;
    }
    for (size_t i = 0; i < nkept; i++) {
        struct slice nm = strtab_get(tc->names, order[i]);
        if (has_null && slice_eq_cstr(nm, "NULL"))
            colof[order[i]] = null_col;
        else if (has_other && slice_eq_cstr(nm, "OTHER"))
            colof[order[i]] = other_col;
    }
    out->ncols = ncols;

    /* rows: the distinct bins with events, or every bin of the range */
    qsort(bins, nbins, sizeof *bins, cmp_i64);
    size_t nd = 0;
    for (size_t i = 0; i < nbins; i++)
        if (nd == 0 || bins[nd - 1] != bins[i])
            bins[nd++] = bins[i];
    size_t nrows = nd;
    int64_t first = bins[0], last = bins[nd - 1];
    if (o->cont) {
        if (o->earliest_us != 0) {
            int64_t f = bins_floor(b, o->earliest_us);
            if (f < first)
                first = f;
        }
        if (o->latest_us != 0) {
            /* latest is exclusive: the bin holding its last microsecond */
            int64_t l = bins_floor(b, o->latest_us - 1);
            if (l > last)
                last = l;
        }
        nrows = 0;
        for (int64_t t = first; t <= last; t = bins_next(b, t))
            if (++nrows > REPORT_BINS_MAX)
                break;
    }
    if (nrows > REPORT_BINS_MAX) {
        rc = err_set(e, ERR_LIMIT, "the chart would have more than REPORT_BINS_MAX (%llu) rows; "
                     "use a larger span or cont=f (" LIMIT_BUILD_HINT ")",
                     (unsigned long long)REPORT_BINS_MAX);
        goto done;
    }
    /* every cell becomes at least two bytes of the reply */
    if ((uint64_t)nrows * (ncols + 2) * 2 > SCP_REPLY_MAX) {
        rc = err_set(e, ERR_LIMIT, "the chart (%zu rows x %zu columns) would be larger than "
                     "SCP_REPLY_MAX; use a larger span or a smaller limit (" LIMIT_BUILD_HINT ")",
                     nrows, ncols + 2);
        goto done;
    }
    out->time_us = xcalloc(nrows, sizeof *out->time_us);
    out->span_us = xcalloc(nrows, sizeof *out->span_us);
    out->counts = xcalloc(nrows * (ncols ? ncols : 1), sizeof *out->counts);
    if (!out->time_us || !out->span_us || !out->counts) {
        err_set(e, ERR_NOMEM, "out of memory building the chart");
        goto done;
    }
    if (o->cont) {
        size_t r = 0;
        for (int64_t t = first; t <= last; t = bins_next(b, t))
            out->time_us[r++] = t;
    } else {
        memcpy(out->time_us, bins, nd * sizeof *bins);
    }
    out->nrows = nrows;
    for (size_t r = 0; r < nrows; r++)
        out->span_us[r] = bins_next(b, out->time_us[r]) - out->time_us[r];
    for (size_t i = 0; i < tc->cap; i++) {
        const struct cell *c = &tc->cells[i];
        if (!c->used || colof[c->series] < 0)
            continue;
        long r = find_row(out->time_us, nrows, c->bin);
        if (r >= 0)
            out->counts[(size_t)r * ncols + (size_t)colof[c->series]] += c->n;
    }
    rc = 0;
done:
    if (rc)
        tchart_table_free(out);
    xfree(totals);
    xfree(order);
    xfree(colof);
    xfree(bins);
    return rc;
}
