/*
 * test_pdns: aggregation of DNS answers into passive DNS records and the
 * merge with stored records (rest/pdns.h): normalisation of names and
 * addresses, earliest/latest times, counts, last_client on ties in any
 * input order, merge with a stored document, the record limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "rest/pdns.h"
#include "util/num.h"
#include "util/xmem.h"

static void add(struct pdns *p, const char *name, const char *ip, int64_t t_s, const char *cl,
                int want)
{
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(slice_cstr(ip), &a), 0);
    assert_int_equal(pdns_add(p, slice_cstr(name), &a, t_s * US_PER_SEC, slice_cstr(cl)), want);
}

static const struct pdns_rec *find(const struct pdns *p, const char *key)
{
    for (size_t i = 0; i < pdns_count(p); i++)
        if (slice_eq_cstr(pdns_get(p, i)->key, key))
            return pdns_get(p, i);
    return NULL;
}

static void test_aggregate(void **state)
{
    (void)state;
    struct pdns *p = pdns_new(100);
    add(p, "WWW.Example.COM.", "93.184.216.34", 200, "10.0.0.2", 0);
    add(p, "www.example.com", "::ffff:93.184.216.34", 100, "10.0.0.1", 0);
    add(p, "www.example.com", "[93.184.216.34]:53", 300, "10.0.0.9", 0);
    add(p, "www.example.com", "93.184.216.34", 300, "10.0.0.3", 0);  /* tie: first client */
    add(p, "www.example.com", "2001:DB8:0:0::1", 50, "", 0);
    add(p, ".", "192.0.2.1", 50, "", ERR_INPUT);
    add(p, "", "192.0.2.1", 50, "", ERR_INPUT);
    assert_int_equal(pdns_count(p), 2);
    const struct pdns_rec *r = find(p, "www.example.com|A|93.184.216.34");
    assert_non_null(r);
    assert_true(slice_eq_cstr(r->rrname, "www.example.com"));
    assert_true(slice_eq_cstr(r->rrtype, "A"));
    assert_true(slice_eq_cstr(r->rdata, "93.184.216.34"));
    assert_int_equal(r->time_first, 100);
    assert_int_equal(r->time_last, 300);
    assert_int_equal(r->count, 4);
    assert_string_equal(r->client, "10.0.0.3");
    assert_int_equal(r->status, PDNS_INSERTED);
    r = find(p, "www.example.com|AAAA|2001:db8::1");
    assert_non_null(r);
    assert_true(slice_eq_cstr(r->rrtype, "AAAA"));
    size_t n;
    struct slice *v = pdns_rdata_list(p, &n);
    assert_int_equal(n, 2);
    xfree(v);
    pdns_free(p);
}

static void test_fraction_and_negative(void **state)
{
    (void)state;
    struct pdns *p = pdns_new(10);
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(SLICE_LIT("192.0.2.1"), &a), 0);
    assert_int_equal(pdns_add(p, SLICE_LIT("a.example"), &a, 1700000000999999, SLICE_LIT("c")), 0);
    assert_int_equal(pdns_add(p, SLICE_LIT("a.example"), &a, -500000, SLICE_LIT("c")), 0);
    assert_int_equal(pdns_get(p, 0)->time_last, 1700000000);
    assert_int_equal(pdns_get(p, 0)->time_first, -1);
    pdns_free(p);
}

static void test_merge(void **state)
{
    (void)state;
    struct pdns *p = pdns_new(10);
    add(p, "a.example", "192.0.2.1", 1000, "10.0.0.1", 0);
    add(p, "a.example", "192.0.2.1", 2000, "10.0.0.2", 0);
    add(p, "b.example", "192.0.2.1", 1500, "10.0.0.3", 0);
    add(p, "c.example", "192.0.2.1", 1500, "10.0.0.4", 0);
    struct kv_doc older = {SLICE_LIT("x"), SLICE_LIT("a.example"), SLICE_LIT("A"),
                           SLICE_LIT("192.0.2.1"), SLICE_LIT("10.9.9.9"), 500, 1800, 7};
    struct kv_doc newer = {SLICE_LIT("y"), SLICE_LIT("b.example"), SLICE_LIT("A"),
                           SLICE_LIT("192.0.2.1"), SLICE_LIT("10.9.9.9"), 1600, 9000, 2};
    struct kv_doc tie = {SLICE_LIT("z"), SLICE_LIT("c.example"), SLICE_LIT("A"),
                         SLICE_LIT("192.0.2.1"), SLICE_LIT("10.9.9.9"), 1500, 1500, 1};
    struct kv_doc other = {SLICE_LIT("w"), SLICE_LIT("d.example"), SLICE_LIT("A"),
                           SLICE_LIT("192.0.2.1"), SLICE_LIT(""), 1, 2, 3};
    assert_int_equal(pdns_merge(p, &older), 0);
    assert_int_equal(pdns_merge(p, &older), 0);  /* a repeat is ignored */
    assert_int_equal(pdns_merge(p, &newer), 0);
    assert_int_equal(pdns_merge(p, &tie), 0);
    assert_int_equal(pdns_merge(p, &other), 0);  /* not in the table: ignored */
    assert_int_equal(pdns_count(p), 3);
    const struct pdns_rec *a = find(p, "a.example|A|192.0.2.1");
    assert_int_equal(a->time_first, 500);
    assert_int_equal(a->time_last, 2000);
    assert_int_equal(a->count, 9);
    assert_string_equal(a->client, "10.0.0.2");  /* ours is later */
    assert_int_equal(a->status, PDNS_UPDATED);
    const struct pdns_rec *b = find(p, "b.example|A|192.0.2.1");
    assert_int_equal(b->time_first, 1500);
    assert_int_equal(b->time_last, 9000);
    assert_int_equal(b->count, 3);
    assert_string_equal(b->client, "10.9.9.9");  /* stored is later */
    const struct pdns_rec *c = find(p, "c.example|A|192.0.2.1");
    assert_string_equal(c->client, "10.0.0.4");  /* tie: the new side */
    struct kv_doc d;
    pdns_doc(p, 0, &d);
    assert_true(slice_eq_cstr(d.key, "a.example|A|192.0.2.1"));
    assert_int_equal(d.count, 9);
    pdns_free(p);
}

static void test_order_independent(void **state)
{
    (void)state;
    /* the same answers in two orders give the same records */
    static const struct {
        const char *ip;
        int t;
        const char *cl;
    } ans[] = {{"192.0.2.1", 5, "b"}, {"192.0.2.1", 5, "a"}, {"192.0.2.1", 3, "z"},
               {"192.0.2.1", 9, "y"}, {"192.0.2.1", 9, "c"}};
    struct pdns *p = pdns_new(10), *q = pdns_new(10);
    for (int i = 0; i < 5; i++)
        add(p, "n.example", ans[i].ip, ans[i].t, ans[i].cl, 0);
    for (int i = 4; i >= 0; i--)
        add(q, "n.example", ans[i].ip, ans[i].t, ans[i].cl, 0);
    assert_string_equal(pdns_get(p, 0)->client, "c");
    assert_string_equal(pdns_get(q, 0)->client, "c");
    assert_int_equal(pdns_get(p, 0)->time_first, 3);
    assert_int_equal(pdns_get(q, 0)->time_first, 3);
    pdns_free(p);
    pdns_free(q);
}

static void test_limit_and_growth(void **state)
{
    (void)state;
    struct pdns *p = pdns_new(5000);
    char name[32];
    struct ipaddr a;
    assert_int_equal(ipaddr_parse(SLICE_LIT("192.0.2.1"), &a), 0);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(name, sizeof name, "h%d.example", i);
        assert_int_equal(pdns_add(p, slice_of(name, (size_t)n), &a, i, SLICE_LIT("")), 0);
    }
    assert_int_equal(pdns_add(p, SLICE_LIT("one.more"), &a, 1, SLICE_LIT("")), ERR_LIMIT);
    assert_int_equal(pdns_add(p, SLICE_LIT("h4999.example"), &a, 1, SLICE_LIT("")), 0);
    assert_int_equal(pdns_count(p), 5000);
    size_t n;
    struct slice *v = pdns_rdata_list(p, &n);
    assert_int_equal(n, 1);
    xfree(v);
    pdns_free(p);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    for (unsigned long k = 1; k < 40; k++) {
        struct pdns *p = pdns_new(100);
        if (p == NULL)
            continue;
        xmem_fail_at(k);
        char name[32];
        struct ipaddr a;
        assert_int_equal(ipaddr_parse(SLICE_LIT("192.0.2.1"), &a), 0);
        for (int i = 0; i < 20; i++) {
            int n = snprintf(name, sizeof name, "h%d.example", i % 7);
            int rc = pdns_add(p, slice_of(name, (size_t)n), &a, i, SLICE_LIT("cl"));
            assert_true(rc == 0 || rc == ERR_NOMEM);
        }
        xmem_fail_at(0);
        pdns_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate),
        cmocka_unit_test(test_fraction_and_negative),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_limit_and_growth),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("pdns", tests, NULL, NULL);
}
