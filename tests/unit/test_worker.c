/* util/worker and report/pfeed, threaded and not:
 * - jobs run in the order they are handed over, each once, and a job's
 *   result comes back with the next worker_submit or worker_wait, the first
 *   error kept until it is reported;
 * - with a queue of depth d, worker_submit returns only once no more than d
 *   jobs are waiting or running (the one handed over d earlier is done);
 * - worker_free waits for a job in flight;
 * - pfeed: events counted through a feed give the profile that counting
 *   them one by one gives (every row compared); a failure while counting
 *   (an allocation made to fail) comes back with a later call, and every
 *   call after it returns the same error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/endpoints.h"
#include "report/pfeed.h"
#include "report/profile.h"
#include "support/testutil.h"
#include "util/worker.h"
#include "util/xmem.h"

/* ---- worker ------------------------------------------------------------- */

struct log {
    int seen[64];
    int n;
};

struct job {
    int id, rc;
    int slow;   /* sleep a little, so the caller runs ahead */
};

static int run_job(void *ctx, void *p)
{
    struct log *l = ctx;
    struct job *j = p;
    if (j->slow) {
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    l->seen[l->n++] = j->id;
    return j->rc;
}

static void worker_order(int threaded)
{
    struct log l = {{0}, 0};
    struct job jobs[20];
    struct worker *w = worker_new(run_job, &l, threaded, 1);
    assert_non_null(w);
    assert_int_equal(worker_threaded(w), threaded);
    for (int i = 0; i < 20; i++) {
        jobs[i] = (struct job){i, 0, i % 3 == 0};
        assert_int_equal(worker_submit(w, &jobs[i]), 0);
        /* depth 1: the job before this one is done */
        assert_true(l.n >= i);
    }
    assert_int_equal(worker_wait(w), 0);
    assert_int_equal(l.n, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(l.seen[i], i);
    /* job 2 fails: its result comes with the next call, then it is gone */
    struct job a = {100, 0, 1}, b = {101, ERR_LIMIT, 1}, c = {102, ERR_NOMEM, 0}, d = {103, 0, 0};
    assert_int_equal(worker_submit(w, &a), 0);
    assert_int_equal(worker_submit(w, &b), 0);       /* a's result */
    assert_int_equal(worker_submit(w, &c), ERR_LIMIT); /* b's */
    assert_int_equal(worker_wait(w), ERR_NOMEM);     /* c's */
    assert_int_equal(worker_wait(w), 0);
    assert_int_equal(worker_submit(w, &d), 0);
    /* freed with d possibly in flight: it still runs, once */
    worker_free(w);
    assert_int_equal(l.n, 24);
    assert_int_equal(l.seen[23], 103);
}

/* A queue of 4: the caller runs ahead by up to four jobs, never more; the
 * first error is kept until a call returns it, and one that comes while
 * an earlier one waits to be reported is dropped. */
static void worker_queue(int threaded)
{
    struct log l = {{0}, 0};
    struct job jobs[40];
    struct worker *w = worker_new(run_job, &l, threaded, 4);
    assert_non_null(w);
    int reported[2] = {0, 0};
    for (int i = 0; i < 40; i++) {
        jobs[i] = (struct job){i, i == 25 ? ERR_LIMIT : i == 30 ? ERR_NOMEM : 0, i % 5 == 0};
        int rc = worker_submit(w, &jobs[i]);
        assert_true(l.n >= i + 1 - 4);
        if (rc != 0) {
            /* each once, in order, by a call after its job finished */
            int k = reported[0] ? 1 : 0;
            assert_int_equal(rc, k == 0 ? ERR_LIMIT : ERR_NOMEM);
            assert_true(i > (k == 0 ? 25 : 30));
            reported[k] = 1;
        }
    }
    /* what is left: the first error not reported yet.  Job 30's is kept
     * only if it failed after job 25's was reported. */
    int rc = worker_wait(w);
    if (!reported[0])
        assert_int_equal(rc, ERR_LIMIT);
    else if (reported[1])
        assert_int_equal(rc, 0);
    else
        assert_true(rc == 0 || rc == ERR_NOMEM);
    assert_int_equal(worker_wait(w), 0);
    assert_int_equal(l.n, 40);
    for (int i = 0; i < 40; i++)
        assert_int_equal(l.seen[i], i);
    worker_free(w);
}

static void test_worker_threaded(void **st)
{
    (void)st;
    worker_order(1);
}

static void test_worker_inline(void **st)
{
    (void)st;
    worker_order(0);
}

static void test_worker_queue(void **st)
{
    (void)st;
    worker_queue(1);
    worker_queue(0);
}

/* ---- pfeed ---------------------------------------------------------------- */

static const char *const clients[] = {"10.0.0.1", "10.0.0.2", "host-b", "::ffff:10.0.0.1"};
static const char *const names[] = {"a.example", "B.Example.", "c.example", ""};
static const char *const ips[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1", "65.55.158.118"};
static const char *const words[] = {"blocked", "allowed", "", "udp", "443", "3544", "squid"};

#define PICK(rng, a) slice_cstr(a[tu_rand(rng) % (sizeof a / sizeof a[0])])

/* The same random events into a profile directly (f NULL) or through f. */
static int feed(struct profile *p, struct pfeed *f, size_t n, struct err *e)
{
    uint64_t rng = 7;
    for (size_t i = 0; i < n; i++) {
        struct slice client = PICK(&rng, clients), name = PICK(&rng, names);
        struct ipaddr cip, ip[3];
        int is_ip = ipaddr_parse(client, &cip) == 0;
        int64_t t = (int64_t)(1700000000 + (n - i) * 37) * 1000000;
        int kind = (int)(tu_rand(&rng) % 3), rc;
        struct slice a = PICK(&rng, words), b = PICK(&rng, words), c = PICK(&rng, words);
        size_t nip = 1 + tu_rand(&rng) % 3;
        for (size_t k = 0; k < nip; k++)
            assert_int_equal(ipaddr_parse(PICK(&rng, ips), &ip[k]), 0);
        if (f != NULL) {
            if (kind == 0)
                rc = pfeed_lookup(f, client, is_ip ? &cip : NULL, name, ip, nip, t, a, 1, e);
            else if (kind == 1)
                rc = pfeed_conn(f, client, is_ip ? &cip : NULL, name, &ip[0], t, (int)(i % 2),
                                a, b, c, a, 1, e);
            else
                rc = pfeed_proxy(f, client, is_ip ? &cip : NULL, name, t, b, 1, e);
        } else {
            struct profile_key k;
            rc = profile_key(p, client, is_ip ? &cip : NULL, name, &k, e);
            if (rc == 0 && kind == 0) {
                /* pfeed counts an address listed twice in one answer once */
                for (size_t x = 0; x < nip && rc == 0; x++) {
                    size_t y;
                    for (y = 0; y < x && !ipaddr_eq(&ip[x], &ip[y]); y++)
                        ;
                    if (y == x)
                        rc = profile_lookup(p, &k, &ip[x], t, a, 1, e);
                }
            } else if (rc == 0 && kind == 1) {
                rc = profile_conn(p, &k, &ip[0], t, (int)(i % 2), a, b, c, a, 1, e);
            } else if (rc == 0) {
                rc = profile_proxy(p, &k, t, b, 1, e);
            }
        }
        if (rc)
            return rc;
    }
    return f != NULL ? pfeed_flush(f, e) : 0;
}

/* Every row of two profiles, compared field by field. */
static void same_profiles(struct profile *x, struct profile *y)
{
    uint32_t *ox, *oy;
    size_t nx, ny;
    struct err e;
    assert_int_equal(profile_order(x, 1, 0, &ox, &nx, &e), 0);
    assert_int_equal(profile_order(y, 1, 1, &oy, &ny, &e), 0);
    assert_int_equal(nx, ny);
    assert_true(nx > 20);
    for (size_t i = 0; i < nx; i++) {
        struct profile_row a, b;
        char fa[1024], fb[1024];
        profile_row_of(x, ox[i], &a);
        profile_row_of(y, oy[i], &b);
        assert_true(slice_eq(a.src, b.src) && slice_eq(a.dns_query, b.dns_query));
        assert_string_equal(a.ip_text, b.ip_text);
        assert_true(a.lookups == b.lookups && a.connections == b.connections &&
                    a.blocked == b.blocked && a.allowed == b.allowed && a.proxied == b.proxied);
        assert_true(a.first == b.first && a.last == b.last && a.active_hours == b.active_hours);
        profile_finding(x, &a, fa, sizeof fa);
        profile_finding(y, &b, fb, sizeof fb);
        assert_string_equal(fa, fb);
    }
    xfree(ox);
    xfree(oy);
}

static void pfeed_same(int threaded)
{
    struct endpoints *ep = endpoints_builtin();
    struct profile *a = profile_new(ep), *b = profile_new(ep);
    struct pfeed *f = pfeed_new(b, threaded);
    struct err e;
    assert_non_null(ep);
    assert_non_null(a);
    assert_non_null(f);
    assert_int_equal(pfeed_threaded(f), threaded);
    /* more than two batches */
    assert_int_equal(feed(a, NULL, 3 * PFEED_BATCH_EVENTS + 17, &e), 0);
    assert_int_equal(feed(NULL, f, 3 * PFEED_BATCH_EVENTS + 17, &e), 0);
    same_profiles(a, b);
    pfeed_free(f);
    profile_free(a);
    profile_free(b);
    endpoints_free(ep);
}

static void test_pfeed_threaded(void **st)
{
    (void)st;
    pfeed_same(1);
}

static void test_pfeed_inline(void **st)
{
    (void)st;
    pfeed_same(0);
}

/* Allocations fail from the Nth on, for N over the whole run: each run
 * ends in an error that every later call repeats, or in success. */
static void pfeed_failures(int threaded)
{
    struct endpoints *ep = endpoints_builtin();
    unsigned long fails = 0, N;
    assert_non_null(ep);
    for (N = 1; N < 100000; N += 1 + N / 8) {
        struct err e, e2;
        xmem_fail_at(N);
        struct profile *p = profile_new(ep);
        struct pfeed *f = p ? pfeed_new(p, threaded) : NULL;
        int rc = f ? feed(NULL, f, 2 * PFEED_BATCH_EVENTS, &e) : ERR_NOMEM;
        xmem_fail_at(0);
        if (f != NULL && rc != 0) {
            assert_int_equal(rc, ERR_NOMEM);
            assert_true(e.msg[0] != 0);
            /* every later call says the same */
            struct ipaddr ip;
            assert_int_equal(ipaddr_parse(slice_cstr("192.0.2.1"), &ip), 0);
            assert_int_equal(pfeed_proxy(f, slice_cstr("h"), NULL, slice_cstr("x.example"), 1,
                                         SLICE_NULL, 1, &e2), rc);
            assert_string_equal(e.msg, e2.msg);
            assert_int_equal(pfeed_flush(f, &e2), rc);
            fails++;
        }
        pfeed_free(f);
        profile_free(p);
        if (f != NULL && rc == 0)
            break;
    }
    print_message("pfeed (%s): %lu runs failed cleanly before one passed at allocation %lu\n",
                  threaded ? "threaded" : "inline", fails, N);
    assert_true(fails > 5);
    endpoints_free(ep);
}

static void test_pfeed_failures_threaded(void **st)
{
    (void)st;
    pfeed_failures(1);
}

static void test_pfeed_failures_inline(void **st)
{
    (void)st;
    pfeed_failures(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_threaded),
        cmocka_unit_test(test_worker_inline),
        cmocka_unit_test(test_worker_queue),
        cmocka_unit_test(test_pfeed_threaded),
        cmocka_unit_test(test_pfeed_inline),
        cmocka_unit_test(test_pfeed_failures_threaded),
        cmocka_unit_test(test_pfeed_failures_inline),
    };
    return cmocka_run_group_tests_name("worker", tests, NULL, NULL);
}
