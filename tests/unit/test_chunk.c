/* Frame header parser and frame reader: table of headers, every prefix of a
 * valid header is "need more", limits, truncation, and the reader fed whole,
 * one byte at a time and at random split points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "scp/chunk.h"
#include "support/testutil.h"

struct hcase {
    const char *in;
    long want;            /* consumed, CHUNK_NEED_MORE or CHUNK_BAD */
    uint64_t m, b;
};

static const struct hcase hcases[] = {
    {"chunked 1.0,2,0\n", 16, 2, 0},
    {"chunked 1.0,36,48108\n{", 21, 36, 48108},
    {"chunked 1.0,0,0\n", 16, 0, 0},
    {"chunked 1.0,18446744073709551615,1\n", 35, UINT64_MAX, 1},
    {"chunked 1.0,18446744073709551616,1\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,000000000000000000001,1\n", CHUNK_BAD, 0, 0}, /* 21 digits */
    {"chunked 1.0, 2,0\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,2 ,0\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,,0\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,2,\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,2,0\r\n", CHUNK_BAD, 0, 0},
    {"chunked 2.0,2,0\n", CHUNK_BAD, 0, 0},
    {"Chunked 1.0,2,0\n", CHUNK_BAD, 0, 0},
    {"\nchunked 1.0,2,0\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,-2,0\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,2,0x\n", CHUNK_BAD, 0, 0},
    {"chunked 1.0,2", CHUNK_NEED_MORE, 0, 0},
    {"", CHUNK_NEED_MORE, 0, 0},
};

static void test_header_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        uint64_t m = 0, b = 0;
        struct err e;
        long r = chunk_header_parse(hcases[i].in, strlen(hcases[i].in), &m, &b, &e);
        if (r != hcases[i].want)
            fail_msg("case %zu (%s): got %ld want %ld", i, hcases[i].in, r, hcases[i].want);
        if (r > 0) {
            assert_int_equal(m, hcases[i].m);
            assert_int_equal(b, hcases[i].b);
        }
    }
}

static void test_header_prefixes_need_more(void **st)
{
    const char *h = "chunked 1.0,123,4567\n";
    (void)st;
    for (size_t k = 0; k < strlen(h); k++) {
        uint64_t m, b;
        struct err e;
        assert_int_equal(chunk_header_parse(h, k, &m, &b, &e), CHUNK_NEED_MORE);
    }
}

/* Fake descriptors whose poll() is always ready (see testutil.h). */
static int rfd, wfd;
static void ready_fds(void) { assert_int_equal(tu_ready_fds(&rfd, &wfd), 0); }

static const char stream2[] =
    "chunked 1.0,7,3\n{\"a\":1}xyzchunked 1.0,2,0\n{}chunked 1.0,4,12\nmetaa,b\n\"1\"\"\",2\n";

static void read_all2(int mode, unsigned seed)
{
    struct frame_reader r;
    struct frame f;
    struct err e;

    tu_memio_start(stream2, sizeof stream2 - 1, mode, seed);
    frame_reader_init(&r, rfd);
    assert_int_equal(frame_read(&r, &f, &e), 1);
    assert_int_equal(f.meta_len, 7);
    assert_memory_equal(f.meta, "{\"a\":1}", 7);
    assert_int_equal(f.body_len, 3);
    assert_memory_equal(f.body, "xyz", 3);
    assert_int_equal(frame_read(&r, &f, &e), 1);
    assert_int_equal(f.meta_len, 2);
    assert_int_equal(f.body_len, 0);
    assert_int_equal(frame_read(&r, &f, &e), 1);
    assert_int_equal(f.body_len, 12);
    assert_memory_equal(f.body, "a,b\n\"1\"\"\",2\n", 12);
    assert_int_equal(frame_read(&r, &f, &e), 0); /* clean EOF */
    assert_int_equal(r.frames, 3);
    frame_reader_free(&r);
    tu_memio_stop();
}

static void test_reader_splits(void **st)
{
    (void)st;
    ready_fds();
    read_all2(0, 1);
    read_all2(1, 1);
    for (unsigned s = 1; s <= 200; s++) {
        read_all2(2, s);
        read_all2(3, s);
    }
}

static void test_reader_truncation_at_every_offset(void **st)
{
    (void)st;
    ready_fds();
    size_t n = sizeof stream2 - 1;
    /* Frame boundaries: a clean EOF there, a truncation error elsewhere. */
    size_t b1 = 16 + 7 + 3, b2 = b1 + 16 + 2;
    for (size_t cut = 0; cut < n; cut++) {
        struct frame_reader r;
        struct frame f;
        struct err e;
        int rc, frames = 0;
        tu_memio_start(stream2, cut, 1, 1);
        frame_reader_init(&r, rfd);
        while ((rc = frame_read(&r, &f, &e)) == 1)
            frames++;
        if (cut == 0 || cut == b1 || cut == b2)
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, ERR_EOF_TRUNC);
        frame_reader_free(&r);
        tu_memio_stop();
    }
}

static void test_reader_limits(void **st)
{
    char big[128];
    struct frame_reader r;
    struct frame f;
    struct err e;
    (void)st;
    ready_fds();
    snprintf(big, sizeof big, "chunked 1.0,%u,0\n", (unsigned)SCP_META_MAX + 1);
    tu_memio_start(big, strlen(big), 0, 1);
    frame_reader_init(&r, rfd);
    assert_int_equal(frame_read(&r, &f, &e), ERR_LIMIT);
    assert_non_null(strstr(e.msg, "SCP_META_MAX"));
    frame_reader_free(&r);
    tu_memio_stop();

    snprintf(big, sizeof big, "chunked 1.0,2,%llu\n{}", (unsigned long long)SCP_BODY_MAX + 1);
    tu_memio_start(big, strlen(big), 0, 1);
    frame_reader_init(&r, rfd);
    assert_int_equal(frame_read(&r, &f, &e), ERR_LIMIT);
    assert_non_null(strstr(e.msg, "SCP_BODY_MAX"));
    frame_reader_free(&r);
    tu_memio_stop();

    /* A header that never ends is cut at SCP_HEADER_MAX. */
    memset(big, '1', sizeof big);
    memcpy(big, "chunked 1.0,", 12);
    tu_memio_start(big, sizeof big, 1, 1);
    frame_reader_init(&r, rfd);
    assert_int_equal(frame_read(&r, &f, &e), ERR_FRAME);
    frame_reader_free(&r);
    tu_memio_stop();

    /* A lying body length with no data allocates only what arrived. */
    snprintf(big, sizeof big, "chunked 1.0,2,%llu\n{}abc", (unsigned long long)SCP_BODY_MAX);
    tu_memio_start(big, strlen(big), 0, 1);
    frame_reader_init(&r, rfd);
    assert_int_equal(frame_read(&r, &f, &e), ERR_EOF_TRUNC);
    assert_true(r.cap <= 2 * SCP_READ_STEP + 4096);
    frame_reader_free(&r);
    tu_memio_stop();
}

static void test_frame_write(void **st)
{
    struct err e;
    size_t n;
    (void)st;
    ready_fds();
    for (int mode = 0; mode < 4; mode++) {
        tu_memio_start("", 0, mode, 7);
        assert_int_equal(frame_write(wfd, "{\"finished\":true}", 17, "a\n", 2, &e), 0);
        assert_int_equal(frame_write(wfd, "{}", 2, NULL, 0, &e), 0);
        char *out = tu_memio_output(&n);
        const char want[] = "chunked 1.0,17,2\n{\"finished\":true}a\nchunked 1.0,2,0\n{}";
        assert_int_equal(n, sizeof want - 1);
        assert_memory_equal(out, want, n);
        free(out);
        tu_memio_stop();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_table),
        cmocka_unit_test(test_header_prefixes_need_more),
        cmocka_unit_test(test_reader_splits),
        cmocka_unit_test(test_reader_truncation_at_every_offset),
        cmocka_unit_test(test_reader_limits),
        cmocka_unit_test(test_frame_write),
    };
    return cmocka_run_group_tests_name("chunk", tests, NULL, NULL);
}
