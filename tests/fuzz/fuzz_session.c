/*
 * fuzz_session: a whole protocol session, in-process, as splunkd would
 * drive it: the input is what splunkd writes on the command's stdin.
 * The same input runs through `dnsjoin join` and `dnsjoin passthrough`
 * (scp_run with join_command / passthrough_command; SPL arguments come from
 * the getinfo metadata in the input).
 *
 * Properties, for both commands:
 * - scp_run returns 0 or 1 (never crashes, never hangs: the input is finite
 *   and reads past its end return EOF);
 * - the reply stream is a sequence of whole frames, at most one reply per
 *   request frame read;
 * - a session key given in the input never appears in the replies
 *   (regressions/fuzz_session/session-key-in-json-error was the way it
 *   once did: quoted in a JSON error message).
 */
#include <string.h>
#include <unistd.h>

#include "cmd/join_cmd.h"
#include "cmd/passthrough.h"
#include "fuzz.h"
#include "scp/chunk.h"
#include "scp/scp.h"
#include "util/io.h"
#include "util/log.h"

static const uint8_t *in_p;
static size_t in_n, in_off;
static char *out_p;
static size_t out_n, out_cap;

static ssize_t mem_read(int fd, void *p, size_t n)
{
    (void)fd;
    if (n > in_n - in_off)
        n = in_n - in_off;
    memcpy(p, in_p + in_off, n);
    in_off += n;
    return (ssize_t)n;
}

static ssize_t mem_write(int fd, const void *p, size_t n)
{
    (void)fd;
    if (out_n + n > out_cap) {
        size_t cap = out_cap ? out_cap : 4096;
        while (cap < out_n + n)
            cap *= 2;
        char *q = realloc(out_p, cap);
        FUZZ_CHECK(q != NULL);
        out_p = q;
        out_cap = cap;
    }
    memcpy(out_p + out_n, p, n);
    out_n += n;
    return (ssize_t)n;
}

static const struct io_ops mem_ops = {mem_read, mem_write};

/* Number of whole frames in p[0..n); FUZZ_CHECK fails on anything else. */
static uint64_t count_frames(const char *p, size_t n)
{
    uint64_t frames = 0;
    size_t off = 0;
    while (off < n) {
        uint64_t ml, bl;
        struct err e;
        long h = chunk_header_parse(p + off, n - off, &ml, &bl, &e);
        FUZZ_CHECK(h > 0);
        off += (size_t)h;
        FUZZ_CHECK(ml <= n - off && bl <= n - off - ml);
        off += ml + bl;
        frames++;
    }
    return frames;
}

/* Whole frames in the input before its first bad or incomplete one; *rest
 * is 1 when something follows them (a bad request, which may still get its
 * error reply). */
static uint64_t request_frames(const char *p, size_t n, int *rest)
{
    uint64_t frames = 0;
    size_t off = 0;
    while (off < n) {
        uint64_t ml, bl;
        struct err e;
        long h = chunk_header_parse(p + off, n - off, &ml, &bl, &e);
        if (h <= 0)
            break;
        if (ml > n - off - (size_t)h || bl > n - off - (size_t)h - ml)
            break;
        off += (size_t)h + ml + bl;
        frames++;
    }
    *rest = off < n;
    return frames;
}

/* The session key's first bytes, when the input names one. */
static size_t session_key(const char *p, size_t n, const char **key)
{
    static const char pat[] = "\"session_key\":\"";
    for (size_t i = 0; i + sizeof pat - 1 < n; i++)
        if (memcmp(p + i, pat, sizeof pat - 1) == 0) {
            const char *k = p + i + sizeof pat - 1;
            size_t len = 0;
            while (k + len < p + n && k[len] != '"' && k[len] != '\\' && len < 16)
                len++;
            *key = k;
            return len >= 8 ? len : 0;
        }
    return 0;
}

static int memmem_has(const char *h, size_t hn, const char *nd, size_t nn)
{
    for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
        if (memcmp(h + i, nd, nn) == 0)
            return 1;
    return 0;
}

static void run(const struct scp_command *cmd, const uint8_t *data, size_t size)
{
    in_p = data;
    in_n = size;
    in_off = 0;
    out_n = 0;
    int status = scp_run(cmd, NULL, 0, 1);
    FUZZ_CHECK(status == 0 || status == 1);
    uint64_t replies = count_frames(out_p, out_n);
    int rest;
    uint64_t requests = request_frames((const char *)data, size, &rest);
    FUZZ_CHECK(replies <= requests + (uint64_t)rest);
    if (status == 0)
        FUZZ_CHECK(replies == requests && !rest);
    const char *key;
    size_t kn = session_key((const char *)data, size, &key);
    if (kn)
        FUZZ_CHECK(!memmem_has(out_p, out_n, key, kn));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_set_min((enum log_level)(LOG_ERROR + 1)); /* stderr quiet */
    const struct io_ops *saved = io_ops;
    io_ops = &mem_ops;
    run(&join_command, data, size);
    run(&passthrough_command, data, size);
    io_ops = saved;
    free(out_p);
    out_p = NULL;
    out_cap = 0;
    return 0;
}
