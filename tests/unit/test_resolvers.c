/*
 * test_resolvers: connections to public resolvers (join/resolvers) and
 * dnsjoin's bypass and bypass_provider fields.
 *
 * - every row of tests/data/resolvers/cases.tsv against list.csv: DoH on
 *   tcp/443 and udp/443, DoT on tcp/853, DoQ on udp/853, plain DNS on
 *   udp/53 and tcp/53, other ports and non-resolvers on 443 (none), a
 *   resolver that offers only some services, a range, IPv6, the
 *   sanctioned resolvers as source and as destination; list.csv's rows
 *   with no address, no provider or an unknown service are skipped and
 *   counted;
 * - the shipped lookups/dnsjoin_public_resolvers.csv loads with no row
 *   skipped;
 * - a missing file, a file without the columns, one past
 *   RESOLVERS_FILE_MAX, a bad local_resolvers item and one item too many
 *   are errors with a message;
 * - dnsjoin through scpdrive: events.csv against the shipped lookup with
 *   local_resolvers= (expected.csv), and in a throwaway app with a
 *   malformed lookup: a WARN, every event back, none flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "join/resolvers.h"
#include "limits.h"
#include "support/testutil.h"

static size_t split_tabs(char *line, char **f, size_t max)
{
    size_t n = 0;
    while (n < max) {
        f[n++] = line;
        char *t = strchr(line, '\t');
        if (t == NULL)
            break;
        *t = '\0';
        line = t + 1;
    }
    return n;
}

static unsigned proto_of(const char *t)
{
    return strcmp(t, "tcp") == 0 ? 6 : strcmp(t, "udp") == 0 ? 17 : strcmp(t, "sctp") == 0 ? 132 : 0;
}

static void test_cases(void **st)
{
    struct err e;
    size_t skipped = 99, len, rows = 0;
    (void)st;
    char *data = tu_read_file("tests/data/resolvers/cases.tsv", &len);
    assert_non_null(data);
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        if (line[0] == '#')
            continue;
        if (split_tabs(line, f, 8) != 7)
            fail_msg("cases.tsv: not 7 fields: %s", line);
        struct resolvers *r = resolvers_load("tests/data/resolvers/list.csv", &skipped, &e);
        if (r == NULL)
            fail_msg("load: %s", e.msg);
        assert_int_equal(skipped, 4);
        assert_int_equal(resolvers_count(r), 4);
        if (strcmp(f[4], "-") != 0 && resolvers_set_local(r, slice_cstr(f[4]), &e) != 0)
            fail_msg("local_resolvers=%s: %s", f[4], e.msg);
        struct ipaddr s, d;
        assert_int_equal(ipaddr_parse(slice_cstr(f[1]), &s), 0);
        assert_int_equal(ipaddr_parse(slice_cstr(f[2]), &d), 0);
        struct slice prov = SLICE_NULL;
        enum bypass k = resolvers_match(r, &s, &d, proto_of(f[0]),
                                        (unsigned)strtoul(f[3], NULL, 10), &prov);
        const char *got = k == BYPASS_NONE ? "none" : resolvers_kind_name(k);
        if (strcmp(got, f[5]) != 0 ||
            (k != BYPASS_NONE && !slice_eq_cstr(prov, f[6])))
            fail_msg("%s %s -> %s:%s local %s: got %s %.*s, want %s %s", f[0], f[1], f[2], f[3],
                     f[4], got, (int)prov.n, prov.p ? prov.p : "", f[5], f[6]);
        /* without the source address the sanctioned-source rule cannot apply */
        if (strcmp(f[4], "-") == 0)
            assert_int_equal(resolvers_match(r, NULL, &d, proto_of(f[0]),
                                             (unsigned)strtoul(f[3], NULL, 10), &prov), k);
        resolvers_free(r);
        rows++;
    }
    free(data);
    assert_true(rows >= 20);
}

static void test_shipped(void **st)
{
    struct err e;
    size_t skipped = 99;
    (void)st;
    struct resolvers *r = resolvers_load("lookups/dnsjoin_public_resolvers.csv", &skipped, &e);
    if (r == NULL)
        fail_msg("load: %s", e.msg);
    assert_int_equal(skipped, 0);
    assert_true(resolvers_count(r) >= 40);
    resolvers_free(r);
}

static void test_errors(void **st)
{
    struct err e;
    size_t skipped;
    char path[] = "/tmp/dnsjoin-resolvers-XXXXXX";
    (void)st;
    assert_null(resolvers_load("tests/data/resolvers/absent.csv", &skipped, &e));
    assert_int_equal(e.code, ERR_IO);
    assert_non_null(strstr(e.msg, "absent.csv"));

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("address,provider\n192.0.2.53,Example\n", f);
    fclose(f);
    assert_null(resolvers_load(path, &skipped, &e));
    assert_int_equal(e.code, ERR_INPUT);
    assert_non_null(strstr(e.msg, "protocols"));

    f = fopen(path, "w");
    fputs("address,provider,protocols\n", f);  /* 27 bytes, then 20 a row */
    for (size_t n = 27; n <= RESOLVERS_FILE_MAX; n += 20)
        fputs("10.0.0.1,Exampl,dns\n", f);
    fclose(f);
    assert_null(resolvers_load(path, &skipped, &e));
    assert_int_equal(e.code, ERR_LIMIT);
    assert_non_null(strstr(e.msg, "RESOLVERS_FILE_MAX"));
    unlink(path);

    struct resolvers *r = resolvers_new();
    assert_non_null(r);
    assert_int_equal(resolvers_set_local(r, slice_cstr("10.0.0.53, 10.0.1.0/24"), &e), 0);
    assert_int_equal(resolvers_local_count(r), 2);
    assert_int_equal(resolvers_set_local(r, slice_cstr("10.0.0.53,dns.example"), &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "dns.example"));
    resolvers_free(r);
    r = resolvers_new();
    assert_non_null(r);
    char many[LOCAL_RESOLVERS_MAX * 12 + 16];
    size_t o = 0;
    for (unsigned i = 0; i <= LOCAL_RESOLVERS_MAX; i++)
        o += (size_t)snprintf(many + o, sizeof many - o, "10.1.%u.%u,", i / 256, i % 256);
    assert_int_equal(resolvers_set_local(r, slice_of(many, o), &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "LOCAL_RESOLVERS_MAX"));
    resolvers_free(r);
}

static void test_dnsjoin(void **st)
{
    struct tu_result r;
    size_t len;
    (void)st;
    const char *argv[] = {tu_bin("scpdrive"), "--no-mv", "--fields", "_time,bypass,bypass_provider",
                          "--args", "local_resolvers=\"10.0.0.53,192.168.1.0/24\"",
                          "tests/data/resolvers/events.csv", "--", tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 60000, &r), 0);
    if (r.status != 0)
        fail_msg("scpdrive exit %d: %.*s", r.status, (int)r.err_len, r.err);
    char *want = tu_read_file("tests/data/resolvers/expected.csv", &len);
    assert_non_null(want);
    if (r.out_len != len || memcmp(r.out, want, len) != 0)
        fail_msg("got:\n%.*s\nwant:\n%s", (int)r.out_len, r.out, want);
    free(want);
    tu_result_free(&r);

    const char *bad[] = {tu_bin("scpdrive"), "--getinfo-only", "--args",
                         "local_resolvers=10.0.0.300", "--", tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(bad, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "local_resolvers=: 10.0.0.300 is not an address"));
    tu_result_free(&r);

    /* a malformed lookup in a throwaway app: WARN, nothing flagged */
    char dir[] = "/tmp/dnsjoin-resolvers-app-XXXXXX", p[256], cmd[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "mkdir -p %s/TA-dnsjoin/bin %s/TA-dnsjoin/lookups && cp %s "
             "%s/TA-dnsjoin/bin/dnsjoin", dir, dir, tu_bin("dnsjoin"), dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/TA-dnsjoin/lookups/dnsjoin_public_resolvers.csv", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("ip,name\n8.8.8.8,Google\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/TA-dnsjoin/bin/dnsjoin", dir);
    const char *app[] = {tu_bin("scpdrive"), "--no-mv", "--fields", "_time,bypass",
                         "tests/data/resolvers/events.csv", "--", p, "join", NULL};
    assert_int_equal(tu_run(app, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "WARN dnsjoin:"));
    assert_non_null(strstr(r.err, "expected columns named address, provider and protocols; no "
                                  "connection is flagged"));
    assert_null(strstr(r.out, "doh"));
    assert_null(strstr(r.out, "dns"));
    size_t lines = 0;
    for (size_t i = 0; i < r.out_len; i++)
        lines += r.out[i] == '\n';
    assert_int_equal(lines, 11);  /* the header and every event */
    tu_result_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_dnsjoin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
