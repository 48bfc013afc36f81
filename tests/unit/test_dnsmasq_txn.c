/* txn + stamp + jsonw: reassembly against captured logs with client-side
 * truth (tests/data/dnsmasq/capture, made by tests/dnsmasq/capture.sh with
 * a real dnsmasq and dig), hand-written interleavings, the clock, and
 * allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "modinput/dmlog.h"
#include "modinput/jsonw.h"
#include "modinput/stamp.h"
#include "util/buf.h"
#include "util/xmem.h"

/* ---- collecting events ---- */

struct coll {
    char **rows;   /* "src\tport\tquery\ttype\tSTATUS\tanswers" */
    char **wide;   /* "src port query type STATUS answers action blocked_by transport" */
    size_t n, cap;
    struct buf json;
    struct dmlog_counts {
        uint64_t unplaced, like, bad, kind[DMU_KINDS];
        int mostly;
    } lg;
};

static const char *status_name(int rc)
{
    switch (rc) {
    case 0: return "NOERROR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return "NONE";
    }
}

static int cmp_slice(const void *a, const void *b)
{
    return slice_cmp(*(const struct slice *)a, *(const struct slice *)b);
}

static int collect(void *ctx, const struct txn_ev *ev)
{
    struct coll *c = ctx;
    char row[4096], ans[2048] = "";
    struct slice sorted[64];
    size_t k = ev->n_answer < 64 ? ev->n_answer : 64;
    int rc;

    memcpy(sorted, ev->answer, k * sizeof *sorted);
    qsort(sorted, k, sizeof *sorted, cmp_slice);
    for (size_t i = 0; i < k; i++) {
        size_t l = strlen(ans);
        snprintf(ans + l, sizeof ans - l, "%s%.*s", i ? "," : "", (int)sorted[i].n, sorted[i].p);
    }
    snprintf(row, sizeof row, "%.*s\t%u\t%.*s\t%.*s\t%s\t%s", (int)ev->src.n, ev->src.p,
             ev->has_port ? ev->port : 0, (int)ev->query.n, ev->query.p, (int)ev->qtype.n,
             ev->qtype.p, status_name(ev->rcode), ans);
    if (c->n == c->cap) {
        char **r = xreallocarray(c->rows, c->cap ? c->cap * 2 : 64, sizeof *r);
        if (r == NULL)
            return ERR_NOMEM;
        c->rows = r;
        r = xreallocarray(c->wide, c->cap ? c->cap * 2 : 64, sizeof *r);
        if (r == NULL)
            return ERR_NOMEM;
        c->wide = r;
        c->cap = c->cap ? c->cap * 2 : 64;
    }
    c->rows[c->n] = xstrndup(row, strlen(row));
    if (c->rows[c->n] == NULL)
        return ERR_NOMEM;
    {
        /* the action and blocked_by are the JSON's: what an event says */
        static const char *const by[] = {"-", "gravity", "regex", "exact", "special",
                                         "upstream", "cname", "ratelimit", "busy"};
        const char *action = ev->block != DMB_NONE ? "blocked" : ev->rcode >= 0 ? "allowed" : "-";
        snprintf(row, sizeof row, "%.*s %u %.*s %.*s %s %s %s %s %s", (int)ev->src.n, ev->src.p,
                 ev->has_port ? ev->port : 0, (int)ev->query.n, ev->query.p, (int)ev->qtype.n,
                 ev->qtype.p, status_name(ev->rcode), ans[0] ? ans : "-", action,
                 (unsigned)ev->block < 9 ? by[ev->block] : "?",
                 ev->proto == DMP_UDP ? "udp" : ev->proto == DMP_TCP ? "tcp" : "-");
        c->wide[c->n] = xstrndup(row, strlen(row));
        if (c->wide[c->n] == NULL) {
            xfree(c->rows[c->n]);
            return ERR_NOMEM;
        }
    }
    c->n++;
    rc = jsonw_txn(&c->json, ev);
    if (rc == 0)
        rc = buf_appendc(&c->json, '\n');
    return rc;
}

static void coll_free(struct coll *c)
{
    for (size_t i = 0; i < c->n; i++) {
        xfree(c->rows[i]);
        xfree(c->wide[i]);
    }
    xfree(c->rows);
    xfree(c->wide);
    buf_free(&c->json);
    memset(c, 0, sizeof *c);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long sz;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = malloc((size_t)sz + 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p)
        p[sz] = '\0';
    *n = (size_t)sz;
    return p;
}

/* Run text through dmlog in pieces of `step` bytes (0: all at once). */
static int run_text(const char *text, size_t n, size_t step, struct coll *c, int year)
{
    struct stamp_ctx clk;
    struct dmlog lg;
    struct err e;
    const char *tz = NULL;
    size_t have = 0, fed = 0;
    char *win;
    int rc;

    memset(c, 0, sizeof *c);
    buf_init(&c->json, 1u << 26);
    if (stamp_zone_parse("UTC", &clk, &tz, &e))
        return -100;
    stamp_set_year(&clk, year, 0);
    rc = dmlog_init(&lg, &clk, 10 * 1000000LL, collect, c, 0);
    if (rc)
        return rc;
    win = malloc(n + 1);
    /* feed growing windows, keeping what dmlog_feed leaves */
    while (rc == 0) {
        size_t add = step ? step : n;
        size_t used = 0;
        if (add > n - fed)
            add = n - fed;
        memcpy(win + have, text + fed, add);
        have += add;
        fed += add;
        rc = dmlog_feed(&lg, win, have, fed == n, &used, &e);
        memmove(win, win + used, have - used);
        have -= used;
        if (fed == n)
            break;
    }
    if (rc == 0)
        rc = txn_flush_all(lg.tx, &e);
    /* the JSON is searched with strstr: end it with a NUL outside len */
    if (rc == 0 && buf_appendc(&c->json, '\0') == 0)
        c->json.len--;
    c->lg.unplaced = lg.unplaced;
    c->lg.like = lg.like;
    c->lg.bad = lg.bad;
    memcpy(c->lg.kind, lg.unplaced_kind, sizeof c->lg.kind);
    c->lg.mostly = dmlog_mostly_unplaced(&lg);
    free(win);
    dmlog_free(&lg);
    return rc;
}

/* How many truth rows (status != NONE) are matched by an event row. */
static void score(const char *truth_path, struct coll *c, int with_port, size_t *ok,
                  size_t *total)
{
    size_t n;
    char *truth = slurp(truth_path, &n), *line, *save = NULL;
    char *used = calloc(c->n + 1, 1);

    assert_non_null(truth);
    *ok = *total = 0;
    for (line = strtok_r(truth, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char want[4096];
        char src[64], port[16], rest[3900];
        if (strstr(line, "\tNONE\t"))
            continue;
        if (sscanf(line, "%63[^\t]\t%15[^\t]\t%3899[^\n]", src, port, rest) != 3)
            continue;
        snprintf(want, sizeof want, "%s\t%s\t%s", src, with_port ? port : "0", rest);
        /* the truth's answers column may be empty: rest ends with a tab */
        (*total)++;
        for (size_t i = 0; i < c->n; i++)
            if (!used[i] && strcmp(c->rows[i], want) == 0) {
                used[i] = 1;
                (*ok)++;
                break;
            }
    }
    free(used);
    free(truth);
}

static const char *find(const char *h, size_t hn, const char *needle, size_t nn)
{
    for (size_t i = 0; i + nn <= hn; i++)
        if (memcmp(h + i, needle, nn) == 0)
            return h + i;
    return NULL;
}

/* The capture rewritten as dnsmasq 2.91 --log-queries=proto writes it:
 * "UDP " before the serial of the daemon's lines, "TCP " before those of
 * its TCP children (other PIDs).  OWNED (free); *n is its length. */
static char *to_proto(const char *text, size_t len, size_t *n)
{
    char *out = malloc(len + len / 8 + 4096), main_pid[32] = "";
    const char *l = text, *end = text + len;
    size_t at = 0;
    assert_non_null(out);
    while (l < end) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
        const char *pid = find(l, ll, "dnsmasq[", 8), *colon;
        colon = pid ? find(pid, ll - (size_t)(pid - l), "]: ", 3) : NULL;
        if (colon && colon + 3 < l + ll && colon[3] >= '0' && colon[3] <= '9') {
            size_t pl = (size_t)(colon - pid), head = (size_t)(colon + 3 - l);
            if (main_pid[0] == 0 && pl < sizeof main_pid)
                memcpy(main_pid, pid, pl);
            memcpy(out + at, l, head);
            at += head;
            memcpy(out + at, strlen(main_pid) == pl && memcmp(pid, main_pid, pl) == 0
                                 ? "UDP " : "TCP ", 4);
            at += 4;
            memcpy(out + at, l + head, ll - head);
            at += ll - head;
        } else {
            memcpy(out + at, l, ll);
            at += ll;
        }
        out[at++] = '\n';
        l += ll + 1;
    }
    out[at] = '\0'; /* the merge below reads it with strtok */
    *n = at;
    return out;
}

static void capture_case_as(const char *name, int exact, size_t step, int proto)
{
    char lp[256], tp[256];
    size_t n, ok, total;
    char *text;
    struct coll c;

    snprintf(lp, sizeof lp, "tests/data/dnsmasq/capture/%s.log", name);
    snprintf(tp, sizeof tp, "tests/data/dnsmasq/capture/%s.truth.tsv", name);
    text = slurp(lp, &n);
    assert_non_null(text);
    if (proto) {
        size_t pn;
        char *p = to_proto(text, n, &pn);
        free(text);
        text = p;
        n = pn;
    }
    assert_int_equal(run_text(text, n, step, &c, 2026), 0);
    score(tp, &c, exact, &ok, &total);
    fprintf(stderr, "# %s (step %zu): %zu/%zu transactions right, %zu events\n", name, step, ok,
            total, c.n);
    assert_true(total >= 250);
    if (exact)
        assert_int_equal(ok, total);
    else
        assert_true(ok * 100 >= total * 90);
    if (proto) {
        /* every transaction carries its transport; the children's are TCP */
        size_t udp = 0, tcp = 0;
        for (size_t i = 0; i < c.n; i++) {
            size_t wl = strlen(c.wide[i]);
            udp += wl > 4 && strcmp(c.wide[i] + wl - 4, " udp") == 0;
            tcp += wl > 4 && strcmp(c.wide[i] + wl - 4, " tcp") == 0;
        }
        assert_int_equal(udp + tcp, c.n);
        assert_true(tcp >= 5);
        assert_int_equal(c.lg.unplaced, 0);
    }
    coll_free(&c);
    free(text);
}

static void capture_case(const char *name, int exact, size_t step)
{
    capture_case_as(name, exact, step, 0);
}

static void test_capture_extra(void **s)
{
    (void)s;
    capture_case("extra", 1, 0);
    capture_case("extra", 1, 7);
    capture_case("extra-late-dup", 1, 0);
}

/* log-queries=proto: the same exact answers as extra mode, whole and in
 * small pieces */
static void test_capture_proto(void **s)
{
    (void)s;
    capture_case_as("extra", 1, 0, 1);
    capture_case_as("extra", 1, 5, 1);
    capture_case_as("extra-late-dup", 1, 0, 1);
}

static void test_capture_plain(void **s)
{
    (void)s;
    capture_case("plain", 0, 0);
}

/* The daemon's TCP children write to the same log as the daemon, whole
 * lines at any moment after they were forked.  Each capture is re-merged:
 * the daemon's lines in their order, each child line held back behind a
 * number of the daemon's lines drawn from a seeded generator (the children's
 * lines keep their order).  Every merge must still be read exactly. */
static void merged_case_as(const char *name, unsigned seed, int proto)
{
    char lp[256], tp[256], main_pid[32] = "";
    size_t n, nh = 0, held_from = 0, ok, total, at = 0;
    char *text, *merged, **held, *save = NULL;
    uint64_t r = 0x9e3779b97f4a7c15ull ^ seed;
    struct coll c;

    snprintf(lp, sizeof lp, "tests/data/dnsmasq/capture/%s.log", name);
    snprintf(tp, sizeof tp, "tests/data/dnsmasq/capture/%s.truth.tsv", name);
    text = slurp(lp, &n);
    assert_non_null(text);
    if (proto) {
        size_t pn;
        char *pt = to_proto(text, n, &pn);
        free(text);
        text = pt;
        n = pn;
    }
    held = calloc(n, sizeof *held);
    merged = malloc(n + 1);
    assert_true(held && merged);
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        const char *pid = strstr(l, "dnsmasq[");
        size_t pl = pid ? strcspn(pid, "]") : 0, len = strlen(l);
        assert_non_null(pid);
        if (main_pid[0] == 0 && pl < sizeof main_pid)
            memcpy(main_pid, pid, pl);
        if (strncmp(pid, main_pid, pl) != 0 || main_pid[pl] != 0) {
            held[nh++] = l; /* a child's line: after some of the daemon's */
            continue;
        }
        memcpy(merged + at, l, len);
        at += len;
        merged[at++] = '\n';
        /* after each daemon line, each held line goes out with odds 1/3 */
        while (held_from < nh) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            if ((r >> 33) % 3 != 0)
                break;
            len = strlen(held[held_from]);
            memcpy(merged + at, held[held_from++], len);
            at += len;
            merged[at++] = '\n';
        }
    }
    while (held_from < nh) {
        size_t len = strlen(held[held_from]);
        memcpy(merged + at, held[held_from++], len);
        at += len;
        merged[at++] = '\n';
    }
    assert_true(nh >= 10); /* the capture has TCP children */
    assert_true(at <= n + 1);
    assert_int_equal(run_text(merged, at, 0, &c, 2026), 0);
    score(tp, &c, 1, &ok, &total);
    if (ok != total)
        fprintf(stderr, "# %s merged (seed %u): %zu/%zu transactions right\n", name, seed, ok,
                total);
    assert_true(total >= 250);
    assert_int_equal(ok, total);
    coll_free(&c);
    free(merged);
    free(held);
    free(text);
}

static void merged_case(const char *name, unsigned seed)
{
    merged_case_as(name, seed, 0);
}

static void test_capture_children_merged(void **s)
{
    (void)s;
    for (unsigned seed = 1; seed <= 40; seed++) {
        merged_case("extra", seed);
        merged_case("extra-late-dup", seed);
        /* production mode with proto: TCP children's lines anywhere */
        merged_case_as("extra", seed, 1);
    }
}

/* ---- hand-written interleavings ---- */

static struct coll run_lines(const char *text)
{
    struct coll c;
    assert_int_equal(run_text(text, strlen(text), 0, &c, 2024), 0);
    return c;
}

static void expect_rows(struct coll *c, const char *const *want, size_t n)
{
    for (size_t i = 0; i < c->n && i < n; i++)
        if (strcmp(c->rows[i], want[i]) != 0)
            fprintf(stderr, "row %zu\n  want %s\n  got  %s\n", i, want[i], c->rows[i]);
    assert_int_equal(c->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(c->rows[i], want[i]);
}

#define H "Nov  6 10:30:11 dnsmasq[1]: "

static void test_extra_cname_dup_epoch(void **s)
{
    const char *text =
        H "started, version 2.90 cachesize 150\n"
        H "1 10.0.0.2/1001 query[A] lh6.example from 10.0.0.2\n"
        H "1 10.0.0.2/1001 forwarded lh6.example to 10.0.0.53\n"
        H "2 10.0.0.3/1002 query[A] lh6.example from 10.0.0.3\n"
        H "3 10.0.0.2/1003 query[A] teredo.example from 10.0.0.2\n"
        H "3 10.0.0.2/1003 config teredo.example is 65.55.158.118\n"
        H "1 10.0.0.2/1001 reply lh6.example is <CNAME>\n"
        H "1 10.0.0.2/1001 reply host.l.example is <CNAME>\n"
        H "1 10.0.0.2/1001 reply final.example is 203.0.113.1\n"
        H "1 10.0.0.2/1001 reply final.example is 203.0.113.2\n"
        H "2 10.0.0.3/1002 reply query is duplicate\n"
        H "4 10.0.0.2/1004 query[PTR] 1.2.0.192.in-addr.arpa from 10.0.0.2\n"
        H "4 10.0.0.2/1004 config 192.0.2.1 is ptr.example\n"
        H "5 10.0.0.3/1005 query[AAAA] gone.example from 10.0.0.3\n"
        H "5 10.0.0.3/1005 forwarded gone.example to 10.0.0.53\n"
        H "started, version 2.90 cachesize 150\n"
        H "1 10.0.0.2/1006 query[A] new.example from 10.0.0.2\n"
        H "1 10.0.0.2/1006 reply error is SERVFAIL\n"
        H "1 10.0.0.2/1001 reply final.example is 203.0.113.9\n";
    static const char *const want[] = {
        "10.0.0.2\t1003\tteredo.example\tA\tNOERROR\t65.55.158.118",
        "10.0.0.3\t1002\tlh6.example\tA\tNOERROR\t203.0.113.1,203.0.113.2",
        "10.0.0.2\t1001\tlh6.example\tA\tNOERROR\t203.0.113.1,203.0.113.2",
        "10.0.0.2\t1004\t1.2.0.192.in-addr.arpa\tPTR\tNOERROR\tptr.example",
        "10.0.0.3\t1005\tgone.example\tAAAA\tNONE\t",
        "10.0.0.2\t1006\tnew.example\tA\tSERVFAIL\t",
    };
    struct coll c = run_lines(text);
    (void)s;
    expect_rows(&c, want, sizeof want / sizeof want[0]);
    /* the CNAME chain and the duplicate's original are in the JSON */
    assert_non_null(strstr(c.json.p, "\"cname\":[\"host.l.example\",\"final.example\"]"));
    assert_non_null(strstr(c.json.p, "\"duplicate_of\":1"));
    assert_non_null(strstr(c.json.p, "\"dest\":\"10.0.0.53\""));
    coll_free(&c);
}

/* dnsmasq writes an original's reply and then, newest first, one line per
 * duplicate waiting on it.  A TCP child is another process writing to the
 * same log, so its lines can fall between those, or between two answers of
 * one reply.  Duplicates 2 and 3 are open and unanswered when their
 * "duplicate" lines come: neither is the other's original; both take the
 * answer of 1.  7 keeps both of its answers. */
static void test_extra_interleaved_child(void **s)
{
    const char *text =
        H "1 10.0.0.2/1001 query[A] missing.example from 10.0.0.2\n"
        H "1 10.0.0.2/1001 forwarded missing.example to 10.0.0.53\n"
        H "2 10.0.0.3/1002 query[A] missing.example from 10.0.0.3\n"
        H "3 10.0.0.2/1003 query[A] missing.example from 10.0.0.2\n"
        H "1 10.0.0.2/1001 reply missing.example is NXDOMAIN\n"
        "Nov  6 10:30:11 dnsmasq[7]: 104 10.0.0.3/1004 query[A] teredo.example from 10.0.0.3\n"
        "Nov  6 10:30:11 dnsmasq[7]: 104 10.0.0.3/1004 config teredo.example is 65.55.158.118\n"
        H "3 10.0.0.2/1003 reply query is duplicate\n"
        "Nov  6 10:30:11 dnsmasq[8]: 205 10.0.0.2/1005 query[A] teredo.example from 10.0.0.2\n"
        "Nov  6 10:30:11 dnsmasq[8]: 205 10.0.0.2/1005 config teredo.example is 65.55.158.118\n"
        H "2 10.0.0.3/1002 reply query is duplicate\n"
        H "6 10.0.0.3/1006 query[A] missing.example from 10.0.0.3\n"
        H "6 10.0.0.3/1006 forwarded missing.example to 10.0.0.53\n"
        H "7 10.0.0.2/1007 query[A] cdn.example from 10.0.0.2\n"
        H "7 10.0.0.2/1007 forwarded cdn.example to 10.0.0.53\n"
        H "7 10.0.0.2/1007 reply cdn.example is 198.51.100.10\n"
        "Nov  6 10:30:11 dnsmasq[9]: 306 10.0.0.3/1008 query[A] teredo.example from 10.0.0.3\n"
        H "7 10.0.0.2/1007 reply cdn.example is 198.51.100.11\n"
        "Nov  6 10:30:11 dnsmasq[9]: 306 10.0.0.3/1008 config teredo.example is 65.55.158.118\n";
    /* a child's answer is final at its next line or at flush_after: here,
     * at the end of the input */
    static const char *const want[] = {
        "10.0.0.2\t1003\tmissing.example\tA\tNXDOMAIN\t",
        "10.0.0.3\t1002\tmissing.example\tA\tNXDOMAIN\t",
        "10.0.0.2\t1001\tmissing.example\tA\tNXDOMAIN\t",
        "10.0.0.3\t1004\tteredo.example\tA\tNOERROR\t65.55.158.118",
        "10.0.0.2\t1005\tteredo.example\tA\tNOERROR\t65.55.158.118",
        "10.0.0.3\t1006\tmissing.example\tA\tNONE\t",
        "10.0.0.2\t1007\tcdn.example\tA\tNOERROR\t198.51.100.10,198.51.100.11",
        "10.0.0.3\t1008\tteredo.example\tA\tNOERROR\t65.55.158.118",
    };
    struct coll c = run_lines(text);
    (void)s;
    expect_rows(&c, want, sizeof want / sizeof want[0]);
    /* each duplicate names 1 as its original in its own JSON line */
    for (int k = 0; k < 2; k++) {
        const char *port = k == 0 ? "\"src_port\":1003," : "\"src_port\":1002,";
        const char *ev = strstr(c.json.p, port), *dup, *eol;
        assert_non_null(ev);
        while (ev > c.json.p && ev[-1] != '\n')
            ev--;
        eol = strchr(ev, '\n');
        dup = strstr(ev, "\"duplicate_of\":1,");
        assert_true(dup != NULL && (eol == NULL || dup < eol));
    }
    coll_free(&c);
}

static void test_plain_story(void **s)
{
    /* DOMAIN.md §1.4: the googleusercontent reply under the teredo query
     * belongs to another client */
    const char *text =
        H "query[A] lh6.googleusercontent.com from 127.0.0.3\n"
        H "forwarded lh6.googleusercontent.com to 127.0.0.1#5355\n"
        H "query[A] lh6.googleusercontent.com from 127.0.0.4\n"
        H "query[A] teredo.ipv6.microsoft.com from 127.0.0.2\n"
        H "config teredo.ipv6.microsoft.com is 65.55.158.118\n"
        H "reply lh6.googleusercontent.com is <CNAME>\n"
        H "reply googlehosted.l.googleusercontent.com is 203.0.113.134\n"
        H "query[AAAA] x.example from 127.0.0.2\n"
        H "query[A] x.example from 127.0.0.2\n"
        H "reply x.example is 192.0.2.7\n"
        H "reply x.example is NODATA-IPv6\n";
    static const char *const want[] = {
        "127.0.0.2\t0\tteredo.ipv6.microsoft.com\tA\tNOERROR\t65.55.158.118",
        /* the in-flight duplicate (no line of its own) first, then the newest query */
        "127.0.0.3\t0\tlh6.googleusercontent.com\tA\tNOERROR\t203.0.113.134",
        "127.0.0.4\t0\tlh6.googleusercontent.com\tA\tNOERROR\t203.0.113.134",
        "127.0.0.2\t0\tx.example\tA\tNOERROR\t192.0.2.7",
        "127.0.0.2\t0\tx.example\tAAAA\tNOERROR\t",
    };
    struct coll c = run_lines(text);
    (void)s;
    expect_rows(&c, want, sizeof want / sizeof want[0]);
    assert_non_null(strstr(c.json.p, "\"confidence\":\"heuristic\""));
    coll_free(&c);
}

static void test_flush_after(void **s)
{
    const char *text =
        "Nov  6 10:30:11 dnsmasq[1]: 1 10.0.0.2/1 query[A] slow.example from 10.0.0.2\n"
        "Nov  6 10:30:30 dnsmasq[1]: 2 10.0.0.2/2 query[A] later.example from 10.0.0.2\n";
    struct coll c = run_lines(text);
    (void)s;
    /* the first is flushed by the second query's time, the second at the end */
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.rows[0], "slow.example"));
    coll_free(&c);
}

/* ---- Pi-hole: tests/data/dnsmasq/pihole.txt ---- */

static void test_pihole_table(void **s)
{
    FILE *f = fopen("tests/data/dnsmasq/pihole.txt", "r");
    char line[4096];
    struct buf text, want;
    size_t nwant = 0, cases = 0, rows = 0;
    int lineno = 0, fails = 0;
    (void)s;
    assert_non_null(f);
    buf_init(&text, 1u << 20);
    buf_init(&want, 1u << 20);
    for (;;) {
        char *got = fgets(line, sizeof line, f);
        size_t n = got ? strlen(line) : 0;
        lineno += got != NULL;
        if (got && line[0] == '<' && line[1] == ' ') {
            assert_int_equal(buf_append(&text, line + 2, n - 2), 0);
            continue;
        }
        if (got && line[0] == '=' && line[1] == ' ') {
            if (n && line[n - 1] == '\n')
                line[--n] = '\0';
            assert_int_equal(buf_append(&want, line + 2, n - 1), 0); /* with its NUL */
            nwant++;
            continue;
        }
        if (text.len > 0 && (got == NULL || line[0] == '\n' || line[0] == '#')) {
            /* one case: its lines through dmlog, its rows in order */
            struct coll c;
            const char *w = want.p;
            assert_int_equal(run_text(text.p, text.len, 0, &c, 2024), 0);
            if (c.n != nwant) {
                fprintf(stderr, "pihole.txt case ending at line %d: %zu events, want %zu\n",
                        lineno, c.n, nwant);
                fails++;
            }
            for (size_t i = 0; i < c.n && i < nwant; i++, w += strlen(w) + 1)
                if (strcmp(c.wide[i], w) != 0) {
                    fprintf(stderr, "pihole.txt case ending at line %d, row %zu\n  want %s\n"
                            "  got  %s\n", lineno, i, w, c.wide[i]);
                    fails++;
                }
            assert_int_equal(c.lg.unplaced, 0);
            assert_int_equal(c.lg.bad, 0);
            /* the JSON has the reason as FTL logged it */
            if (strstr(c.json.p, "\"action\":\"blocked\"") != NULL)
                assert_non_null(strstr(c.json.p, "\"blocked_reason\":\""));
            cases++;
            rows += nwant;
            coll_free(&c);
            buf_reset(&text);
            buf_reset(&want);
            nwant = 0;
        }
        if (got == NULL)
            break;
    }
    fclose(f);
    buf_free(&text);
    buf_free(&want);
    fprintf(stderr, "# pihole.txt: %zu cases, %zu transactions\n", cases, rows);
    assert_true(cases >= 10 && rows >= 23);
    assert_int_equal(fails, 0);
}

/* ---- one file, three modes: a restart may change log-queries ---- */

static void test_mode_switch(void **s)
{
    const char *text =
        H "started, version 2.90 cachesize 150\n"
        H "query[A] a.example from 10.0.0.2\n"
        H "forwarded a.example to 10.0.0.53\n"
        H "reply a.example is 192.0.2.1\n"
        H "started, version 2.90 cachesize 150\n"
        H "1 10.0.0.2/1001 query[A] b.example from 10.0.0.2\n"
        H "1 10.0.0.2/1001 config b.example is 192.0.2.2\n"
        H "exiting on receipt of SIGTERM\n"
        H "started, version 2.91 cachesize 150\n"
        H "UDP 1 10.0.0.2/1001 query[A] c.example from 10.0.0.2\n"
        H "UDP 1 10.0.0.2/1001 forwarded c.example to 10.0.0.53\n"
        H "UDP 2 10.0.0.3/1002 query[A] d.example from 10.0.0.3\n"
        H "UDP 2 10.0.0.3/1002 config d.example is 192.0.2.4\n"
        /* the reply was truncated: dnsmasq retries upstream over TCP and
         * logs the rest of serial 1 with "TCP" */
        H "TCP 1 10.0.0.2/1001 reply c.example is 192.0.2.3\n"
        "Nov  6 10:30:11 dnsmasq[9]: TCP 101 10.0.0.3/2000 query[A] e.example from 10.0.0.3\n"
        "Nov  6 10:30:11 dnsmasq[9]: TCP 101 10.0.0.3/2000 cached e.example is 192.0.2.5\n"
        H "started, version 2.91 cachesize 150\n"
        H "query[A] f.example from 10.0.0.2\n"
        H "config f.example is 192.0.2.6\n";
    static const char *const want[] = {
        "10.0.0.2 0 a.example A NOERROR 192.0.2.1 allowed - -",
        "10.0.0.2 1001 b.example A NOERROR 192.0.2.2 allowed - -",
        "10.0.0.3 1002 d.example A NOERROR 192.0.2.4 allowed - udp",
        "10.0.0.2 1001 c.example A NOERROR 192.0.2.3 allowed - udp",
        "10.0.0.3 2000 e.example A NOERROR 192.0.2.5 allowed - tcp",
        "10.0.0.2 0 f.example A NOERROR 192.0.2.6 allowed - -",
    };
    struct coll c = run_lines(text);
    (void)s;
    for (size_t i = 0; i < c.n && i < 6; i++)
        if (strcmp(c.wide[i], want[i]) != 0)
            fprintf(stderr, "row %zu\n  want %s\n  got  %s\n", i, want[i], c.wide[i]);
    assert_int_equal(c.n, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(c.wide[i], want[i]);
    /* exact in extra and proto mode only */
    assert_non_null(strstr(c.json.p, "\"query\":\"a.example\""));
    {
        const char *a = strstr(c.json.p, "\"query\":\"a.example\"");
        const char *eol = strchr(a, '\n');
        const char *h = strstr(a, "\"confidence\":\"heuristic\"");
        assert_true(h != NULL && h < eol);
        a = strstr(c.json.p, "\"query\":\"c.example\"");
        eol = strchr(a, '\n');
        h = strstr(a, "\"confidence\":\"exact\"");
        assert_true(h != NULL && h < eol);
        h = strstr(a, "\"transport\":\"udp\"");
        assert_true(h == NULL); /* the field comes before the query */
        while (a > c.json.p && a[-1] != '\n')
            a--;
        h = strstr(a, "\"transport\":\"udp\"");
        assert_true(h != NULL && h < eol);
    }
    assert_int_equal(c.lg.unplaced, 0);
    coll_free(&c);
}

/* ---- no silent loss: every documented line kind behind an unknown prefix ---- */

static void test_unplaced_kinds(void **s)
{
    /* message, the dmlog_ukind it must be counted as */
    static const struct {
        const char *msg;
        int kind;
    } cases[] = {
        {"query[A] a.example from 1.2.3.4", DMU_QUERY},
        {"query[type=65] a.example from 1.2.3.4", DMU_QUERY},
        {"auth[A] a.zone.example from 1.2.3.4", DMU_QUERY},
        {"forwarded a.example to 10.0.0.53", DMU_FORWARD},
        {"forwarded a.example to 10.0.0.53#5355", DMU_FORWARD},
        {"reply a.example is 192.0.2.1", DMU_ANSWER},
        {"reply a.example is <CNAME>", DMU_ANSWER},
        {"reply a.example is NODATA-IPv4", DMU_ANSWER},
        {"reply error is SERVFAIL", DMU_ANSWER},
        {"cached a.example is NXDOMAIN", DMU_ANSWER},
        {"cached-stale a.example is 192.0.2.1", DMU_ANSWER},
        {"config a.example is 2001:db8::1", DMU_ANSWER},
        {"config error is REFUSED (EDE: not ready)", DMU_ANSWER},
        {"config 131.107.255.255 is dns.msftncsi.com", DMU_ANSWER},
        {"/etc/hosts localhost is 127.0.0.1", DMU_ANSWER},
        {"DHCP laptop.lan is 192.168.1.20", DMU_ANSWER},
        {"gravity blocked ads.example is 0.0.0.0", DMU_ANSWER},
        {"reply query is duplicate", DMU_DUP},
        {"dnssec-query[DS] example to 192.0.2.53", DMU_AUX},
        {"validation a.example is SECURE", DMU_AUX},
    };
    static const char *const prefixes[] = {"QUIC 6 1.2.3.4/5 ", "DOH 6 1.2.3.4/5 ", "6 1.2.3.4 "};
    (void)s;
    for (size_t pi = 0; pi < sizeof prefixes / sizeof prefixes[0]; pi++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            char text[512];
            struct coll c;
            int n = snprintf(text, sizeof text, H "%s%s\n", prefixes[pi], cases[i].msg);
            assert_true(n > 0 && (size_t)n < sizeof text);
            assert_int_equal(run_text(text, (size_t)n, 0, &c, 2024), 0);
            if (c.lg.unplaced != 1 || c.lg.kind[cases[i].kind] != 1)
                fprintf(stderr, "not counted as unplaced kind %d: %s", cases[i].kind, text);
            assert_int_equal(c.lg.unplaced, 1);
            assert_int_equal(c.lg.kind[cases[i].kind], 1);
            assert_int_equal(c.lg.bad, 0);
            assert_int_equal(c.n, 0);
            coll_free(&c);
        }
}

/* "most lines unplaced" is judged on query-like lines only, and not on a
 * handful; the periodic check looks at its own window. */
static void test_unplaced_share(void **s)
{
    struct buf b;
    struct coll c;
    struct stamp_ctx clk;
    struct dmlog lg;
    struct err e;
    const char *tz = NULL;
    size_t used = 0, quic_len;
    (void)s;
    buf_init(&b, 1u << 20);
    for (int i = 0; i < 6; i++)
        assert_int_equal(buf_printf(&b, H "QUIC %d 1.2.3.4/5 query[A] q%d.example from 1.2.3.4\n",
                                    i, i), 0);
    assert_int_equal(run_text(b.p, b.len, 0, &c, 2024), 0);
    assert_false(c.lg.mostly); /* 6 < DMLOG_UNPLACED_MIN_LINES */
    coll_free(&c);
    for (int i = 6; i < 12; i++)
        assert_int_equal(buf_printf(&b, H "QUIC %d 1.2.3.4/5 query[A] q%d.example from 1.2.3.4\n",
                                    i, i), 0);
    quic_len = b.len; /* the 12 QUIC lines */
    for (int i = 0; i < 11; i++)
        assert_int_equal(buf_printf(&b, H "using nameserver 10.0.0.%d#53\n", i), 0);
    assert_int_equal(run_text(b.p, b.len, 0, &c, 2024), 0);
    assert_true(c.lg.mostly); /* 12 of 12 query-like lines */
    coll_free(&c);
    for (int i = 0; i < 13; i++)
        assert_int_equal(buf_printf(&b, H "%d 1.2.3.4/%d query[A] ok%d.example from 1.2.3.4\n",
                                    i + 1, i + 1, i), 0);
    assert_int_equal(run_text(b.p, b.len, 0, &c, 2024), 0);
    assert_false(c.lg.mostly); /* 12 of 25 */
    assert_int_equal(c.n, 13);
    coll_free(&c);
    /* run mode: the first call starts the window, a warning needs 10 minutes */
    assert_int_equal(stamp_zone_parse("UTC", &clk, &tz, &e), 0);
    stamp_set_year(&clk, 2024, 0);
    memset(&c, 0, sizeof c);
    buf_init(&c.json, 1u << 20);
    assert_int_equal(dmlog_init(&lg, &clk, 10 * 1000000LL, collect, &c, 0), 0);
    assert_int_equal(dmlog_periodic(&lg, 1000000), 0);
    assert_int_equal(dmlog_feed(&lg, b.p, b.len, 1, &used, &e), 0);
    assert_int_equal(dmlog_periodic(&lg, 1000000 + DMLOG_UNPLACED_WARN_US - 1), 0);
    assert_int_equal(dmlog_periodic(&lg, 1000000 + DMLOG_UNPLACED_WARN_US), 0); /* 12 of 25 */
    used = 0;
    assert_int_equal(dmlog_feed(&lg, b.p, quic_len, 0, &used, &e), 0);
    assert_int_equal(dmlog_periodic(&lg, 1000000 + 2 * DMLOG_UNPLACED_WARN_US), 1);
    assert_int_equal(dmlog_periodic(&lg, 1000000 + 3 * DMLOG_UNPLACED_WARN_US), 0); /* new window */
    assert_int_equal(txn_flush_all(lg.tx, &e), 0);
    dmlog_free(&lg);
    coll_free(&c);
    buf_free(&b);
}

/* ---- clock ---- */

static int64_t at(struct stamp_ctx *c, const char *line)
{
    struct syslogh h;
    int64_t us = 0;
    assert_true(syslogh_parse(line, strlen(line), &h) > 0);
    assert_int_equal(stamp_to_us(c, &h, &us), 0);
    return us / 1000000;
}

static void test_stamp(void **s)
{
    struct stamp_ctx c;
    struct err e;
    const char *tz;
    (void)s;

    assert_int_equal(stamp_zone_parse("UTC", &c, &tz, &e), 0);
    stamp_set_year(&c, 2023, 0);
    assert_int_equal(at(&c, "Dec 31 23:59:59 dnsmasq[1]: x"), 1704067199);
    assert_int_equal(at(&c, "Jan  1 00:00:01 dnsmasq[1]: x"), 1704067201); /* rollover */
    /* reference mode: a line may not be later than ref + 1 day */
    stamp_set_year(&c, 0, 1704067201); /* 2024-01-01 00:00:01Z */
    assert_int_equal(at(&c, "Dec 31 23:59:59 dnsmasq[1]: x"), 1704067199);
    assert_int_equal(at(&c, "Jan  1 00:00:01 dnsmasq[1]: x"), 1704067201);
    /* fixed offsets and ISO stamps */
    assert_int_equal(stamp_zone_parse("+02:00", &c, &tz, &e), 0);
    stamp_set_year(&c, 2024, 0);
    assert_int_equal(at(&c, "Jan  1 02:00:00 dnsmasq[1]: x"), 1704067200);
    assert_int_equal(at(&c, "2024-01-01T00:00:00-01:00 h dnsmasq[1]: x"), 1704070800);
    assert_int_equal(at(&c, "Mon Jan  1 02:00:00 2024 daemon.info dnsmasq[1]: x"), 1704067200);
    /* bad zones */
    assert_int_not_equal(stamp_zone_parse("Mars/Olympus", &c, &tz, &e), 0);
    assert_int_not_equal(stamp_zone_parse("../etc/passwd", &c, &tz, &e), 0);
    assert_int_not_equal(stamp_zone_parse("+25:00", &c, &tz, &e), 0);
    /* an IANA zone with a repeated hour: America/New_York, 2024-11-03 01:30 */
    assert_int_equal(stamp_zone_parse("America/New_York", &c, &tz, &e), 0);
    assert_non_null(tz);
    setenv("TZ", tz, 1);
    tzset();
    stamp_set_year(&c, 2024, 0);
    assert_int_equal(at(&c, "Nov  3 01:30:00 dnsmasq[1]: x"), 1730611800);  /* EDT */
    assert_int_equal(at(&c, "Nov  3 01:59:59 dnsmasq[1]: x"), 1730613599);
    assert_int_equal(at(&c, "Nov  3 01:00:05 dnsmasq[1]: x"), 1730613605); /* EST, not back */
    assert_int_equal(at(&c, "Jul  1 12:00:00 dnsmasq[1]: x"), 1719849600);
    unsetenv("TZ");
    tzset();
}

/* ---- JSON ---- */

static void test_json_escape(void **s)
{
    struct buf b;
    (void)s;
    buf_init(&b, 1024);
    assert_int_equal(jsonw_str(&b, slice_of("a\"b\\c\x01\xc3\xa9\xff\xe2\x82", 11)), 0);
    assert_int_equal(b.len, strlen("\"a\\\"b\\\\c\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
    assert_memory_equal(b.p, "\"a\\\"b\\\\c\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", b.len);
    buf_free(&b);
    assert_string_equal(jsonw_rcode_name(3), "Non-Existent Domain");
    assert_string_equal(jsonw_rcode_name(99), "Unknown");
}

/* ---- response_time: first answer line's time - the query line's ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_response_time(void **s)
{
    static const struct {
        const char *text;
        const char *want;  /* src:response_time per transaction, by src; "-" when absent */
    } cases[] = {
        /* extra: forwarded, answered 2 s later; a config answer in the same second */
        {"Nov  6 10:30:11 dnsmasq[1]: 1 10.0.0.2/1001 query[A] a.example from 10.0.0.2\n"
         "Nov  6 10:30:11 dnsmasq[1]: 1 10.0.0.2/1001 forwarded a.example to 10.0.0.53\n"
         "Nov  6 10:30:12 dnsmasq[1]: 2 10.0.0.3/1002 query[A] b.example from 10.0.0.3\n"
         "Nov  6 10:30:12 dnsmasq[1]: 2 10.0.0.3/1002 config b.example is 192.0.2.2\n"
         "Nov  6 10:30:13 dnsmasq[1]: 1 10.0.0.2/1001 reply a.example is 192.0.2.1\n"
         "Nov  6 10:30:14 dnsmasq[1]: 1 10.0.0.2/1001 reply a.example is 192.0.2.9\n",
         "10.0.0.2:2,10.0.0.3:0"},
        /* extra: a duplicate waits for its original's reply; one never answered */
        {"Nov  6 10:30:11 dnsmasq[1]: 1 10.0.0.2/1001 query[A] a.example from 10.0.0.2\n"
         "Nov  6 10:30:11 dnsmasq[1]: 1 10.0.0.2/1001 forwarded a.example to 10.0.0.53\n"
         "Nov  6 10:30:12 dnsmasq[1]: 2 10.0.0.3/1002 query[A] a.example from 10.0.0.3\n"
         "Nov  6 10:30:13 dnsmasq[1]: 3 10.0.0.4/1003 query[A] gone.example from 10.0.0.4\n"
         "Nov  6 10:30:13 dnsmasq[1]: 3 10.0.0.4/1003 forwarded gone.example to 10.0.0.53\n"
         "Nov  6 10:30:15 dnsmasq[1]: 1 10.0.0.2/1001 reply a.example is 192.0.2.1\n"
         "Nov  6 10:30:15 dnsmasq[1]: 2 10.0.0.3/1002 reply query is duplicate\n",
         "10.0.0.2:4,10.0.0.3:3,10.0.0.4:-"},
        /* plain: the reply line's time - the query line's */
        {"Nov  6 10:30:11 dnsmasq[1]: query[A] p.example from 10.0.0.2\n"
         "Nov  6 10:30:11 dnsmasq[1]: forwarded p.example to 10.0.0.53\n"
         "Nov  6 10:30:14 dnsmasq[1]: reply p.example is 192.0.2.7\n",
         "10.0.0.2:3"},
    };
    (void)s;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct coll c = run_lines(cases[i].text);
        char items[8][64], *sorted[8], got[512] = "";
        size_t n = 0;
        const char *p = c.json.p, *end = c.json.p + c.json.len;
        /* one JSON object per line */
        while (p < end && n < 8) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *obj_end = nl ? nl : end;
            char obj[4096];
            snprintf(obj, sizeof obj, "%.*s", (int)(obj_end - p), p);
            const char *src = strstr(obj, "\"src\":\"");
            const char *k = strstr(obj, "\"response_time\":");
            assert_non_null(src);
            src += 7;
            snprintf(items[n], sizeof items[n], "%.*s:%.*s", (int)strcspn(src, "\""), src,
                     k ? (int)strspn(k + 16, "0123456789.") : 1, k ? k + 16 : "-");
            sorted[n] = items[n];
            n++;
            p = obj_end + 1;
        }
        qsort(sorted, n, sizeof *sorted, cmp_str);
        for (size_t j = 0; j < n; j++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%s", j ? "," : "", sorted[j]);
        }
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "response_time case %zu: got %s, want %s\n", i, got, cases[i].want);
        assert_string_equal(got, cases[i].want);
        coll_free(&c);
    }
}

/* ---- allocation failures: every one ends in a clean error ---- */

static void test_alloc_failures(void **s)
{
    size_t n;
    char *text = slurp("tests/data/dnsmasq/capture/extra.log", &n);
    (void)s;
    assert_non_null(text);
    n = n > 20000 ? 20000 : n;
    while (n > 0 && text[n - 1] != '\n')
        n--;
    for (unsigned long k = 1; k < 400; k += 3) {
        struct coll c;
        int rc;
        xmem_fail_at(k);
        rc = run_text(text, n, 0, &c, 2026);
        xmem_fail_at(0);
        assert_true(rc == 0 || rc == ERR_NOMEM);
        coll_free(&c);
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_extra),
        cmocka_unit_test(test_capture_proto),
        cmocka_unit_test(test_capture_plain),
        cmocka_unit_test(test_capture_children_merged),
        cmocka_unit_test(test_extra_cname_dup_epoch),
        cmocka_unit_test(test_extra_interleaved_child),
        cmocka_unit_test(test_plain_story),
        cmocka_unit_test(test_flush_after),
        cmocka_unit_test(test_pihole_table),
        cmocka_unit_test(test_mode_switch),
        cmocka_unit_test(test_unplaced_kinds),
        cmocka_unit_test(test_unplaced_share),
        cmocka_unit_test(test_stamp),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_response_time),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests_name("dnsmasq_txn", tests, NULL, NULL);
}
