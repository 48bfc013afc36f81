/* dnsprofile's two speed paths give the bytes of the plain ones, in-process
 * (scp_run over memory I/O):
 * - the reply written through the line producer (row_line: the sparkline
 *   measured from its counts and written in place) equals the reply csvw
 *   makes from the row cells;
 * - events counted on the worker thread (report/pfeed) give the same reply
 *   as events counted on the main thread;
 * - requests joined on a second thread while the next is parsed (early
 *   replies, scp_pipeline) give the same reply as requests run one by one.
 * The input is random but seeded: clients, names and addresses from small
 * sets so that conversations repeat, values that need CSV quoting or
 * multivalue escaping (comma, quote, "$", newline), counts of several
 * digits, proxy requests, events without a DNS answer, and one conversation
 * whose sourcetype cell is longer than csvw's output block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/profile_cmd.h"
#include "scp/scp.h"
#include "support/testutil.h"
#include "util/buf.h"

static int rfd, wfd;

static void ready_fds(void) { assert_int_equal(tu_ready_fds(&rfd, &wfd), 0); }

static void frame(struct buf *out, const char *meta, const char *body, size_t blen)
{
    assert_int_equal(tu_frame_append(out, meta, body, blen), 0);
}

#define HEADER "_time,sourcetype,src,query,answer,src_ip,dest_ip,dest_port,transport,action,url\n"

static const char *const clients[] = {"10.0.0.1", "10.0.0.2", "10.0.0.57", "2001:db8::7",
                                      "host-a"};
static const char *const names[] = {"teredo.ipv6.microsoft.com", "a.example", "b.example",
                                    "\"odd,name\".example", "www.example.org"};
static const char *const ips[] = {"65.55.158.118", "65.55.158.119", "192.0.2.1", "192.0.2.2",
                                  "2001:db8::1"};
static const char *const ports[] = {"3544", "443", "80", "5,3", "\"q\"", "$d$"};
static const char *const transports[] = {"udp", "TCP", "t\"x", "a,b"};
static const char *const stypes[] = {"dnsmasq:transaction", "linux:netfilter", "squid",
                                     "cisco:asa", "st$1", "st\nnl"};
static const char *const actions[] = {"blocked", "allowed", "drop", "", "teardown"};

#define PICK(rng, a) (a[tu_rand(rng) % (sizeof a / sizeof a[0])])

/* One CSV cell, quoted. */
static void cell(struct buf *b, const char *v, int last)
{
    assert_int_equal(buf_append(b, "\"", 1), 0);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            assert_int_equal(buf_append(b, "\"", 1), 0);
        assert_int_equal(buf_append(b, p, 1), 0);
    }
    assert_int_equal(buf_append(b, last ? "\"\n" : "\",", 2), 0);
}

/* A session: getinfo, then the rows in execute chunks of `per` rows, the
 * last one finished. */
static char *make_session(size_t nrows, size_t per, size_t *len)
{
    struct buf s, body;
    uint64_t rng = 42;
    char t[32], longst[3100];
    buf_init(&s, (size_t)-1);
    buf_init(&body, (size_t)-1);
    frame(&s,
          "{\"action\":\"getinfo\",\"preview\":false,\"searchinfo\":{\"args\":[\"window=1h\"],"
          "\"raw_args\":[\"window=1h\"],\"dispatch_dir\":\"/tmp\",\"sid\":\"t.1\","
          "\"app\":\"TA-dnsjoin\",\"owner\":\"admin\",\"username\":\"admin\","
          "\"session_key\":\"k\",\"splunkd_uri\":\"https://127.0.0.1:8089\","
          "\"splunk_version\":\"9.2.0\",\"search\":\"dnsprofile\",\"command\":\"dnsprofile\","
          "\"maxresultrows\":50000,\"earliest_time\":\"0\",\"latest_time\":\"0\"}}",
          NULL, 0);
    for (size_t r = 0; r < nrows;) {
        body.len = 0;
        assert_int_equal(buf_append(&body, HEADER, strlen(HEADER)), 0);
        for (size_t k = 0; k < per && r < nrows; k++, r++) {
            /* newest first over three days */
            snprintf(t, sizeof t, "%llu", (unsigned long long)(1700000000 + 3 * 86400 -
                                                                r * 3 * 86400 / nrows));
            /* mostly from larger generated sets, so that the reply spans
             * many of the blocks rows are written in */
            char cbuf[32], nbuf[32], ibuf[32];
            const char *client = PICK(&rng, clients), *name = PICK(&rng, names);
            if (tu_rand(&rng) % 4 != 0) {
                snprintf(cbuf, sizeof cbuf, "10.1.%u.%u", (unsigned)(tu_rand(&rng) % 4),
                         (unsigned)(tu_rand(&rng) % 20));
                snprintf(nbuf, sizeof nbuf, "n%u.example", (unsigned)(tu_rand(&rng) % 30));
                client = cbuf;
                name = nbuf;
            }
            int kind = (int)(tu_rand(&rng) % 10);
            const char *st = PICK(&rng, stypes);
            const char *ip = tu_rand(&rng) % 8 ? PICK(&rng, ips) : "198.51.100.9";
            if (tu_rand(&rng) % 2) {
                snprintf(ibuf, sizeof ibuf, "203.0.113.%u", (unsigned)(tu_rand(&rng) % 20));
                ip = ibuf;
            }
            if (r % 29 == 0) {
                /* one conversation collects long sourcetypes, more than
                 * PROFILE_VALUES_MAX: its cells pass 256 KB */
                memset(longst, 'a' + (int)(r % 26), sizeof longst - 1);
                longst[sizeof longst - 1] = 0;
                char id[24];
                int idn = snprintf(id, sizeof id, "%zu:", r);
                memcpy(longst, id, (size_t)idn);
                st = longst;
                client = "10.9.9.9";
                ip = "198.51.100.77";
                kind = 5;
            }
            cell(&body, t, 0);
            cell(&body, st, 0);
            if (kind < 3) {  /* DNS answer, one or two addresses */
                char ans[128];
                snprintf(ans, sizeof ans, "%s\n%s", ip, PICK(&rng, ips));
                cell(&body, client, 0);
                cell(&body, name, 0);
                cell(&body, tu_rand(&rng) % 2 ? ans : ip, 0);
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, "", 1);
            } else if (kind == 9) {  /* proxy request */
                char url[128];
                snprintf(url, sizeof url, "http://%s/x", PICK(&rng, names));
                cell(&body, client, 0);
                for (int i = 0; i < 7; i++)
                    cell(&body, "", 0);
                cell(&body, url, 1);
            } else {  /* network event; some to addresses no answer named */
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, "", 0);
                cell(&body, client, 0);
                cell(&body, ip, 0);
                cell(&body, PICK(&rng, ports), 0);
                cell(&body, PICK(&rng, transports), 0);
                cell(&body, PICK(&rng, actions), 0);
                cell(&body, "", 1);
            }
        }
        frame(&s, r < nrows ? "{\"action\":\"execute\",\"finished\":false}"
                            : "{\"action\":\"execute\",\"finished\":true}",
              body.p, body.len);
    }
    buf_free(&body);
    *len = s.len;
    return s.p;
}

static char *run(const char *in, size_t n, int lines, int threads, int pipeline,
                 size_t *outlen)
{
    profile_cmd_lines = lines;
    profile_cmd_threads = threads;
    scp_pipeline = pipeline;
    /* dnsprofile WARNs when run outside the app (no lookups/ beside it) */
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, 2);
    close(null);
    tu_memio_start(in, n, 0, 1);
    int status = scp_run(&profile_command, NULL, rfd, wfd);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *out = tu_memio_output(outlen);
    tu_memio_stop();
    profile_cmd_lines = profile_cmd_threads = scp_pipeline = 1;
    assert_int_equal(status, 0);
    return out;
}

/* The longest line of the last reply's body. */
static size_t longest_line(const char *p, size_t n)
{
    size_t best = 0;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        if (e - i > best)
            best = e - i;
        i = e + 1;
    }
    return best;
}

static void test_same_bytes(void **st)
{
    (void)st;
    ready_fds();
    static const size_t sizes[][2] = {{40, 7}, {3000, 500}, {20000, 50000}};
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        size_t n, n0, n1;
        char *in = make_session(sizes[c][0], sizes[c][1], &n);
        char *plain = run(in, n, 0, 0, 0, &n0);
        /* not an empty reply: rows with sparklines and findings */
        assert_true(n0 > 1000);
        assert_non_null(strstr(plain, "##__SPARKLINE__##"));
        assert_non_null(strstr(plain, "10.9.9.9"));
        /* lines, threads, early replies (scp_pipeline) */
        static const int ways[][3] = {{1, 0, 0}, {0, 1, 0}, {1, 1, 0}, {0, 0, 1}, {1, 1, 1}};
        for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
            char *o = run(in, n, ways[w][0], ways[w][1], ways[w][2], &n1);
            if (n1 != n0 || memcmp(o, plain, n0) != 0)
                fail_msg("%zu rows: lines=%d threads=%d pipeline=%d gives %zu bytes, the plain "
                         "way %zu (or other bytes)", sizes[c][0], ways[w][0], ways[w][1],
                         ways[w][2], n1, n0);
            free(o);
        }
        if (sizes[c][0] >= 3000 && longest_line(plain, n0) <= 256u * 1024)
            fail_msg("%zu rows: no line is longer than the output block (%zu)", sizes[c][0],
                     longest_line(plain, n0));
        /* the largest reply spans many 256 KB blocks */
        if (c == sizeof sizes / sizeof sizes[0] - 1 && n0 < 4u * 1024 * 1024)
            fail_msg("%zu rows: a reply of %zu bytes only", sizes[c][0], n0);
        print_message("%zu events: a reply of %zu bytes, the same each way\n", sizes[c][0], n0);
        free(plain);
        free(in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes),
    };
    return cmocka_run_group_tests_name("profile_reply", tests, NULL, NULL);
}
