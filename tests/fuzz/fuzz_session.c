/*
 * fuzz_session: a whole protocol session, in-process, as splunkd would
 * drive it: the input is what splunkd writes on the command's stdin.
 * The same input runs through `dnsjoin join`, `dnsjoin passthrough` and
 * `dnsjoin profile` (scp_run with join_command / passthrough_command /
 * profile_command, the last with its worker threads; SPL arguments come
 * from the getinfo metadata in the input).
 *
 * Properties, for every command:
 * - scp_run returns 0 or 1 (never crashes, never hangs: the input is finite
 *   and reads past its end return EOF);
 * - the reply stream is a sequence of whole frames, at most one reply per
 *   request frame read;
 * - the getinfo's session key never appears in the replies (when that can
 *   be told apart from rows and arguments carrying the same text: see
 *   checkable_key; regressions/fuzz_session/session-key-in-json-error is
 *   how it once did, quoted in a JSON error message).
 */
#include <string.h>
#include <unistd.h>

#include "cmd/join_cmd.h"
#include "cmd/passthrough.h"
#include "cmd/profile_cmd.h"
#include "fuzz.h"
#include "scp/chunk.h"
#include "scp/meta.h"
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

static const struct io_ops mem_ops = {mem_read, mem_write, pread};

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

static int memmem_has(const char *h, size_t hn, const char *nd, size_t nn)
{
    for (size_t i = 0; nn <= hn && i <= hn - nn; i++)
        if (memcmp(h + i, nd, nn) == 0)
            return 1;
    return 0;
}

static size_t count_in(const char *h, size_t hn, const char *nd, size_t nn)
{
    size_t c = 0;
    for (size_t i = 0; nn && nn <= hn && i <= hn - nn; i++)
        c += memcmp(h + i, nd, nn) == 0;
    return c;
}

/*
 * The session key of the input's getinfo, when the check is meaningful.
 * The key is taken from the first frame's metadata: through meta_parse
 * when it is valid JSON, else as the text after "session_key":" (a broken
 * request is where error messages quote input).  It is checked only when
 * the metadata has no backslash (no JSON escape can spell it another way),
 * the key is 16 or more letters and digits (longer than any word of our own
 * messages), and those bytes occur exactly once in the whole input
 * (otherwise rows or arguments could legitimately carry the same text into
 * a reply).  OWNED result or NULL.
 */
static char *checkable_key(const char *p, size_t n)
{
    static const char pat[] = "\"session_key\":\"";
    uint64_t ml, bl;
    struct err e;
    long h = chunk_header_parse(p, n, &ml, &bl, &e);
    if (h <= 0 || ml > n - (size_t)h)
        return NULL;
    const char *meta = p + h;
    if (memchr(meta, '\\', (size_t)ml) != NULL)
        return NULL;

    struct meta_request req;
    struct meta_info info;
    const char *k = NULL;
    size_t kn = 0;
    int parsed = meta_parse(meta, (size_t)ml, &req, &info, &e) == 0;
    if (parsed && req.action == META_GETINFO && info.session_key != NULL) {
        k = info.session_key;
        kn = info.session_key_len;
    } else if (!parsed) {
        for (size_t i = 0; i + sizeof pat - 1 <= ml; i++)
            if (memcmp(meta + i, pat, sizeof pat - 1) == 0) {
                k = meta + i + sizeof pat - 1;
                while (k + kn < meta + ml && k[kn] != '"')
                    kn++;
                break;
            }
    }
    char *key = NULL;
    size_t a = 0;
    while (k != NULL && a < kn &&
           ((k[a] >= 'a' && k[a] <= 'z') || (k[a] >= 'A' && k[a] <= 'Z') ||
            (k[a] >= '0' && k[a] <= '9')))
        a++;
    if (k != NULL && kn >= 16 && a == kn && count_in(p, n, k, kn) == 1) {
        key = malloc(kn + 1);
        FUZZ_CHECK(key != NULL);
        memcpy(key, k, kn);
        key[kn] = '\0';
    }
    meta_info_free(&info);
    return key;
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
    char *key = checkable_key((const char *)data, size);
    if (key != NULL)
        FUZZ_CHECK(!memmem_has(out_p, out_n, key, strlen(key)));
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_set_min((enum log_level)(LOG_ERROR + 1)); /* stderr quiet */
    const struct io_ops *saved = io_ops;
    io_ops = &mem_ops;
    run(&join_command, data, size);
    run(&passthrough_command, data, size);
    run(&profile_command, data, size);
    io_ops = saved;
    free(out_p);
    out_p = NULL;
    out_cap = 0;
    return 0;
}
