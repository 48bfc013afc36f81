#include "scp/chunk.h"

#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "limits.h"
#include "util/io.h"
#include "util/xmem.h"

static const char magic[] = "chunked 1.0,";

/* Header parser states: the fixed prefix, the metadata length digits, the
 * body length digits, then the newline. */
long chunk_header_parse(const char *p, size_t n, uint64_t *meta_len, uint64_t *body_len,
                        struct err *e)
{
    size_t i = 0, plen = sizeof magic - 1;
    uint64_t v[2] = {0, 0};

    for (; i < plen; i++) {
        if (i >= n)
            return CHUNK_NEED_MORE;
        if (p[i] != magic[i]) {
            err_set(e, ERR_FRAME, "expected a 'chunked 1.0,<len>,<len>' header (byte %zu)", i + 1);
            return CHUNK_BAD;
        }
    }
    for (int k = 0; k < 2; k++) {
        size_t digits = 0;
        for (;;) {
            if (i >= n)
                return CHUNK_NEED_MORE;
            unsigned d = (unsigned char)p[i] - '0';
            if (d > 9)
                break;
            if (++digits > 20 || v[k] > (UINT64_MAX - d) / 10) {
                err_set(e, ERR_FRAME, "frame header length does not fit in 64 bits");
                return CHUNK_BAD;
            }
            v[k] = v[k] * 10 + d;
            i++;
        }
        char want = k == 0 ? ',' : '\n';
        if (digits == 0 || p[i] != want) {
            err_set(e, ERR_FRAME, "malformed frame header (byte %zu)", i + 1);
            return CHUNK_BAD;
        }
        i++;
    }
    *meta_len = v[0];
    *body_len = v[1];
    return (long)i;
}

void frame_reader_init(struct frame_reader *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
}

void frame_reader_free(struct frame_reader *r)
{
    xfree(r->buf);
    r->buf = NULL;
    r->len = r->cap = r->used = 0;
}

static int ensure_cap(struct frame_reader *r, size_t want)
{
    if (want <= r->cap)
        return 0;
    char *nb = xrealloc(r->buf, want);
    if (nb == NULL)
        return ERR_NOMEM;
    r->buf = nb;
    r->cap = want;
    return 0;
}

/* Read more bytes into spare capacity.  1 = got some, 0 = EOF, < 0 error. */
static int fill(struct frame_reader *r, struct err *e)
{
    ssize_t got = io_read_some(r->fd, r->buf + r->len, r->cap - r->len, e);
    if (got < 0)
        return (int)got;
    if (got == 0)
        return 0;
    r->len += (size_t)got;
    return 1;
}

int frame_read(struct frame_reader *r, struct frame *f, struct err *e)
{
    uint64_t mlen = 0, blen = 0;
    long hlen;
    int rc;

    /* Drop the previous frame; keep any bytes that followed it. */
    if (r->used) {
        memmove(r->buf, r->buf + r->used, r->len - r->used);
        r->len -= r->used;
        r->used = 0;
    }
    if (ensure_cap(r, 4096))
        return err_set(e, ERR_NOMEM, "out of memory reading a frame");

    for (;;) {
        hlen = chunk_header_parse(r->buf, r->len, &mlen, &blen, e);
        if (hlen == CHUNK_BAD)
            return ERR_FRAME;
        /* the same bound whether the header arrived whole or in pieces */
        if (hlen > 0 && hlen <= SCP_HEADER_MAX)
            break;
        if (hlen > 0 || r->len >= SCP_HEADER_MAX)
            return err_set(e, ERR_FRAME, "frame header longer than SCP_HEADER_MAX (%llu bytes); "
                           "the input is not a chunked protocol request (" LIMIT_BUILD_HINT ")",
                           (unsigned long long)SCP_HEADER_MAX);
        rc = fill(r, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if (r->len == 0)
                return 0;
            return err_set(e, ERR_EOF_TRUNC, "input ended inside a frame header");
        }
    }
    if (mlen > SCP_META_MAX)
        return err_set(e, ERR_LIMIT, "frame metadata of %llu bytes exceeds SCP_META_MAX (%llu "
                       "bytes); shorten the search string (" LIMIT_BUILD_HINT ")",
                       (unsigned long long)mlen, (unsigned long long)SCP_META_MAX);
    if (blen > SCP_BODY_MAX)
        return err_set(e, ERR_LIMIT, "frame body of %llu bytes exceeds SCP_BODY_MAX (%llu bytes); "
                       "lower maxresultrows in limits.conf so that splunkd sends smaller "
                       "chunks (" LIMIT_BUILD_HINT ")", (unsigned long long)blen,
                       (unsigned long long)SCP_BODY_MAX);

    size_t total = (size_t)hlen + (size_t)mlen + (size_t)blen;
    while (r->len < total) {
        if (r->len == r->cap) {
            /* Grow with the data that really arrives, not with the header's
             * promise, so a lying length cannot reserve a gigabyte. */
            size_t want = r->cap * 2 > r->len + SCP_READ_STEP ? r->cap * 2 : r->len + SCP_READ_STEP;
            if (want > total)
                want = total;
            if (ensure_cap(r, want))
                return err_set(e, ERR_NOMEM, "out of memory reading a %zu-byte frame", total);
        }
        rc = fill(r, e);
        if (rc < 0)
            return rc;
        if (rc == 0)
            return err_set(e, ERR_EOF_TRUNC, "input ended inside a frame (%zu of %zu bytes)",
                           r->len, total);
    }
    f->meta = r->buf + hlen;
    f->meta_len = (size_t)mlen;
    f->body = f->meta + mlen;
    f->body_len = (size_t)blen;
    r->used = total;
    r->frames++;
    return 1;
}

static int write_frame(int fd, const char *meta, size_t meta_len, const char *body,
                       size_t body_len, size_t announced, struct err *e)
{
    /* 12 + 20 + 1 + 20 + 1 bytes at most; not SCP_HEADER_MAX, which a test
     * build may set below what a reply header needs */
    char hdr[64];
    int hn = snprintf(hdr, sizeof hdr, "chunked 1.0,%zu,%zu\n", meta_len, announced);
    struct iovec iov[3] = {
        {hdr, (size_t)hn},
        {(void *)(uintptr_t)meta, meta_len},
        {(void *)(uintptr_t)body, body_len},
    };
    return io_writev_all(fd, iov, body_len ? 3 : 2, e);
}

int frame_write(int fd, const char *meta, size_t meta_len, const char *body,
                size_t body_len, struct err *e)
{
    return write_frame(fd, meta, meta_len, body, body_len, body_len, e);
}

int frame_write_head(int fd, const char *meta, size_t meta_len, size_t body_len, struct err *e)
{
    return write_frame(fd, meta, meta_len, NULL, 0, body_len, e);
}
