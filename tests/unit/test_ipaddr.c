/*
 * test_ipaddr: the address parser, formatter, hash and CIDR ranges.
 *
 * Table-driven from tests/data/ipaddr/ (run from the repository root):
 *   valid.txt        input<TAB>canonical ipaddr_format output
 *   invalid.txt      inputs ipaddr_parse must reject
 *   cidr.txt         cidr<TAB>address<TAB>0|1
 *   cidr_invalid.txt inputs ipcidr_parse must reject
 * plus adversarial checks: every input against a PROT_NONE guard page,
 * random strings, and a differential check against the C library's
 * inet_pton/inet_ntop on plain (undecorated) addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "net/ipaddr.h"

#define DATA_DIR "tests/data/ipaddr/"

/* ------------------------------------------------------------------------
 * Data files
 * ------------------------------------------------------------------------ */

struct line {
    char *s; /* unescaped, NUL-terminated for messages; may contain NULs */
    size_t n;
    int lineno;
};

struct table {
    char *text;
    struct line *lines; /* one per non-comment line */
    size_t n;
};

static int hexdig(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* In place: \\ \t \n \r \s \xHH; "(empty)" is the empty string.  Returns
 * the new length, or (size_t)-1 on a malformed escape. */
static size_t unescape(char *s, size_t n)
{
    size_t i = 0, o = 0;
    if (n == 7 && memcmp(s, "(empty)", 7) == 0)
        return 0;
    while (i < n) {
        char c = s[i++];
        if (c != '\\') {
            s[o++] = c;
            continue;
        }
        if (i >= n)
            return (size_t)-1;
        c = s[i++];
        switch (c) {
        case '\\': s[o++] = '\\'; break;
        case 't': s[o++] = '\t'; break;
        case 'n': s[o++] = '\n'; break;
        case 'r': s[o++] = '\r'; break;
        case 's': s[o++] = ' '; break;
        case 'x': {
            int h, l;
            if (i + 2 > n)
                return (size_t)-1;
            h = hexdig((unsigned char)s[i]);
            l = hexdig((unsigned char)s[i + 1]);
            if (h < 0 || l < 0)
                return (size_t)-1;
            s[o++] = (char)(h * 16 + l);
            i += 2;
            break;
        }
        default: return (size_t)-1;
        }
    }
    return o;
}

/* Reads a data file: one entry per line, '#' comments and blank lines
 * skipped, no unescaping yet (fields are split first).  Fails the test if
 * the file is missing: a lost table must not pass silently. */
static void table_load(const char *path, struct table *t)
{
    FILE *f = fopen(path, "rb");
    long len;
    size_t cap = 64;
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
    t->lines = malloc(cap * sizeof(*t->lines));
    assert_non_null(t->lines);
    t->n = 0;
    for (p = t->text, end = t->text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        lineno++;
        *le = '\0';
        if (le > p && p[0] != '#') {
            if (t->n == cap) {
                cap *= 2;
                t->lines = realloc(t->lines, cap * sizeof(*t->lines));
                assert_non_null(t->lines);
            }
            t->lines[t->n].s = p;
            t->lines[t->n].n = (size_t)(le - p);
            t->lines[t->n].lineno = lineno;
            t->n++;
        }
        p = le + 1;
    }
    if (t->n == 0)
        fail_msg("%s has no entries", path);
}

static void table_free(struct table *t)
{
    free(t->lines);
    free(t->text);
}

/* Splits a line at TABs into at most max fields, unescaping each. */
static size_t split_fields(struct line *l, struct slice *f, size_t max, const char *path)
{
    size_t nf = 0;
    char *p = l->s, *end = l->s + l->n;
    while (nf < max) {
        char *tab = memchr(p, '\t', (size_t)(end - p));
        char *fe = tab ? tab : end;
        size_t n = unescape(p, (size_t)(fe - p));
        if (n == (size_t)-1)
            fail_msg("%s:%d: bad escape", path, l->lineno);
        f[nf++] = slice_of(p, n);
        if (!tab)
            break;
        p = tab + 1;
    }
    return nf;
}

/* One-field tables (invalid inputs): unescape every line in place. */
static void table_unescape(struct table *t, const char *path)
{
    for (size_t i = 0; i < t->n; i++) {
        size_t n = unescape(t->lines[i].s, t->lines[i].n);
        if (n == (size_t)-1)
            fail_msg("%s:%d: bad escape", path, t->lines[i].lineno);
        t->lines[i].n = n;
    }
}

/* ------------------------------------------------------------------------
 * Guard pages: the input ends exactly where an unreadable page begins (or
 * starts exactly where one ends), so any read past s.n or before s.p faults.
 * ------------------------------------------------------------------------ */

struct guard {
    unsigned char *base;
    size_t page;
};

static void guard_init(struct guard *g)
{
    g->page = (size_t)sysconf(_SC_PAGESIZE);
    g->base = mmap(NULL, 3 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->base != MAP_FAILED);
    /* [guard][data][guard] */
    assert_int_equal(mprotect(g->base, g->page, PROT_NONE), 0);
    assert_int_equal(mprotect(g->base + 2 * g->page, g->page, PROT_NONE), 0);
}

static void guard_free(struct guard *g) { munmap(g->base, 3 * g->page); }

/* Input copied so its last byte is the last readable byte. */
static struct slice guard_tail(struct guard *g, const char *p, size_t n)
{
    unsigned char *dst = g->base + 2 * g->page - n;
    if (n)
        memcpy(dst, p, n);
    return slice_of((const char *)dst, n);
}

/* Input copied so its first byte is the first readable byte. */
static struct slice guard_head(struct guard *g, const char *p, size_t n)
{
    unsigned char *dst = g->base + g->page;
    if (n)
        memcpy(dst, p, n);
    return slice_of((const char *)dst, n);
}

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static struct ipaddr must_parse(const char *s)
{
    struct ipaddr a;
    if (ipaddr_parse(slice_cstr(s), &a) != 0)
        fail_msg("expected \"%s\" to parse", s);
    return a;
}

static void assert_addr(const struct ipaddr *a, const char *s)
{
    struct ipaddr b = must_parse(s);
    assert_memory_equal(a->b, b.b, 16);
}

static void print_input(char *buf, size_t cap, struct slice s)
{
    size_t o = 0;
    for (size_t i = 0; i < s.n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            snprintf(buf + o, cap - o, "\\x%02x", c);
            o += 4;
        }
    }
    buf[o] = '\0';
}

/* A small deterministic generator, so a failure reproduces. */
static uint64_t rng_state = UINT64_C(0x243f6a8885a308d3);

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static unsigned rng_below(unsigned n) { return (unsigned)(rng() % n); }

/* ------------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------------ */

static void test_valid_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "valid.txt", &t);
    for (size_t i = 0; i < t.n; i++) {
        struct slice f[3];
        struct ipaddr a, b, c;
        char out[IPADDR_STRMAX];
        size_t len;
        int lineno = t.lines[i].lineno;
        if (split_fields(&t.lines[i], f, 3, "valid.txt") != 2)
            fail_msg("valid.txt:%d: want input<TAB>expected", lineno);
        if (ipaddr_parse(f[0], &a) != 0)
            fail_msg("valid.txt:%d: \"%.*s\" rejected", lineno, (int)f[0].n, f[0].p);
        memset(out, 'X', sizeof(out));
        len = ipaddr_format(&a, out);
        assert_int_equal(len, strlen(out));
        assert_true(len < IPADDR_STRMAX);
        if (len != f[1].n || memcmp(out, f[1].p, len) != 0)
            fail_msg("valid.txt:%d: \"%.*s\" formats as \"%s\", want \"%.*s\"", lineno,
                     (int)f[0].n, f[0].p, out, (int)f[1].n, f[1].p);
        /* The canonical text parses back to the same key. */
        assert_int_equal(ipaddr_parse(f[1], &b), 0);
        assert_true(ipaddr_eq(&a, &b));
        assert_int_equal(ipaddr_cmp(&a, &b), 0);
        assert_true(ipaddr_hash(&a) == ipaddr_hash(&b));
        assert_int_equal(ipaddr_parse(slice_of(out, len), &c), 0);
        assert_memory_equal(a.b, c.b, 16);
        /* IPv4 exactly when the canonical form is dotted without ':'. */
        assert_int_equal(ipaddr_is_v4(&a), memchr(f[1].p, ':', f[1].n) == NULL);
    }
    table_free(&t);
}

static void test_invalid_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "invalid.txt", &t);
    table_unescape(&t, "invalid.txt");
    for (size_t i = 0; i < t.n; i++) {
        struct ipaddr a;
        if (ipaddr_parse(slice_of(t.lines[i].s, t.lines[i].n), &a) != ERR_INPUT) {
            char buf[512];
            print_input(buf, sizeof(buf), slice_of(t.lines[i].s, t.lines[i].n));
            fail_msg("invalid.txt:%d: \"%s\" accepted", t.lines[i].lineno, buf);
        }
    }
    table_free(&t);
}

static void test_cidr_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "cidr.txt", &t);
    for (size_t i = 0; i < t.n; i++) {
        struct slice f[4];
        struct ipcidr c;
        struct ipaddr a;
        int lineno = t.lines[i].lineno;
        if (split_fields(&t.lines[i], f, 4, "cidr.txt") != 3 || f[2].n != 1 ||
            (f[2].p[0] != '0' && f[2].p[0] != '1'))
            fail_msg("cidr.txt:%d: want cidr<TAB>address<TAB>0|1", lineno);
        if (ipcidr_parse(f[0], &c) != 0)
            fail_msg("cidr.txt:%d: range \"%.*s\" rejected", lineno, (int)f[0].n, f[0].p);
        if (ipaddr_parse(f[1], &a) != 0)
            fail_msg("cidr.txt:%d: address \"%.*s\" rejected", lineno, (int)f[1].n, f[1].p);
        if (ipcidr_contains(&c, &a) != f[2].p[0] - '0')
            fail_msg("cidr.txt:%d: %.*s contains %.*s: got %d", lineno, (int)f[0].n, f[0].p,
                     (int)f[1].n, f[1].p, ipcidr_contains(&c, &a));
        /* A range always contains its own (masked) network address. */
        assert_true(ipcidr_contains(&c, &c.a));
    }
    table_free(&t);
}

static void test_cidr_invalid_table(void **state)
{
    struct table t;
    (void)state;
    table_load(DATA_DIR "cidr_invalid.txt", &t);
    table_unescape(&t, "cidr_invalid.txt");
    for (size_t i = 0; i < t.n; i++) {
        struct ipcidr c;
        if (ipcidr_parse(slice_of(t.lines[i].s, t.lines[i].n), &c) != ERR_INPUT) {
            char buf[512];
            print_input(buf, sizeof(buf), slice_of(t.lines[i].s, t.lines[i].n));
            fail_msg("cidr_invalid.txt:%d: \"%s\" accepted", t.lines[i].lineno, buf);
        }
    }
    table_free(&t);
}

/* ------------------------------------------------------------------------
 * Specific behaviour
 * ------------------------------------------------------------------------ */

static void test_cidr_fields(void **state)
{
    struct ipcidr c;
    (void)state;
    assert_int_equal(ipcidr_parse(SLICE_LIT("10.1.2.3/8"), &c), 0);
    assert_int_equal(c.bits, 104);
    assert_addr(&c.a, "10.0.0.0");
    assert_int_equal(ipcidr_parse(SLICE_LIT("1.2.3.4"), &c), 0);
    assert_int_equal(c.bits, 128);
    assert_int_equal(ipcidr_parse(SLICE_LIT("0.0.0.0/0"), &c), 0);
    assert_int_equal(c.bits, 96);
    assert_int_equal(ipcidr_parse(SLICE_LIT("2001:db8:ffff::1/33"), &c), 0);
    assert_int_equal(c.bits, 33);
    assert_addr(&c.a, "2001:db8:8000::");
    assert_int_equal(ipcidr_parse(SLICE_LIT("2001:db8::1"), &c), 0);
    assert_int_equal(c.bits, 128);
    assert_int_equal(ipcidr_parse(SLICE_LIT("::/0"), &c), 0);
    assert_int_equal(c.bits, 0);
    /* The same text: a port to ipaddr_parse, a prefix to ipcidr_parse. */
    {
        struct ipaddr a = must_parse("10.1.2.3/8");
        assert_addr(&a, "10.1.2.3");
    }
    /* Host bits are cleared at every prefix length: an all-ones address
     * keeps exactly n leading one bits. */
    for (unsigned n = 0; n <= 128; n++) {
        char txt[64];
        snprintf(txt, sizeof(txt), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/%u", n);
        assert_int_equal(ipcidr_parse(slice_cstr(txt), &c), 0);
        assert_int_equal(c.bits, n);
        for (unsigned bit = 0; bit < 128; bit++)
            assert_int_equal((c.a.b[bit / 8] >> (7 - bit % 8)) & 1, bit < n);
    }
    assert_int_equal(ipcidr_parse(SLICE_LIT("1.2.3.5/31"), &c), 0);
    assert_addr(&c.a, "1.2.3.4");
    assert_int_equal(ipcidr_parse(SLICE_LIT("255.255.255.255/1"), &c), 0);
    assert_addr(&c.a, "128.0.0.0");
    /* Every prefix length, both families: contains exactly the right span. */
    for (unsigned n = 0; n <= 32; n++) {
        char txt[32];
        struct ipaddr lo, hi, below, above;
        uint32_t base = UINT32_C(0xc0a80000) & (n ? ~UINT32_C(0) << (32 - n) : 0);
        uint32_t span = n == 32 ? 0 : (~UINT32_C(0) >> n);
        snprintf(txt, sizeof(txt), "192.168.0.0/%u", n);
        assert_int_equal(ipcidr_parse(slice_cstr(txt), &c), 0);
        assert_int_equal(c.bits, 96 + n);
        ipaddr_set_v4(&lo, base);
        ipaddr_set_v4(&hi, base + span);
        assert_true(ipcidr_contains(&c, &lo));
        assert_true(ipcidr_contains(&c, &hi));
        if (base > 0) {
            ipaddr_set_v4(&below, base - 1);
            assert_false(ipcidr_contains(&c, &below));
        }
        if (base + span < UINT32_MAX) {
            ipaddr_set_v4(&above, base + span + 1);
            assert_false(ipcidr_contains(&c, &above));
        }
    }
    for (unsigned n = 1; n <= 128; n++) {
        char txt[64];
        struct ipaddr x = must_parse("2001:db8::");
        snprintf(txt, sizeof(txt), "2001:db8::/%u", n);
        assert_int_equal(ipcidr_parse(slice_cstr(txt), &c), 0);
        /* Flipping bit n-1 (inside the prefix) leaves the range unless the
         * bit was already part of the network; flipping bit n (the first
         * host bit) never does. */
        assert_true(ipcidr_contains(&c, &x));
        if (n < 128) {
            struct ipaddr y = x;
            y.b[n / 8] ^= (unsigned char)(0x80u >> (n % 8));
            assert_true(ipcidr_contains(&c, &y));
        }
        {
            struct ipaddr z = c.a;
            unsigned bit = n - 1;
            z.b[bit / 8] ^= (unsigned char)(0x80u >> (bit % 8));
            assert_false(ipcidr_contains(&c, &z));
        }
    }
}

static void test_equal_forms(void **state)
{
    static const char *const same[] = {
        "1.2.3.4",        "::ffff:1.2.3.4",   "::FFFF:0102:0304", "[1.2.3.4]:80",
        "1.2.3.4#53",     "1.2.3.4/53",       "[::ffff:1.2.3.4]", "0:0:0:0:0:ffff:102:304",
        "1.2.3.4:65535",  "::ffff:1.2.3.4#1",
    };
    struct ipaddr a = must_parse(same[0]);
    (void)state;
    for (size_t i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
        struct ipaddr b = must_parse(same[i]);
        assert_true(ipaddr_eq(&a, &b));
        assert_true(ipaddr_hash(&a) == ipaddr_hash(&b));
    }
    assert_true(ipaddr_is_v4(&a));
    assert_int_equal(ipaddr_v4(&a), 0x01020304);
    {
        /* IPv4-compatible (::1.2.3.4) and NAT64 forms are not IPv4. */
        struct ipaddr c = must_parse("::1.2.3.4");
        struct ipaddr d = must_parse("64:ff9b::1.2.3.4");
        assert_false(ipaddr_eq(&a, &c));
        assert_false(ipaddr_is_v4(&c));
        assert_false(ipaddr_is_v4(&d));
    }
}

static void test_cmp_order(void **state)
{
    /* Ascending by the 16 bytes: ::, ::1, IPv4 (mapped), then real IPv6. */
    static const char *const order[] = {
        "::", "::1", "::fffe:ffff:ffff", "0.0.0.0", "1.2.3.4", "1.2.3.5", "9.0.0.0",
        "10.0.0.0", "255.255.255.255", "::1:0:0:0", "2001:db8::", "2001:db8::1", "fe80::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    };
    size_t n = sizeof(order) / sizeof(order[0]);
    (void)state;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            struct ipaddr a = must_parse(order[i]), b = must_parse(order[j]);
            int c = ipaddr_cmp(&a, &b);
            if (i < j)
                assert_true(c < 0);
            else if (i > j)
                assert_true(c > 0);
            else
                assert_int_equal(c, 0);
            assert_int_equal(ipaddr_eq(&a, &b), i == j);
        }
    }
}

static void test_v4_helpers(void **state)
{
    struct ipaddr a;
    char out[IPADDR_STRMAX];
    (void)state;
    ipaddr_set_v4(&a, UINT32_C(0xc0586301));
    assert_true(ipaddr_is_v4(&a));
    assert_int_equal(ipaddr_format(&a, out), strlen("192.88.99.1"));
    assert_string_equal(out, "192.88.99.1");
    assert_int_equal(ipaddr_v4(&a), UINT32_C(0xc0586301));
    for (uint32_t v = 0; v < 300; v++) {
        struct ipaddr b;
        ipaddr_set_v4(&a, v * UINT32_C(14316557));
        ipaddr_format(&a, out);
        assert_int_equal(ipaddr_parse(slice_cstr(out), &b), 0);
        assert_true(ipaddr_eq(&a, &b));
    }
}

/* X.509 iPAddress bytes: the length picks the family, no mapping across. */
struct rawcase {
    const char *addr;
    unsigned char raw[17];
    size_t len;
    int want;
};

static const struct rawcase rawcases[] = {
    {"10.1.2.3", {10, 1, 2, 3}, 4, 1},
    {"10.1.2.3", {10, 1, 2, 4}, 4, 0},
    {"0.0.0.0", {0, 0, 0, 0}, 4, 1},
    {"10.1.2.3", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3}, 16, 0},
    {"::ffff:10.1.2.3", {10, 1, 2, 3}, 4, 1},  /* the same address once parsed */
    {"2001:db8::1", {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 16, 1},
    {"2001:db8::1", {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 16, 0},
    {"::", {0}, 16, 1},
    {"::", {0}, 4, 0},
    {"10.1.2.3", {10, 1, 2}, 3, 0},
    {"10.1.2.3", {10, 1, 2, 3, 0}, 5, 0},
    {"2001:db8::1", {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 17, 0},
    {"10.1.2.3", {0}, 0, 0},
};

static void test_eq_raw(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rawcases / sizeof rawcases[0]; i++) {
        const struct rawcase *c = &rawcases[i];
        struct ipaddr a;
        assert_int_equal(ipaddr_parse(slice_cstr(c->addr), &a), 0);
        if (ipaddr_eq_raw(&a, c->raw, c->len) != c->want)
            fail_msg("case %zu: %s against %zu bytes: want %d", i, c->addr, c->len, c->want);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sequential addresses (the common case: one subnet) must spread over the
 * buckets of a power-of-two table, whichever bits the table uses. */
static void test_hash_spread(void **state)
{
    enum { N = 65536, B = 1024 };
    uint64_t *h = malloc(N * 2 * sizeof(*h));
    unsigned lo[B], hi[B];
    (void)state;
    assert_non_null(h);
    for (int fam = 0; fam < 2; fam++) {
        memset(lo, 0, sizeof(lo));
        memset(hi, 0, sizeof(hi));
        for (uint32_t i = 0; i < N; i++) {
            struct ipaddr a;
            if (fam == 0) {
                ipaddr_set_v4(&a, UINT32_C(0x0a000000) + i);
            } else {
                a = must_parse("2001:db8::");
                a.b[14] = (unsigned char)(i >> 8);
                a.b[15] = (unsigned char)i;
            }
            h[fam * N + i] = ipaddr_hash(&a);
            lo[h[fam * N + i] % B]++;
            hi[h[fam * N + i] >> 54]++;
        }
        /* Mean 64 per bucket; a fair hash stays well inside [20, 120]. */
        for (int b = 0; b < B; b++) {
            assert_in_range(lo[b], 20, 120);
            assert_in_range(hi[b], 20, 120);
        }
    }
    qsort(h, N * 2, sizeof(*h), cmp_u64);
    for (size_t i = 1; i < N * 2; i++)
        assert_true(h[i] != h[i - 1]);
    free(h);
}

/* The length ceiling is exact: IPADDR_TEXT_MAX bytes parse, one more does
 * not, whatever the content. */
static void test_length_limit(void **state)
{
    char buf[IPADDR_TEXT_MAX + 2];
    struct ipaddr a;
    (void)state;
    memcpy(buf, "fe80::1%", 8);
    memset(buf + 8, 'z', sizeof(buf) - 8);
    assert_int_equal(ipaddr_parse(slice_of(buf, IPADDR_TEXT_MAX), &a), 0);
    assert_int_equal(ipaddr_parse(slice_of(buf, IPADDR_TEXT_MAX + 1), &a), ERR_INPUT);
    /* NULL with a length is not read. */
    assert_int_equal(ipaddr_parse(slice_of(NULL, 7), &a), ERR_INPUT);
    {
        struct ipcidr c;
        assert_int_equal(ipcidr_parse(slice_of(NULL, 7), &c), ERR_INPUT);
        assert_int_equal(ipcidr_parse(SLICE_NULL, &c), ERR_INPUT);
    }
}

/* Inputs embedded in a larger buffer: only s.n bytes count. */
static void test_slice_bounds(void **state)
{
    const char *buf = "1.2.3.45";
    struct ipaddr a;
    struct ipcidr c;
    (void)state;
    assert_int_equal(ipaddr_parse(slice_of(buf, 7), &a), 0);
    assert_int_equal(ipaddr_v4(&a), 0x01020304);
    assert_int_equal(ipaddr_parse(slice_of("::1.2.3.45", 9), &a), 0);
    assert_addr(&a, "::1.2.3.4");
    assert_int_equal(ipaddr_parse(slice_of("[::1]:531", 8), &a), 0);
    assert_int_equal(ipaddr_parse(slice_of("[::1]]", 5), &a), 0);
    assert_int_equal(ipcidr_parse(slice_of("10.0.0.0/88", 10), &c), 0);
    assert_int_equal(c.bits, 104);
}

/* ------------------------------------------------------------------------
 * Adversarial
 * ------------------------------------------------------------------------ */

static void guard_check_one(struct guard *g, const char *p, size_t n)
{
    struct ipaddr want, got;
    struct ipcidr cw, cg;
    int rw = ipaddr_parse(slice_of(p, n), &want);
    int rc = ipcidr_parse(slice_of(p, n), &cw);
    assert_int_equal(ipaddr_parse(guard_tail(g, p, n), &got), rw);
    if (rw == 0)
        assert_memory_equal(want.b, got.b, 16);
    assert_int_equal(ipaddr_parse(guard_head(g, p, n), &got), rw);
    if (rw == 0)
        assert_memory_equal(want.b, got.b, 16);
    assert_int_equal(ipcidr_parse(guard_tail(g, p, n), &cg), rc);
    if (rc == 0) {
        assert_memory_equal(cw.a.b, cg.a.b, 16);
        assert_int_equal(cw.bits, cg.bits);
    }
    assert_int_equal(ipcidr_parse(guard_head(g, p, n), &cg), rc);
}

/* Every table input, and every prefix of it (a truncated field is the
 * likeliest way to end a buffer mid-address), against guard pages. */
static void test_guard_page(void **state)
{
    static const char *const files[] = {"valid.txt", "invalid.txt", "cidr.txt", "cidr_invalid.txt"};
    struct guard g;
    size_t count = 0;
    (void)state;
    guard_init(&g);
    for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
        char path[128];
        struct table t;
        snprintf(path, sizeof(path), DATA_DIR "%s", files[fi]);
        table_load(path, &t);
        for (size_t i = 0; i < t.n; i++) {
            struct slice f[3];
            size_t nf = split_fields(&t.lines[i], f, 3, files[fi]);
            for (size_t k = 0; k < nf; k++) {
                for (size_t n = 0; n <= f[k].n; n++) {
                    guard_check_one(&g, f[k].p, n);
                    count++;
                }
            }
        }
        table_free(&t);
    }
    guard_free(&g);
    assert_true(count > 1000);
}

static size_t random_input(char *buf, size_t cap)
{
    /* Mostly address bytes so that parses get deep; sometimes anything. */
    static const char alpha[] = "0123456789abcdefABCDEF::::....[]%#/ xg";
    size_t n = rng_below((unsigned)cap);
    int raw = rng_below(8) == 0;
    for (size_t i = 0; i < n; i++)
        buf[i] = raw ? (char)rng() : alpha[rng_below(sizeof(alpha) - 1)];
    return n;
}

/* Mutations of valid inputs reach the interesting corners more often than
 * uniform noise. */
static size_t mutate(char *buf, size_t cap, const struct slice *seeds, size_t nseeds)
{
    static const char alpha[] = "0123456789afAF:.[]%#/";
    const struct slice *s = &seeds[rng_below((unsigned)nseeds)];
    size_t n = s->n < cap ? s->n : cap;
    unsigned edits = 1 + rng_below(3);
    memcpy(buf, s->p, n);
    while (edits--) {
        unsigned op = rng_below(3);
        size_t at = n ? rng_below((unsigned)n + 1) : 0;
        char c = rng_below(10) ? alpha[rng_below(sizeof(alpha) - 1)] : (char)rng();
        if (op == 0 && at < n) {
            buf[at] = c;
        } else if (op == 1 && n < cap) {
            memmove(buf + at + 1, buf + at, n - at);
            buf[at] = c;
            n++;
        } else if (at < n) {
            memmove(buf + at, buf + at + 1, n - at - 1);
            n--;
        }
    }
    return n;
}

/* Parses the input from the end of a guarded page, so an over-read on any
 * random input faults too. */
static void fuzz_one(struct guard *g, const char *buf, size_t n, size_t *accepted)
{
    struct ipaddr a, b;
    struct ipcidr c;
    char out[IPADDR_STRMAX];
    struct slice s = guard_tail(g, buf, n);
    if (ipaddr_parse(s, &a) == 0) {
        size_t len = ipaddr_format(&a, out);
        assert_int_equal(len, strlen(out));
        if (ipaddr_parse(slice_of(out, len), &b) != 0 || !ipaddr_eq(&a, &b)) {
            char in[512];
            print_input(in, sizeof(in), slice_of(buf, n));
            fail_msg("\"%s\" formats as \"%s\", which does not parse back", in, out);
        }
        (*accepted)++;
    }
    if (ipcidr_parse(s, &c) == 0) {
        assert_true(c.bits <= 128);
        assert_true(ipcidr_contains(&c, &c.a));
    }
}

static void test_fuzz(void **state)
{
    struct table t;
    struct slice *seeds;
    size_t accepted = 0;
    char buf[64];
    struct guard g;
    (void)state;
    guard_init(&g);
    table_load(DATA_DIR "valid.txt", &t);
    seeds = malloc(t.n * sizeof(*seeds));
    assert_non_null(seeds);
    for (size_t i = 0; i < t.n; i++) {
        struct slice f[2];
        split_fields(&t.lines[i], f, 2, "valid.txt");
        seeds[i] = f[0];
    }
    for (int i = 0; i < 100000; i++) {
        size_t n = random_input(buf, 24);
        fuzz_one(&g, buf, n, &accepted);
    }
    for (int i = 0; i < 100000; i++) {
        size_t n = mutate(buf, sizeof(buf), seeds, t.n);
        fuzz_one(&g, buf, n, &accepted);
    }
    /* The mutations must actually produce addresses, or the loop proves
     * little about the formatter. */
    assert_true(accepted > 10000);
    free(seeds);
    table_free(&t);
    guard_free(&g);
}

/* Random plain IPv6/IPv4 text (no brackets, zones or ports) built from
 * near-valid pieces: here the C library's inet_pton is an independent
 * reference, and inet_ntop one for RFC 5952 output. */
static size_t random_plain(char *buf, size_t cap)
{
    size_t n = 0;
    unsigned parts = 1 + rng_below(10);
    if (rng_below(6) == 0) {
        /* Dotted IPv4 with occasional wrong parts. */
        unsigned k = 3 + rng_below(3) - (rng_below(4) == 0);
        for (unsigned i = 0; i < k && n + 5 < cap; i++) {
            unsigned v = rng_below(4) ? rng_below(256) : rng_below(1100);
            if (i)
                buf[n++] = '.';
            if (rng_below(20) == 0)
                buf[n++] = '0';
            n += (size_t)snprintf(buf + n, cap - n, "%u", v);
        }
        return n;
    }
    for (unsigned i = 0; i < parts && n + 20 < cap; i++) {
        unsigned r = rng_below(12);
        if (r < 7) {
            unsigned nd = rng_below(6); /* 0..5 digits */
            for (unsigned d = 0; d < nd; d++) {
                unsigned v = rng_below(4) ? 0 : rng_below(16);
                char c = "0123456789abcdef"[v];
                if (c >= 'a' && rng_below(2))
                    c = (char)(c - 32);
                buf[n++] = c;
            }
            if (i + 1 < parts)
                buf[n++] = ':';
        } else if (r < 10) {
            buf[n++] = ':';
        } else {
            n += (size_t)snprintf(buf + n, cap - n, "%u.%u.%u.%u", rng_below(260), rng_below(256),
                                  rng_below(256), rng_below(256));
        }
    }
    return n;
}

static void test_vs_inet_pton(void **state)
{
    char buf[96], z[97];
    size_t agree_ok = 0, compared_fmt = 0;
    (void)state;
    for (int i = 0; i < 300000; i++) {
        size_t n = random_plain(buf, sizeof(buf));
        unsigned char ref[16];
        struct ipaddr a;
        int mine, libc;
        memcpy(z, buf, n);
        z[n] = '\0';
        /* "1.2.3.4:5" is IPv4 with a port to us, nothing to inet_pton. */
        {
            const char *colon = memchr(z, ':', n), *dot = memchr(z, '.', n);
            if (colon && dot && dot < colon)
                continue;
        }
        mine = ipaddr_parse(slice_of(buf, n), &a) == 0;
        if (memchr(z, ':', n) != NULL) {
            libc = inet_pton(AF_INET6, z, ref) == 1;
        } else {
            unsigned char v4[4];
            libc = inet_pton(AF_INET, z, v4) == 1;
            memset(ref, 0, 10);
            ref[10] = ref[11] = 0xff;
            memcpy(ref + 12, v4, 4);
        }
        if (mine != libc)
            fail_msg("\"%s\": ipaddr_parse %s, inet_pton %s", z, mine ? "accepts" : "rejects",
                     libc ? "accepts" : "rejects");
        if (!mine)
            continue;
        agree_ok++;
        assert_memory_equal(a.b, ref, 16);
        /* glibc prints ::a.b.c.d forms for a zero first 80 bits; compare
         * the rest, where both follow RFC 5952. */
        {
            static const unsigned char zero[10];
            if (memcmp(a.b, zero, 10) != 0) {
                char mineout[IPADDR_STRMAX], libcout[INET6_ADDRSTRLEN];
                ipaddr_format(&a, mineout);
                assert_non_null(inet_ntop(AF_INET6, a.b, libcout, sizeof(libcout)));
                assert_string_equal(mineout, libcout);
                compared_fmt++;
            }
        }
    }
    assert_true(agree_ok > 5000);
    assert_true(compared_fmt > 1000);
}

/* Throughput, reported not asserted (timings vary with the machine and
 * with sanitizers).  IPADDR_BENCH_MS sets the time per case. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_case(const char *name, struct slice *in, size_t nin, double seconds)
{
    unsigned sink = 0;
    size_t done = 0;
    double t0 = now_s(), t1;
    do {
        for (size_t i = 0; i < nin; i++) {
            struct ipaddr a;
            if (ipaddr_parse(in[i], &a) == 0)
                sink += a.b[15];
        }
        done += nin;
        t1 = now_s();
    } while (t1 - t0 < seconds);
    print_message("  %-22s %6.1f M parses/s (sink %u)\n", name, (double)done / (t1 - t0) / 1e6,
                  sink & 1);
}

static void test_speed_report(void **state)
{
    enum { N = 4096 };
    static char text[N][48];
    static struct slice v4[N], v4port[N], v6[N];
    const char *ms = getenv("IPADDR_BENCH_MS");
    double seconds = (ms ? atof(ms) : 200.0) / 1000.0;
    (void)state;
    for (int i = 0; i < N; i++) {
        uint32_t x = (uint32_t)rng();
        int n = snprintf(text[i], sizeof(text[i]), "%u.%u.%u.%u", x >> 24, (x >> 16) & 255,
                         (x >> 8) & 255, x & 255);
        v4[i] = slice_of(text[i], (size_t)n);
    }
    bench_case("IPv4 a.b.c.d", v4, N, seconds);
    for (int i = 0; i < N; i++) {
        uint32_t x = (uint32_t)rng();
        int n = snprintf(text[i], sizeof(text[i]), "%u.%u.%u.%u#%u", x >> 24, (x >> 16) & 255,
                         (x >> 8) & 255, x & 255, (unsigned)(rng() % 65536));
        v4port[i] = slice_of(text[i], (size_t)n);
    }
    bench_case("IPv4 a.b.c.d#port", v4port, N, seconds);
    for (int i = 0; i < N; i++) {
        int n = snprintf(text[i], sizeof(text[i]), "2001:db8:%x::%x:%x", (unsigned)(rng() & 0xffff),
                         (unsigned)(rng() & 0xffff), (unsigned)(rng() & 0xffff));
        v6[i] = slice_of(text[i], (size_t)n);
    }
    bench_case("IPv6 2001:db8:x::x:x", v6, N, seconds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_table),
        cmocka_unit_test(test_invalid_table),
        cmocka_unit_test(test_cidr_table),
        cmocka_unit_test(test_cidr_invalid_table),
        cmocka_unit_test(test_cidr_fields),
        cmocka_unit_test(test_equal_forms),
        cmocka_unit_test(test_cmp_order),
        cmocka_unit_test(test_v4_helpers),
        cmocka_unit_test(test_eq_raw),
        cmocka_unit_test(test_hash_spread),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_slice_bounds),
        cmocka_unit_test(test_guard_page),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_vs_inet_pton),
        cmocka_unit_test(test_speed_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
