#include "util/conffile.h"

#include <stdio.h>
#include <string.h>

static struct slice trim(struct slice s)
{
    while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.n--;
    while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r' ||
                       s.p[s.n - 1] == '\n'))
        s.n--;
    return s;
}

int conffile_bool(struct slice v, int *out)
{
    static const char *const yes[] = {"true", "1", "t", "yes", "y", "on"};
    static const char *const no[] = {"false", "0", "f", "no", "n", "off"};
    char low[8];
    if (v.n == 0 || v.n >= sizeof low)
        return ERR_INPUT;
    for (size_t i = 0; i < v.n; i++)
        low[i] = (char)(v.p[i] >= 'A' && v.p[i] <= 'Z' ? v.p[i] + 32 : v.p[i]);
    low[v.n] = '\0';
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(low, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(low, no[i]) == 0)
            return *out = 0, 0;
    }
    return ERR_INPUT;
}

int conffile_read(const char *path, const char *file, const char *stanza, conffile_set set,
                  void *ctx, struct err *e)
{
    FILE *f = fopen(path, "r");
    char line[CONFFILE_LINE_MAX];
    int lineno = 0, in = 0, rc = 0;
    struct slice want = slice_cstr(stanza);

    if (f == NULL)
        return 0;  /* a missing file means defaults */
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        size_t n = strlen(line);
        lineno++;
        if (n == sizeof line - 1 && line[n - 1] != '\n' && !feof(f)) {
            rc = err_set(e, ERR_ARGS, "%s line %d: longer than CONFFILE_LINE_MAX (%d bytes)",
                         file, lineno, CONFFILE_LINE_MAX);
            break;
        }
        struct slice s = trim(slice_of(line, n));
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
    fclose(f);
    return rc;
}
