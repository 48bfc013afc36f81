/*
 * xmem: the only place that calls malloc/realloc/free.
 *
 * It exists so tests can make the Nth allocation fail (xmem_fail_at) and
 * check that every failure path ends in a clean error without leaks.
 * Allocation failure is reported to callers as NULL, never by exiting.
 */
#ifndef XMEM_H
#define XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);               /* OWNED or NULL */
void *xcalloc(size_t n, size_t size);  /* OWNED or NULL; checks n*size overflow */
void *xrealloc(void *p, size_t n);     /* OWNED or NULL (p still valid on NULL) */
void *xreallocarray(void *p, size_t n, size_t size);
void xfree(void *p);
char *xstrndup(const char *s, size_t n); /* OWNED, NUL-terminated */

/* Test hook: make allocation number n (1-based, counted from now) and every
 * later one fail; 0 turns failures off (and stops the count). */
void xmem_fail_at(unsigned long n);

#endif
