#include "util/conffile.h"

#include <stdio.h>
#include <string.h>

#include "limits.h"
#include "util/xmem.h"

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Blanks off both ends (a CRLF file's CR included). */
static struct slice trim(struct slice s)
{
    while (s.n > 0 && blank(s.p[0]))
        s.p++, s.n--;
    while (s.n > 0 && blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* v equals word (lowercase ASCII) in any case, to the byte: a NUL in v
 * never ends it early. */
static int word_is(struct slice v, const char *word)
{
    size_t n = strlen(word);
    if (v.n != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v.p[i];
        if ((c >= 'A' && c <= 'Z' ? (char)(c + 32) : c) != word[i])
            return 0;
    }
    return 1;
}

int conffile_bool(struct slice v, int *out)
{
    static const char *const yes[] = {"true", "1", "t", "yes", "y", "on"};
    static const char *const no[] = {"false", "0", "f", "no", "n", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (word_is(v, yes[i]))
            return *out = 1, 0;
        if (word_is(v, no[i]))
            return *out = 0, 0;
    }
    return ERR_INPUT;
}

int conffile_parse(const char *p, size_t n, const char *file, const char *stanza,
                   conffile_set set, void *ctx, struct err *e)
{
    struct slice want = slice_cstr(stanza);
    size_t i = 0;
    int lineno = 0, in = 0, rc = 0;

    while (rc == 0 && i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t end = nl != NULL ? (size_t)(nl - p) : n;
        struct slice s = trim(slice_of(p + i, end - i));
        lineno++;
        if (end - i >= CONFFILE_LINE_MAX)
            return err_set(e, ERR_ARGS, "%s line %d: longer than CONFFILE_LINE_MAX (%d bytes)",
                           file, lineno, CONFFILE_LINE_MAX);
        i = end + 1;
        if (s.n == 0 || s.p[0] == '#' || s.p[0] == ';')
            continue;
        if (s.p[0] == '[') {
            in = s.n == want.n + 2 && s.p[s.n - 1] == ']' &&
                 memcmp(s.p + 1, want.p, want.n) == 0;
            continue;
        }
        const char *eq = memchr(s.p, '=', s.n);
        if (!in || eq == NULL)
            continue;
        struct slice k = trim(slice_of(s.p, (size_t)(eq - s.p)));
        struct slice v = trim(slice_of(eq + 1, s.n - (size_t)(eq + 1 - s.p)));
        rc = set(ctx, k, v, file, lineno, e);
    }
    return rc;
}

int conffile_read(const char *path, const char *file, const char *stanza, conffile_set set,
                  void *ctx, struct err *e)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;  /* a missing file means defaults */
    char *buf = xmalloc(CONFFILE_BYTES_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return err_set(e, ERR_NOMEM, "out of memory reading %s", file);
    }
    size_t n = fread(buf, 1, CONFFILE_BYTES_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc = bad ? err_set(e, ERR_ARGS, "%s: cannot be read", file)
             : n > CONFFILE_BYTES_MAX
                 ? err_set(e, ERR_ARGS, "%s: larger than CONFFILE_BYTES_MAX (%u bytes)", file,
                           (unsigned)CONFFILE_BYTES_MAX)
                 : conffile_parse(buf, n, file, stanza, set, ctx, e);
    xfree(buf);
    return rc;
}
