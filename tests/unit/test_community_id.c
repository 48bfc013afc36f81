/*
 * test_community_id: the Community ID v1 flow hash (net/community_id) and
 * the SHA-1 and base64 it is made of (util/sha1, util/base64).
 *
 * - SHA-1 against the FIPS 180-2 appendix A examples and RFC 3174's test
 *   4, hashed whole and in random pieces;
 * - base64 against the RFC 4648 section 10 vectors;
 * - every row of tests/data/community_id/spec.tsv (the spec's baseline
 *   tables: TCP, UDP, SCTP, ICMP, ICMPv6, a port-less protocol, IPv4 and
 *   IPv6, seeds 0 and 1);
 * - the rejections: mixed address families, an ICMP type above 255;
 * - dnsjoin through scpdrive over tests/data/community_id/events.csv: the
 *   spec's values on the flows it covers, and no id where a port, the
 *   ICMP type and code, a known transport or one address family is
 *   missing (expected.csv, written from spec.tsv); then one flow again
 *   and again with one part changed (port, transport, client), so that
 *   dnsjoin's flow cache must tell them apart (those ids computed with
 *   Python's hashlib and base64, apart from this code).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/community_id.h"
#include "support/testutil.h"
#include "util/base64.h"
#include "util/sha1.h"

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha1(void **st)
{
    static const struct {
        const char *msg;
        size_t repeat;
        const char *want;
    } v[] = {
        /* FIPS 180-2 appendix A.1, A.2, A.3 */
        {"abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
        /* RFC 3174 section 7.3, TEST4 */
        {"0123456701234567012345670123456701234567012345670123456701234567", 10,
         "dea356a2cddd90c7a7ecedc5ebb563934f460452"},
    };
    uint64_t rs = 7;
    (void)st;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len = strlen(v[i].msg), total = len * v[i].repeat;
        char *m = malloc(total);
        assert_non_null(m);
        for (size_t k = 0; k < v[i].repeat; k++)
            memcpy(m + k * len, v[i].msg, len);
        unsigned char d[SHA1_DIGEST_LEN];
        char h[2 * SHA1_DIGEST_LEN + 1];
        sha1_digest(m, total, d);
        hex(d, sizeof d, h);
        if (strcmp(h, v[i].want) != 0)
            fail_msg("vector %zu whole: %s, want %s", i, h, v[i].want);
        /* the same bytes in random pieces, some empty, some past a block */
        struct sha1 c;
        sha1_init(&c);
        for (size_t off = 0; off < total;) {
            size_t n = (size_t)(tu_rand(&rs) % 150);
            if (n > total - off)
                n = total - off;
            sha1_update(&c, m + off, n);
            off += n;
        }
        sha1_final(&c, d);
        hex(d, sizeof d, h);
        if (strcmp(h, v[i].want) != 0)
            fail_msg("vector %zu in pieces: %s, want %s", i, h, v[i].want);
        free(m);
    }
}

/* The two compression functions agree on random states and blocks (the
 * vectors above run through whichever the CPU selects: with SHA
 * extensions, this is what checks the portable code, and the reverse). */
static void test_sha1_two_ways(void **st)
{
    uint64_t rs = 11;
    unsigned char p[64 * 4] = {0};
    (void)st;
    uint32_t probe[5] = {0};
    if (!sha1_blocks_hw(probe, p, 0)) {
        print_message("SKIP: no SHA instructions on this CPU or build; the vectors checked the portable code\n");
        skip();
    }
    for (int round = 0; round < 20000; round++) {
        uint32_t a[5], b[5];
        size_t nb = 1 + (size_t)(tu_rand(&rs) % 4);
        for (int i = 0; i < 5; i++)
            a[i] = b[i] = (uint32_t)tu_rand(&rs);
        for (size_t i = 0; i < 64 * nb; i++)
            p[i] = (unsigned char)tu_rand(&rs);
        sha1_blocks_portable(a, p, nb);
        assert_int_equal(sha1_blocks_hw(b, p, nb), 1);
        if (memcmp(a, b, sizeof a) != 0)
            fail_msg("round %d (%zu blocks): the SHA instructions and the portable code differ", round, nb);
    }
}

static void test_base64(void **st)
{
    /* RFC 4648 section 10 */
    static const char *const v[][2] = {{"", ""},           {"f", "Zg=="},
                                       {"fo", "Zm8="},     {"foo", "Zm9v"},
                                       {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                       {"foobar", "Zm9vYmFy"}};
    (void)st;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = base64_encode(v[i][0], strlen(v[i][0]), out);
        assert_int_equal(n, BASE64_LEN(strlen(v[i][0])));
        assert_string_equal(out, v[i][1]);
    }
}

/* Split a line on tabs into at most max fields (in place). */
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

static void test_spec_vectors(void **st)
{
    size_t len, rows = 0;
    (void)st;
    char *data = tu_read_file("tests/data/community_id/spec.tsv", &len);
    assert_non_null(data);
    unsigned seen_proto = 0;
    for (char *line = strtok(data, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *f[8];
        if (line[0] == '#')
            continue;
        if (split_tabs(line, f, 8) != 7)
            fail_msg("spec.tsv: not 7 fields: %s", line);
        struct ipaddr s, d;
        unsigned proto = (unsigned)strtoul(f[0], NULL, 10);
        int ports = strcmp(f[3], "-") != 0;
        assert_int_equal(ipaddr_parse(slice_cstr(f[1]), &s), 0);
        assert_int_equal(ipaddr_parse(slice_cstr(f[2]), &d), 0);
        char id[COMMUNITY_ID_LEN + 1];
        memset(id, 'x', sizeof id);
        int rc = community_id(&s, &d, proto, ports, (uint16_t)(ports ? strtoul(f[3], NULL, 10) : 0),
                              (uint16_t)(ports ? strtoul(f[4], NULL, 10) : 0),
                              (uint16_t)strtoul(f[5], NULL, 10), id);
        if (rc != 0 || strcmp(id, f[6]) != 0)
            fail_msg("%s %s -> %s %s/%s seed %s: rc %d, %.31s, want %s", f[0], f[1], f[2], f[3],
                     f[4], f[5], rc, id, f[6]);
        assert_int_equal(strlen(id), COMMUNITY_ID_LEN);
        seen_proto |= proto == 6 ? 1u : proto == 17 ? 2u : proto == 132 ? 4u : proto == 1 ? 8u
                    : proto == 58 ? 16u : 32u;
        rows++;
    }
    free(data);
    assert_int_equal(seen_proto, 63);  /* every kind of row is there */
    assert_true(rows >= 40);
}

static void test_rejections(void **st)
{
    struct ipaddr v4, v6, mapped;
    char id[COMMUNITY_ID_LEN + 1] = "untouched";
    (void)st;
    assert_int_equal(ipaddr_parse(slice_cstr("1.2.3.4"), &v4), 0);
    assert_int_equal(ipaddr_parse(slice_cstr("2001:db8::1"), &v6), 0);
    assert_int_equal(ipaddr_parse(slice_cstr("::ffff:5.6.7.8"), &mapped), 0);
    assert_int_equal(community_id(&v4, &v6, 6, 1, 1, 2, 0, id), ERR_INPUT);
    assert_int_equal(community_id(&v6, &v4, 17, 1, 1, 2, 0, id), ERR_INPUT);
    assert_int_equal(community_id(&v4, &mapped, 1, 1, 256, 0, 0, id), ERR_INPUT);
    assert_int_equal(community_id(&v4, &mapped, 1, 1, 8, 256, 0, id), ERR_INPUT);
    assert_int_equal(community_id(&v4, &mapped, 300, 0, 0, 0, 0, id), ERR_INPUT);
    assert_string_equal(id, "untouched");
    /* a mapped address is IPv4: the spec's 1.2.3.4 -> 5.6.7.8 TCP vector */
    assert_int_equal(community_id(&v4, &mapped, 6, 1, 1122, 3344, 0, id), 0);
    assert_string_equal(id, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
}

static void test_dnsjoin_field(void **st)
{
    struct tu_result r;
    size_t len;
    (void)st;
    const char *argv[] = {tu_bin("scpdrive"), "--no-mv", "--fields", "_time,community_id",
                          "tests/data/community_id/events.csv", "--", tu_bin("dnsjoin"), "join",
                          NULL};
    assert_int_equal(tu_run(argv, NULL, 0, 60000, &r), 0);
    if (r.status != 0)
        fail_msg("scpdrive exit %d: %.*s", r.status, (int)r.err_len, r.err);
    char *want = tu_read_file("tests/data/community_id/expected.csv", &len);
    assert_non_null(want);
    if (r.out_len != len || memcmp(r.out, want, len) != 0)
        fail_msg("got:\n%.*s\nwant:\n%s", (int)r.out_len, r.out, want);
    free(want);
    tu_result_free(&r);

    /* seed 1 gives the spec's seed-1 value; the option is range-checked */
    const char *seeded[] = {tu_bin("scpdrive"), "--no-mv", "--fields", "community_id",
                            "--args", "community_id_seed=1", "tests/data/community_id/events.csv",
                            "--", tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(seeded, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "community_id\n1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=\n"));
    tu_result_free(&r);
    const char *bad[] = {tu_bin("scpdrive"), "--getinfo-only", "--args", "community_id_seed=65536",
                         "--", tu_bin("dnsjoin"), "join", NULL};
    assert_int_equal(tu_run(bad, NULL, 0, 60000, &r), 0);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "community_id_seed=65536"));
    tu_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1),          cmocka_unit_test(test_sha1_two_ways),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_spec_vectors),  cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_dnsjoin_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
