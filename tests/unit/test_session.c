/* Whole protocol sessions run in-process through util/io's seam: the same
 * session read whole, one byte at a time, at random split points, and with
 * EINTR/EAGAIN mixed in must give byte-identical replies; and every
 * allocation in a session is made to fail in turn, each failure ending in a
 * clean error (exit status 1, whole frames only; leaks are caught by
 * LeakSanitizer under `make asan` and by valgrind under `make valgrind`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/passthrough.h"
#include "scp/scp.h"
#include "support/testutil.h"
#include "util/xmem.h"

static int rfd, wfd;

static void ready_fds(void) { assert_int_equal(tu_ready_fds(&rfd, &wfd), 0); }

static char *session(const char *in, size_t n, int mode, unsigned seed, int *status, size_t *outlen)
{
    tu_memio_start(in, n, mode, seed);
    *status = scp_run(&passthrough_command, NULL, rfd, wfd);
    char *out = tu_memio_output(outlen);
    tu_memio_stop();
    return out;
}

static void test_io_modes_identical(void **st)
{
    size_t n, n0, nk;
    int status;
    (void)st;
    ready_fds();
    char *in = tu_read_file("tests/data/scp/session_basic.in", &n);
    assert_non_null(in);
    char *o0 = session(in, n, 0, 1, &status, &n0);
    assert_int_equal(status, 0);

    struct tu_frame f[8];
    assert_int_equal(tu_frames(o0, n0, f, 8), 5);
    assert_memory_equal(f[0].meta, "{\"type\":\"stateful\"}", f[0].meta_len);
    assert_memory_equal(f[1].meta, "{\"finished\":false}", f[1].meta_len);
    assert_int_equal(f[2].body_len, 0); /* header-only request: no rows */
    assert_int_equal(f[3].body_len, 0); /* zero-length request */
    assert_memory_equal(f[4].meta, "{\"finished\":true}", f[4].meta_len);
    /* first body: every row comes back exactly as received (splunkd's
     * quoting, "" escapes and all); only the header is re-written. */
    const char want1[] =
        "_time,src_ip,dest_ip,_raw,__mv__time,__mv_src_ip,__mv_dest_ip,__mv__raw\n"
        "\"1700000000.000\",\"10.0.0.57\",\"65.55.158.118\",\"a \"\"quoted\"\" raw, with comma\",,,,\n"
        "\"1700000001.5\",\"10.0.0.57\",\"65.55.158.119\",\"multi\nline\r\nraw\",,,,\n"
        "\"1700000002\",\"10.0.0.9\",\"1.2.3.4\",\"\xd4\x8e\xff invalid utf8\",,,,\n";
    assert_int_equal(f[1].body_len, sizeof want1 - 1);
    assert_memory_equal(f[1].body, want1, f[1].body_len);
    const char want4[] =
        "_time,query,answer,__mv__time,__mv_query,__mv_answer\n"
        "\"1699999990\",\"teredo.ipv6.microsoft.com\",\"65.55.158.118\n65.55.158.120\",,,\"$65.55.158.118$;$65.55.158.120$\"\n"
        "\"1699999991\",\"a$b;c\",\"\",,\"$a$$b;c$\",\n";
    assert_int_equal(f[4].body_len, sizeof want4 - 1);
    assert_memory_equal(f[4].body, want4, f[4].body_len);

    for (int mode = 1; mode <= 3; mode++)
        for (unsigned seed = 1; seed <= (mode == 1 ? 1u : 100u); seed++) {
            char *ok = session(in, n, mode, seed, &status, &nk);
            assert_int_equal(status, 0);
            if (nk != n0 || memcmp(ok, o0, n0))
                fail_msg("mode %d seed %u: output differs", mode, seed);
            free(ok);
        }
    free(o0);
    free(in);
}

static void test_eof_at_every_offset(void **st)
{
    size_t n, nk;
    int status;
    (void)st;
    ready_fds();
    char *in = tu_read_file("tests/data/scp/session_basic.in", &n);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    for (size_t cut = 0; cut < n; cut++) {
        char *o = session(in, cut, 2, (unsigned)cut + 1, &status, &nk);
        struct tu_frame f[8];
        int nf = tu_frames(o, nk, f, 8);
        if (nf < 0 || (status != 0 && status != 1)) {
            dup2(saved, 2);
            fail_msg("cut %zu: status %d frames %d", cut, status, nf);
        }
        free(o);
    }
    dup2(saved, 2);
    close(saved);
    close(devnull);
    free(in);
}

static void test_allocation_failures(void **st)
{
    size_t n, n0, nk;
    int status;
    unsigned long fails = 0, N;
    (void)st;
    ready_fds();
    char *in = tu_read_file("tests/data/scp/session_basic.in", &n);
    char *o0 = session(in, n, 0, 1, &status, &n0);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    for (N = 1; N < 100000; N++) {
        xmem_fail_at(N);
        char *o = session(in, n, 0, 1, &status, &nk);
        xmem_fail_at(0);
        struct tu_frame f[8];
        int nf = tu_frames(o, nk, f, 8);
        if (status == 0) {
            int same = nk == n0 && memcmp(o, o0, n0) == 0;
            free(o);
            if (!same) {
                dup2(saved, 2);
                fail_msg("allocation %lu failed silently: output differs", N);
            }
            break;
        }
        if (status != 1 || nf < 0) {
            dup2(saved, 2);
            fail_msg("allocation %lu: status %d, frames %d", N, status, nf);
        }
        fails++;
        free(o);
    }
    dup2(saved, 2);
    close(saved);
    close(devnull);
    print_message("allocation failure injected at %lu points, each a clean error\n", fails);
    assert_true(fails > 10);
    free(o0);
    free(in);
}

/* Every protocol input the suites use, fed whole, one byte at a time and at
 * random split points (with EINTR/EAGAIN): the replies and the exit status
 * must not depend on how the bytes arrive. */
static void check_modes(const char *name, const char *in, size_t n)
{
    size_t n0, nk;
    int st0, st;
    char *o0 = session(in, n, 0, 1, &st0, &n0);
    for (int mode = 1; mode <= 3; mode++)
        for (unsigned seed = 1; seed <= (mode == 1 ? 1u : 5u); seed++) {
            char *o = session(in, n, mode, seed, &st, &nk);
            if (st != st0 || nk != n0 || memcmp(o, o0, n0) != 0)
                fail_msg("%s: mode %d seed %u differs from whole reads", name, mode, seed);
            free(o);
        }
    free(o0);
}

static void test_every_input_any_split(void **st)
{
    DIR *d = opendir("tests/data/scp/malformed");
    struct dirent *de;
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    int count = 0;
    (void)st;
    ready_fds();
    assert_non_null(d);
    dup2(devnull, 2);
    while ((de = readdir(d)) != NULL) {
        char path[512];
        size_t n;
        if (strstr(de->d_name, ".in") == NULL)
            continue;
        snprintf(path, sizeof path, "tests/data/scp/malformed/%s", de->d_name);
        char *in = tu_read_file(path, &n);
        check_modes(de->d_name, in, n);
        free(in);
        count++;
    }
    closedir(d);
    if (tu_have_shared()) {
        static const char *recs[] = {"countmatches", "sum.reduce", "pypygeneratetext"};
        for (size_t i = 0; i < 3; i++) {
            char path[256];
            size_t n;
            snprintf(path, sizeof path, "../shared/recordings/%s.input.gz", recs[i]);
            char *in = tu_read_gz(path, &n);
            assert_non_null(in);
            check_modes(recs[i], in, n);
            free(in);
            count++;
        }
    }
    dup2(saved, 2);
    close(saved);
    close(devnull);
    if (!tu_have_shared())
        print_message("SKIP: ../shared/recordings absent; only the malformed cases were split\n");
    assert_true(count >= 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_modes_identical),
        cmocka_unit_test(test_eof_at_every_offset),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_every_input_any_split),
    };
    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
