#include "cmd/cmdutil.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "util/appdir.h"
#include "util/buf.h"
#include "util/conffile.h"
#include "util/num.h"
#include "util/xmem.h"

static struct slice dup_text(struct arena *a, const char *buf, size_t n)
{
    char *p = arena_dup(a, buf, n);
    return p ? slice_of(p, n) : SLICE_NULL;
}

struct slice cmd_u64(struct arena *a, uint64_t v)
{
    char buf[24];
    if (v == 0)
        return SLICE_LIT("0");
    return dup_text(a, buf, num_format_u64(v, buf));
}

struct slice cmd_us(struct arena *a, int64_t us)
{
    char buf[NUM_US_STRMAX];
    return dup_text(a, buf, num_format_us(us, buf));
}

struct slice cmd_ip(struct arena *a, const struct ipaddr *ip)
{
    char buf[IPADDR_STRMAX];
    return dup_text(a, buf, ipaddr_format(ip, buf));
}

char *cmd_mv_name(struct slice f)
{
    char *p = xmalloc(f.n + 6);
    if (p != NULL) {
        memcpy(p, "__mv_", 5);
        if (f.n)
            memcpy(p + 5, f.p, f.n);
        p[f.n + 5] = 0;
    }
    return p;
}

int reqfields_add(struct reqfields *r, struct slice name)
{
    if (name.p == NULL)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        if (slice_eq_cstr(name, r->names[i]))
            return 0;
    if (r->n >= CMD_REQUIRED_MAX)
        return ERR_LIMIT;
    r->names[r->n] = xstrndup(name.p, name.n);
    if (r->names[r->n] == NULL)
        return ERR_NOMEM;
    r->n++;
    return 0;
}

void reqfields_free(struct reqfields *r)
{
    for (size_t i = 0; i < r->n; i++)
        xfree(r->names[i]);
    r->n = 0;
}

/* One argument, quoted when it needs it (see cmd_preop). */
static int preop_arg(struct buf *b, const char *a, int raw)
{
    const char *eq = strchr(a, '=');
    int rc = buf_appendc(b, ' ');
    if (rc)
        return rc;
    if (raw || eq == NULL || strcspn(eq + 1, " \"\\") == strlen(eq + 1))
        return buf_appends(b, a);
    rc = buf_append(b, a, (size_t)(eq - a) + 1);
    if (rc == 0)
        rc = buf_appendc(b, '"');
    for (const char *c = eq + 1; rc == 0 && *c; c++) {
        if (*c == '"' || *c == '\\')
            rc = buf_appendc(b, '\\');
        if (rc == 0)
            rc = buf_appendc(b, *c);
    }
    return rc ? rc : buf_appendc(b, '"');
}

int cmd_preop(const struct meta_info *in, const char *cmd, char **out)
{
    int raw = in->nraw_args == in->nargs;
    struct buf b;
    int rc;
    *out = NULL;
    buf_init(&b, SCP_META_MAX / 2);
    rc = buf_appends(&b, cmd);
    if (rc == 0)
        rc = buf_appends(&b, " phase=map");
    for (size_t i = 0; rc == 0 && i < in->nargs; i++)
        rc = preop_arg(&b, raw ? in->raw_args[i] : in->args[i], raw);
    if (rc == 0)
        rc = buf_appendc(&b, '\0');
    if (rc) {
        buf_free(&b);
        return rc == ERR_NOMEM ? ERR_NOMEM : ERR_LIMIT;
    }
    *out = buf_take(&b, NULL);
    return *out ? 0 : ERR_NOMEM;
}

static int search_set(void *ctx, struct slice k, struct slice v, const char *file, int line,
                      struct err *e)
{
    if (slice_eq_cstr(k, "mapphase") && conffile_bool(v, ctx))
        return err_set(e, ERR_ARGS, "%s line %d: [search] mapphase must be true or false", file,
                       line);
    return 0;  /* unknown keys: a newer version's */
}

int cmd_mapphase_conf(int *on, struct err *e)
{
    static const char *const files[] = {"default/dnsjoin.conf", "local/dnsjoin.conf"};
    char path[4096 + 32];
    int rc = 0;
    *on = 1;
    for (size_t i = 0; i < 2 && rc == 0; i++)
        if (appdir_file(files[i], path, sizeof path) == 0)
            rc = conffile_read(path, files[i], "search", search_set, on, e);
    return rc;
}
