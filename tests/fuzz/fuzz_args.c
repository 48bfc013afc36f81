/*
 * fuzz_args: SPL arguments as splunkd hands them over (searchinfo.args, one
 * string per token).  The input is split at LF into argument strings.
 *
 * Each argument list goes through args_parse, then through the options of
 * `dnsjoin join` (joinopts_parse, with ip= as a field and without), then
 * through every generic getter and args_finish.  Properties: results are 0
 * or a documented error with a one-line message; every view the parser
 * returns points into the argument strings; a getter never succeeds with a
 * value outside the bounds it was given.
 */
#include <string.h>

#include "cmd/joinopts.h"
#include "fuzz.h"
#include "limits.h"
#include "scp/args.h"

#define MAXV (ARGS_COUNT_MAX + 8)

static char **argv_s;
static size_t argc_s;
static size_t *argl_s;

static int in_args(struct slice s)
{
    if (s.p == NULL)
        return 1;
    for (size_t i = 0; i < argc_s; i++)
        if (fuzz_inside(s.p, s.n, argv_s[i], argl_s[i]))
            return 1;
    return 0;
}

static void check_err(int rc, const struct err *e)
{
    if (rc == 0)
        return;
    FUZZ_CHECK(rc == ERR_ARGS || rc == ERR_LIMIT);
    FUZZ_CHECK(e->msg[0] != '\0');
    FUZZ_CHECK(strchr(e->msg, '\n') == NULL);
}

static void generic(struct args *a)
{
    static const char *const choices[] = {"any", "client", "asc", "desc", NULL};
    struct err e;
    struct slice s;
    int64_t span;
    uint64_t u;
    int b, k, rc;

    rc = args_str(a, "field", SLICE_LIT("x"), &s, &e);
    check_err(rc, &e);
    if (rc == 0)
        FUZZ_CHECK(in_args(s) || slice_eq_cstr(s, "x"));
    rc = args_span(a, "span", 60000000, 1000000, 86400000000, &span, &e);
    check_err(rc, &e);
    if (rc == 0)
        FUZZ_CHECK(span >= 1000000 && span <= 86400000000);
    rc = args_uint(a, "limit", 10, 0, 1000, &u, &e);
    check_err(rc, &e);
    if (rc == 0)
        FUZZ_CHECK(u <= 1000);
    rc = args_bool(a, "debug", 0, &b, &e);
    check_err(rc, &e);
    if (rc == 0)
        FUZZ_CHECK(b == 0 || b == 1);
    rc = args_enum(a, "order", choices, 0, &k, &e);
    check_err(rc, &e);
    if (rc == 0)
        FUZZ_CHECK(k >= 0 && k < 4);
    long w = args_next_word(a, 0);
    while (w >= 0) {
        FUZZ_CHECK((size_t)w < a->n && a->items[w].is_word);
        a->items[w].used = 1;
        w = args_next_word(a, (size_t)w + 1);
    }
    check_err(args_finish(a, "fuzz", &e), &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *v[MAXV];
    size_t l[MAXV], n = 0;
    struct args *a = malloc(sizeof *a);
    struct err e;
    FUZZ_CHECK(copy != NULL && a != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *p = copy; n < MAXV;) {
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        v[n] = p;
        if (nl != NULL)
            *nl = '\0';
        l[n] = strlen(p); /* a NUL byte ends the string, as in C argv */
        n++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    argv_s = v;
    argl_s = l;
    argc_s = n;

    for (int pass = 0; pass < 3; pass++) {
        int rc = args_parse(a, (const char *const *)v, n, &e);
        check_err(rc, &e);
        if (rc != 0)
            break;
        FUZZ_CHECK(a->n <= ARGS_COUNT_MAX);
        for (size_t i = 0; i < a->n; i++) {
            FUZZ_CHECK(in_args(a->items[i].name) && in_args(a->items[i].value));
            FUZZ_CHECK(!a->items[i].used);
        }
        if (pass < 2) {
            struct join_opts o;
            rc = joinopts_parse(a, pass == 0, &o, &e);
            check_err(rc, &e);
            if (rc == 0) {
                FUZZ_CHECK(o.window_us >= 1000000 && o.maxnames >= 1 &&
                           o.maxnames <= JOIN_MAXNAMES_MAX && o.maxbuffer > 0);
                FUZZ_CHECK(in_args(o.ip_field) && in_args(o.client_field));
                check_err(args_finish(a, "dnsjoin", &e), &e);
            }
        } else {
            generic(a);
        }
    }
    free(a);
    free(copy);
    return 0;
}
