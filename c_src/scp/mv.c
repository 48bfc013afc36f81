#include "scp/mv.h"

#include <string.h>

void mv_iter_init(struct mv_iter *it, struct slice plain, struct slice mvcell)
{
    it->plain = plain;
    if (mvcell.p != NULL && mvcell.n > 0) {
        it->p = mvcell.p;
        it->end = mvcell.p + mvcell.n;
        it->mode = 1;
    } else {
        it->p = it->end = NULL;
        it->mode = plain.p != NULL ? 0 : 2;
    }
}

/* Decoder states, left to right over `$item$;$item$`:
 * at the start of an item we need '$'; inside, "$$" is a literal '$' and a
 * single '$' closes the item, which must be followed by ';' or the end. */
int mv_next(struct mv_iter *it, struct arena *a, struct slice *out)
{
    const char *p, *start;
    int escaped = 0;

    if (it->mode == 0) {
        it->mode = 2;
        *out = it->plain;
        return 1;
    }
    if (it->mode == 2)
        return 0;
    p = it->p;
    if (p >= it->end || *p != '$')
        return ERR_INPUT;
    start = ++p;
    for (;;) {
        const char *d = memchr(p, '$', (size_t)(it->end - p));
        if (d == NULL)
            return ERR_INPUT;
        if (d + 1 < it->end && d[1] == '$') {
            escaped = 1;
            p = d + 2;
            continue;
        }
        /* closing '$' */
        size_t rawlen = (size_t)(d - start);
        p = d + 1;
        if (p == it->end) {
            it->mode = 2;
        } else if (*p == ';') {
            p++;
            if (p == it->end)  /* a trailing ';' promises another item */
                return ERR_INPUT;
        } else {
            return ERR_INPUT;
        }
        it->p = p;
        if (!escaped) {
            *out = slice_of(start, rawlen);
            return 1;
        }
        if (a == NULL)
            return ERR_NOMEM;
        char *dst = arena_alloc(a, rawlen ? rawlen : 1);
        if (dst == NULL)
            return ERR_NOMEM;
        size_t w = 0;
        for (size_t i = 0; i < rawlen; i++) {
            dst[w++] = start[i];
            if (start[i] == '$')
                i++;  /* skip the doubled '$' */
        }
        *out = slice_of(dst, w);
        return 1;
    }
}

struct slice mv_first(struct slice plain, struct slice mvcell, struct arena *a)
{
    struct mv_iter it;
    struct slice v;
    if (mvcell.p == NULL || mvcell.n == 0)
        return plain;
    mv_iter_init(&it, plain, mvcell);
    if (mv_next(&it, a, &v) == 1)
        return v;
    /* A malformed __mv_ cell: fall back to the plain value. */
    return plain;
}

int mv_validate(struct slice mvcell)
{
    struct mv_iter it;
    struct slice v;
    int rc;

    if (mvcell.n == 0)
        return 0;
    mv_iter_init(&it, SLICE_NULL, mvcell);
    /* NULL arena: "$$" items report ERR_NOMEM, which here means "fine". */
    while ((rc = mv_next(&it, NULL, &v)) != 0) {
        if (rc == ERR_INPUT)
            return ERR_INPUT;
        if (rc == ERR_NOMEM) {
            /* mv_next stopped after a well-formed escaped item; continue. */
            continue;
        }
    }
    return 0;
}

int mv_encode(struct arena *a, const struct slice *vals, size_t n,
              struct slice *plain, struct slice *mv)
{
    size_t plen = 0, mlen = 0;
    char *pp, *mp;

    if (n == 0) {
        *plain = *mv = SLICE_NULL;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        plen += vals[i].n + (i > 0);
        mlen += vals[i].n + 2 + (i > 0);
        for (size_t k = 0; k < vals[i].n; k++)
            mlen += vals[i].p[k] == '$';
    }
    pp = arena_alloc(a, plen ? plen : 1);
    if (pp == NULL)
        return ERR_NOMEM;
    for (size_t i = 0, w = 0; i < n; i++) {
        if (i > 0)
            pp[w++] = '\n';
        if (vals[i].n)
            memcpy(pp + w, vals[i].p, vals[i].n);
        w += vals[i].n;
    }
    *plain = slice_of(pp, plen);
    if (n == 1) {
        *mv = slice_of(pp, 0);
        return 0;
    }
    mp = arena_alloc(a, mlen);
    if (mp == NULL)
        return ERR_NOMEM;
    for (size_t i = 0, w = 0; i < n; i++) {
        if (i > 0)
            mp[w++] = ';';
        mp[w++] = '$';
        for (size_t k = 0; k < vals[i].n; k++) {
            mp[w++] = vals[i].p[k];
            if (vals[i].p[k] == '$')
                mp[w++] = '$';
        }
        mp[w++] = '$';
    }
    *mv = slice_of(mp, mlen);
    return 0;
}
