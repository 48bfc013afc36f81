#include "modinput/ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "util/buf.h"
#include "util/io.h"
#include "util/num.h"
#include "util/xmem.h"

#define CKPT_MAGIC "dnsmasq_log checkpoint 1\n"

uint64_t ckpt_hash(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

void ckpt_free(struct ckpt *c)
{
    xfree(c->done);
    memset(c, 0, sizeof *c);
}

int ckpt_is_done(const struct ckpt *c, uint64_t off)
{
    size_t lo = 0, hi = c->n_done;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->done[mid] == off)
            return 1;
        if (c->done[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* "key value\n" at *p; returns the value or -1. */
static int field(const char **p, const char *end, const char *key, uint64_t *v)
{
    size_t kl = strlen(key);
    const char *nl;
    if ((size_t)(end - *p) <= kl || memcmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
        return -1;
    nl = memchr(*p, '\n', (size_t)(end - *p));
    if (nl == NULL)
        return -1;
    if (num_parse_u64(slice_of(*p + kl + 1, (size_t)(nl - (*p + kl + 1))), 0, UINT64_MAX, v))
        return -1;
    *p = nl + 1;
    return 0;
}

int ckpt_load(const char *path, struct ckpt *c, struct err *e)
{
    struct buf b;
    char tmp[65536];
    int fd, rc = 0;
    uint64_t n_done = 0;
    const char *p, *end;

    memset(c, 0, sizeof *c);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? ERR_INPUT
                               : err_set(e, ERR_IO, "cannot read checkpoint: %s", strerror(errno));
    buf_init(&b, (size_t)DNSMASQ_INFLIGHT_MAX * 22 + 4096);
    for (;;) {
        ssize_t got = io_read_some(fd, tmp, sizeof tmp, e);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got == 0)
            break;
        rc = buf_append(&b, tmp, (size_t)got);
        if (rc)
            break;
    }
    close(fd);
    if (rc) {
        buf_free(&b);
        return rc == ERR_LIMIT ? ERR_INPUT : rc;
    }
    p = b.p;
    end = b.p + b.len;
    if (b.len < sizeof CKPT_MAGIC - 1 || memcmp(p, CKPT_MAGIC, sizeof CKPT_MAGIC - 1) != 0)
        rc = ERR_INPUT;
    else
        p += sizeof CKPT_MAGIC - 1;
    if (rc == 0 &&
        (field(&p, end, "dev", &c->dev) || field(&p, end, "ino", &c->ino) ||
         field(&p, end, "head_len", &c->head_len) || field(&p, end, "head_hash", &c->head_hash) ||
         field(&p, end, "offset", &c->off) || field(&p, end, "done", &n_done) ||
         n_done > DNSMASQ_INFLIGHT_MAX || c->head_len > CKPT_HEAD_BYTES))
        rc = ERR_INPUT;
    if (rc == 0 && n_done) {
        c->done = xcalloc(n_done, sizeof *c->done);
        if (c->done == NULL)
            rc = ERR_NOMEM;
        for (uint64_t i = 0; rc == 0 && i < n_done; i++) {
            if (field(&p, end, "d", &c->done[i]) || (i && c->done[i] <= c->done[i - 1]))
                rc = ERR_INPUT;
        }
        c->n_done = (size_t)n_done;
    }
    if (rc == 0 && (end - p != 4 || memcmp(p, "end\n", 4) != 0))
        rc = ERR_INPUT; /* a torn file cannot happen with rename, but check */
    buf_free(&b);
    if (rc)
        ckpt_free(c);
    return rc;
}

int ckpt_save(const char *path, const struct ckpt *c, struct err *e)
{
    struct buf b, tp;
    int fd = -1, rc;

    buf_init(&b, (size_t)DNSMASQ_INFLIGHT_MAX * 24 + 4096);
    buf_init(&tp, 8192);
    rc = buf_printf(&b, CKPT_MAGIC "dev %llu\nino %llu\nhead_len %llu\nhead_hash %llu\n"
                                   "offset %llu\ndone %zu\n",
                    (unsigned long long)c->dev, (unsigned long long)c->ino,
                    (unsigned long long)c->head_len, (unsigned long long)c->head_hash,
                    (unsigned long long)c->off, c->n_done);
    for (size_t i = 0; rc == 0 && i < c->n_done; i++)
        rc = buf_printf(&b, "d %llu\n", (unsigned long long)c->done[i]);
    if (rc == 0)
        rc = buf_appends(&b, "end\n");
    if (rc == 0)
        rc = buf_printf(&tp, "%s.tmp", path);
    if (rc == 0)
        rc = buf_appendc(&tp, '\0');
    if (rc) {
        err_set(e, rc, "checkpoint too large");
        goto out;
    }
    fd = open(tp.p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        rc = err_set(e, ERR_IO, "cannot write checkpoint: %s", strerror(errno));
        goto out;
    }
    rc = io_write_all(fd, b.p, b.len, e);
    if (rc == 0 && fsync(fd) != 0)
        rc = err_set(e, ERR_IO, "fsync of checkpoint: %s", strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = err_set(e, ERR_IO, "close of checkpoint: %s", strerror(errno));
    if (rc == 0 && rename(tp.p, path) != 0)
        rc = err_set(e, ERR_IO, "rename of checkpoint: %s", strerror(errno));
    if (rc == 0) {
        /* make the rename itself durable */
        char *slash = strrchr(tp.p, '/');
        int dfd;
        if (slash)
            *slash = '\0';
        dfd = open(slash ? tp.p : ".", O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
out:
    buf_free(&b);
    buf_free(&tp);
    return rc;
}
