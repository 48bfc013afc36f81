/*
 * test_sinkhole: which answers are sinkholes (join/sinkhole).
 *
 * - the built-in pair, 0.0.0.0 and ::, in every spelling ipaddr accepts,
 *   with and without a file, and nothing else;
 * - tests/data/sinkhole/list.csv: an address, an IPv4 and an IPv6 range
 *   (the column need not be first), rows that are no address skipped and
 *   counted;
 * - a missing file, a file without the column, and a file past
 *   SINKHOLE_FILE_MAX are errors with a message.
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

#include "join/sinkhole.h"

struct hcase {
    const char *addr;
    int builtin, listed;  /* sinkhole without the file, with list.csv */
};

static const struct hcase hcases[] = {
    {"0.0.0.0", 1, 1},          {"::", 1, 1},
    {"::ffff:0.0.0.0", 1, 1},   {"0:0:0:0:0:0:0:0", 1, 1},
    {"0.0.0.1", 0, 0},          {"::1", 0, 0},
    {"127.0.0.1", 0, 0},        {"192.0.2.66", 0, 1},
    {"192.0.2.67", 0, 0},       {"198.51.100.0", 0, 1},
    {"198.51.100.255", 0, 1},   {"198.51.101.0", 0, 0},
    {"2001:db8:bad::1", 0, 1},  {"2001:db8:bae::1", 0, 0},
    {"::ffff:192.0.2.66", 0, 1},
};

static void test_has(void **st)
{
    struct err e;
    size_t skipped = 99;
    (void)st;
    struct sinkholes *b = sinkholes_builtin();
    struct sinkholes *l = sinkholes_load("tests/data/sinkhole/list.csv", &skipped, &e);
    assert_non_null(b);
    if (l == NULL)
        fail_msg("load: %s", e.msg);
    assert_int_equal(skipped, 2);
    assert_int_equal(sinkholes_count(b), 2);
    assert_int_equal(sinkholes_count(l), 5);
    for (size_t i = 0; i < sizeof hcases / sizeof hcases[0]; i++) {
        struct ipaddr a;
        assert_int_equal(ipaddr_parse(slice_cstr(hcases[i].addr), &a), 0);
        if (sinkholes_has(NULL, &a) != hcases[i].builtin || sinkholes_has(b, &a) != hcases[i].builtin ||
            sinkholes_has(l, &a) != hcases[i].listed)
            fail_msg("%s: want builtin %d, listed %d", hcases[i].addr, hcases[i].builtin,
                     hcases[i].listed);
    }
    sinkholes_free(b);
    sinkholes_free(l);
}

static void test_errors(void **st)
{
    struct err e;
    size_t skipped;
    char path[] = "/tmp/dnsjoin-sinkhole-XXXXXX";
    (void)st;
    assert_null(sinkholes_load("tests/data/sinkhole/absent.csv", &skipped, &e));
    assert_int_equal(e.code, ERR_IO);
    assert_non_null(strstr(e.msg, "absent.csv"));

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("address\n192.0.2.66\n", f);
    fclose(f);
    assert_null(sinkholes_load(path, &skipped, &e));
    assert_int_equal(e.code, ERR_INPUT);
    assert_non_null(strstr(e.msg, "sinkhole"));

    f = fopen(path, "w");
    fputs("sinkhole\n", f);  /* 9 bytes, then 10 a row: one byte past the limit at most */
    for (size_t n = 9; n <= SINKHOLE_FILE_MAX; n += 10)
        fputs("192.0.2.1\n", f);
    fclose(f);
    assert_null(sinkholes_load(path, &skipped, &e));
    assert_int_equal(e.code, ERR_LIMIT);
    assert_non_null(strstr(e.msg, "SINKHOLE_FILE_MAX"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
