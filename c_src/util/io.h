/*
 * io: whole reads and writes over file descriptors.
 *
 * Reads return what is available (a short read is normal on a pipe); writes
 * loop until everything is written.  EINTR is retried, EAGAIN waits with
 * poll() (stdin may have been left non-blocking), EPIPE is ERR_PIPE.  The
 * system calls go through `io_ops` so tests can inject one-byte transfers,
 * EINTR and EAGAIN (the unit suites in-process; a test build of
 * dnsmasq_log links tests/dnsmasq/faultio.c, which the shipped binary
 * does not).
 */
#ifndef IO_H
#define IO_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/err.h"

struct io_ops {
    ssize_t (*read)(int fd, void *p, size_t n);
    ssize_t (*write)(int fd, const void *p, size_t n);
    ssize_t (*pread)(int fd, void *p, size_t n, off_t off);
};

/* The active seam; tests may point it at their own functions. */
extern const struct io_ops *io_ops;
extern const struct io_ops io_sys;

/* > 0 bytes read, 0 at EOF, < 0 ERR_IO (e filled). */
ssize_t io_read_some(int fd, void *p, size_t n, struct err *e);

/* Positioned reads of a file (the modular input's log): > 0 bytes read at
 * off (perhaps fewer than n), 0 at EOF, < 0 ERR_IO (e filled). */
ssize_t io_pread_some(int fd, void *p, size_t n, off_t off, struct err *e);

/* n bytes at off, fewer only at EOF: the count, or < 0 ERR_IO. */
ssize_t io_pread_full(int fd, void *p, size_t n, off_t off, struct err *e);

/* 0 or ERR_IO / ERR_PIPE. */
int io_write_all(int fd, const void *p, size_t n, struct err *e) WARN_UNUSED;

/* OWNED: the whole file at path, NUL-terminated, *len its size without the
 * NUL.  NULL with e filled: ERR_IO (cannot open or read it), ERR_LIMIT
 * (larger than max bytes; limit_name names the limit in the message),
 * ERR_NOMEM.  For the app's small lookup files, read once per search. */
char *io_read_file(const char *path, size_t max, const char *limit_name, size_t *len,
                   struct err *e);

/* Write several pieces in order; same results as io_write_all. */
int io_writev_all(int fd, const struct iovec *iov, int cnt, struct err *e) WARN_UNUSED;

#endif
