/* xmlin, xmlout, ckpt: the Splunk-facing pieces of dnsmasq_log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "modinput/ckpt.h"
#include "modinput/xmlin.h"
#include "modinput/xmlout.h"
#include "util/xmem.h"

static const char run_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- comment <param name=\"x\">no</param> -->\n"
    "<input>\n"
    "  <server_host>myHost</server_host>\n"
    "  <server_uri>https://127.0.0.1:8089</server_uri>\n"
    "  <session_key>123102983109283019283</session_key>\n"
    "  <checkpoint_dir>/opt/splunk/var/lib/splunk/modinputs</checkpoint_dir>\n"
    "  <configuration>\n"
    "    <stanza name=\"dnsmasq_log://a &amp; b\" app=\"TA-dnsjoin\">\n"
    "      <param name=\"path\">/var/log/dns&lt;1&gt;.log</param>\n"
    "      <param name=\"timezone\"><![CDATA[Europe/Berlin & co]]></param>\n"
    "      <param name=\"empty\"/>\n"
    "      <param name=\"uni\">caf&#233;&#x263A;</param>\n"
    "      <param_list name=\"multi\"><value>a</value><value>b</value></param_list>\n"
    "    </stanza>\n"
    "    <stanza name=\"dnsmasq_log://second\"><param name=\"path\">/other</param></stanza>\n"
    "  </configuration>\n"
    "</input>\n";

static void check_run(const struct xmlin *x)
{
    assert_string_equal(x->root, "input");
    assert_string_equal(x->stanza, "dnsmasq_log://a & b");
    assert_string_equal(x->checkpoint_dir, "/opt/splunk/var/lib/splunk/modinputs");
    assert_string_equal(xmlin_get(x, "path"), "/var/log/dns<1>.log");
    assert_string_equal(xmlin_get(x, "timezone"), "Europe/Berlin & co");
    assert_string_equal(xmlin_get(x, "empty"), "");
    assert_string_equal(xmlin_get(x, "uni"), "caf\xc3\xa9\xe2\x98\xba");
    assert_null(xmlin_get(x, "missing"));
}

static void test_xmlin_utf8(void **s)
{
    struct xmlin x;
    struct err e;
    (void)s;
    assert_int_equal(xmlin_parse(run_xml, sizeof run_xml - 1, &x, &e), 0);
    check_run(&x);
    xmlin_free(&x);
}

/* The SDK fixtures are UTF-16 with a BOM; also without a BOM, and BE. */
static void test_xmlin_utf16(void **s)
{
    size_t n = sizeof run_xml - 1;
    char *le = malloc(2 * n + 2), *be = malloc(2 * n + 2);
    struct xmlin x;
    struct err e;
    (void)s;
    le[0] = (char)0xFF;
    le[1] = (char)0xFE;
    be[0] = (char)0xFE;
    be[1] = (char)0xFF;
    for (size_t i = 0; i < n; i++) {
        le[2 + 2 * i] = run_xml[i];
        le[3 + 2 * i] = 0;
        be[2 + 2 * i] = 0;
        be[3 + 2 * i] = run_xml[i];
    }
    assert_int_equal(xmlin_parse(le, 2 * n + 2, &x, &e), 0);
    check_run(&x);
    xmlin_free(&x);
    assert_int_equal(xmlin_parse(le + 2, 2 * n, &x, &e), 0); /* no BOM */
    check_run(&x);
    xmlin_free(&x);
    assert_int_equal(xmlin_parse(be, 2 * n + 2, &x, &e), 0);
    check_run(&x);
    xmlin_free(&x);
    free(le);
    free(be);
}

static void test_xmlin_validation_and_errors(void **s)
{
    static const char items[] =
        "<items><server_host>h</server_host><checkpoint_dir>/c</checkpoint_dir>"
        "<item name=\"r\"><param name=\"path\">/p</param></item></items>";
    static const char *const bad[] = {
        "", "<input><param name=\"x\">a &bogus; b</param></input>",
        "<input><param name=\"x\">&#0;</param></input>", "<input", "<!-- never closed",
        "<input><param>no name</param></input>",
    };
    struct xmlin x;
    struct err e;
    (void)s;
    assert_int_equal(xmlin_parse(items, sizeof items - 1, &x, &e), 0);
    assert_string_equal(x.root, "items");
    assert_string_equal(x.stanza, "r");
    assert_string_equal(xmlin_get(&x, "path"), "/p");
    xmlin_free(&x);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(xmlin_parse(bad[i], strlen(bad[i]), &x, &e), 0);
        xmlin_free(&x);
    }
    /* every prefix parses or fails cleanly */
    for (size_t k = 0; k < sizeof run_xml - 1; k++) {
        char *c = xmalloc(k + 1);
        memcpy(c, run_xml, k);
        int rc = xmlin_parse(c, k, &x, &e);
        assert_true(rc <= 0);
        xmlin_free(&x);
        xfree(c);
    }
    /* allocation failures */
    for (unsigned long k = 1; k < 60; k++) {
        int rc;
        xmem_fail_at(k);
        rc = xmlin_parse(run_xml, sizeof run_xml - 1, &x, &e);
        xmem_fail_at(0);
        assert_true(rc == 0 || rc == ERR_NOMEM || rc == ERR_LIMIT || rc == ERR_INPUT);
        xmlin_free(&x);
    }
}

static void test_xmlout(void **s)
{
    struct buf b;
    struct xmlout_meta m = {SLICE_LIT("dnsmasq_log://a\"b"), SLICE_LIT("/var/log/x"),
                            SLICE_LIT("dnsmasq:transaction"), SLICE_NULL, SLICE_NULL};
    const char *want = "<event stanza=\"dnsmasq_log://a&quot;b\" unbroken=\"1\"><time>"
                       "1730889011.123</time><source>/var/log/x</source><sourcetype>"
                       "dnsmasq:transaction</sourcetype><data>{\"q\":\"a&lt;b&amp;c&gt;\"}"
                       "</data><done/></event>\n";
    (void)s;
    buf_init(&b, 4096);
    assert_int_equal(xmlout_event(&b, &m, 1730889011123456, SLICE_LIT("{\"q\":\"a<b&c>\x01\"}")), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p, want, b.len);
    buf_free(&b);
}

static void test_ckpt(void **s)
{
    char dir[] = "/tmp/ckpt_test.XXXXXX", path[256];
    uint64_t done[] = {100, 250, 4000};
    struct ckpt c = {1, 2, 256, 0xdeadbeefcafef00dull, 99, done, 3}, r;
    struct err e;
    FILE *f;
    (void)s;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/x.ckpt", dir);
    assert_int_equal(ckpt_load(path, &r, &e), ERR_INPUT); /* none yet */
    assert_int_equal(ckpt_save(path, &c, &e), 0);
    assert_int_equal(ckpt_load(path, &r, &e), 0);
    assert_int_equal(r.dev, 1);
    assert_int_equal(r.ino, 2);
    assert_int_equal(r.head_len, 256);
    assert_true(r.head_hash == 0xdeadbeefcafef00dull);
    assert_int_equal(r.off, 99);
    assert_int_equal(r.n_done, 3);
    assert_true(ckpt_is_done(&r, 250));
    assert_false(ckpt_is_done(&r, 251));
    ckpt_free(&r);
    /* a damaged file is "no checkpoint", never a crash */
    f = fopen(path, "w");
    fputs("dnsmasq_log checkpoint 1\ndev 1\nino x\n", f);
    fclose(f);
    assert_int_equal(ckpt_load(path, &r, &e), ERR_INPUT);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xmlin_utf8),
        cmocka_unit_test(test_xmlin_utf16),
        cmocka_unit_test(test_xmlin_validation_and_errors),
        cmocka_unit_test(test_xmlout),
        cmocka_unit_test(test_ckpt),
    };
    return cmocka_run_group_tests_name("dnsmasq_modinput", tests, NULL, NULL);
}
