/*
 * chunk: SCP v2 framing, `chunked 1.0,<metadata_len>,<body_len>\n` followed
 * by exactly that many bytes of JSON metadata and of CSV body, in both
 * directions, with nothing between frames.
 *
 * chunk_header_parse is a pure function over (pointer, length); the reader
 * above it owns the only buffer a frame lives in and loops on short reads.
 * Lengths are checked against SCP_META_MAX / SCP_BODY_MAX before any
 * allocation, and the body buffer grows with what actually arrives.
 */
#ifndef CHUNK_H
#define CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CHUNK_NEED_MORE (-2L)
#define CHUNK_BAD (-1L)

/*
 * Parse a frame header at p[0..n).  Returns the header length (> 0) with both
 * lengths set, CHUNK_NEED_MORE when every byte so far can start a valid
 * header, or CHUNK_BAD at the first byte that cannot (e filled).  Numbers are
 * 1-20 decimal digits, overflow-checked; no spaces are accepted.
 */
long chunk_header_parse(const char *p, size_t n, uint64_t *meta_len, uint64_t *body_len,
                        struct err *e);

struct frame {
    char *meta;        /* VIEW into the reader's buffer, valid until the next read */
    size_t meta_len;
    char *body;        /* VIEW, writable (the CSV reader unescapes in place) */
    size_t body_len;
};

struct frame_reader {
    int fd;
    char *buf;         /* OWNED */
    size_t len;        /* valid bytes in buf */
    size_t cap;
    size_t used;       /* bytes of buf belonging to the frame last returned */
    uint64_t frames;   /* frames read so far */
};

void frame_reader_init(struct frame_reader *r, int fd);
void frame_reader_free(struct frame_reader *r);

/*
 * Read the next frame.  1 = *f set; 0 = clean end of input at a frame
 * boundary; < 0 = error: ERR_EOF_TRUNC (input ended inside a frame),
 * ERR_FRAME (bad header), ERR_LIMIT (a length over its limit; the frame was
 * not read), ERR_IO, ERR_NOMEM.  The previous frame's views become invalid.
 */
int frame_read(struct frame_reader *r, struct frame *f, struct err *e) WARN_UNUSED;

/* Write a frame header and its metadata; the caller then writes exactly
 * body_len body bytes.  0, ERR_PIPE or ERR_IO. */
int frame_write_head(int fd, const char *meta, size_t meta_len, size_t body_len,
                     struct err *e) WARN_UNUSED;

/* Write one frame (header, metadata, body).  0, ERR_PIPE or ERR_IO. */
int frame_write(int fd, const char *meta, size_t meta_len, const char *body,
                size_t body_len, struct err *e) WARN_UNUSED;

#endif
