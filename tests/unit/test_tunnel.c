/*
 * test_tunnel: Teredo and 6to4 decoding.
 *
 * The two Teredo examples of DOMAIN.md 4.2 and the 6to4 examples of 4.5 are
 * checked directly below, and again with more cases from the tables in
 * tests/data/tunnel/ (run from the repository root):
 *   teredo.txt     address<TAB>server<TAB>flags<TAB>port<TAB>client | address<TAB>-
 *   sixtofour.txt  address<TAB>ipv4 | address<TAB>-
 *   relay.txt      address<TAB>0|1
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ipaddr.h"
#include "net/tunnel.h"

#define DATA_DIR "tests/data/tunnel/"
#define FIELDS_MAX 6

/* ------------------------------------------------------------------------
 * Data files: '#' comments and blank lines skipped, fields split at TAB.
 * ------------------------------------------------------------------------ */

struct row {
    int lineno;
    size_t nf;
    char *f[FIELDS_MAX]; /* NUL-terminated, into table.text */
};

struct table {
    char *text;
    struct row *rows;
    size_t n;
};

/* Fails the test if the file is missing: a lost table must not pass. */
static void table_load(const char *path, struct table *t)
{
    FILE *f = fopen(path, "rb");
    long len;
    size_t cap = 32;
    int lineno = 0;
    char *p, *end;

    if (f == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    t->text = malloc((size_t)len + 1);
    assert_non_null(t->text);
    assert_int_equal(fread(t->text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    t->text[len] = '\0';
    t->rows = malloc(cap * sizeof(*t->rows));
    assert_non_null(t->rows);
    t->n = 0;
    for (p = t->text, end = t->text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        *le = '\0';
        if (le > p && p[0] != '#') {
            struct row *r;
            if (t->n == cap) {
                cap *= 2;
                t->rows = realloc(t->rows, cap * sizeof(*t->rows));
                assert_non_null(t->rows);
            }
            r = &t->rows[t->n++];
            r->lineno = lineno;
            r->nf = 0;
            for (char *q = p;;) {
                char *tab = strchr(q, '\t');
                if (r->nf == FIELDS_MAX)
                    fail_msg("%s:%d: too many fields", path, lineno);
                r->f[r->nf++] = q;
                if (!tab)
                    break;
                *tab = '\0';
                q = tab + 1;
            }
        }
        p = le + 1;
    }
    if (t->n == 0)
        fail_msg("%s has no entries", path);
}

static void table_free(struct table *t)
{
    free(t->rows);
    free(t->text);
}

static struct ipaddr must_parse(const char *s)
{
    struct ipaddr a;
    if (ipaddr_parse(slice_cstr(s), &a) != 0)
        fail_msg("expected \"%s\" to parse", s);
    return a;
}

static void assert_addr_text(const struct ipaddr *a, const char *want)
{
    char out[IPADDR_STRMAX];
    ipaddr_format(a, out);
    assert_string_equal(out, want);
}

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

/* DOMAIN.md 4.2, both rows, field by field. */
static void test_teredo_worked_examples(void **state)
{
    struct teredo_info t;
    struct ipaddr a;
    (void)state;

    a = must_parse("2001:0000:4136:e378:8000:63bf:3fff:fdd2");
    assert_int_equal(tunnel_teredo(&a, &t), 1);
    assert_addr_text(&t.server, "65.54.227.120");
    assert_true(ipaddr_is_v4(&t.server));
    assert_int_equal(t.flags, 0x8000);
    assert_true(t.flags & TUNNEL_TEREDO_CONE);
    assert_int_equal(t.client_port, 40000);
    assert_addr_text(&t.client, "192.0.2.45");
    assert_true(ipaddr_is_v4(&t.client));

    a = must_parse("2001:0:4137:9e50:8000:f12a:b9c8:2815");
    assert_int_equal(tunnel_teredo(&a, &t), 1);
    assert_addr_text(&t.server, "65.55.158.80");
    assert_int_equal(t.flags, 0x8000);
    assert_int_equal(t.client_port, 3797);
    assert_addr_text(&t.client, "70.55.215.234");
}

/* Non-Teredo addresses return 0 and leave the output alone. */
static void test_teredo_negative(void **state)
{
    static const char *const no[] = {
        "2001:db8::1", "2001:1::", "2002:4137:9e50::1", "::", "::1", "65.54.227.120",
        "fe80::1",     "2000:ffff::", "::ffff:32.1.0.0",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        struct ipaddr a = must_parse(no[i]);
        struct teredo_info t, before;
        memset(&t, 0xa5, sizeof(t));
        before = t;
        assert_int_equal(tunnel_teredo(&a, &t), 0);
        assert_memory_equal(&t, &before, sizeof(t));
    }
}

static void test_teredo_table(void **state)
{
    struct table t;
    size_t yes = 0, no = 0;
    (void)state;
    table_load(DATA_DIR "teredo.txt", &t);
    for (size_t i = 0; i < t.n; i++) {
        struct row *r = &t.rows[i];
        struct ipaddr a;
        struct teredo_info ti;
        if (ipaddr_parse(slice_cstr(r->f[0]), &a) != 0)
            fail_msg("teredo.txt:%d: \"%s\" is not an address", r->lineno, r->f[0]);
        if (r->nf == 2 && strcmp(r->f[1], "-") == 0) {
            if (tunnel_teredo(&a, &ti) != 0)
                fail_msg("teredo.txt:%d: %s decoded as Teredo", r->lineno, r->f[0]);
            no++;
            continue;
        }
        if (r->nf != 5)
            fail_msg("teredo.txt:%d: want 5 fields or address<TAB>-", r->lineno);
        if (tunnel_teredo(&a, &ti) != 1)
            fail_msg("teredo.txt:%d: %s not decoded", r->lineno, r->f[0]);
        assert_addr_text(&ti.server, r->f[1]);
        assert_int_equal(ti.flags, strtoul(r->f[2], NULL, 0));
        assert_int_equal(ti.client_port, strtoul(r->f[3], NULL, 10));
        assert_addr_text(&ti.client, r->f[4]);
        yes++;
    }
    assert_true(yes >= 2 && no >= 1);
    table_free(&t);
}

/* DOMAIN.md 4.5. */
static void test_6to4_examples(void **state)
{
    struct ipaddr a, v4;
    (void)state;
    a = must_parse("2002:c000:0204::1");
    assert_int_equal(tunnel_6to4(&a, &v4), 1);
    assert_addr_text(&v4, "192.0.2.4");
    assert_true(ipaddr_is_v4(&v4));
    a = must_parse("2002:4137:9e50::1");
    assert_int_equal(tunnel_6to4(&a, &v4), 1);
    assert_addr_text(&v4, "65.55.158.80");

    /* Not 6to4: output untouched. */
    a = must_parse("2001:0:4137:9e50:8000:f12a:b9c8:2815");
    memset(&v4, 0x5a, sizeof(v4));
    assert_int_equal(tunnel_6to4(&a, &v4), 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(v4.b[i], 0x5a);
}

static void test_6to4_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "sixtofour.txt", &t);
    for (size_t i = 0; i < t.n; i++) {
        struct row *r = &t.rows[i];
        struct ipaddr a, v4;
        if (r->nf != 2)
            fail_msg("sixtofour.txt:%d: want address<TAB>ipv4|-", r->lineno);
        if (ipaddr_parse(slice_cstr(r->f[0]), &a) != 0)
            fail_msg("sixtofour.txt:%d: \"%s\" is not an address", r->lineno, r->f[0]);
        if (strcmp(r->f[1], "-") == 0) {
            if (tunnel_6to4(&a, &v4) != 0)
                fail_msg("sixtofour.txt:%d: %s decoded as 6to4", r->lineno, r->f[0]);
            continue;
        }
        if (tunnel_6to4(&a, &v4) != 1)
            fail_msg("sixtofour.txt:%d: %s not decoded", r->lineno, r->f[0]);
        assert_addr_text(&v4, r->f[1]);
    }
    table_free(&t);
}

static void test_relay_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "relay.txt", &t);
    for (size_t i = 0; i < t.n; i++) {
        struct row *r = &t.rows[i];
        struct ipaddr a;
        if (r->nf != 2 || (strcmp(r->f[1], "0") != 0 && strcmp(r->f[1], "1") != 0))
            fail_msg("relay.txt:%d: want address<TAB>0|1", r->lineno);
        if (ipaddr_parse(slice_cstr(r->f[0]), &a) != 0)
            fail_msg("relay.txt:%d: \"%s\" is not an address", r->lineno, r->f[0]);
        if (tunnel_is_6to4_relay(&a) != r->f[1][0] - '0')
            fail_msg("relay.txt:%d: %s: got %d", r->lineno, r->f[0], tunnel_is_6to4_relay(&a));
    }
    table_free(&t);
}

/* Decoding is the inverse of building an address from its parts. */
static void test_teredo_roundtrip(void **state)
{
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    (void)state;
    for (int i = 0; i < 10000; i++) {
        struct ipaddr a, srv, cli;
        struct teredo_info t;
        uint32_t s, c;
        uint16_t flags, port;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s = (uint32_t)x;
        c = (uint32_t)(x >> 32);
        flags = (uint16_t)(x >> 7);
        port = (uint16_t)(x >> 23);
        memset(&a, 0, sizeof(a));
        a.b[0] = 0x20;
        a.b[1] = 0x01;
        for (int k = 0; k < 4; k++) {
            a.b[4 + k] = (unsigned char)(s >> (24 - 8 * k));
            a.b[12 + k] = (unsigned char)~(c >> (24 - 8 * k));
        }
        a.b[8] = (unsigned char)(flags >> 8);
        a.b[9] = (unsigned char)flags;
        a.b[10] = (unsigned char)~(port >> 8);
        a.b[11] = (unsigned char)~port;
        assert_int_equal(tunnel_teredo(&a, &t), 1);
        ipaddr_set_v4(&srv, s);
        ipaddr_set_v4(&cli, c);
        assert_true(ipaddr_eq(&t.server, &srv));
        assert_true(ipaddr_eq(&t.client, &cli));
        assert_int_equal(t.flags, flags);
        assert_int_equal(t.client_port, port);
        {
            /* Teredo and 6to4 spaces do not overlap. */
            struct ipaddr v4;
            assert_int_equal(tunnel_6to4(&a, &v4), 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_teredo_worked_examples),
        cmocka_unit_test(test_teredo_negative),
        cmocka_unit_test(test_teredo_table),
        cmocka_unit_test(test_6to4_examples),
        cmocka_unit_test(test_6to4_table),
        cmocka_unit_test(test_relay_table),
        cmocka_unit_test(test_teredo_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
