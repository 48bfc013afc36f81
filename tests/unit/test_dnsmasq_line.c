/* dmline + syslogh: table-driven from tests/data/dnsmasq/lines.txt.
 * Each case is "< line" followed by "> expected description"; every case
 * is also parsed from an exact-size heap copy so ASan sees any over-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "modinput/dmline.h"
#include "limits.h"
#include "util/xmem.h"

static const char *kind_name(int k)
{
    static const char *const names[] = {"?", "QUERY", "FORWARD", "ANSWER", "DUP", "AUX",
                                        "START", "INFO", "SKIP", "UNPLACED", "BAD"};
    return k >= 0 && k <= DML_BAD ? names[k] : "?";
}

static const char *val_name(int v)
{
    static const char *const names[] = {"-", "IP4", "IP6", "CNAME", "NXDOMAIN", "NODATA4",
                                        "NODATA6", "NODATA", "RCODE", "RR", "NAME", "OTHER"};
    return v >= 0 && v <= DMV_OTHER ? names[v] : "?";
}

/* Spelled here, not taken from dmline_block_name(), so that a wrong name
 * there cannot agree with itself. */
static const char *block_name(int b)
{
    static const char *const names[] = {"-", "GRAVITY", "REGEX", "EXACT", "SPECIAL",
                                        "UPSTREAM", "CNAME", "RATELIMIT", "BUSY"};
    return b >= 0 && b <= DMB_BUSY ? names[b] : "?";
}

static void put(char *out, size_t cap, const char *key, struct slice s)
{
    size_t l = strlen(out);
    if (s.p == NULL)
        return;
    snprintf(out + l, cap - l, " %s=%.*s", key, (int)s.n, s.p);
}

/* Canonical one-line description of a parse. */
static void describe(const struct dmline *d, char *out, size_t cap)
{
    size_t l;
    snprintf(out, cap, "%s", kind_name(d->kind));
    if (d->kind == DML_BAD || d->kind == DML_SKIP)
        return;
    if (d->kind == DML_UNPLACED) {
        /* what it would have been; the fields are not used for one */
        l = strlen(out);
        snprintf(out + l, cap - l, " as=%s", kind_name((int)d->ukind));
        return;
    }
    l = strlen(out);
    if (d->h.mon)
        snprintf(out + l, cap - l, " ts=%04d-%02d-%02dT%02d:%02d:%02d.%06d%s%d", d->h.year,
                 d->h.mon, d->h.day, d->h.hour, d->h.min, d->h.sec, d->h.usec,
                 d->h.has_off ? "@" : "~", d->h.off_sec);
    l = strlen(out);
    if (d->proto != DMP_NONE)
        snprintf(out + l, cap - l, " proto=%s", d->proto == DMP_UDP ? "UDP" : "TCP");
    l = strlen(out);
    if (d->extra)
        snprintf(out + l, cap - l, " serial=%llu", (unsigned long long)d->serial);
    l = strlen(out);
    if (d->has_client)
        snprintf(out + l, cap - l, " client=%.*s/%u", (int)d->client.n, d->client.p, d->port);
    if (d->kind == DML_START || d->kind == DML_INFO)
        return;
    put(out, cap, "src", d->source);
    put(out, cap, "type", d->qtype);
    put(out, cap, "name", d->name);
    put(out, cap, "value", d->value);
    put(out, cap, "ede", d->ede);
    if (d->kind == DML_ANSWER) {
        l = strlen(out);
        snprintf(out + l, cap - l, " vk=%s rc=%d%s", val_name(d->vkind), d->rcode,
                 d->reverse ? " rev" : "");
        l = strlen(out);
        if (d->block != DMB_NONE)
            snprintf(out + l, cap - l, " block=%s", block_name(d->block));
        l = strlen(out);
        if (d->ftl_local)
            snprintf(out + l, cap - l, " ftl_local");
    }
}

static void test_table(void **state)
{
    const char *path = getenv("DNSMASQ_LINES");
    char line[8192], want[8192], got[8192], *in = NULL;
    FILE *f;
    int cases = 0, fails = 0, lineno = 0;

    (void)state;
    f = fopen(path ? path : "tests/data/dnsmasq/lines.txt", "r");
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (line[0] == '<' && line[1] == ' ') {
            in = strdup(line + 2);
            continue;
        }
        if (line[0] != '>' || in == NULL)
            continue;
        snprintf(want, sizeof want, "%s", line + 2);
        {
            struct dmline d;
            size_t len = strlen(in);
            char *copy = xmalloc(len ? len : 1);
            memcpy(copy, in, len);
            dmline_parse(copy, len, &d);
            describe(&d, got, sizeof got);
            xfree(copy);
        }
        cases++;
        if (strcmp(got, want) != 0) {
            fails++;
            fprintf(stderr, "line %d: %s\n  want: %s\n  got:  %s\n", lineno, in, want, got);
        }
        free(in);
        in = NULL;
    }
    fclose(f);
    free(in);
    assert_true(cases > 20);
    assert_int_equal(fails, 0);
}

static void test_split(void **state)
{
    size_t len = 0;
    char big[DNSMASQ_LINE_MAX + 2];
    (void)state;
    assert_int_equal(dmline_split("abc", 3, &len), 0);
    assert_int_equal(dmline_split("abc\r\nx", 6, &len), 5);
    assert_int_equal(len, 3);
    assert_int_equal(dmline_split("\n", 1, &len), 1);
    assert_int_equal(len, 0);
    memset(big, 'x', sizeof big);
    assert_true(dmline_split(big, sizeof big, &len) < 0);
}

static void test_ptr_name(void **state)
{
    char out[DMLINE_PTR_MAX];
    size_t n;
    (void)state;
    n = dmline_ptr_name(SLICE_LIT("131.107.255.255"), out);
    assert_int_equal(n, strlen("255.255.107.131.in-addr.arpa"));
    assert_memory_equal(out, "255.255.107.131.in-addr.arpa", n);
    n = dmline_ptr_name(SLICE_LIT("2001:db8::1"), out);
    assert_int_equal(n, 72);
    assert_memory_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", n);
    assert_int_equal(dmline_ptr_name(SLICE_LIT("nope"), out), 0);
}

/* Every prefix of every table line must parse without reading past it. */
static void test_prefixes(void **state)
{
    char line[8192];
    FILE *f = fopen("tests/data/dnsmasq/lines.txt", "r");
    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (line[0] != '<')
            continue;
        for (size_t k = 0; k <= n; k++) {
            struct dmline d;
            char *copy = xmalloc(k ? k : 1);
            memcpy(copy, line, k);
            dmline_parse(copy, k, &d);
            assert_true(d.kind >= DML_QUERY && d.kind <= DML_BAD);
            assert_true(d.kind != DML_UNPLACED || (d.ukind >= DML_QUERY && d.ukind <= DML_AUX));
            xfree(copy);
        }
    }
    fclose(f);
}

/* "--gen FILE": print FILE's lines as a table with the current parser's
 * descriptions, for review before they become expectations. */
static int gen(const char *path)
{
    char line[8192], got[8192];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        struct dmline d;
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (line[0] == '#' || n == 0) {
            printf("%s\n", line);
            continue;
        }
        dmline_parse(line, n, &d);
        describe(&d, got, sizeof got);
        printf("< %s\n> %s\n", line, got);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--gen") == 0)
        return gen(argv[2]);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_ptr_name),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests_name("dnsmasq_line", tests, NULL, NULL);
}
