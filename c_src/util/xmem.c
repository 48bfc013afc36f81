#include "util/xmem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Atomic: a command may allocate on a worker thread too (util/worker.h).
 * Relaxed is enough for a count; which thread's allocation is the Nth is
 * then up to the scheduler, and every later one fails as well.  Counted
 * only while a failure is set: otherwise two threads allocating at once
 * would pass the counter's cache line to and fro on every allocation. */
static atomic_ulong alloc_count;
static atomic_ulong fail_at;

static int should_fail(void)
{
    unsigned long f = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (f == 0)
        return 0;
    unsigned long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
    return n >= f;
}

void xmem_fail_at(unsigned long n)
{
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_at, n);
}

void *xmalloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *xcalloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *xrealloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void *xreallocarray(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return xrealloc(p, n * size);
}

void xfree(void *p) { free(p); }

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    if (d == NULL)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
