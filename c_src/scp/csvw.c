#include "scp/csvw.h"

#include <string.h>

#include "util/xmem.h"

void csvw_init(struct csvw *w)
{
    memset(w, 0, sizeof *w);
}

void csvw_free(struct csvw *w)
{
    xfree(w->rows);
    xfree(w->mark);
    csvw_init(w);
}

void csvw_reset(struct csvw *w) { w->nrows = 0; }

int csvw_add(struct csvw *w, const struct schema *s, const struct slice *cells)
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
    w->nrows++;
    return 0;
}

static const unsigned char needs_quote[256] = {[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1};

int csvw_value(struct buf *out, struct slice v)
{
    size_t q = 0, i;
    int rc;

    for (i = 0; i < v.n; i++)
        if (needs_quote[(unsigned char)v.p[i]]) {
            q = 1;
            break;
        }
    if (!q)
        return v.n ? buf_append(out, v.p, v.n) : 0;
    /* Worst case every byte is a quote. */
    rc = buf_reserve(out, 2 * v.n + 2);
    if (rc)
        return rc;
    char *d = out->p + out->len;
    *d++ = '"';
    if (i > 0) {
        memcpy(d, v.p, i);
        d += i;
    }
    for (; i < v.n; i++) {
        if (v.p[i] == '"')
            *d++ = '"';
        *d++ = v.p[i];
    }
    *d++ = '"';
    out->len = (size_t)(d - out->p);
    return 0;
}

/* Header position + 1 per column id; 0 = not in the header. */
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
    return 0;
}

int csvw_finish(struct csvw *w, const struct cols *c, struct buf *out, struct err *e)
{
    uint32_t *header = NULL;  /* column ids in header order */
    size_t nh = 0, ncols = cols_count(c);
    const struct schema *last = NULL;
    int *map = NULL;          /* schema position -> header position */
    size_t map_cap = 0;
    int rc = 0;

    if (w->nrows == 0)
        return 0;
    if (mark_grow(w, ncols) || (header = xcalloc(ncols ? ncols : 1, sizeof *header)) == NULL) {
        rc = err_set(e, ERR_NOMEM, "out of memory writing a reply");
        goto done;
    }

    /* Pass 1: union of the columns some row sets, first appearance first. */
    for (size_t r = 0; r < w->nrows; r++) {
        const struct csvw_row *row = &w->rows[r];
        for (size_t k = 0; k < row->s->n; k++) {
            uint32_t id = row->s->ids[k];
            if (w->mark[id] || row->cells[k].p == NULL)
                continue;
            header[nh++] = id;
            w->mark[id] = (uint32_t)nh;
        }
    }

    /* Header line. */
    for (size_t h = 0; h < nh; h++) {
        if (h && (rc = buf_appendc(out, ',')) != 0)
            goto fail;
        if ((rc = csvw_value(out, cols_name(c, header[h]))) != 0)
            goto fail;
    }
    if (nh == 1 && cols_name(c, header[0]).n == 0 && (rc = buf_append(out, "\"\"", 2)) != 0)
        goto fail;
    if ((rc = buf_appendc(out, '\n')) != 0)
        goto fail;

    /* Pass 2: rows, through a per-schema map from header position to cell. */
    last = NULL;
    for (size_t r = 0; r < w->nrows; r++) {
        const struct csvw_row *row = &w->rows[r];
        if (row->s != last) {
            if (nh > map_cap) {
                int *nm = xreallocarray(map, nh, sizeof *nm);
                if (nm == NULL) {
                    rc = ERR_NOMEM;
                    goto fail;
                }
                map = nm;
                map_cap = nh;
            }
            for (size_t h = 0; h < nh; h++)
                map[h] = -1;
            for (size_t k = 0; k < row->s->n; k++) {
                uint32_t m = w->mark[row->s->ids[k]];
                if (m)
                    map[m - 1] = (int)k;
            }
            last = row->s;
        }
        int wrote_nonempty = 0;
        for (size_t h = 0; h < nh; h++) {
            if (h && (rc = buf_appendc(out, ',')) != 0)
                goto fail;
            if (map[h] < 0)
                continue;
            struct slice v = row->cells[map[h]];
            if (v.p == NULL)
                continue;
            if (v.n)
                wrote_nonempty = 1;
            if ((rc = csvw_value(out, v)) != 0)
                goto fail;
        }
        if (nh == 1 && !wrote_nonempty && (rc = buf_append(out, "\"\"", 2)) != 0)
            goto fail;
        if ((rc = buf_appendc(out, '\n')) != 0)
            goto fail;
    }
    goto done;

fail:
    if (rc == ERR_LIMIT)
        err_set(e, rc, "a reply is larger than SCP_REPLY_MAX bytes");
    else
        err_set(e, rc, "out of memory writing a reply");
done:
    for (size_t h = 0; h < nh; h++)
        w->mark[header[h]] = 0;
    xfree(header);
    xfree(map);
    return rc;
}
