/*
 * slice: a (pointer, length) view of bytes owned by someone else.
 *
 * Every parser in the project hands out slices into the buffer it was given
 * instead of copying; a slice is never assumed to be NUL-terminated.  A slice
 * with p == NULL means "absent", which is different from an empty value
 * (p != NULL, n == 0): the CSV writer omits a column only when every row
 * leaves it absent.
 */
#ifndef SLICE_H
#define SLICE_H

#include <stddef.h>
#include <string.h>

struct slice {
    const char *p; /* VIEW: valid as long as the owner's buffer */
    size_t n;
};

#define SLICE_NULL ((struct slice){NULL, 0})
#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

static inline struct slice slice_of(const char *p, size_t n)
{
    struct slice s = {p, n};
    return s;
}

static inline struct slice slice_cstr(const char *s)
{
    return slice_of(s, strlen(s));
}

static inline int slice_is_null(struct slice s) { return s.p == NULL; }

/* Absent or empty: the two cases Splunk does not tell apart in a CSV cell. */
static inline int slice_is_blank(struct slice s) { return s.p == NULL || s.n == 0; }

static inline int slice_eq(struct slice a, struct slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static inline int slice_eq_cstr(struct slice a, const char *s)
{
    return slice_eq(a, slice_cstr(s));
}

/* Bytewise order (memcmp, then length): the order the issues call "bytewise". */
static inline int slice_cmp(struct slice a, struct slice b)
{
    size_t m = a.n < b.n ? a.n : b.n;
    int c = m ? memcmp(a.p, b.p, m) : 0;
    if (c != 0)
        return c;
    return (a.n > b.n) - (a.n < b.n);
}

static inline int slice_starts_with(struct slice a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.n >= n && memcmp(a.p, prefix, n) == 0;
}

/* The next item of an argument list whose items are separated by commas or
 * blanks (local_resolvers=, local_domains=): 1 with *item set and *pos past
 * it, 0 at the end.  Empty items are skipped. */
static inline int slice_list_next(struct slice list, size_t *pos, struct slice *item)
{
    size_t i = *pos;
    while (i < list.n && (list.p[i] == ',' || list.p[i] == ' '))
        i++;
    size_t b = i;
    while (i < list.n && list.p[i] != ',' && list.p[i] != ' ')
        i++;
    *pos = i;
    if (i == b)
        return 0;
    *item = slice_of(list.p + b, i - b);
    return 1;
}

#endif
