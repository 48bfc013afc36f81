/*
 * bin/scpdrive: a stand-in for splunkd's side of the chunked protocol, for
 * tests, demos and users without Splunk.
 *
 *   scpdrive [options] [FILE.csv ...] -- COMMAND [ARGS...]
 *
 * It reads CSV files (or stdin), starts COMMAND with pipes on its stdin and
 * stdout (no shell), sends a getinfo request like splunkd 8.2.1's, then the
 * rows in execute requests of --chunk-rows rows quoted as splunkd quotes
 * them, and checks every reply: one per request, a well-formed frame, JSON
 * metadata, `finished` echoed, a parseable CSV body, no bytes outside a
 * reply.  The result rows are printed as one CSV on stdout (header = union of
 * all reply headers), inspector messages on stderr.  Exit status: 0 when all
 * is well, 1 on an ERROR message, 3 on a protocol violation, 2 on a usage or
 * input error.
 *
 * This is a development tool: it is not shipped in the app package.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "scp/chunk.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/csvw.h"
#include "scp/meta.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/num.h"
#include "util/xmem.h"

#define EXIT_ERRMSG 1
#define EXIT_USAGE 2
#define EXIT_PROTO 3

struct opts {
    const char *args;        /* --args, split like SPL tokens */
    const char *earliest, *latest;
    const char *command_name;
    size_t chunk_rows;
    int order;               /* 0 as given, 1 newest first, 2 oldest first */
    int timeout_s;
    int getinfo_only;
    int no_mv;
    int quiet;
    const char *fields;      /* --fields a,b,c: print only these, in order */
    const char *splunkd_uri; /* --splunkd-uri: searchinfo.splunkd_uri */
    const char *key_file;    /* --session-key-file: searchinfo.session_key from a file */
    size_t indexers;         /* --indexers K: map phases (0 = one phase) */
    int split;               /* --split: 0 host, 1 random */
    int merge;               /* --merge: 0 time, 1 arrival, 2 random */
    uint64_t seed;           /* --seed for the random split and merge */
    int stats;               /* --stats: rows and bytes sent, on stderr */
};

/* One input file: its bytes (OWNED, parsed in place) and table. */
struct input {
    char *data;
    size_t len;
    struct csv_table t;
    long *index;             /* OWNED: column id -> index in t, or -1 */
    size_t nindex;
};

struct rowref {
    struct input *in;
    size_t row;
    int64_t time_us;
    int has_time;
    size_t seq;
};

/* A kept reply body with its table (for the final output). */
struct reply {
    char *data;
    struct csv_table t;
    struct schema s;
};

static struct opts opt = {NULL, "0", "0", NULL, 50000, 0, 60, 0, 0, 0, NULL, NULL, NULL,
                          0, 0, 0, 1, 0};
static pid_t child = -1;
/* Commands waiting while another one runs (the reduce during the map
 * phases): killed too on an error exit. */
#define PARKED_MAX 4
static pid_t parked[PARKED_MAX];
static size_t nparked;

static void kill_parked(void)
{
    for (size_t i = 0; i < nparked; i++) {
        kill(parked[i], SIGKILL);
        waitpid(parked[i], NULL, 0);
    }
    nparked = 0;
}

static void die(int status, const char *fmt, ...) ATTR_FMT(2, 3) __attribute__((noreturn));
static void die(int status, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "scpdrive: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    kill_parked();
    /* _exit: an error exit skips atexit work (and leak reports for memory
     * that the process is about to drop anyway). */
    fflush(stdout);
    _exit(status);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: scpdrive [options] [FILE.csv ...] -- COMMAND [ARGS...]\n"
            "  --args 'a=b c=\"d e\"'  SPL arguments of the command (quotes as typed)\n"
            "  --earliest EPOCH      searchinfo.earliest_time (default 0 = unbounded)\n"
            "  --latest EPOCH        searchinfo.latest_time (default 0)\n"
            "  --chunk-rows N        rows per execute request (default 50000)\n"
            "  --order asis|desc|asc row order: as given, newest first (as Splunk), oldest first\n"
            "  --command NAME        searchinfo.command (default from the sub-command)\n"
            "  --timeout SECONDS     per exchange (default 60)\n"
            "  --getinfo-only        stop after the getinfo exchange (argument checks)\n"
            "  --no-mv               leave __mv_ columns out of the printed result\n"
            "  --fields a,b,c        print only these columns, in this order\n"
            "  --quiet               do not print the result rows\n"
            "  --splunkd-uri URI     searchinfo.splunkd_uri (default https://127.0.0.1:8089)\n"
            "  --session-key-file F  searchinfo.session_key: the first line of F (so the key\n"
            "                        is never in argv)\n"
            "  --indexers K          when the command names a streaming_preop (map phase),\n"
            "                        run it in K map processes, as K indexers would, and\n"
            "                        feed their merged rows to the command (the reduce)\n"
            "  --split host|random   how events go to the map processes (default host)\n"
            "  --merge time|arrival|random  how their rows are merged: newest _time first,\n"
            "                        one reply of each in turn, or a seeded interleaving\n"
            "  --seed N              for --split random and --merge random (default 1)\n"
            "  --stats               rows and bytes sent to each process, and its CPU time\n"
            "                        (user, sys) and peak RSS at exit, on stderr\n"
            "Reads stdin when no FILE is given.\n");
    exit(EXIT_USAGE);
}

/* ---- reading input ------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
    struct buf b;
    struct err e;

    if (fd < 0)
        die(EXIT_USAGE, "cannot open %s: %s", path, strerror(errno));
    buf_init(&b, SCP_BODY_MAX * 8);
    for (;;) {
        if (buf_reserve(&b, 1 << 20))
            die(EXIT_USAGE, "%s is too large", path);
        ssize_t r = read(fd, b.p + b.len, b.cap - b.len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            die(EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
        if (r == 0)
            break;
        b.len += (size_t)r;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    (void)e;
    return buf_take(&b, len);
}

static void load_input(struct input *in, const char *path, struct cols *c)
{
    struct err e;
    in->data = slurp(path, &in->len);
    csv_table_init(&in->t);
    if (csv_parse(in->data, in->len, c, &in->t, &e))
        die(EXIT_USAGE, "%s: %s", path, e.msg);
}

static void index_inputs(struct input *ins, size_t nin, struct cols *c)
{
    size_t n = cols_count(c);
    for (size_t i = 0; i < nin; i++) {
        ins[i].index = xcalloc(n ? n : 1, sizeof(long));
        if (ins[i].index == NULL)
            die(EXIT_USAGE, "out of memory");
        ins[i].nindex = n;
        for (size_t k = 0; k < n; k++)
            ins[i].index[k] = -1;
        for (size_t k = 0; k < ins[i].t.ncols; k++)
            ins[i].index[ins[i].t.ids[k]] = (long)k;
    }
}

static int cmp_rows(const void *a, const void *b)
{
    const struct rowref *x = a, *y = b;
    int dir = opt.order == 1 ? -1 : 1;
    if (x->has_time != y->has_time)
        return x->has_time ? -1 : 1;  /* rows without _time last */
    if (x->has_time && x->time_us != y->time_us)
        return (x->time_us < y->time_us ? -1 : 1) * dir;
    return (x->seq > y->seq) - (x->seq < y->seq);  /* stable */
}

/* ---- splunkd-style CSV ---------------------------------------------------- */

/* splunkd quotes every name and value holding a byte outside [A-Za-z0-9]. */
static void put_value(struct buf *b, struct slice v)
{
    int plain = 1;
    for (size_t i = 0; i < v.n && plain; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        plain = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    }
    if (plain) {
        if (v.n && buf_append(b, v.p, v.n))
            die(EXIT_USAGE, "out of memory");
        return;
    }
    if (buf_appendc(b, '"'))
        die(EXIT_USAGE, "out of memory");
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] == '"' && buf_appendc(b, '"'))
            die(EXIT_USAGE, "out of memory");
        if (buf_appendc(b, v.p[i]))
            die(EXIT_USAGE, "out of memory");
    }
    if (buf_appendc(b, '"'))
        die(EXIT_USAGE, "out of memory");
}

/* Body for rows[from..to): all plain columns in first-seen order, then the
 * __mv_ companion of each, as splunkd lays them out. */
static void build_body(struct buf *b, struct rowref *rows, size_t from, size_t to, struct cols *c,
                       uint32_t *hdr, char *seen, size_t nseen)
{
    size_t nh = 0, nplain;

    memset(seen, 0, nseen);
    for (size_t r = from; r < to; r++) {
        struct csv_table *t = &rows[r].in->t;
        for (size_t k = 0; k < t->ncols; k++) {
            uint32_t id = t->ids[k];
            if (cols_is_mv(c, id) || seen[id])
                continue;
            seen[id] = 1;
            hdr[nh++] = id;
        }
    }
    nplain = nh;
    for (size_t k = 0; k < nplain; k++) {
        uint32_t mid;
        if (cols_mv_of(c, hdr[k], &mid) || mid == COL_NONE)
            die(EXIT_USAGE, "out of memory");
        hdr[nh++] = mid;
    }
    for (size_t h = 0; h < nh; h++) {
        if (h && buf_appendc(b, ','))
            die(EXIT_USAGE, "out of memory");
        put_value(b, cols_name(c, hdr[h]));
    }
    if (buf_appendc(b, '\n'))
        die(EXIT_USAGE, "out of memory");
    for (size_t r = from; r < to; r++) {
        struct input *in = rows[r].in;
        for (size_t h = 0; h < nh; h++) {
            if (h && buf_appendc(b, ','))
                die(EXIT_USAGE, "out of memory");
            long k = hdr[h] < in->nindex ? in->index[hdr[h]] : -1;
            if (k >= 0)
                put_value(b, csv_cell(&in->t, rows[r].row, (size_t)k));
        }
        if (buf_appendc(b, '\n'))
            die(EXIT_USAGE, "out of memory");
    }
}

/* ---- talking to the command --------------------------------------------- */

static int wfd = -1, rfd = -1;
static struct buf rbuf;  /* bytes read from the command, not yet consumed */

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : ms;
}

static void deadline_in(struct timespec *d)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += opt.timeout_s;
}

static void send_all(const char *p, size_t n, const struct timespec *dl)
{
    while (n > 0) {
        struct pollfd pfd = {wfd, POLLOUT, 0};
        int pr = poll(&pfd, 1, (int)ms_left(dl));
        if (pr == 0)
            die(EXIT_PROTO, "timed out after %ds writing a request (the command does not read)",
                opt.timeout_s);
        if (pr < 0 && errno == EINTR)
            continue;
        ssize_t w = write(wfd, p, n);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w < 0)
            die(EXIT_PROTO, "the command stopped reading its input (%s)", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

static void send_frame(const char *meta, size_t mlen, const char *body, size_t blen)
{
    char hdr[64];  /* 54 bytes at most, whatever SCP_HEADER_MAX is */
    struct timespec dl;
    int hn = snprintf(hdr, sizeof hdr, "chunked 1.0,%zu,%zu\n", mlen, blen);
    deadline_in(&dl);
    send_all(hdr, (size_t)hn, &dl);
    send_all(meta, mlen, &dl);
    send_all(body, blen, &dl);
}

/* Read more bytes from the command; 0 at EOF. */
static size_t recv_some(const struct timespec *dl)
{
    for (;;) {
        struct pollfd pfd = {rfd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)ms_left(dl));
        if (pr == 0)
            die(EXIT_PROTO, "timed out after %ds waiting for a reply", opt.timeout_s);
        if (pr < 0 && errno == EINTR)
            continue;
        if (buf_reserve(&rbuf, 1 << 16))
            die(EXIT_PROTO, "reply larger than SCP_REPLY_MAX");
        ssize_t r = read(rfd, rbuf.p + rbuf.len, rbuf.cap - rbuf.len);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r < 0)
            die(EXIT_PROTO, "reading the command's output: %s", strerror(errno));
        rbuf.len += (size_t)r;
        return (size_t)r;
    }
}

/* Read one reply frame: OWNED copies of metadata and body. */
static void recv_frame(char **meta, size_t *mlen, char **body, size_t *blen, const char *what)
{
    struct timespec dl;
    uint64_t ml = 0, bl = 0;
    long h;
    struct err e;

    deadline_in(&dl);
    for (;;) {
        h = chunk_header_parse(rbuf.p ? rbuf.p : "", rbuf.len, &ml, &bl, &e);
        if (h == CHUNK_BAD)
            die(EXIT_PROTO, "reply to %s: %s", what, e.msg);
        if (h > 0)
            break;
        if (rbuf.len > SCP_HEADER_MAX)
            die(EXIT_PROTO, "reply to %s: header too long", what);
        if (recv_some(&dl) == 0)
            die(EXIT_PROTO, "the command exited without replying to %s", what);
    }
    if (ml > SCP_META_MAX || bl > SCP_REPLY_MAX)
        die(EXIT_PROTO, "reply to %s: lengths over the limits", what);
    size_t total = (size_t)h + (size_t)ml + (size_t)bl;
    while (rbuf.len < total)
        if (recv_some(&dl) == 0)
            die(EXIT_PROTO, "reply to %s truncated (%zu of %zu bytes)", what, rbuf.len, total);
    *meta = xstrndup(rbuf.p + h, (size_t)ml);
    *body = xstrndup(rbuf.p + h + ml, (size_t)bl);
    if (*meta == NULL || *body == NULL)
        die(EXIT_PROTO, "out of memory");
    *mlen = (size_t)ml;
    *blen = (size_t)bl;
    memmove(rbuf.p, rbuf.p + total, rbuf.len - total);
    rbuf.len -= total;
    /* Lock-step: nothing may follow a reply before the next request. */
    if (rbuf.len)
        die(EXIT_PROTO, "%zu unsolicited bytes after the reply to %s", rbuf.len, what);
}

static int report_messages(const struct meta_reply *r)
{
    if (r->messages) {
        for (char *line = r->messages; *line;) {
            char *nl = strchr(line, '\n');
            fprintf(stderr, "scpdrive: %.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
            if (!nl)
                break;
            line = nl + 1;
        }
    }
    return r->has_error;
}

static void start_child(char **argv)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        die(EXIT_USAGE, "pipe: %s", strerror(errno));
    child = fork();
    if (child < 0)
        die(EXIT_USAGE, "fork: %s", strerror(errno));
    if (child == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "scpdrive: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    wfd = in[1];
    rfd = out[0];
    fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
    fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
}

/* After the last reply: close the command's stdin; it must exit 0 without
 * writing anything more.  With --stats and `who`, its CPU time and peak RSS
 * (the rusage wait4 gives) go to stderr. */
static int finish_child(int expect_ok, const char *who)
{
    struct timespec dl;
    struct rusage ru;
    int st = 0;
    close(wfd);
    wfd = -1;
    deadline_in(&dl);
    while (recv_some(&dl) > 0)
        ;
    if (rbuf.len)
        die(EXIT_PROTO, "%zu unsolicited bytes after the last reply", rbuf.len);
    while (wait4(child, &st, WNOHANG, &ru) == 0) {
        if (ms_left(&dl) == 0)
            die(EXIT_PROTO, "the command did not exit after its input closed");
        usleep(1000);
    }
    child = -1;
    if (opt.stats && who != NULL)
        fprintf(stderr, "scpdrive: stats: %s: cpu %.3f s user, %.3f s sys, peak RSS %ld KiB\n",
                who, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
                (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
    if (expect_ok && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "scpdrive: the command exited with status %d\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return EXIT_PROTO;
    }
    return 0;
}

/* ---- arguments ------------------------------------------------------------ */

/* Split --args like SPL tokens: spaces separate unless inside double quotes.
 * args get the quotes removed, raw_args keep them. */
static size_t split_args(const char *s, char ***args, char ***raw)
{
    size_t n = 0, cap = 16;
    *args = xcalloc(cap, sizeof **args);
    *raw = xcalloc(cap, sizeof **raw);
    while (s && *s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        struct buf a, r;
        int q = 0;
        buf_init(&a, ARG_LEN_MAX * 2);
        buf_init(&r, ARG_LEN_MAX * 2);
        for (; *s && (q || *s != ' '); s++) {
            if (*s == '"')
                q = !q;
            else if (*s == '\\' && q && s[1] == '"') {
                if (buf_appendc(&r, *s++) || buf_appendc(&a, '"') || buf_appendc(&r, '"'))
                    die(EXIT_USAGE, "argument too long");
                continue;
            } else if (buf_appendc(&a, *s))
                die(EXIT_USAGE, "argument too long");
            if (buf_appendc(&r, *s))
                die(EXIT_USAGE, "argument too long");
        }
        if (n + 1 >= cap) {
            cap *= 2;
            *args = xreallocarray(*args, cap, sizeof **args);
            *raw = xreallocarray(*raw, cap, sizeof **raw);
        }
        if (buf_appendc(&a, 0) || buf_appendc(&r, 0))
            die(EXIT_USAGE, "argument too long");
        (*args)[n] = buf_take(&a, NULL);
        (*raw)[n] = buf_take(&r, NULL);
        n++;
    }
    return n;
}

static void free_args(char **args, char **raw, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        xfree(args[k]);
        xfree(raw[k]);
    }
    xfree(args);
    xfree(raw);
}

static const char *default_command_name(char **cmdv)
{
    static const char *const map[][2] = {{"join", "dnsjoin"}, {"timechart", "dnstimechart"},
                                         {"profile", "dnsprofile"}, {"pdns", "dnspdns"},
                                         {"passthrough", "dnsjoin"}};
    if (cmdv[1] != NULL)
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (strcmp(cmdv[1], map[i][0]) == 0)
                return map[i][1];
    const char *slash = strrchr(cmdv[0], '/');
    return slash ? slash + 1 : cmdv[0];
}

/* URL-encode like splunkd does for searchinfo.search. */
static char *url_encode(const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int keep = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   c == '-' || c == '_' || c == '.' || c == '~';
        if ((keep ? buf_appendc(&b, (char)c) : buf_printf(&b, "%%%02X", c)))
            die(EXIT_USAGE, "search string too long");
    }
    if (buf_appendc(&b, 0))
        die(EXIT_USAGE, "search string too long");
    return buf_take(&b, NULL);
}

/* Replace the JSON string value `from` (as meta_getinfo_request writes it)
 * with `to` (JSON-escaped here) in the request metadata. */
static void replace_json_string(struct buf *m, const char *from, const char *to, size_t to_n,
                                const char *what)
{
    size_t fl = strlen(from);
    const char *at = NULL;
    struct buf nb;
    for (size_t i = 0; i + fl <= m->len; i++)
        if (memcmp(m->p + i, from, fl) == 0) {
            at = m->p + i;
            break;
        }
    if (at == NULL)
        die(EXIT_USAGE, "internal: %s not found in the getinfo request", what);
    buf_init(&nb, (size_t)SCP_META_MAX);
    if (buf_append(&nb, m->p, (size_t)(at - m->p)) || buf_appendc(&nb, '"'))
        die(EXIT_USAGE, "out of memory");
    for (size_t i = 0; i < to_n; i++) {
        unsigned char c = (unsigned char)to[i];
        int rc;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = buf_append(&nb, esc, 2);
        } else if (c < 0x20) {
            rc = buf_printf(&nb, "\\u%04x", c);
        } else {
            rc = buf_appendc(&nb, (char)c);
        }
        if (rc)
            die(EXIT_USAGE, "%s too long", what);
    }
    if (buf_appendc(&nb, '"') ||
        buf_append(&nb, at + fl, m->len - (size_t)(at + fl - m->p)))
        die(EXIT_USAGE, "out of memory");
    buf_free(m);
    *m = nb;
}

/* --splunkd-uri and --session-key-file: the key is read from a file so it
 * never appears in argv (visible to every user through /proc), and the copy
 * read here is wiped once it is in the request. */
static void set_searchinfo_secrets(struct buf *meta)
{
    if (opt.splunkd_uri != NULL)
        replace_json_string(meta, "\"https://127.0.0.1:8089\"", opt.splunkd_uri,
                            strlen(opt.splunkd_uri), "splunkd_uri");
    if (opt.key_file != NULL) {
        char key[4096];
        size_t n;
        FILE *f = fopen(opt.key_file, "r");
        if (f == NULL)
            die(EXIT_USAGE, "--session-key-file: cannot open %s", opt.key_file);
        n = fread(key, 1, sizeof key - 1, f);
        fclose(f);
        while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r'))
            n--;
        if (memchr(key, '\n', n) != NULL)
            die(EXIT_USAGE, "--session-key-file: the key must be one line");
        replace_json_string(meta, "\"scpdrive-dummy-session-key\"", key, n, "session key");
        explicit_bzero(key, sizeof key);
    }
}

/* ---- sessions ------------------------------------------------------------- */

/* An error message from the command: end it and every parked one. */
static void quit_errmsg(void) __attribute__((noreturn));
static void quit_errmsg(void)
{
    finish_child(0, NULL);
    kill_parked();
    fflush(stdout);
    _exit(EXIT_ERRMSG);
}

/* Send getinfo (searchinfo.args = args) to the running command and check
 * its reply; *mr is OWNED by the caller (meta_reply_free). */
static void getinfo_exchange(const char *cname, char **args, char **raw, size_t nargs,
                             struct meta_reply *mr)
{
    struct buf search, meta;
    char *rm, *rb;
    size_t rml, rbl;
    struct err e;

    buf_init(&search, 1 << 20);
    if (buf_printf(&search, "| %s", cname))
        die(EXIT_USAGE, "out of memory");
    for (size_t k = 0; k < nargs; k++)
        if (buf_printf(&search, " %s", raw[k]))
            die(EXIT_USAGE, "out of memory");
    if (buf_appendc(&search, 0))
        die(EXIT_USAGE, "out of memory");
    char *search_enc = url_encode(search.p);
    struct meta_getinfo_req g = {(const char *const *)args, (const char *const *)raw, nargs,
                                 cname, search_enc, "/tmp/scpdrive/dispatch", "scpdrive.1",
                                 opt.earliest, opt.latest, 50000};
    buf_init(&meta, SCP_META_MAX);
    if (meta_getinfo_request(&meta, &g))
        die(EXIT_USAGE, "out of memory");
    set_searchinfo_secrets(&meta);
    send_frame(meta.p, meta.len, "", 0);
    buf_free(&search);
    buf_free(&meta);
    xfree(search_enc);

    recv_frame(&rm, &rml, &rb, &rbl, "getinfo");
    if (meta_parse_reply(rm, rml, mr, &e))
        die(EXIT_PROTO, "getinfo reply: %s", e.msg);
    if (report_messages(mr))
        quit_errmsg();
    if (rbl != 0)
        die(EXIT_PROTO, "getinfo reply carries a body");
    if (mr->type[0] && strcmp(mr->type, "streaming") && strcmp(mr->type, "stateful") &&
        strcmp(mr->type, "events") && strcmp(mr->type, "reporting"))
        die(EXIT_PROTO, "getinfo reply declares an invalid type '%s'", mr->type);
    /* splunkd runs a map phase only before a reporting command */
    if (mr->streaming_preop != NULL && strcmp(mr->type, "reporting") != 0)
        die(EXIT_PROTO, "getinfo reply names a streaming_preop for a '%s' command",
            mr->type[0] ? mr->type : "streaming");
    xfree(rm);
    xfree(rb);
}

static void intern_mv(struct input *ins, size_t nin, struct cols *c)
{
    for (size_t f = 0; f < nin; f++)
        for (size_t k = 0; k < ins[f].t.ncols; k++) {
            uint32_t mid;
            if (cols_mv_of(c, ins[f].t.ids[k], &mid))
                die(EXIT_USAGE, "out of memory");
        }
}

static void free_replies(struct reply *replies, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        xfree(replies[r].data);
        csv_table_free(&replies[r].t);
    }
    xfree(replies);
}

/* Execute requests of --chunk-rows rows to the running command, every reply
 * checked; the replies (OWNED array) in *out, their count returned. */
static size_t run_execute(struct rowref *rows, size_t total, struct cols *c, struct reply **out,
                          const char *who)
{
    size_t ncols = cols_count(c), nreplies = 0, nreq = 0, rows_back = 0;
    uint64_t bytes = 0;
    uint32_t *hdr = xcalloc(2 * ncols + 1, sizeof *hdr);
    char *seen = xcalloc(ncols + 1, 1);
    struct reply *replies = xcalloc(total / opt.chunk_rows + 2, sizeof *replies);
    struct buf body;
    char *rm, *rb;
    size_t rml, rbl;
    struct meta_reply mr;
    struct err e;

    if (hdr == NULL || seen == NULL || replies == NULL)
        die(EXIT_USAGE, "out of memory");
    buf_init(&body, SCP_BODY_MAX);
    size_t from = 0;
    do {
        size_t to = from + opt.chunk_rows < total ? from + opt.chunk_rows : total;
        int last = to == total;
        char what[64];
        buf_reset(&body);
        if (to > from)
            build_body(&body, rows, from, to, c, hdr, seen, ncols + 1);
        const char *m = last ? "{\"action\":\"execute\",\"finished\":true}"
                             : "{\"action\":\"execute\",\"finished\":false}";
        send_frame(m, strlen(m), body.p ? body.p : "", body.len);
        nreq++;
        bytes += strlen(m) + body.len + (uint64_t)snprintf(what, sizeof what,
                                                          "chunked 1.0,%zu,%zu\n", strlen(m),
                                                          body.len);
        snprintf(what, sizeof what, "execute request %zu", nreplies + 1);
        recv_frame(&rm, &rml, &rb, &rbl, what);
        if (meta_parse_reply(rm, rml, &mr, &e))
            die(EXIT_PROTO, "%s: %s", what, e.msg);
        if (report_messages(&mr))
            quit_errmsg();
        if (!mr.has_finished)
            die(EXIT_PROTO, "reply to %s has no \"finished\"", what);
        if (mr.finished != last)
            die(EXIT_PROTO, "reply to %s says finished=%s", what, mr.finished ? "true" : "false");
        struct reply *rp = &replies[nreplies++];
        rp->data = rb;
        csv_table_init(&rp->t);
        if (csv_parse(rb, rbl, c, &rp->t, &e))
            die(EXIT_PROTO, "reply to %s: bad CSV body: %s", what, e.msg);
        rp->s.n = rp->t.ncols;
        rp->s.ids = rp->t.ids;
        rows_back += rp->t.nrows;
        meta_reply_free(&mr);
        xfree(rm);
        from = to;
    } while (from < total);
    if (opt.stats)
        fprintf(stderr, "scpdrive: stats: %s: %zu rows in %zu execute requests, %llu bytes "
                        "sent; %zu rows back\n", who, total, nreq, (unsigned long long)bytes,
                rows_back);
    buf_free(&body);
    xfree(hdr);
    xfree(seen);
    *out = replies;
    return nreplies;
}

/* The session of a command that waits while others run. */
struct proc {
    pid_t pid;
    int wfd, rfd;
    struct buf rbuf;
};

static void proc_park(struct proc *p)
{
    if (nparked == PARKED_MAX)
        die(EXIT_USAGE, "internal: too many parked commands");
    p->pid = child;
    p->wfd = wfd;
    p->rfd = rfd;
    p->rbuf = rbuf;
    parked[nparked++] = child;
    child = -1;
    wfd = rfd = -1;
    buf_init(&rbuf, SCP_META_MAX + SCP_REPLY_MAX);
}

static void proc_resume(struct proc *p)
{
    nparked--;
    buf_free(&rbuf);
    child = p->pid;
    wfd = p->wfd;
    rfd = p->rfd;
    rbuf = p->rbuf;
}

/* The map phase's result: the map processes' replies as inputs, and their
 * rows merged as splunkd would hand them to the reduce. */
struct mapped {
    struct input *ins;       /* OWNED: one per map reply */
    size_t nins;
    struct rowref *merged;   /* OWNED */
    size_t nmerged;
};

static void mapped_free(struct mapped *m)
{
    for (size_t i = 0; i < m->nins; i++) {
        xfree(m->ins[i].data);
        xfree(m->ins[i].index);
        csv_table_free(&m->ins[i].t);
    }
    xfree(m->ins);
    xfree(m->merged);
    memset(m, 0, sizeof *m);
}

static uint64_t rng_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);  /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int cmp_newest(const void *a, const void *b)
{
    const struct rowref *x = a, *y = b;
    if (x->has_time != y->has_time)
        return x->has_time ? -1 : 1;
    if (x->has_time && x->time_us != y->time_us)
        return x->time_us > y->time_us ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Run the preop in opt.indexers map processes over rows[0..total) (split
 * by host or at random, each part in the search's order), then merge their
 * rows into m->merged.  The command (the reduce) is parked meanwhile. */
static void run_map_phase(struct mapped *m, const char *preop, const char *cname, char **cmdv,
                          struct rowref *rows, size_t total, struct cols *c)
{
    size_t k = opt.indexers, nl = strcspn(preop, " ");
    struct proc reduce;
    char **pargs, **praw;
    size_t npargs;
    uint64_t rs = opt.seed;

    /* splunkd runs the preop's command: here it must be this program's */
    if (strlen(cname) != nl || strncmp(preop, cname, nl) != 0)
        die(EXIT_PROTO, "streaming_preop runs '%.*s', not %s", (int)nl, preop, cname);
    npargs = split_args(preop + nl, &pargs, &praw);

    size_t *part = xcalloc(total ? total : 1, sizeof *part);
    struct rowref *prow = xcalloc(total ? total : 1, sizeof *prow);
    struct reply **rep = xcalloc(k, sizeof(struct reply *)); /* one reply list per map process */
    size_t *nrep = xcalloc(k, sizeof *nrep);
    if (part == NULL || prow == NULL || rep == NULL || nrep == NULL)
        die(EXIT_USAGE, "out of memory");
    uint32_t host = cols_find(c, SLICE_LIT("host"));
    for (size_t r = 0; r < total; r++) {
        if (opt.split == 1) {
            part[r] = (size_t)(rng_next(&rs) % k);
            continue;
        }
        struct input *in = rows[r].in;
        long ci = host != COL_NONE && host < in->nindex ? in->index[host] : -1;
        struct slice h = ci >= 0 ? csv_cell(&in->t, rows[r].row, (size_t)ci) : SLICE_NULL;
        uint64_t x = 1469598103934665603ull;  /* FNV-1a: one host, one indexer */
        for (size_t i = 0; i < h.n; i++)
            x = (x ^ (unsigned char)h.p[i]) * 1099511628211ull;
        part[r] = (size_t)(x % k);
    }

    proc_park(&reduce);
    for (size_t p = 0; p < k; p++) {
        struct meta_reply mr;
        char who[48];
        size_t np = 0;
        for (size_t r = 0; r < total; r++)
            if (part[r] == p)
                prow[np++] = rows[r];
        start_child(cmdv);
        getinfo_exchange(cname, pargs, praw, npargs, &mr);
        if (mr.streaming_preop != NULL)
            die(EXIT_PROTO, "the map phase names a streaming_preop of its own");
        if (mr.type[0] && strcmp(mr.type, "streaming") != 0)
            die(EXIT_PROTO, "the map phase declares type '%s', not streaming", mr.type);
        meta_reply_free(&mr);
        snprintf(who, sizeof who, "map %zu of %zu", p + 1, k);
        nrep[p] = run_execute(prow, np, c, &rep[p], who);
        if (finish_child(1, who))
            die(EXIT_PROTO, "%s did not end cleanly", who);
    }
    proc_resume(&reduce);
    free_args(pargs, praw, npargs);

    /* the replies become the reduce's inputs */
    size_t nr = 0, maxr = 0, nrows = 0;
    for (size_t p = 0; p < k; p++) {
        nr += nrep[p];
        maxr = nrep[p] > maxr ? nrep[p] : maxr;
    }
    m->ins = xcalloc(nr ? nr : 1, sizeof *m->ins);
    size_t **first = xcalloc(k, sizeof *first);  /* input index of rep[p][i] */
    if (m->ins == NULL || first == NULL)
        die(EXIT_USAGE, "out of memory");
    for (size_t p = 0; p < k; p++) {
        first[p] = xcalloc(nrep[p] ? nrep[p] : 1, sizeof **first);
        if (first[p] == NULL)
            die(EXIT_USAGE, "out of memory");
        for (size_t i = 0; i < nrep[p]; i++) {
            struct input *in = &m->ins[m->nins];
            first[p][i] = m->nins++;
            in->data = rep[p][i].data;
            in->t = rep[p][i].t;
            nrows += in->t.nrows;
        }
        xfree(rep[p]);
    }
    intern_mv(m->ins, m->nins, c);
    index_inputs(m->ins, m->nins, c);
    m->merged = xcalloc(nrows ? nrows : 1, sizeof *m->merged);
    if (m->merged == NULL)
        die(EXIT_USAGE, "out of memory");
    uint32_t time_id = cols_find(c, SLICE_LIT("_time"));
    size_t seq = 0;
    if (opt.merge == 1) {
        /* one reply of each map process in turn */
        for (size_t i = 0; i < maxr; i++)
            for (size_t p = 0; p < k; p++)
                if (i < nrep[p]) {
                    struct input *in = &m->ins[first[p][i]];
                    for (size_t r = 0; r < in->t.nrows; r++, seq++)
                        m->merged[seq] = (struct rowref){in, r, 0, 0, seq};
                }
    } else if (opt.merge == 2) {
        /* a seeded interleaving of rows, each process's rows in its order */
        size_t *at = xcalloc(k, sizeof *at), *row = xcalloc(k, sizeof *row);
        if (at == NULL || row == NULL)
            die(EXIT_USAGE, "out of memory");
        while (seq < nrows) {
            size_t p = (size_t)(rng_next(&rs) % k);
            while (at[p] < nrep[p] && row[p] == m->ins[first[p][at[p]]].t.nrows) {
                at[p]++;
                row[p] = 0;
            }
            if (at[p] == nrep[p])
                continue;
            struct input *in = &m->ins[first[p][at[p]]];
            m->merged[seq] = (struct rowref){in, row[p]++, 0, 0, seq};
            seq++;
        }
        xfree(at);
        xfree(row);
    } else {
        for (size_t i = 0; i < m->nins; i++)
            for (size_t r = 0; r < m->ins[i].t.nrows; r++, seq++)
                m->merged[seq] = (struct rowref){&m->ins[i], r, 0, 0, seq};
    }
    m->nmerged = seq;
    for (size_t r = 0; r < seq; r++) {
        struct rowref *rr = &m->merged[r];
        long ci = time_id != COL_NONE && time_id < rr->in->nindex ? rr->in->index[time_id] : -1;
        if (ci >= 0)
            rr->has_time =
                num_parse_time_us(csv_cell(&rr->in->t, rr->row, (size_t)ci), &rr->time_us) == 0;
    }
    if (opt.merge == 0)  /* newest first, as splunkd merges the indexers' events */
        qsort(m->merged, seq, sizeof *m->merged, cmp_newest);
    for (size_t p = 0; p < k; p++)
        xfree(first[p]);
    xfree(first);
    xfree(rep);
    xfree(nrep);
    xfree(part);
    xfree(prow);
}

int main(int argc, char **argv)
{
    const char *files[256];
    size_t nfiles = 0;
    char **cmdv = NULL;
    int i;

    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            cmdv = argv + i + 1;
            break;
        } else if (strcmp(a, "--args") == 0 && v) {
            opt.args = v;
            i++;
        } else if (strcmp(a, "--earliest") == 0 && v) {
            opt.earliest = v;
            i++;
        } else if (strcmp(a, "--latest") == 0 && v) {
            opt.latest = v;
            i++;
        } else if (strcmp(a, "--command") == 0 && v) {
            opt.command_name = v;
            i++;
        } else if (strcmp(a, "--chunk-rows") == 0 && v) {
            uint64_t n;
            if (num_parse_u64(slice_cstr(v), 1, CSV_ROWS_MAX, &n))
                die(EXIT_USAGE, "--chunk-rows: expected 1 to %d", CSV_ROWS_MAX);
            opt.chunk_rows = (size_t)n;
            i++;
        } else if (strcmp(a, "--timeout") == 0 && v) {
            uint64_t n;
            if (num_parse_u64(slice_cstr(v), 1, 86400, &n))
                die(EXIT_USAGE, "--timeout: expected 1 to 86400 seconds");
            opt.timeout_s = (int)n;
            i++;
        } else if (strcmp(a, "--order") == 0 && v) {
            if (strcmp(v, "asis") == 0)
                opt.order = 0;
            else if (strcmp(v, "desc") == 0)
                opt.order = 1;
            else if (strcmp(v, "asc") == 0)
                opt.order = 2;
            else
                die(EXIT_USAGE, "--order: expected asis, desc or asc");
            i++;
        } else if (strcmp(a, "--getinfo-only") == 0) {
            opt.getinfo_only = 1;
        } else if (strcmp(a, "--fields") == 0 && v) {
            opt.fields = v;
            i++;
        } else if (strcmp(a, "--splunkd-uri") == 0 && v) {
            opt.splunkd_uri = v;
            i++;
        } else if (strcmp(a, "--session-key-file") == 0 && v) {
            opt.key_file = v;
            i++;
        } else if (strcmp(a, "--indexers") == 0 && v) {
            uint64_t n;
            if (num_parse_u64(slice_cstr(v), 1, 64, &n))
                die(EXIT_USAGE, "--indexers: expected 1 to 64");
            opt.indexers = (size_t)n;
            i++;
        } else if (strcmp(a, "--split") == 0 && v) {
            if (strcmp(v, "host") == 0)
                opt.split = 0;
            else if (strcmp(v, "random") == 0)
                opt.split = 1;
            else
                die(EXIT_USAGE, "--split: expected host or random");
            i++;
        } else if (strcmp(a, "--merge") == 0 && v) {
            if (strcmp(v, "time") == 0)
                opt.merge = 0;
            else if (strcmp(v, "arrival") == 0)
                opt.merge = 1;
            else if (strcmp(v, "random") == 0)
                opt.merge = 2;
            else
                die(EXIT_USAGE, "--merge: expected time, arrival or random");
            i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            if (num_parse_u64(slice_cstr(v), 0, UINT64_MAX, &opt.seed))
                die(EXIT_USAGE, "--seed: expected a number");
            i++;
        } else if (strcmp(a, "--stats") == 0) {
            opt.stats = 1;
        } else if (strcmp(a, "--no-mv") == 0) {
            opt.no_mv = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            opt.quiet = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            usage();
        } else if (nfiles < sizeof files / sizeof files[0]) {
            files[nfiles++] = a;
        } else {
            die(EXIT_USAGE, "too many input files");
        }
    }
    if (cmdv == NULL || cmdv[0] == NULL)
        usage();
    {
        struct slice e = slice_cstr(opt.earliest), l = slice_cstr(opt.latest);
        int64_t t;
        if (num_parse_time_us(e, &t) || num_parse_time_us(l, &t))
            die(EXIT_USAGE, "--earliest/--latest: expected epoch seconds");
    }

    struct cols *c = cols_new();
    struct input *ins = NULL;
    size_t nin = 0;
    if (c == NULL)
        die(EXIT_USAGE, "out of memory");
    if (!opt.getinfo_only) {
        if (nfiles == 0)
            files[nfiles++] = "-";
        ins = xcalloc(nfiles, sizeof *ins);
        if (ins == NULL)
            die(EXIT_USAGE, "out of memory");
        for (size_t f = 0; f < nfiles; f++)
            load_input(&ins[nin++], files[f], c);
    }

    /* getinfo */
    char **args, **raw;
    size_t nargs = split_args(opt.args, &args, &raw);
    const char *cname = opt.command_name ? opt.command_name : default_command_name(cmdv);
    struct meta_reply mr;
    struct err e;
    int status = 0;

    buf_init(&rbuf, SCP_META_MAX + SCP_REPLY_MAX);
    start_child(cmdv);
    getinfo_exchange(cname, args, raw, nargs, &mr);
    if (!opt.quiet && opt.getinfo_only)
        fprintf(stderr, "scpdrive: getinfo ok: type=%s%s%s\n", mr.type[0] ? mr.type : "streaming",
                mr.streaming_preop ? " streaming_preop=" : "",
                mr.streaming_preop ? mr.streaming_preop : "");
    if (opt.getinfo_only) {
        meta_reply_free(&mr);
        status = finish_child(1, NULL);
        free_args(args, raw, nargs);
        buf_free(&rbuf);
        cols_free(c);
        return status;
    }

    /* rows, optionally sorted by _time */
    index_inputs(ins, nin, c);
    size_t total = 0;
    for (size_t f = 0; f < nin; f++)
        total += ins[f].t.nrows;
    struct rowref *rows = xcalloc(total ? total : 1, sizeof *rows);
    uint32_t time_id = cols_find(c, SLICE_LIT("_time"));
    size_t seq = 0;
    for (size_t f = 0; f < nin; f++)
        for (size_t r = 0; r < ins[f].t.nrows; r++, seq++) {
            struct rowref *rr = &rows[seq];
            rr->in = &ins[f];
            rr->row = r;
            rr->seq = seq;
            long k = time_id != COL_NONE && time_id < ins[f].nindex ? ins[f].index[time_id] : -1;
            if (k >= 0)
                rr->has_time = num_parse_time_us(csv_cell(&ins[f].t, r, (size_t)k),
                                                 &rr->time_us) == 0;
        }
    if (opt.order)
        qsort(rows, total, sizeof *rows, cmp_rows);

    /* Every __mv_ companion is interned first, so the input's ids stay
     * below ncols while replies add columns of their own. */
    intern_mv(ins, nin, c);
    struct reply *replies = NULL;
    size_t nreplies = 0;
    struct mapped mp = {0};
    if (opt.indexers > 0 && mr.streaming_preop == NULL)
        fprintf(stderr, "scpdrive: note: the command names no streaming_preop; --indexers %zu "
                        "runs it in one phase\n", opt.indexers);
    if (opt.indexers > 0 && mr.streaming_preop != NULL) {
        run_map_phase(&mp, mr.streaming_preop, cname, cmdv, rows, total, c);
        xfree(rows);
        rows = mp.merged;
        total = mp.nmerged;
        mp.merged = NULL;
    }
    meta_reply_free(&mr);
    nreplies = run_execute(rows, total, c, &replies, "the command");
    status = finish_child(1, "the command");

    /* the result: one CSV whose header is the union of the replies' */
    struct csvw w;
    struct buf out;
    csvw_init(&w);
    buf_init(&out, SCP_REPLY_MAX * 4);
    for (size_t r = 0; r < nreplies; r++) {
        struct csv_table *t = &replies[r].t;
        if (opt.no_mv)
            for (size_t k = 0; k < t->ncols; k++)
                if (cols_is_mv(c, t->ids[k]))
                    for (size_t row = 0; row < t->nrows; row++)
                        t->cells[row * t->ncols + k].off = CELL_ABSENT;
        for (size_t row = 0; row < t->nrows; row++)
            if (csvw_add2(&w, SLICE_NULL, &replies[r].s, t->base, &t->cells[row * t->ncols], NULL,
                          NULL))
                die(EXIT_USAGE, "out of memory");
    }
    if (opt.fields != NULL) {
        /* a fixed header: the requested columns, empty where a row has none */
        uint32_t fid[256];
        size_t nf = 0;
        for (const char *p = opt.fields; *p && nf < 256;) {
            size_t l = strcspn(p, ",");
            if (cols_intern(c, slice_of(p, l), &fid[nf]))
                die(EXIT_USAGE, "out of memory");
            if (buf_append(&out, nf ? "," : "", nf ? 1 : 0) || csvw_value(&out, slice_of(p, l)))
                die(EXIT_USAGE, "out of memory");
            nf++;
            p += l + (p[l] == ',');
        }
        if (buf_appendc(&out, '\n'))
            die(EXIT_USAGE, "out of memory");
        for (size_t r = 0; r < nreplies; r++) {
            struct csv_table *t = &replies[r].t;
            long idx[256];
            for (size_t k = 0; k < nf; k++)
                idx[k] = csv_col_index(t, fid[k]);
            for (size_t row = 0; row < t->nrows; row++) {
                for (size_t k = 0; k < nf; k++) {
                    if ((k && buf_appendc(&out, ',')) ||
                        (idx[k] >= 0 && csvw_value(&out, csv_cell(t, row, (size_t)idx[k]))))
                        die(EXIT_USAGE, "out of memory");
                }
                if (buf_appendc(&out, '\n'))
                    die(EXIT_USAGE, "out of memory");
            }
        }
    } else if (csvw_finish(&w, c, &out, &e)) {
        die(EXIT_USAGE, "%s", e.msg);
    }
    if (!opt.quiet && out.len && fwrite(out.p, 1, out.len, stdout) != out.len)
        die(EXIT_USAGE, "writing stdout: %s", strerror(errno));
    fflush(stdout);

    buf_free(&out);
    csvw_free(&w);
    free_replies(replies, nreplies);
    mapped_free(&mp);
    xfree(rows);
    for (size_t f = 0; f < nin; f++) {
        xfree(ins[f].data);
        xfree(ins[f].index);
        csv_table_free(&ins[f].t);
    }
    xfree(ins);
    free_args(args, raw, nargs);
    buf_free(&rbuf);
    cols_free(c);
    return status;
}
