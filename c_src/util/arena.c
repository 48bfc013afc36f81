#include "util/arena.h"

#include <stdint.h>
#include <string.h>

#include "util/xmem.h"

struct arena_block {
    struct arena_block *prev;
    size_t size;
    size_t used;
    /* data follows, aligned by the header size rounding below */
};

#define HDR ((sizeof(struct arena_block) + 15) & ~(size_t)15)

void arena_init(struct arena *a, size_t block_size, size_t max)
{
    a->head = NULL;
    a->spare = NULL;
    a->block_size = block_size;
    a->used_total = 0;
    a->max = max;
}

void *arena_alloc(struct arena *a, size_t n)
{
    struct arena_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;

    if (need < n || need > a->max - a->used_total)
        return NULL;
    if (b == NULL || b->size - b->used < need) {
        size_t sz = need > a->block_size ? need : a->block_size;
        struct arena_block *nb;
        if (sz == a->block_size && a->spare != NULL) {
            nb = a->spare;
            a->spare = nb->prev;
        } else {
            nb = xmalloc(HDR + sz);
            if (nb == NULL)
                return NULL;
        }
        nb->prev = b;
        nb->size = sz;
        nb->used = 0;
        a->head = b = nb;
    }
    void *p = (char *)b + HDR + b->used;
    b->used += need;
    a->used_total += need;
    return p;
}

char *arena_dup(struct arena *a, const void *p, size_t n)
{
    char *d = arena_alloc(a, n ? n : 1);
    if (d != NULL && n)
        memcpy(d, p, n);
    return d;
}

void arena_reset(struct arena *a)
{
    /* Default-size blocks are kept for the next reply (every reply needs
     * about as many, and fresh pages cost the kernel a clear each); larger
     * one-off blocks are freed so they do not pin memory. */
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *p = b->prev;
        if (b->size == a->block_size) {
            b->used = 0;
            b->prev = a->spare;
            a->spare = b;
        } else {
            xfree(b);
        }
        b = p;
    }
    a->head = NULL;
    a->used_total = 0;
}

void arena_free(struct arena *a)
{
    arena_reset(a);
    struct arena_block *b = a->spare;
    while (b) {
        struct arena_block *p = b->prev;
        xfree(b);
        b = p;
    }
    a->spare = NULL;
    a->head = NULL;
    a->used_total = 0;
}
