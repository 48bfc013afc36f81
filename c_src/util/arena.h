/*
 * arena: a bump allocator for data that lives exactly as long as one reply.
 *
 * The protocol driver resets it after each reply is written, so per-chunk
 * scratch (output cells, decoded multivalues, formatted numbers) costs one
 * pointer bump and is never freed piecemeal.  Blocks are never moved, so
 * pointers stay valid until arena_reset.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

#include "util/err.h"

struct arena_block;

struct arena {
    struct arena_block *head;  /* OWNED: current block, linked to older ones */
    struct arena_block *spare; /* OWNED: default-size blocks kept by arena_reset */
    size_t block_size;         /* default size of a new block */
    size_t used_total;         /* bytes handed out since the last reset */
    size_t max;                /* ceiling for used_total */
};

void arena_init(struct arena *a, size_t block_size, size_t max);

/* OWNED by the arena, 16-byte aligned, valid until arena_reset/arena_free.
 * NULL on allocation failure or when the ceiling is reached. */
void *arena_alloc(struct arena *a, size_t n);

/* Copy n bytes into the arena; NULL on failure. */
char *arena_dup(struct arena *a, const void *p, size_t n);

/* Forget everything; keeps the newest block for reuse. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
