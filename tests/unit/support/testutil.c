#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/io.h"

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            p = realloc(p, cap + 1);
        }
        size_t r = fread(p + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    p[n] = '\0';
    *len = n;
    return p;
}

char *tu_read_gz(const char *path, size_t *len)
{
    const char *argv[] = {"gzip", "-dc", path, NULL};
    struct tu_result r;
    if (tu_run(argv, NULL, 0, 10000, &r) || r.status != 0) {
        tu_result_free(&r);
        return NULL;
    }
    free(r.err);
    *len = r.out_len;
    return r.out;
}

int tu_have_shared(void)
{
    struct stat st;
    return stat("../shared/recordings", &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tu_bin(const char *name)
{
    /* Rotating buffers: several calls may appear in one argv initializer. */
    static char paths[8][4096];
    static unsigned next;
    char *path = paths[next++ % 8];
    const char *dir = getenv("DNSJOIN_BIN");
    snprintf(path, sizeof paths[0], "%s/%s", dir && *dir ? dir : "bin", name);
    return path;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void append(char **p, size_t *n, size_t *cap, const char *d, size_t k)
{
    if (*n + k + 1 > *cap) {
        *cap = (*n + k + 1) * 2;
        *p = realloc(*p, *cap);
    }
    memcpy(*p + *n, d, k);
    *n += k;
    (*p)[*n] = '\0';
}

int tu_under_valgrind(void)
{
    const char *vg = getenv("VALGRIND_CHILD");
    return vg != NULL && *vg != '\0';
}

size_t tu_stride(void)
{
    const char *s = getenv("DNSJOIN_TEST_STRIDE");
    long v = s != NULL ? strtol(s, NULL, 10) : 1;
    return v >= 1 && v <= 1000 ? (size_t)v : 1;
}

int tu_run(const char *const *argv, const char *in, size_t inlen, int timeout_ms,
           struct tu_result *r)
{
    int pin[2], pout[2], perr[2];
    size_t ocap = 0, ecap = 0, off = 0;
    long start = now_ms();
    pid_t pid;
    int st = 0;

    memset(r, 0, sizeof *r);
    /* memcheck runs a program some 20-50 times slower */
    if (tu_under_valgrind())
        timeout_ms *= 50;
    signal(SIGPIPE, SIG_IGN);
    if (pipe(pin) || pipe(pout) || pipe(perr))
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        dup2(perr[1], 2);
        close(pin[0]); close(pin[1]); close(pout[0]);
        close(pout[1]); close(perr[0]); close(perr[1]);
        /* Valgrind wrapper for `make valgrind`. */
        const char *vg = getenv("VALGRIND_CHILD");
        if (vg && *vg) {
            const char *vargv[64];
            int k = 0;
            vargv[k++] = "valgrind";
            vargv[k++] = "-q";
            vargv[k++] = "--error-exitcode=99";
            vargv[k++] = "--leak-check=full";
            vargv[k++] = "--errors-for-leak-kinds=definite,indirect";
            for (int i = 0; argv[i] && k < 62; i++)
                vargv[k++] = argv[i];
            vargv[k] = NULL;
            execvp("valgrind", (char *const *)vargv);
        }
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    if (inlen == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    int open_out = 1, open_err = 1;
    while (open_out || open_err) {
        struct pollfd pf[3];
        int np = 0;
        long left = timeout_ms - (now_ms() - start);
        if (left <= 0) {
            r->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (pin[1] >= 0)
            pf[np++] = (struct pollfd){pin[1], POLLOUT, 0};
        if (open_out)
            pf[np++] = (struct pollfd){pout[0], POLLIN, 0};
        if (open_err)
            pf[np++] = (struct pollfd){perr[0], POLLIN, 0};
        if (poll(pf, (nfds_t)np, (int)left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < np; i++) {
            char b[65536];
            if (pf[i].revents == 0)
                continue;
            if (pf[i].fd == pin[1]) {
                ssize_t w = write(pin[1], in + off, inlen - off);
                if (w > 0)
                    off += (size_t)w;
                if ((w < 0 && errno != EAGAIN) || off == inlen) {
                    close(pin[1]);
                    pin[1] = -1;
                }
            } else {
                ssize_t k = read(pf[i].fd, b, sizeof b);
                if (k <= 0) {
                    if (pf[i].fd == pout[0])
                        open_out = 0;
                    else
                        open_err = 0;
                } else if (pf[i].fd == pout[0]) {
                    append(&r->out, &r->out_len, &ocap, b, (size_t)k);
                } else {
                    append(&r->err, &r->err_len, &ecap, b, (size_t)k);
                }
            }
        }
    }
    if (pin[1] >= 0)
        close(pin[1]);
    close(pout[0]);
    close(perr[0]);
    waitpid(pid, &st, 0);
    r->elapsed_ms = now_ms() - start;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (r->out == NULL)
        append(&r->out, &r->out_len, &ocap, "", 0);
    if (r->err == NULL)
        append(&r->err, &r->err_len, &ecap, "", 0);
    return 0;
}

void tu_result_free(struct tu_result *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

int tu_frames(const char *p, size_t n, struct tu_frame *f, int max)
{
    int k = 0;
    size_t i = 0;
    while (i < n) {
        unsigned long long ml, bl;
        int used = 0;
        if (k >= max || sscanf(p + i, "chunked 1.0,%llu,%llu\n%n", &ml, &bl, &used) != 2 ||
            used == 0 || p[i + (size_t)used - 1] != '\n')
            return -1;
        i += (size_t)used;
        if (ml > n - i || bl > n - i - ml)
            return -1;
        f[k].meta = p + i;
        f[k].meta_len = ml;
        f[k].body = p + i + ml;
        f[k].body_len = bl;
        i += ml + bl;
        k++;
    }
    return k;
}

/* ---- memory I/O -------------------------------------------------------- */

static const char *mem_in;
static size_t mem_inlen, mem_off;
static int mem_mode;
static uint64_t mem_seed;
static char *mem_out;
static size_t mem_outlen, mem_outcap;

uint64_t tu_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t step(size_t want)
{
    if (mem_mode == 1)
        return 1;
    if (mem_mode >= 2)
        return 1 + (size_t)(tu_rand(&mem_seed) % (want < 4096 ? want : 4096));
    return want;
}

/* The protocol's two fds (tu_ready_fds); other reads and writes (a lookup
 * file the command opens) go to the system.  -1: every fd is the session's. */
static int mem_rfd = -1, mem_wfd = -1;

static ssize_t mem_read(int fd, void *p, size_t n)
{
    if (mem_rfd >= 0 && fd != mem_rfd)
        return io_sys.read(fd, p, n);
    if (mem_mode == 3) {
        uint64_t r = tu_rand(&mem_seed) % 8;
        if (r == 0) {
            errno = EINTR;
            return -1;
        }
        if (r == 1) {
            errno = EAGAIN;
            return -1;
        }
    }
    if (mem_off >= mem_inlen || n == 0)
        return 0;
    size_t k = step(n);
    if (k > n)
        k = n;
    if (k > mem_inlen - mem_off)
        k = mem_inlen - mem_off;
    memcpy(p, mem_in + mem_off, k);
    mem_off += k;
    return (ssize_t)k;
}

static ssize_t mem_write(int fd, const void *p, size_t n)
{
    if (mem_wfd >= 0 && fd != mem_wfd)
        return io_sys.write(fd, p, n);
    if (mem_mode == 3 && tu_rand(&mem_seed) % 8 == 0) {
        errno = EINTR;
        return -1;
    }
    size_t k = step(n);
    if (k > n)
        k = n;
    append(&mem_out, &mem_outlen, &mem_outcap, p, k);
    return (ssize_t)k;
}

static const struct io_ops mem_ops = {mem_read, mem_write, pread};

int tu_ready_fds(int *rfd, int *wfd)
{
    int a[2], b[2];
    if (pipe(a) != 0)
        return -1;
    if (pipe(b) != 0 || write(a[1], "x", 1) != 1)
        return -1;
    *rfd = mem_rfd = a[0];
    *wfd = mem_wfd = b[1];
    return 0;
}

void tu_memio_start(const char *in, size_t inlen, int mode, unsigned seed)
{
    mem_in = in;
    mem_inlen = inlen;
    mem_off = 0;
    mem_mode = mode;
    mem_seed = seed;
    free(mem_out);
    mem_out = NULL;
    mem_outlen = mem_outcap = 0;
    append(&mem_out, &mem_outlen, &mem_outcap, "", 0);
    io_ops = &mem_ops;
}

char *tu_memio_output(size_t *len)
{
    char *p = malloc(mem_outlen + 1);
    memcpy(p, mem_out, mem_outlen + 1);
    *len = mem_outlen;
    return p;
}

void tu_memio_stop(void)
{
    io_ops = &io_sys;
    free(mem_out);
    mem_out = NULL;
    mem_outlen = mem_outcap = 0;
}

int tu_table_load(struct tu_table *tb, char *data, size_t n)
{
    struct err e;
    tb->data = data;
    tb->c = cols_new();
    csv_table_init(&tb->t);
    return csv_parse(data, n, tb->c, &tb->t, &e);
}

void tu_table_free(struct tu_table *tb)
{
    csv_table_free(&tb->t);
    cols_free(tb->c);
    free(tb->data);
}

long tu_table_col(const struct tu_table *tb, const char *name)
{
    uint32_t id = cols_find(tb->c, slice_cstr(name));
    return id == COL_NONE ? -1 : csv_col_index(&tb->t, id);
}

struct slice tu_table_cell(const struct tu_table *tb, size_t r, const char *name)
{
    long k = tu_table_col(tb, name);
    return k < 0 ? SLICE_NULL : csv_cell(&tb->t, r, (size_t)k);
}

int tu_frame_append(struct buf *out, const char *meta, const char *body, size_t blen)
{
    char h[64];
    int n = snprintf(h, sizeof h, "chunked 1.0,%zu,%zu\n", strlen(meta), blen);
    if (buf_append(out, h, (size_t)n) || buf_append(out, meta, strlen(meta)))
        return -1;
    return blen && buf_append(out, body, blen) ? -1 : 0;
}
