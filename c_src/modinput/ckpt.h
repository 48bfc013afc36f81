/*
 * ckpt: where to resume a log file after a restart (SPLUNK_APP.md §7.7).
 *
 * The checkpoint names the file by identity (device, inode, and a hash of
 * its first bytes, so a reused inode or a copytruncate is noticed) and
 * holds the offset from which re-reading loses nothing (the start of the
 * oldest unfinished transaction), plus the start offsets of transactions
 * after it that were already emitted, so that re-reading does not emit
 * them again.  It is written to a temporary file, fsync'ed and renamed over
 * the old one, after the events it covers were written.
 */
#ifndef CKPT_H
#define CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* How many leading bytes identify a file. */
#define CKPT_HEAD_BYTES 256

struct ckpt {
    uint64_t dev, ino;
    uint64_t head_len;   /* bytes hashed (less than CKPT_HEAD_BYTES for a short file) */
    uint64_t head_hash;
    uint64_t off;        /* resume offset */
    uint64_t *done;      /* OWNED: sorted start offsets (>= off) already emitted */
    size_t n_done;
};

/* FNV-1a 64 of p[0..n). */
uint64_t ckpt_hash(const void *p, size_t n);

/* 0; ERR_INPUT when the file does not exist or is not a checkpoint (start
 * fresh); ERR_IO / ERR_NOMEM. */
int ckpt_load(const char *path, struct ckpt *c, struct err *e) WARN_UNUSED;

/* Atomic replace: path.tmp, fsync, rename, fsync of the directory. */
int ckpt_save(const char *path, const struct ckpt *c, struct err *e) WARN_UNUSED;

void ckpt_free(struct ckpt *c);

/* Whether off is in c->done. */
int ckpt_is_done(const struct ckpt *c, uint64_t off);

#endif
