/*
 * fuzz_conffile: dnsjoin.conf text (util/conffile), as an admin's
 * local/dnsjoin.conf may hold anything.
 *
 * Byte 0 picks the stanza asked for (bit 0: "search" or "kvstore"); the
 * rest is the file.  Properties:
 * - conffile_parse returns 0, or ERR_ARGS for a line of CONFFILE_LINE_MAX
 *   bytes or more, and reads only the buffer;
 * - every key and value it hands over lies inside the buffer, within one
 *   line, with no blank, CR or LF at either end; keys hold no '=';
 * - line numbers only grow, and a stop from the callback stops the parse
 *   with the callback's code;
 * - conffile_bool accepts only its twelve spellings, any case.
 */
#include <string.h>

#include "fuzz.h"
#include "limits.h"
#include "util/conffile.h"

struct ctx {
    const char *base;
    size_t n;
    int last_line, keys, stop_at;
};

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int check(void *p, struct slice k, struct slice v, const char *file, int line,
                 struct err *e)
{
    struct ctx *c = p;
    FUZZ_CHECK(strcmp(file, "local/dnsjoin.conf") == 0);
    FUZZ_CHECK(fuzz_inside(k.p, k.n, c->base, c->n) && fuzz_inside(v.p, v.n, c->base, c->n));
    FUZZ_CHECK(memchr(k.p, '\n', k.n) == NULL && memchr(v.p, '\n', v.n) == NULL);
    FUZZ_CHECK(memchr(k.p, '=', k.n) == NULL);
    FUZZ_CHECK(k.n == 0 || (!blank(k.p[0]) && !blank(k.p[k.n - 1])));
    FUZZ_CHECK(v.n == 0 || (!blank(v.p[0]) && !blank(v.p[v.n - 1])));
    FUZZ_CHECK(line > c->last_line);
    c->last_line = line;
    int b;
    if (conffile_bool(v, &b) == 0)
        FUZZ_CHECK(v.n >= 1 && v.n <= 5 && (b == 0 || b == 1));
    if (++c->keys == c->stop_at)
        return err_set(e, ERR_INPUT, "stop");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    struct ctx c = {text, n, 0, 0, (data[0] >> 1) & 7};
    struct err e;
    err_clear(&e);
    int rc = conffile_parse(text, n, "local/dnsjoin.conf", data[0] & 1 ? "kvstore" : "search",
                            check, &c, &e);
    if (rc == ERR_INPUT)
        FUZZ_CHECK(c.stop_at != 0 && c.keys == c.stop_at);
    else if (rc == ERR_ARGS)
        FUZZ_CHECK(strstr(e.msg, "CONFFILE_LINE_MAX") != NULL);
    else
        FUZZ_CHECK(rc == 0 && (c.stop_at == 0 || c.keys < c.stop_at));
    return 0;
}
