/* report/profile's row order (profile_order), on profiles of some
 * thousands of conversations whose keys share long prefixes (clients in
 * one /24, names under one domain, a few addresses each) and whose
 * connection counts tie often:
 * - every adjacent pair of rows is in order by a comparison written here
 *   from the documented rule (connections descending, then src, dns_query,
 *   dest_ip bytewise, the address as text), and no row comes twice;
 * - the order made with a second thread is the one made without;
 * - nodns=f leaves out exactly the rows without a name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "report/endpoints.h"
#include "report/profile.h"
#include "support/testutil.h"
#include "util/xmem.h"

/* Events of n conversations or so, seeded. */
static void fill(struct profile *p, uint64_t seed, size_t events)
{
    uint64_t rng = seed;
    struct err e;
    for (size_t i = 0; i < events; i++) {
        char client[64], name[64], ip[64];
        unsigned c = (unsigned)(tu_rand(&rng) % 300), d = (unsigned)(tu_rand(&rng) % 400);
        /* texts: most clients are addresses of one /24, some host names
         * with a common start; names share a long suffix and start */
        if (c % 7 == 0)
            snprintf(client, sizeof client, "workstation-%u", c);
        else
            snprintf(client, sizeof client, "10.20.30.%u", c % 256);
        if (d % 11 == 0)
            name[0] = '\0';
        else
            snprintf(name, sizeof name, "svc%u.cdn.example.com", d % 97);
        unsigned a = (unsigned)(tu_rand(&rng) % 6);
        if (a == 5)
            snprintf(ip, sizeof ip, "2001:db8::%x", d % 13);
        else
            snprintf(ip, sizeof ip, "192.0.%u.%u", a, d % 13);
        struct ipaddr cip, dip;
        int is_ip = ipaddr_parse(slice_cstr(client), &cip) == 0;
        assert_int_equal(ipaddr_parse(slice_cstr(ip), &dip), 0);
        struct profile_key k;
        assert_int_equal(profile_key(p, slice_cstr(client), is_ip ? &cip : NULL,
                                     slice_cstr(name), &k, &e), 0);
        int64_t t = (int64_t)(1700000000 + i * 13) * 1000000;
        int kind = (int)(tu_rand(&rng) % 4);
        int rc;
        if (kind == 0)
            rc = profile_lookup(p, &k, &dip, t, slice_cstr("dnsmasq"), 1, &e);
        else if (kind == 3)
            rc = profile_proxy(p, &k, t, slice_cstr("squid"), 1, &e);
        else
            rc = profile_conn(p, &k, &dip, t, 0, slice_cstr("blocked"), slice_cstr("443"),
                              slice_cstr("tcp"), slice_cstr("fw"), 1, &e);
        assert_int_equal(rc, 0);
    }
}

/* The documented rule, written out: < 0 when a comes first. */
static int rule_cmp(const struct profile_row *a, const struct profile_row *b)
{
    if (a->connections != b->connections)
        return a->connections > b->connections ? -1 : 1;
    size_t m = a->src.n < b->src.n ? a->src.n : b->src.n;
    int c = m ? memcmp(a->src.p, b->src.p, m) : 0;
    if (c == 0)
        c = (a->src.n > b->src.n) - (a->src.n < b->src.n);
    if (c != 0)
        return c;
    m = a->dns_query.n < b->dns_query.n ? a->dns_query.n : b->dns_query.n;
    c = m ? memcmp(a->dns_query.p, b->dns_query.p, m) : 0;
    if (c == 0)
        c = (a->dns_query.n > b->dns_query.n) - (a->dns_query.n < b->dns_query.n);
    if (c != 0)
        return c;
    return strcmp(a->has_ip ? a->ip_text : "", b->has_ip ? b->ip_text : "");
}

static void check_sorted(const struct profile *p, const uint32_t *o, size_t n)
{
    unsigned char *seen = xcalloc(1u << 20, 1);
    assert_non_null(seen);
    for (size_t i = 0; i < n; i++) {
        assert_true(o[i] < (1u << 20));
        assert_int_equal(seen[o[i]], 0);
        seen[o[i]] = 1;
        if (i == 0)
            continue;
        struct profile_row a, b;
        profile_row_of(p, o[i - 1], &a);
        profile_row_of(p, o[i], &b);
        if (rule_cmp(&a, &b) >= 0)
            fail_msg("rows %zu and %zu out of order: %.*s %.*s %s (%llu) then %.*s %.*s %s "
                     "(%llu)", i - 1, i, (int)a.src.n, a.src.p, (int)a.dns_query.n,
                     a.dns_query.p, a.ip_text, (unsigned long long)a.connections,
                     (int)b.src.n, b.src.p, (int)b.dns_query.n, b.dns_query.p, b.ip_text,
                     (unsigned long long)b.connections);
    }
    xfree(seen);
}

static void order_case(uint64_t seed, size_t events)
{
    struct endpoints *ep = endpoints_builtin();
    struct profile *x = profile_new(ep), *y = profile_new(ep);
    assert_non_null(x);
    assert_non_null(y);
    fill(x, seed, events);
    fill(y, seed, events);
    uint32_t *ox, *oy, *od;
    size_t nx, ny, nd;
    struct err e;
    assert_int_equal(profile_order(x, 1, 0, &ox, &nx, &e), 0);
    assert_int_equal(profile_order(y, 1, 1, &oy, &ny, &e), 0);
    /* big enough that the second thread takes part (profile_order's bar
     * is 4,096 conversations) */
    assert_true(nx > 5000);
    check_sorted(x, ox, nx);
    assert_int_equal(nx, ny);
    assert_memory_equal(ox, oy, nx * sizeof *ox);

    /* without nodns rows: the same order less the rows without a name */
    assert_int_equal(profile_order(x, 0, 1, &od, &nd, &e), 0);
    size_t k = 0, unnamed = 0;
    for (size_t i = 0; i < nx; i++) {
        struct profile_row r;
        profile_row_of(x, ox[i], &r);
        if (r.dns_query.n == 0) {
            unnamed++;
            continue;
        }
        assert_true(k < nd);
        assert_int_equal(od[k], ox[i]);
        k++;
    }
    assert_int_equal(k, nd);
    assert_true(unnamed > 0);
    xfree(ox);
    xfree(oy);
    xfree(od);
    profile_free(x);
    profile_free(y);
    endpoints_free(ep);
}

static void test_order_small_ties(void **state)
{
    (void)state;
    order_case(1, 40000);
}

static void test_order_seeds(void **state)
{
    (void)state;
    for (uint64_t s = 2; s < 6; s++)
        order_case(s, 60000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_small_ties),
        cmocka_unit_test(test_order_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
