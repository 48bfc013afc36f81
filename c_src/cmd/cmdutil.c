#include "cmd/cmdutil.h"

#include <string.h>

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
