#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "util/xmem.h"

static ssize_t sys_read(int fd, void *p, size_t n) { return read(fd, p, n); }
static ssize_t sys_write(int fd, const void *p, size_t n) { return write(fd, p, n); }

static ssize_t sys_pread(int fd, void *p, size_t n, off_t off) { return pread(fd, p, n, off); }

const struct io_ops io_sys = {sys_read, sys_write, sys_pread};
const struct io_ops *io_ops = &io_sys;

static void wait_fd(int fd, short ev)
{
    struct pollfd pfd = {fd, ev, 0};
    /* A bounded wait: if poll itself fails we simply retry the call. */
    (void)poll(&pfd, 1, 1000);
}

/* One read (pread when positional), retried on EINTR and after a wait on
 * EAGAIN. */
static ssize_t read_retry(int fd, void *p, size_t n, off_t off, int positional, struct err *e)
{
    for (;;) {
        ssize_t r = positional ? io_ops->pread(fd, p, n, off) : io_ops->read(fd, p, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_fd(fd, POLLIN);
            continue;
        }
        return err_set(e, ERR_IO, "read failed: %s", strerror(errno));
    }
}

ssize_t io_read_some(int fd, void *p, size_t n, struct err *e)
{
    return read_retry(fd, p, n, 0, 0, e);
}

ssize_t io_pread_some(int fd, void *p, size_t n, off_t off, struct err *e)
{
    return read_retry(fd, p, n, off, 1, e);
}

ssize_t io_pread_full(int fd, void *p, size_t n, off_t off, struct err *e)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = io_pread_some(fd, (char *)p + got, n - got, off + (off_t)got, e);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int io_write_all(int fd, const void *p, size_t n, struct err *e)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = io_ops->write(fd, c, n);
        if (w > 0) {
            c += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_fd(fd, POLLOUT);
            continue;
        }
        if (w < 0 && errno == EPIPE)
            return err_set(e, ERR_PIPE, "output closed by the reader (EPIPE)");
        return err_set(e, ERR_IO, "write failed: %s", w < 0 ? strerror(errno) : "no progress");
    }
    return 0;
}

int io_writev_all(int fd, const struct iovec *iov, int cnt, struct err *e)
{
    /* Few pieces per reply: a loop of full writes keeps short-write handling
     * in one place and costs one extra syscall per piece. */
    for (int i = 0; i < cnt; i++) {
        int rc = io_write_all(fd, iov[i].iov_base, iov[i].iov_len, e);
        if (rc)
            return rc;
    }
    return 0;
}

char *io_read_file(const char *path, size_t max, const char *limit_name, size_t *len,
                   struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *p;
    size_t n = 0;
    if (fd < 0) {
        err_set(e, ERR_IO, "cannot open %s", path);
        return NULL;
    }
    p = xmalloc(max + 1);
    if (p == NULL) {
        close(fd);
        err_set(e, ERR_NOMEM, "out of memory reading %s", path);
        return NULL;
    }
    for (;;) {
        ssize_t r = io_read_some(fd, p + n, max + 1 - n, e);
        if (r < 0) {
            close(fd);
            xfree(p);
            err_set(e, ERR_IO, "cannot read %s", path);
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            close(fd);
            xfree(p);
            err_set(e, ERR_LIMIT, "%s is larger than %s (%zu bytes)", path, limit_name, max);
            return NULL;
        }
    }
    close(fd);
    p[n] = '\0';
    *len = n;
    return p;
}
