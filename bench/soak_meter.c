/*
 * soak_meter: count the rows of a chunked-protocol stream as it flows, and
 * say when each EVERY-th row went by.
 *
 *   soak_meter --pass -o LOG [--every K] [--pid-file F] < in > out
 *       a counting pipe: copies stdin to stdout unchanged (gen_stream ->
 *       command); a row counts once its bytes were accepted by the pipe to
 *       the command, i.e. the command has read all but a pipe's worth
 *   soak_meter -o LOG [--every K] [--pid-file F] < replies
 *       the command's replies, read and thrown away (command -> meter)
 *
 * Frames are "chunked 1.0,<meta>,<body>\n" + metadata + body; a body is
 * CSV whose first record is the header, and records may hold newlines
 * inside quotes, so rows are counted with the quote state, across reads.
 *
 * LOG gets, with CLOCK_MONOTONIC seconds (one clock for all meters, so
 * the script can subtract one meter's times from another's):
 *   start <t>                  the first byte
 *   mark <rows> <t> <rss_kib>  each time rows passes a multiple of K
 *                              (rss: VmRSS of the pid in F, -1 if unknown)
 *   end <rows> <t> <bytes>     end of the stream
 * Exit status 0, or 1 on a malformed frame or an I/O error (said on stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1 << 16)

enum st { S_HDR, S_META, S_BODY };

struct meter {
    enum st st;
    char hdr[64];        /* the header line being read */
    size_t hdr_n;
    uint64_t left;       /* bytes left in the metadata or body */
    uint64_t body_len;
    int quoted, in_header, at_record_start;
    uint64_t rows, next_mark, every, bytes;
    const char *pid_file;
    FILE *log;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS of the process named in pid_file, in KiB; -1 when not known. */
static long rss_kib(const char *pid_file)
{
    char path[64], line[256];
    long pid = -1, kib = -1;
    FILE *f;
    if (pid_file == NULL || (f = fopen(pid_file, "r")) == NULL)
        return -1;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = -1;
    fclose(f);
    if (pid <= 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static void row_done(struct meter *m)
{
    m->rows++;
    if (m->every && m->rows >= m->next_mark) {
        fprintf(m->log, "mark %llu %.6f %ld\n", (unsigned long long)m->rows, now(),
                rss_kib(m->pid_file));
        fflush(m->log);
        m->next_mark += m->every;
    }
}

/* Feed body bytes: a record ends at a newline outside quotes. */
static void body_bytes(struct meter *m, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        m->at_record_start = 0;
        if (c == '"') {
            m->quoted = !m->quoted; /* "" inside quotes toggles twice */
        } else if (c == '\n' && !m->quoted) {
            if (m->in_header)
                m->in_header = 0;
            else
                row_done(m);
            m->at_record_start = 1;
        }
    }
}

static void body_end(struct meter *m)
{
    /* a last record without its newline still counts */
    if (m->body_len > 0 && !m->at_record_start && !m->in_header)
        row_done(m);
}

/* Digits up to `stop`; -1 when there are none or too many. */
static int number(const char **p, char stop, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    for (; *s >= '0' && *s <= '9' && n < 18; s++, n++)
        v = v * 10 + (uint64_t)(*s - '0');
    if (n == 0 || *s != stop)
        return -1;
    *out = v;
    *p = s + 1;
    return 0;
}

static int parse_hdr(struct meter *m)
{
    static const char pre[] = "chunked 1.0,";
    const char *p = m->hdr;
    m->hdr[m->hdr_n] = '\0';
    if (strncmp(p, pre, sizeof pre - 1) != 0)
        return -1;
    p += sizeof pre - 1;
    if (number(&p, ',', &m->left) || number(&p, '\n', &m->body_len) || *p != '\0')
        return -1;
    m->st = S_META;
    return 0;
}

static void begin_body(struct meter *m)
{
    m->st = S_BODY;
    m->left = m->body_len;
    m->quoted = 0;
    m->in_header = 1;
    m->at_record_start = 1;
    if (m->left == 0)
        m->st = S_HDR;
}

/* Run the frame state machine over p[0..n). */
static int feed(struct meter *m, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (m->st == S_HDR) {
            if (m->hdr_n + 1 >= sizeof m->hdr)
                return -1;
            m->hdr[m->hdr_n++] = p[i++];
            if (m->hdr[m->hdr_n - 1] == '\n') {
                if (parse_hdr(m))
                    return -1;
                m->hdr_n = 0;
                if (m->left == 0)
                    begin_body(m);
            }
            continue;
        }
        size_t k = n - i < m->left ? n - i : (size_t)m->left;
        if (m->st == S_BODY)
            body_bytes(m, p + i, k);
        i += k;
        m->left -= k;
        if (m->left == 0) {
            if (m->st == S_META) {
                begin_body(m);
            } else {
                body_end(m);
                m->st = S_HDR;
            }
        }
    }
    return 0;
}

static int write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char buf[BLOCK];
    struct meter m;
    const char *log_path = NULL;
    int pass = 0, started = 0;

    memset(&m, 0, sizeof m);
    m.every = 1000000;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--pass"))
            pass = 1;
        else if (!strcmp(argv[a], "-o") && a + 1 < argc)
            log_path = argv[++a];
        else if (!strcmp(argv[a], "--every") && a + 1 < argc) {
            const char *v = argv[++a];
            if (number(&v, '\0', &m.every) || m.every == 0) {
                fprintf(stderr, "soak_meter: --every wants a positive number\n");
                return 2;
            }
        }
        else if (!strcmp(argv[a], "--pid-file") && a + 1 < argc)
            m.pid_file = argv[++a];
        else {
            fprintf(stderr, "usage: soak_meter [--pass] -o LOG [--every K] [--pid-file F]\n");
            return 2;
        }
    }
    if (log_path == NULL || (m.log = fopen(log_path, "w")) == NULL) {
        fprintf(stderr, "soak_meter: cannot write the log (-o)\n");
        return 2;
    }
    m.next_mark = m.every;
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            perror("soak_meter: read");
            return 1;
        }
        if (r == 0)
            break;
        if (!started) {
            fprintf(m.log, "start %.6f\n", now());
            started = 1;
        }
        /* pass mode: count only what the reader has taken */
        if (pass && write_all(buf, (size_t)r)) {
            perror("soak_meter: write");
            return 1;
        }
        m.bytes += (uint64_t)r;
        if (feed(&m, buf, (size_t)r)) {
            fprintf(stderr, "soak_meter: malformed frame after %llu bytes\n",
                    (unsigned long long)m.bytes);
            return 1;
        }
    }
    fprintf(m.log, "end %llu %.6f %llu\n", (unsigned long long)m.rows, now(),
            (unsigned long long)m.bytes);
    fclose(m.log);
    return m.st == S_HDR && m.hdr_n == 0 ? 0 : 1;
}
