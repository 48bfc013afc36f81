/*
 * fuzz_chunk: SCP v2 framing.
 *
 * - chunk_header_parse on the input as given: a result > 0 never exceeds
 *   the input, and a header it accepts is accepted again when parsed from a
 *   copy that ends right after it (the parser does not look past it);
 *   NEED_MORE is only returned while every byte so far could start a header.
 * - the frame reader over the input, first with reads as large as the
 *   reader asks, then one byte at a time: both must see the same frames
 *   (same count, same bytes) and end the same way, and every frame view
 *   lies inside the reader's buffer.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "scp/chunk.h"
#include "util/io.h"

static const uint8_t *in_p;
static size_t in_n, in_off, in_step;

static ssize_t mem_read(int fd, void *p, size_t n)
{
    (void)fd;
    size_t left = in_n - in_off;
    if (n > left)
        n = left;
    if (in_step && n > in_step)
        n = in_step;
    memcpy(p, in_p + in_off, n);
    in_off += n;
    return (ssize_t)n;
}

static ssize_t mem_write(int fd, const void *p, size_t n)
{
    (void)fd;
    (void)p;
    return (ssize_t)n;
}

static const struct io_ops mem_ops = {mem_read, mem_write, pread};

/* FNV-1a over the frames seen. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static void read_all(size_t step, uint64_t *hash, uint64_t *frames, int *end)
{
    struct frame_reader r;
    struct frame f;
    struct err e;
    uint64_t h = 14695981039346656037ull;
    int rc;

    in_off = 0;
    in_step = step;
    frame_reader_init(&r, 0);
    *frames = 0;
    while ((rc = frame_read(&r, &f, &e)) == 1) {
        FUZZ_CHECK(fuzz_inside(f.meta, f.meta_len, r.buf, r.len));
        FUZZ_CHECK(fuzz_inside(f.body, f.body_len, r.buf, r.len));
        h = mix(h, &f.meta_len, sizeof f.meta_len);
        h = mix(h, f.meta, f.meta_len);
        h = mix(h, &f.body_len, sizeof f.body_len);
        h = mix(h, f.body, f.body_len);
        (*frames)++;
    }
    FUZZ_CHECK(rc == 0 || rc == ERR_EOF_TRUNC || rc == ERR_FRAME || rc == ERR_LIMIT ||
               rc == ERR_NOMEM);
    if (rc < 0)
        FUZZ_CHECK(e.msg[0] != '\0' && memchr(e.msg, '\n', strlen(e.msg)) == NULL);
    frame_reader_free(&r);
    *hash = h;
    *end = rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    uint64_t ml, bl;
    struct err e;

    long h = chunk_header_parse(p, size, &ml, &bl, &e);
    FUZZ_CHECK(h == CHUNK_NEED_MORE || h == CHUNK_BAD || (h > 0 && (size_t)h <= size));
    if (h > 0) {
        char *copy = malloc((size_t)h);
        FUZZ_CHECK(copy != NULL);
        memcpy(copy, p, (size_t)h);
        uint64_t ml2, bl2;
        FUZZ_CHECK(chunk_header_parse(copy, (size_t)h, &ml2, &bl2, &e) == h);
        FUZZ_CHECK(ml2 == ml && bl2 == bl);
        /* every proper prefix of a header needs more */
        for (long k = 0; k < h; k++)
            FUZZ_CHECK(chunk_header_parse(copy, (size_t)k, &ml2, &bl2, &e) == CHUNK_NEED_MORE);
        free(copy);
    }

    const struct io_ops *saved = io_ops;
    io_ops = &mem_ops;
    in_p = data;
    in_n = size;
    uint64_t h1, h2, n1, n2;
    int end1, end2;
    read_all(0, &h1, &n1, &end1);
    /* one byte at a time is slow on big inputs; the recordings stay in */
    if (size <= 65536) {
        read_all(1, &h2, &n2, &end2);
        FUZZ_CHECK(n1 == n2 && h1 == h2 && end1 == end2);
    }
    io_ops = saved;
    return 0;
}
