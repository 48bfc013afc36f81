#include "join/sinkhole.h"

#include <string.h>
#include <sys/stat.h>

#include "scp/csvfile.h"
#include "util/appdir.h"
#include "util/xmem.h"

struct sinkholes {
    struct ipcidr *v;  /* OWNED */
    size_t n, cap;
};

static const unsigned char zeros[16];

/* :: or 0.0.0.0 (held as ::ffff:0.0.0.0) */
static int unspecified(const struct ipaddr *a)
{
    return memcmp(a->b, zeros, 16) == 0 ||
           (ipaddr_is_v4(a) && ipaddr_v4(a) == 0);
}

void sinkholes_free(struct sinkholes *s)
{
    if (s == NULL)
        return;
    xfree(s->v);
    xfree(s);
}

static int add(struct sinkholes *s, const struct ipcidr *r)
{
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 8;
        struct ipcidr *nv = xreallocarray(s->v, c, sizeof *nv);
        if (nv == NULL)
            return ERR_NOMEM;
        s->v = nv;
        s->cap = c;
    }
    s->v[s->n++] = *r;
    return 0;
}

struct sinkholes *sinkholes_builtin(void)
{
    /* 0.0.0.0 and :: are not stored: sinkholes_has tests them first */
    return xcalloc(1, sizeof(struct sinkholes));
}

struct sinkholes *sinkholes_load(const char *path, size_t *skipped, struct err *e)
{
    struct sinkholes *s = NULL;
    struct csvfile f;

    *skipped = 0;
    if (csvfile_load(&f, path, SINKHOLE_FILE_MAX, "SINKHOLE_FILE_MAX", e))
        goto fail;
    s = sinkholes_builtin();
    if (s == NULL) {
        err_set(e, ERR_NOMEM, "out of memory reading %s", path);
        goto fail;
    }
    long k = csvfile_col(&f, "sinkhole");
    if (k < 0) {
        err_set(e, ERR_INPUT, "%s: expected a column named sinkhole", path);
        goto fail;
    }
    for (size_t r = 0; r < f.t.nrows; r++) {
        struct ipcidr range;
        if (ipcidr_parse(csv_cell(&f.t, r, (size_t)k), &range) != 0) {
            (*skipped)++;
            continue;
        }
        if (add(s, &range) != 0) {
            err_set(e, ERR_NOMEM, "out of memory reading %s", path);
            goto fail;
        }
    }
    csvfile_free(&f);
    return s;
fail:
    csvfile_free(&f);
    sinkholes_free(s);
    return NULL;
}

int sinkholes_has(const struct sinkholes *s, const struct ipaddr *a)
{
    if (unspecified(a))
        return 1;
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (ipcidr_contains(&s->v[i], a))
            return 1;
    return 0;
}

size_t sinkholes_count(const struct sinkholes *s) { return 2 + (s ? s->n : 0); }

int sinkholes_default_path(char *out, size_t n)
{
    /* The site file is the admin's: no package ships it, so an upgrade or a
     * deployer push never replaces it (README, "Lookups you edit"). */
    struct stat sb;
    if (appdir_file("lookups/" SINKHOLES_SITE_CSV, out, n) == 0 && stat(out, &sb) == 0)
        return 0;
    return appdir_file("lookups/" SINKHOLES_CSV, out, n);
}
