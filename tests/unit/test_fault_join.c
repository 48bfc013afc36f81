/* Fault injection over a whole `dnsjoin join` session, in-process (scp_run
 * with join_command, I/O through util/io's seam):
 * - EOF at every byte offset of tests/data/scp/join_session.in (reads of
 *   random sizes): a cut inside a frame ends with exit status 1, every
 *   complete request answered, then exactly one error reply
 *   ({"finished":true} with an ERROR message) and exactly one ERROR line on
 *   stderr; a cut at a frame boundary is a clean end (status 0, one reply
 *   per request);
 * - the whole session with reads of one byte, random sizes, EINTR/EAGAIN:
 *   byte-identical replies;
 * - allocation failure: allocation N fails, for N from 1 upward until the
 *   session succeeds; each failure ends with status 1, whole frames only and
 *   an ERROR line on stderr, and the first success is byte-identical to the
 *   run without failures (leaks: LeakSanitizer under `make asan`, memcheck
 *   under `make valgrind`).
 * The same EOF and allocation checks run over the map phases (dnstimechart's
 * counts, its weighted rows with a filter, dnsprofile's weighted rows): the
 * session with phase=map, and a reduce session (mapphase=t) fed the map
 * phase's rows in two requests, whose result is byte-identical to the
 * single-phase result of the session.
 * The session file is made by tests/fuzz/make_join_session.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/join_cmd.h"
#include "cmd/profile_cmd.h"
#include "cmd/timechart_cmd.h"
#include "scp/chunk.h"
#include "scp/scp.h"
#include "support/testutil.h"
#include "util/xmem.h"

#define SESSION "tests/data/scp/join_session.in"
#define FRAMES_MAX 64

static int rfd, wfd;
static FILE *errf; /* stderr of the session under test */
static int saved_err = -1;

static void ready_fds(void) { assert_int_equal(tu_ready_fds(&rfd, &wfd), 0); }

/* Send stderr to a fresh temporary file. */
static void capture_stderr(void)
{
    fflush(stderr);
    if (saved_err < 0)
        saved_err = dup(2);
    if (errf != NULL)
        fclose(errf);
    errf = tmpfile();
    assert_non_null(errf);
    dup2(fileno(errf), 2);
}

static void restore_stderr(void)
{
    fflush(stderr);
    if (saved_err >= 0)
        dup2(saved_err, 2);
}

/* Lines captured since capture_stderr, and how many start with "ERROR ". */
static char last_line[2048];
static int stderr_lines(int *errors)
{
    char line[2048];
    int n = 0;
    fflush(stderr);
    rewind(errf);
    *errors = 0;
    while (fgets(line, sizeof line, errf) != NULL) {
        memcpy(last_line, line, sizeof line);
        n++;
        if (strncmp(line, "ERROR ", 6) == 0)
            (*errors)++;
    }
    return n;
}

static const struct scp_command *cmd_under_test = &join_command;

static char *session(const char *in, size_t n, int mode, unsigned seed, int *status, size_t *outlen)
{
    tu_memio_start(in, n, mode, seed);
    *status = scp_run(cmd_under_test, NULL, rfd, wfd);
    char *out = tu_memio_output(outlen);
    tu_memio_stop();
    return out;
}

/* Offsets where the input's frames end (ends[0] is the end of the first). */
static size_t frame_ends(const char *p, size_t n, size_t *ends, size_t max)
{
    size_t off = 0, k = 0;
    while (off < n && k < max) {
        uint64_t ml, bl;
        struct err e;
        long h = chunk_header_parse(p + off, n - off, &ml, &bl, &e);
        assert_true(h > 0);
        off += (size_t)h + ml + bl;
        assert_true(off <= n);
        ends[k++] = off;
    }
    assert_int_equal(off, n);
    return k;
}

static int has(const char *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(p + i, s, k) == 0)
            return 1;
    return 0;
}

static void test_join_session_baseline(void **st)
{
    size_t n, n0;
    int status;
    (void)st;
    ready_fds();
    char *in = tu_read_file(SESSION, &n);
    assert_non_null(in);
    size_t ends[FRAMES_MAX];
    size_t nreq = frame_ends(in, n, ends, FRAMES_MAX);
    assert_true(nreq >= 4); /* getinfo, several executes, the final one */
    char *o0 = session(in, n, 0, 1, &status, &n0);
    assert_int_equal(status, 0);
    struct tu_frame f[FRAMES_MAX];
    assert_int_equal(tu_frames(o0, n0, f, FRAMES_MAX), (int)nreq);
    assert_memory_equal(f[0].meta, "{\"type\":\"events\"}", f[0].meta_len);
    assert_true(has(f[nreq - 1].meta, f[nreq - 1].meta_len, "\"finished\":true"));
    /* the join fields were added somewhere in the replies */
    int added = 0;
    for (size_t i = 1; i < nreq; i++)
        added |= has(f[i].body, f[i].body_len, "dns_query");
    assert_true(added);

    for (int mode = 1; mode <= 3; mode++)
        for (unsigned seed = 1; seed <= (mode == 1 ? 1u : 50u); seed++) {
            size_t nk;
            char *ok = session(in, n, mode, seed, &status, &nk);
            assert_int_equal(status, 0);
            if (nk != n0 || memcmp(ok, o0, n0))
                fail_msg("mode %d seed %u: replies differ from whole reads", mode, seed);
            free(ok);
        }
    free(o0);
    free(in);
}

static void eof_at_every_offset_of(const struct scp_command *cmd, const char *in, size_t n)
{
    size_t nk;
    int status;
    ready_fds();
    cmd_under_test = cmd;
    size_t ends[FRAMES_MAX];
    size_t nreq = frame_ends(in, n, ends, FRAMES_MAX);
    size_t st = tu_stride();
    for (size_t cut = 0; cut < n; cut += cut < 64 ? 1 : st) {
        size_t whole = 0; /* requests complete before the cut */
        while (whole < nreq && ends[whole] <= cut)
            whole++;
        int boundary = cut == 0 || (whole > 0 && ends[whole - 1] == cut);
        capture_stderr();
        char *o = session(in, cut, 2, (unsigned)cut + 1, &status, &nk);
        int errors, lines = stderr_lines(&errors);
        restore_stderr();
        struct tu_frame f[FRAMES_MAX];
        int nf = tu_frames(o, nk, f, FRAMES_MAX);
        if (nf < 0)
            fail_msg("cut %zu: the replies are not whole frames", cut);
        if (boundary) {
            if (status != 0 || (size_t)nf != whole || errors != 0)
                fail_msg("cut %zu (frame boundary): status %d, %d replies for %zu requests, "
                         "%d ERROR lines", cut, status, nf, whole, errors);
        } else {
            if (status != 1 || (size_t)nf != whole + 1)
                fail_msg("cut %zu: status %d, %d replies for %zu whole requests", cut, status,
                         nf, whole);
            const struct tu_frame *last = &f[nf - 1];
            if (!has(last->meta, last->meta_len, "\"finished\":true") ||
                !has(last->meta, last->meta_len, "\"ERROR\"") || last->body_len != 0)
                fail_msg("cut %zu: the last reply is not an error reply: %.*s", cut,
                         (int)last->meta_len, last->meta);
            if (errors != 1)
                fail_msg("cut %zu: %d ERROR lines on stderr (%d lines), want 1", cut, errors,
                         lines);
        }
        free(o);
    }
    cmd_under_test = &join_command;
}

static void eof_at_every_offset(const struct scp_command *cmd)
{
    size_t n;
    char *in = tu_read_file(SESSION, &n);
    assert_non_null(in);
    eof_at_every_offset_of(cmd, in, n);
    free(in);
}

static void test_join_eof_at_every_offset(void **st)
{
    (void)st;
    eof_at_every_offset(&join_command);
}

/* A reporting command answers each request before joining it (early
 * replies): a cut still ends with every whole request answered and one
 * error reply, or cleanly at a frame boundary. */
static void test_timechart_eof_at_every_offset(void **st)
{
    (void)st;
    eof_at_every_offset(&timechart_command);
}

/* The Nth allocation fails, N = 1, 2, ... until the session succeeds. */
static void allocation_failures_of(const struct scp_command *cmd, const char *in, size_t n,
                                   unsigned long min_fails)
{
    size_t n0, nk;
    int status;
    unsigned long fails = 0, N;
    ready_fds();
    cmd_under_test = cmd;
    capture_stderr();  /* dnsprofile WARNs when run outside the app */
    char *o0 = session(in, n, 0, 1, &status, &n0);
    restore_stderr();
    assert_int_equal(status, 0);
    unsigned long st = (unsigned long)tu_stride();
    for (N = 1; N < 1000000; N += N < 64 ? 1 : st) {
        capture_stderr();
        xmem_fail_at(N);
        char *o = session(in, n, 0, 1, &status, &nk);
        xmem_fail_at(0);
        int errors;
        (void)stderr_lines(&errors);
        restore_stderr();
        struct tu_frame f[FRAMES_MAX];
        int nf = tu_frames(o, nk, f, FRAMES_MAX);
        if (status == 0) {
            int same = nk == n0 && memcmp(o, o0, n0) == 0;
            free(o);
            if (!same)
                fail_msg("allocation %lu failed silently: replies differ", N);
            break;
        }
        if (status != 1 || nf < 0 || errors < 1)
            fail_msg("allocation %lu: status %d, frames %d, %d ERROR lines", N, status, nf,
                     errors);
        /* the error is in the last reply, also when the allocation failed
         * after a reply had gone out (held rows are copied then): it is
         * reported in the reply to the next request */
        if (nf > 0 && !has(f[nf - 1].meta, f[nf - 1].meta_len, "\"ERROR\""))
            fail_msg("allocation %lu: the last reply carries no ERROR (%s)", N, last_line);
        if (nf > 0) {
            json_t *m = json_loadb(f[nf - 1].meta, f[nf - 1].meta_len, 0, NULL);
            if (m == NULL)
                fail_msg("allocation %lu: the last reply's metadata is not JSON", N);
            json_decref(m);
        }
        fails++;
        free(o);
    }
    print_message("%s: allocation failure injected at %lu points%s, each a clean error\n",
                  cmd->name, fails, st > 1 ? " (every Nth past the 64th, DNSJOIN_TEST_STRIDE)" : "");
    cmd_under_test = &join_command;
    assert_true(N < 1000000);
    assert_true(fails > min_fails / st);
    free(o0);
}

static void allocation_failures(const struct scp_command *cmd)
{
    size_t n;
    char *in = tu_read_file(SESSION, &n);
    assert_non_null(in);
    allocation_failures_of(cmd, in, n, 20);
    free(in);
}

static void test_join_allocation_failures(void **st)
{
    (void)st;
    allocation_failures(&join_command);
}

/* The reporting commands hold rows their own way (compact copies made
 * after the reply) and build their result at the end. */
static void test_timechart_allocation_failures(void **st)
{
    (void)st;
    allocation_failures(&timechart_command);
}

static void test_profile_allocation_failures(void **st)
{
    (void)st;
    allocation_failures(&profile_command);
}

static char *getinfo_with(const char *in, size_t n, const char *arg, size_t *outn);

/* ... also with the site's domains (local_domains=, kept by the profile). */
static void test_profile_local_domains_allocation_failures(void **st)
{
    size_t n, gn;
    (void)st;
    char *in = tu_read_file(SESSION, &n);
    assert_non_null(in);
    char *gi = getinfo_with(in, n, "local_domains=corp.example,example.com", &gn);
    allocation_failures_of(&profile_command, gi, gn, 20);
    free(gi);
    free(in);
}

/* ---- dnstimechart's map phase ------------------------------------------ */

struct bytes {
    char *p;
    size_t n;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
    char *q = realloc(b->p, b->n + n + 1);
    assert_non_null(q);
    memcpy(q + b->n, p, n);
    b->p = q;
    b->n += n;
    q[b->n] = 0;
}

static void put_frame(struct bytes *b, const char *meta, size_t ml, const char *body,
                      size_t bl)
{
    char h[64];
    int k = snprintf(h, sizeof h, "chunked 1.0,%zu,%zu\n", ml, bl);
    bytes_add(b, h, (size_t)k);
    bytes_add(b, meta, ml);
    bytes_add(b, body, bl);
}

/* The session's getinfo frame with `arg` added to searchinfo's args and
 * raw_args, then the rest of `in`.  OWNED. */
static char *getinfo_with(const char *in, size_t n, const char *arg, size_t *outn)
{
    struct bytes b = {0};
    uint64_t ml, bl;
    struct err e;
    long h = chunk_header_parse(in, n, &ml, &bl, &e);
    assert_true(h > 0 && bl == 0);
    json_t *m = json_loadb(in + h, (size_t)ml, 0, NULL);
    assert_non_null(m);
    json_t *si = json_object_get(m, "searchinfo");
    assert_int_equal(json_array_append_new(json_object_get(si, "args"), json_string(arg)), 0);
    assert_int_equal(json_array_append_new(json_object_get(si, "raw_args"), json_string(arg)), 0);
    char *txt = json_dumps(m, JSON_COMPACT);
    assert_non_null(txt);
    json_decref(m);
    put_frame(&b, txt, strlen(txt), "", 0);
    free(txt);
    bytes_add(&b, in + h + ml, n - (size_t)h - (size_t)ml);
    *outn = b.n;
    return b.p;
}

/* The body of the last reply of a clean session of `cmd` over `in`. OWNED. */
static char *final_body(const struct scp_command *cmd, const char *in, size_t n, size_t *bn)
{
    size_t on;
    int status;
    struct tu_frame f[FRAMES_MAX];
    cmd_under_test = cmd;
    capture_stderr();
    char *o = session(in, n, 0, 1, &status, &on);
    restore_stderr();
    cmd_under_test = &join_command;
    assert_int_equal(status, 0);
    int nf = tu_frames(o, on, f, FRAMES_MAX);
    assert_true(nf >= 2);
    char *body = malloc(f[nf - 1].body_len + 1);
    assert_non_null(body);
    memcpy(body, f[nf - 1].body, f[nf - 1].body_len);
    body[f[nf - 1].body_len] = 0;
    *bn = f[nf - 1].body_len;
    free(o);
    return body;
}

/* The end of the CSV record starting at `at` (past its line end): a
 * quoted value may hold line breaks. */
static size_t record_end(const char *p, size_t n, size_t at)
{
    int q = 0;
    for (; at < n; at++) {
        if (p[at] == '"')
            q = !q;
        else if (p[at] == '\n' && !q)
            return at + 1;
    }
    return n;
}

/* The map phase's session and the reduce's for `cmd` with the user's
 * argument `arg` (or NULL): the map's rows (header, then the odd rows,
 * then the even rows) in two execute requests.  `field` names a field the
 * map rows must have. */
static void map_sessions_of(const struct scp_command *cmd, const char *arg, const char *field,
                            char **map, size_t *mapn, char **red, size_t *redn)
{
    size_t n, bn, gn, un;
    ready_fds();
    char *raw = tu_read_file(SESSION, &n);
    assert_non_null(raw);
    char *in = arg != NULL ? getinfo_with(raw, n, arg, &un) : raw;
    if (arg != NULL) {
        free(raw);
        n = un;
    }
    *map = getinfo_with(in, n, "phase=map", mapn);
    char *rows = final_body(cmd, *map, *mapn, &bn);
    assert_true(has(rows, bn, field));
    struct bytes half[2] = {{0}, {0}};
    size_t hl = record_end(rows, bn, 0), k = 0;
    for (int i = 0; i < 2; i++)
        bytes_add(&half[i], rows, hl);
    for (size_t at = hl; at < bn; k++) {
        size_t l = record_end(rows, bn, at) - at;
        bytes_add(&half[k % 2], rows + at, l);
        at += l;
    }
    assert_true(k >= 2);
    char *gi = getinfo_with(in, n, "mapphase=t", &gn);
    struct bytes b = {0};
    uint64_t ml, bl;
    struct err e;
    long h = chunk_header_parse(gi, gn, &ml, &bl, &e);
    bytes_add(&b, gi, (size_t)h + ml);
    static const char nf[] = "{\"action\":\"execute\",\"finished\":false}";
    static const char fin[] = "{\"action\":\"execute\",\"finished\":true}";
    put_frame(&b, nf, strlen(nf), half[0].p, half[0].n);
    put_frame(&b, fin, strlen(fin), half[1].p, half[1].n);
    *red = b.p;
    *redn = b.n;
    free(half[0].p);
    free(half[1].p);
    free(gi);
    free(rows);
    free(in);
}

/* The map phases under test: dnstimechart's counts, its weighted rows
 * (a filter), dnsprofile's weighted rows. */
static const struct map_case {
    const struct scp_command *cmd;
    const char *arg, *field;
} map_cases[] = {
    {&timechart_command, NULL, "__dnsjoin_tc_count"},
    {&timechart_command, "ip=0.0.0.0/0", "__dnsjoin_w"},
    {&profile_command, NULL, "__dnsjoin_w"},
};
#define NMAP_CASES (sizeof map_cases / sizeof map_cases[0])

/* The reduce over the map phase's rows gives the single-phase result. */
static void test_map_baseline(void **st)
{
    (void)st;
    for (size_t c = 0; c < NMAP_CASES; c++) {
        const struct map_case *mc = &map_cases[c];
        size_t mn, rn, n, b1, b2, un;
        char *map, *red;
        map_sessions_of(mc->cmd, mc->arg, mc->field, &map, &mn, &red, &rn);
        char *in = tu_read_file(SESSION, &n);
        assert_non_null(in);
        if (mc->arg != NULL) {
            char *w = getinfo_with(in, n, mc->arg, &un);
            free(in);
            in = w;
            n = un;
        }
        char *one = final_body(mc->cmd, in, n, &b1);
        char *two = final_body(mc->cmd, red, rn, &b2);
        assert_true(b1 > 0);
        if (b1 != b2 || memcmp(one, two, b1) != 0)
            fail_msg("%s %s: the reduce's result differs:\n%s\n--- single phase:\n%s",
                     mc->cmd->name, mc->arg ? mc->arg : "", two, one);
        free(one);
        free(two);
        free(in);
        free(map);
        free(red);
    }
}

static void test_map_eof_at_every_offset(void **st)
{
    (void)st;
    for (size_t c = 0; c < NMAP_CASES; c++) {
        size_t mn, rn;
        char *map, *red;
        map_sessions_of(map_cases[c].cmd, map_cases[c].arg, map_cases[c].field, &map, &mn,
                        &red, &rn);
        eof_at_every_offset_of(map_cases[c].cmd, map, mn);
        eof_at_every_offset_of(map_cases[c].cmd, red, rn);
        free(map);
        free(red);
    }
}

static void test_map_allocation_failures(void **st)
{
    (void)st;
    for (size_t c = 0; c < NMAP_CASES; c++) {
        size_t mn, rn;
        char *map, *red;
        map_sessions_of(map_cases[c].cmd, map_cases[c].arg, map_cases[c].field, &map, &mn,
                        &red, &rn);
        allocation_failures_of(map_cases[c].cmd, map, mn, 20);
        allocation_failures_of(map_cases[c].cmd, red, rn, 20);
        free(map);
        free(red);
    }
}

static int teardown(void **st)
{
    (void)st;
    restore_stderr();
    if (errf != NULL)
        fclose(errf);
    errf = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_join_session_baseline, teardown),
        cmocka_unit_test_teardown(test_join_eof_at_every_offset, teardown),
        cmocka_unit_test_teardown(test_timechart_eof_at_every_offset, teardown),
        cmocka_unit_test_teardown(test_join_allocation_failures, teardown),
        cmocka_unit_test_teardown(test_timechart_allocation_failures, teardown),
        cmocka_unit_test_teardown(test_profile_allocation_failures, teardown),
        cmocka_unit_test_teardown(test_profile_local_domains_allocation_failures, teardown),
        cmocka_unit_test_teardown(test_map_baseline, teardown),
        cmocka_unit_test_teardown(test_map_eof_at_every_offset, teardown),
        cmocka_unit_test_teardown(test_map_allocation_failures, teardown),
    };
    return cmocka_run_group_tests_name("fault_join", tests, NULL, NULL);
}
