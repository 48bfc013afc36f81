#include "report/endpoints.h"

#include <string.h>

#include "report/dname.h"
#include "scp/csvfile.h"
#include "util/appdir.h"
#include "util/xmem.h"

struct ep_entry {
    enum tunnel_kind kind;
    int is_name;
    char *name;          /* OWNED, lower case, no trailing dot */
    size_t name_n;
    struct ipcidr range; /* ip entries are /128 ranges */
};

struct endpoints {
    struct ep_entry *v;  /* OWNED */
    size_t n, cap;
};

void endpoints_free(struct endpoints *ep)
{
    if (ep == NULL)
        return;
    for (size_t i = 0; i < ep->n; i++)
        xfree(ep->v[i].name);
    xfree(ep->v);
    xfree(ep);
}

static enum tunnel_kind kind_of(struct slice s)
{
    if (s.n == 6 && strncmp(s.p, "teredo", 6) == 0)
        return TUNNEL_TEREDO;
    if (s.n == 4 && strncmp(s.p, "6to4", 4) == 0)
        return TUNNEL_6TO4;
    return TUNNEL_NONE;
}

/* Add one entry; 1 if added, 0 if the row is not understood, <0 on OOM. */
static int add(struct endpoints *ep, struct slice endpoint, struct slice type, struct slice tunnel)
{
    struct ep_entry en;
    memset(&en, 0, sizeof en);
    en.kind = kind_of(tunnel);
    if (en.kind == TUNNEL_NONE || endpoint.n == 0)
        return 0;
    if (slice_eq_cstr(type, "name")) {
        struct slice t = dname_trim(endpoint);
        en.is_name = 1;
        en.name = xmalloc(t.n + 1);
        if (en.name == NULL)
            return ERR_NOMEM;
        en.name_n = dname_lower(t, en.name, t.n);
        en.name[en.name_n] = 0;
    } else if (slice_eq_cstr(type, "ip") || slice_eq_cstr(type, "cidr")) {
        if (ipcidr_parse(endpoint, &en.range))
            return 0;
    } else {
        return 0;
    }
    if (ep->n == ep->cap) {
        size_t c = ep->cap ? ep->cap * 2 : 16;
        struct ep_entry *nv = xreallocarray(ep->v, c, sizeof *nv);
        if (nv == NULL) {
            xfree(en.name);
            return ERR_NOMEM;
        }
        ep->v = nv;
        ep->cap = c;
    }
    ep->v[ep->n++] = en;
    return 1;
}

struct endpoints *endpoints_builtin(void)
{
    static const char *const rows[][3] = {
        {"teredo.ipv6.microsoft.com", "name", "teredo"},
        {"win10.ipv6.microsoft.com", "name", "teredo"},
        {"win1710.ipv6.microsoft.com", "name", "teredo"},
        {"win1711.ipv6.microsoft.com", "name", "teredo"},
        {"win8.ipv6.microsoft.com", "name", "teredo"},
        {"teredo.remlab.net", "name", "teredo"},
        {"teredo2.remlab.net", "name", "teredo"},
        {"teredo.trex.fi", "name", "teredo"},
        {"teredo.iks-jena.de", "name", "teredo"},
        {"2001::/32", "cidr", "teredo"},
        {"2002::/16", "cidr", "6to4"},
        {"192.88.99.1", "ip", "6to4"},
    };
    struct endpoints *ep = xcalloc(1, sizeof *ep);
    if (ep == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (add(ep, slice_cstr(rows[i][0]), slice_cstr(rows[i][1]), slice_cstr(rows[i][2])) < 0) {
            endpoints_free(ep);
            return NULL;
        }
    return ep;
}

struct endpoints *endpoints_load(const char *path, size_t *skipped, struct err *e)
{
    struct endpoints *ep = NULL;
    struct csvfile f;

    *skipped = 0;
    if (csvfile_load(&f, path, ENDPOINTS_FILE_MAX, "ENDPOINTS_FILE_MAX", e))
        goto fail;
    ep = xcalloc(1, sizeof *ep);
    if (ep == NULL) {
        err_set(e, ERR_NOMEM, "out of memory reading %s", path);
        goto fail;
    }
    long ke = csvfile_col(&f, "endpoint"), kt = csvfile_col(&f, "endpoint_type"),
         kk = csvfile_col(&f, "tunnel");
    if (ke < 0 || kt < 0 || kk < 0) {
        err_set(e, ERR_INPUT, "%s: expected columns endpoint, endpoint_type and tunnel", path);
        goto fail;
    }
    for (size_t r = 0; r < f.t.nrows; r++) {
        int rc = add(ep, csv_cell(&f.t, r, (size_t)ke), csv_cell(&f.t, r, (size_t)kt),
                     csv_cell(&f.t, r, (size_t)kk));
        if (rc < 0) {
            err_set(e, ERR_NOMEM, "out of memory reading %s", path);
            goto fail;
        }
        if (rc == 0)
            (*skipped)++;
    }
    csvfile_free(&f);
    return ep;
fail:
    csvfile_free(&f);
    endpoints_free(ep);
    return NULL;
}

enum tunnel_kind endpoints_name(const struct endpoints *ep, struct slice name)
{
    name = dname_trim(name);
    for (size_t i = 0; i < ep->n; i++) {
        const struct ep_entry *en = &ep->v[i];
        if (!en->is_name || en->name_n != name.n)
            continue;
        size_t k = 0;
        while (k < name.n && en->name[k] == (char)((name.p[k] >= 'A' && name.p[k] <= 'Z')
                                                        ? name.p[k] + 32 : name.p[k]))
            k++;
        if (k == name.n)
            return en->kind;
    }
    return TUNNEL_NONE;
}

enum tunnel_kind endpoints_ip(const struct endpoints *ep, const struct ipaddr *a)
{
    for (size_t i = 0; i < ep->n; i++)
        if (!ep->v[i].is_name && ipcidr_contains(&ep->v[i].range, a))
            return ep->v[i].kind;
    return TUNNEL_NONE;
}

int endpoints_default_path(char *out, size_t n)
{
    return appdir_file("lookups/tunnel_endpoints.csv", out, n);
}

const char *endpoints_kind_name(enum tunnel_kind k)
{
    return k == TUNNEL_TEREDO ? "teredo" : k == TUNNEL_6TO4 ? "6to4" : "";
}
