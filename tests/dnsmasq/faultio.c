/*
 * faultio: I/O faults for a test build of dnsmasq_log.
 *
 * Linked only into build/.../tests/dnsmasq_log_faultio (Makefile), never
 * into bin/dnsmasq_log: the shipped binary has no switch that turns this
 * on.  A constructor points util/io's seam at system calls that, at random,
 * fail with EINTR or EAGAIN or move a single byte, so every read of stdin,
 * of the checkpoint and of the log, and every write of events and of the
 * checkpoint, sees short transfers and retries.  A fault never loses or
 * invents data: it only makes a call do less.
 *
 * FAULTIO_SEED (decimal) fixes the sequence; otherwise the pid seeds it,
 * so each restart in the kill-and-restart test sees a different one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/io.h"

static uint64_t state;

static unsigned next_rand(void)
{
    /* xorshift64: enough to vary the faults, no libc state */
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)(state >> 32);
}

/* -1 with errno set for a fault, else how many bytes to move: one (the
 * shortest transfer a kernel may return), or 0 when 0 were asked for. */
static ssize_t plan(size_t n)
{
    switch (next_rand() % 8) {
    case 0:
        errno = EINTR;
        return -1;
    case 1:
        errno = EAGAIN;
        return -1;
    default:
        return n > 0 ? 1 : 0;
    }
}

static ssize_t f_read(int fd, void *p, size_t n)
{
    ssize_t k = plan(n);
    return k < 0 ? -1 : read(fd, p, (size_t)k);
}

static ssize_t f_write(int fd, const void *p, size_t n)
{
    ssize_t k = plan(n);
    return k < 0 ? -1 : write(fd, p, (size_t)k);
}

static ssize_t f_pread(int fd, void *p, size_t n, off_t off)
{
    ssize_t k = plan(n);
    return k < 0 ? -1 : pread(fd, p, (size_t)k, off);
}

static const struct io_ops fault_ops = {f_read, f_write, f_pread};

void faultio_install(void) __attribute__((constructor));
void faultio_install(void)
{
    const char *s = getenv("FAULTIO_SEED");
    uint64_t seed = (uint64_t)getpid();
    if (s != NULL && *s != '\0') {
        seed = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            seed = seed * 10 + (uint64_t)(*s - '0'); /* wraps: any seed will do */
    }
    state = 0x9e3779b97f4a7c15ull ^ seed;
    if (state == 0)
        state = 1;
    io_ops = &fault_ops;
}
