/*
 * buf: a growable byte buffer with a ceiling fixed at init.
 *
 * The ceiling is the named limit (limits.h) for whatever the buffer holds,
 * so "the input made us allocate too much" is an ERR_LIMIT with a message,
 * not an OOM kill.  Growing never happens behind the caller's back: reserve
 * then commit, or append.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

#include "util/err.h"

struct buf {
    char *p;     /* OWNED: xmalloc'd storage, NULL until first growth */
    size_t len;  /* bytes in use */
    size_t cap;  /* bytes allocated */
    size_t max;  /* ceiling for len */
};

/* Cannot fail; allocates nothing. */
void buf_init(struct buf *b, size_t max);

/* Make room for `extra` more bytes after len.  ERR_LIMIT past max, ERR_NOMEM. */
int buf_reserve(struct buf *b, size_t extra) WARN_UNUSED;

int buf_append(struct buf *b, const void *p, size_t n) WARN_UNUSED;
int buf_appends(struct buf *b, const char *s) WARN_UNUSED;
int buf_printf(struct buf *b, const char *fmt, ...) ATTR_FMT(2, 3) WARN_UNUSED;

/* One byte; the common case (room left) is inline because writers call
 * this for every separator. */
static inline int buf_appendc(struct buf *b, char c) WARN_UNUSED;
static inline int buf_appendc(struct buf *b, char c)
{
    if (b->len < b->cap) {
        b->p[b->len++] = c;
        return 0;
    }
    return buf_append(b, &c, 1);
}

/* Drop the contents, keep the storage. */
static inline void buf_reset(struct buf *b) { b->len = 0; }

/* Hand the storage to the caller (OWNED, free with xfree); b is empty after. */
char *buf_take(struct buf *b, size_t *len);

void buf_free(struct buf *b);

#endif
