/* Metadata decoding/encoding and SPL argument parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scp/args.h"
#include "scp/meta.h"
#include "support/testutil.h"
#include "util/num.h"

static const char getinfo821[] =
    "{\"action\":\"getinfo\",\"preview\":false,\"streaming_command_will_restart\":false,"
    "\"searchinfo\":{\"args\":[\"window=1h\",\"text=Hello World!\"],\"raw_args\":[\"window=1h\","
    "\"text=\\\"Hello World!\\\"\"],\"dispatch_dir\":\"/opt/d\",\"sid\":\"1629786023.114\","
    "\"app\":\"search\",\"owner\":\"admin\",\"username\":\"admin\",\"session_key\":\"SECRET^KEY\","
    "\"splunkd_uri\":\"https://127.0.0.1:8089\",\"splunk_version\":\"8.2.1\",\"search\":\"%7C%20x\","
    "\"command\":\"dnsjoin\",\"maxresultrows\":50000,\"earliest_time\":\"1627333200\","
    "\"latest_time\":\"1627419600.5\",\"some_future_key\":{\"nested\":[1,2]}}}";

static void test_getinfo(void **st)
{
    struct meta_request req;
    struct meta_info info;
    struct err e;
    (void)st;
    assert_int_equal(meta_parse(getinfo821, sizeof getinfo821 - 1, &req, &info, &e), 0);
    assert_int_equal(req.action, META_GETINFO);
    assert_int_equal(info.nargs, 2);
    assert_string_equal(info.args[1], "text=Hello World!");
    assert_string_equal(info.raw_args[1], "text=\"Hello World!\"");
    assert_string_equal(info.command, "dnsjoin");
    assert_string_equal(info.session_key, "SECRET^KEY");
    assert_int_equal(info.earliest_us, INT64_C(1627333200) * US_PER_SEC);
    assert_int_equal(info.latest_us, INT64_C(1627419600500000));
    assert_int_equal(info.maxresultrows, 50000);
    meta_info_free(&info);
    assert_null(info.session_key);
}

struct bad {
    const char *json;
    const char *msg;  /* expected substring */
};
static const struct bad bads[] = {
    {"", "no metadata"},
    {"{", "not valid JSON"},
    {"[1]", "not a JSON object"},
    {"{\"finished\":true}", "no \"action\""},
    {"{\"action\":1}", "no \"action\""},
    {"{\"action\":\"execute\",\"finished\":\"yes\"}", "not a boolean"},
    {"{\"action\":\"getinfo\"}", "searchinfo"},
    {"{\"action\":\"getinfo\",\"searchinfo\":{\"args\":\"x\"}}", "not an array"},
    {"{\"action\":\"getinfo\",\"searchinfo\":{\"args\":[1]}}", "not a string"},
    {"{\"action\":\"getinfo\",\"searchinfo\":{\"earliest_time\":\"yesterday\"}}", "earliest_time"},
    {"{\"action\":\"execute\"} trailing", "not valid JSON"},
};

static void test_bad_metadata(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        struct meta_request req;
        struct meta_info info;
        struct err e;
        int rc = meta_parse(bads[i].json, strlen(bads[i].json), &req, &info, &e);
        if (rc == 0 || strstr(e.msg, bads[i].msg) == NULL)
            fail_msg("case %zu '%s': rc %d msg '%s'", i, bads[i].json, rc, rc ? e.msg : "");
        meta_info_free(&info);
    }
}

static void test_execute_and_replies(void **st)
{
    struct meta_request req;
    struct err e;
    struct buf b;
    (void)st;
    assert_int_equal(meta_parse("{\"action\":\"execute\",\"finished\":true}", 36, &req, NULL, &e), 0);
    assert_int_equal(req.action, META_EXECUTE);
    assert_int_equal(req.finished, 1);
    assert_int_equal(meta_parse("{\"action\":\"execute\"}", 20, &req, NULL, &e), 0);
    assert_int_equal(req.finished, 0);

    buf_init(&b, 1 << 16);
    assert_int_equal(meta_execute_reply(&b, 0, NULL, 0), 0);
    assert_int_equal(b.len, 18);
    assert_memory_equal(b.p, "{\"finished\":false}", 18);
    buf_reset(&b);
    struct meta_msg m[2] = {{"WARN", "limit \"x\" hit\n\xff"}, {"ERROR", "bad"}};
    assert_int_equal(meta_execute_reply(&b, 1, m, 2), 0);
    const char want[] = "{\"finished\":true,\"inspector\":{\"messages\":[[\"WARN\",\"limit \\\"x\\\" hit??\"],[\"ERROR\",\"bad\"]]}}";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.p, want, b.len);
    buf_reset(&b);
    const char *req_f[] = {"query", "dest_ip"};
    assert_int_equal(meta_getinfo_reply(&b, "events", req_f, 2, NULL, 0, 0), 0);
    const char want2[] = "{\"type\":\"events\",\"required_fields\":[\"query\",\"dest_ip\"]}";
    assert_int_equal(b.len, sizeof want2 - 1);
    assert_memory_equal(b.p, want2, b.len);
    buf_free(&b);
}

static struct args A;
static int parse(const char *const *v, size_t n, struct err *e)
{
    return args_parse(&A, v, n, e);
}

static void test_args(void **st)
{
    const char *v[] = {"window=1h", "skew=2s", "scope=client", "maxnames=5", "cont=f",
                       "domain=*.microsoft.com", "query=query{}", "by", "sourcetype", "count"};
    struct err e;
    struct slice s;
    int64_t span;
    uint64_t u;
    int b, en;
    static const char *const scopes[] = {"any", "client", NULL};
    (void)st;
    assert_int_equal(parse(v, 10, &e), 0);
    assert_int_equal(args_span(&A, "window", 0, 0, INT64_MAX, &span, &e), 0);
    assert_int_equal(span, INT64_C(3600000000));
    assert_int_equal(args_span(&A, "skew", 0, 0, INT64_MAX, &span, &e), 0);
    assert_int_equal(span, 2 * US_PER_SEC);
    assert_int_equal(args_enum(&A, "scope", scopes, 0, &en, &e), 0);
    assert_int_equal(en, 1);
    assert_int_equal(args_uint(&A, "maxnames", 10, 0, 1000, &u, &e), 0);
    assert_int_equal(u, 5);
    assert_int_equal(args_bool(&A, "cont", 1, &b, &e), 0);
    assert_int_equal(b, 0);
    assert_int_equal(args_str(&A, "domain", SLICE_NULL, &s, &e), 0);
    assert_true(slice_eq_cstr(s, "*.microsoft.com"));
    assert_int_equal(args_str(&A, "query", SLICE_NULL, &s, &e), 0);
    assert_true(slice_eq_cstr(s, "query{}"));
    assert_int_equal(args_str(&A, "absent", SLICE_LIT("def"), &s, &e), 0);
    assert_true(slice_eq_cstr(s, "def"));
    /* words remain: finish must complain about the first */
    assert_int_equal(args_finish(&A, "cmd", &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "'by'"));
    long w = args_next_word(&A, 0);
    assert_true(w >= 0);
    A.items[w].used = 1;
    A.items[args_next_word(&A, 0)].used = 1;
    A.items[args_next_word(&A, 0)].used = 1;
    assert_int_equal(args_finish(&A, "cmd", &e), 0);
}

static void test_args_errors(void **st)
{
    struct err e;
    int64_t span;
    uint64_t u;
    int b, en;
    static const char *const scopes[] = {"any", "client", NULL};
    (void)st;
    const char *dup[] = {"window=1h", "window=2h"};
    assert_int_equal(parse(dup, 2, &e), ERR_ARGS);
    const char *v[] = {"window=1x", "maxnames=-1", "cont=maybe", "scope=all", "typo=1"};
    assert_int_equal(parse(v, 5, &e), 0);
    assert_int_equal(args_span(&A, "window", 0, 0, INT64_MAX, &span, &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "window=1x"));
    assert_int_equal(args_uint(&A, "maxnames", 10, 0, 1000, &u, &e), ERR_ARGS);
    assert_int_equal(args_bool(&A, "cont", 1, &b, &e), ERR_ARGS);
    assert_int_equal(args_enum(&A, "scope", scopes, 0, &en, &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "any|client"));
    assert_int_equal(args_finish(&A, "dnsjoin", &e), ERR_ARGS);
    assert_non_null(strstr(e.msg, "unknown option 'typo'"));
    /* limits */
    char *longarg = malloc(ARG_LEN_MAX + 10);
    memset(longarg, 'a', ARG_LEN_MAX + 9);
    longarg[ARG_LEN_MAX + 9] = 0;
    const char *l[] = {longarg};
    assert_int_equal(parse(l, 1, &e), ERR_LIMIT);
    assert_non_null(strstr(e.msg, "ARG_LEN_MAX"));
    free(longarg);
    const char **many = calloc(ARGS_COUNT_MAX + 1, sizeof *many);
    for (int i = 0; i <= ARGS_COUNT_MAX; i++)
        many[i] = "x";
    assert_int_equal(parse(many, ARGS_COUNT_MAX + 1, &e), ERR_LIMIT);
    free(many);
}

static void test_spans_and_times(void **st)
{
    struct {
        const char *in;
        int ok;
        int64_t us;
    } spans[] = {{"30s", 1, 30000000}, {"5m", 1, 300000000}, {"1h", 1, 3600000000},
                 {"1d", 1, 86400000000}, {"2", 1, 2000000}, {"1w", 1, 604800000000},
                 {"10min", 1, 600000000}, {"1hr", 1, 3600000000}, {"h", 0, 0},
                 {"1.5h", 0, 0}, {"-1h", 0, 0}, {"1y", 0, 0}, {"", 0, 0}};
    (void)st;
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        int64_t us = 0;
        int rc = num_parse_span_us(slice_cstr(spans[i].in), &us);
        assert_int_equal(rc == 0, spans[i].ok);
        if (rc == 0)
            assert_int_equal(us, spans[i].us);
    }
    struct {
        const char *in;
        int ok;
        int64_t us;
        const char *fmt;
    } times[] = {{"1380899494", 1, INT64_C(1380899494000000), "1380899494"},
                 {"1627354345.934", 1, INT64_C(1627354345934000), "1627354345.934"},
                 {"1.0000019", 1, 1000001, "1.000001"},
                 {"-0.5", 1, -500000, "-0.5"},
                 {".5", 1, 500000, "0.5"},
                 {"", 0, 0, NULL}, {"1e9", 0, 0, NULL}, {"12a", 0, 0, NULL}, {"-", 0, 0, NULL},
                 {"99999999999999999999", 0, 0, NULL}};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int64_t us = 0;
        char buf[NUM_US_STRMAX];
        int rc = num_parse_time_us(slice_cstr(times[i].in), &us);
        assert_int_equal(rc == 0, times[i].ok);
        if (rc == 0) {
            assert_int_equal(us, times[i].us);
            num_format_us(us, buf);
            assert_string_equal(buf, times[i].fmt);
        }
    }
    char buf[NUM_US_STRMAX];
    num_format_us(INT64_MIN, buf);
    assert_string_equal(buf, "-9223372036854.775808");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getinfo),
        cmocka_unit_test(test_bad_metadata),
        cmocka_unit_test(test_execute_and_replies),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_args_errors),
        cmocka_unit_test(test_spans_and_times),
    };
    return cmocka_run_group_tests_name("meta+args", tests, NULL, NULL);
}
