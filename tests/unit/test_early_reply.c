/* Early replies (scp_getinfo.early_reply): a reporting command's requests
 * are answered as soon as they are read, and its hooks run on a second
 * thread while the next request is parsed.  In-process sessions of a small
 * command that logs every value it is given (and one value it keeps from
 * each chunk until its written hook) must give the same final reply with
 * early replies on and off, whatever the read sizes; a message or an error
 * of a request goes in a later reply, never lost; rows emitted before the
 * final request are refused.  The values carry "" escapes and commas, and
 * each chunk has a wide unwanted column, so that a hook reading the frame
 * buffer instead of its table's copy would see the next request's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scp/scp.h"
#include "support/testutil.h"
#include "util/buf.h"
#include "util/worker.h"

static int rfd, wfd;

static void ready_fds(void) { assert_int_equal(tu_ready_fds(&rfd, &wfd), 0); }

/* What the command does, set by each test. */
static struct {
    long fail_at, msg_at, emit_at;  /* chunk numbers (0-based), -1: never */
} cfg;

struct lg_state {
    uint32_t ids[3];         /* v, log, n */
    uint32_t want[2];        /* v and its __mv_ companion */
    struct schema out;
    struct buf log;          /* every value, in order, then each kept one */
    struct slice kept;       /* VIEW into the table until written */
    long chunk;
    size_t values;
    int off_main;            /* a non-final execute ran off the main thread */
    pthread_t main;
    /* an emitted row's cells and count: borrowed until the reply is written */
    struct slice cells[2];
    char count[32];
};

static void *lg_new(void)
{
    struct lg_state *st = calloc(1, sizeof *st);
    if (st != NULL) {
        buf_init(&st->log, (size_t)-1);
        st->main = pthread_self();
    }
    return st;
}

static void lg_free(void *state)
{
    struct lg_state *st = state;
    buf_free(&st->log);
    free(st);
}

static int lg_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    struct lg_state *st = state;
    (void)a;
    (void)e;
    assert_int_equal(cols_intern(s->cols, SLICE_LIT("v"), &st->ids[0]), 0);
    assert_int_equal(cols_intern(s->cols, SLICE_LIT("log"), &st->ids[1]), 0);
    assert_int_equal(cols_intern(s->cols, SLICE_LIT("n"), &st->ids[2]), 0);
    st->want[0] = st->ids[0];
    assert_int_equal(cols_mv_of(s->cols, st->ids[0], &st->want[1]), 0);
    s->want = st->want;
    s->nwant = 2;
    s->want_set = 1;
    st->out.n = 2;
    st->out.ids = &st->ids[1];
    gi->type = SCP_REPORTING;
    gi->early_reply = 1;
    return 0;
}

static int lg_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    struct lg_state *st = state;
    long k = st->chunk++;
    long vi = csv_col_index(in, st->ids[0]);

    if (!finished && !pthread_equal(pthread_self(), st->main))
        st->off_main = 1;
    if (k == cfg.msg_at)
        scp_msg(s, LOG_INFO, "chunk %ld seen", k);
    if (k == cfg.fail_at)
        return err_set(e, ERR_INPUT, "chunk %ld refused", k);
    for (size_t r = 0; vi >= 0 && r < in->nrows; r++) {
        struct slice v = cell_slice(in->base, in->cells[r * in->nw + in->wmap[vi]]);
        assert_int_equal(buf_append(&st->log, v.p, v.n), 0);
        assert_int_equal(buf_append(&st->log, "|", 1), 0);
        st->kept = v;  /* the last one: copied by lg_written */
        st->values++;
    }
    if (k == cfg.emit_at) {
        st->cells[0] = SLICE_LIT("early");
        st->cells[1] = SLICE_LIT("0");
        if (scp_emit(s, &st->out, st->cells))
            return err_set(e, ERR_NOMEM, "out of memory");
    }
    if (!finished)
        return 0;
    int n = snprintf(st->count, sizeof st->count, "%zu", st->values);
    st->cells[0] = slice_of(st->log.p, st->log.len);
    st->cells[1] = slice_of(st->count, (size_t)n);
    return scp_emit(s, &st->out, st->cells) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

/* Runs before the chunk's table is parsed over: the kept view is still the
 * chunk's value. */
static int lg_written(struct scp *s, void *state, struct err *e)
{
    struct lg_state *st = state;
    (void)s;
    (void)e;
    if (st->kept.p != NULL) {
        assert_int_equal(buf_append(&st->log, "kept:", 5), 0);
        assert_int_equal(buf_append(&st->log, st->kept.p, st->kept.n), 0);
        assert_int_equal(buf_append(&st->log, "|", 1), 0);
    }
    st->kept = SLICE_NULL;
    return 0;
}

static const struct scp_command lg_command = {
    .name = "logvalues", .getinfo = lg_getinfo, .execute = lg_execute,
    .written = lg_written, .create = lg_new, .destroy = lg_free};

static void frame(struct buf *out, const char *meta, const char *body, size_t blen)
{
    assert_int_equal(tu_frame_append(out, meta, body, blen), 0);
}

/* getinfo, then `chunks` execute requests of `per` rows (the last one
 * finished unless `unfinished`). */
static char *make_session(int chunks, int per, int unfinished, size_t *len)
{
    struct buf s, body;
    char v[64];
    buf_init(&s, (size_t)-1);
    buf_init(&body, (size_t)-1);
    frame(&s, "{\"action\":\"getinfo\",\"preview\":false,\"searchinfo\":{\"args\":[]}}", NULL,
          0);
    for (int k = 0; k < chunks; k++) {
        body.len = 0;
        /* the columns change order from chunk to chunk */
        const char *hdr = k % 2 ? "w,v,__mv_v\n" : "v,w,__mv_v\n";
        assert_int_equal(buf_append(&body, hdr, strlen(hdr)), 0);
        for (int r = 0; r < per; r++) {
            int n = snprintf(v, sizeof v, "\"c%d r%d, \"\"q\"\"\"", k, r);
            char wide[300];
            memset(wide, 'a' + (k + r) % 26, sizeof wide);
            if (k % 2) {
                assert_int_equal(buf_append(&body, wide, sizeof wide), 0);
                assert_int_equal(buf_append(&body, ",", 1), 0);
                assert_int_equal(buf_append(&body, v, (size_t)n), 0);
            } else {
                assert_int_equal(buf_append(&body, v, (size_t)n), 0);
                assert_int_equal(buf_append(&body, ",", 1), 0);
                assert_int_equal(buf_append(&body, wide, sizeof wide), 0);
            }
            assert_int_equal(buf_append(&body, ",\n", 2), 0);
        }
        frame(&s, k + 1 < chunks || unfinished ? "{\"action\":\"execute\",\"finished\":false}"
                                               : "{\"action\":\"execute\",\"finished\":true}",
              body.p, body.len);
    }
    buf_free(&body);
    *len = s.len;
    return s.p;
}

static int off_main;

static char *run(const char *in, size_t n, int pipeline, int mode, int *status, size_t *outlen)
{
    scp_pipeline = pipeline;
    tu_memio_start(in, n, mode, 7);
    /* the state is the command's: read the thread flag before it goes */
    struct scp_command c = lg_command;
    c.create = NULL;
    c.destroy = NULL;
    struct lg_state *st = lg_new();
    assert_non_null(st);
    *status = scp_run(&c, st, rfd, wfd);
    off_main = st->off_main;
    lg_free(st);
    char *out = tu_memio_output(outlen);
    tu_memio_stop();
    scp_pipeline = 1;
    return out;
}

static int contains(const char *p, size_t n, const char *text)
{
    size_t tn = strlen(text);
    for (size_t i = 0; i + tn <= n; i++)
        if (memcmp(p + i, text, tn) == 0)
            return 1;
    return 0;
}

static void reset_cfg(void)
{
    cfg.fail_at = cfg.msg_at = cfg.emit_at = -1;
}

/* Index of the first reply frame whose metadata contains `text`, or -1. */
static int frame_with(const struct tu_frame *f, int nf, const char *text)
{
    for (int i = 0; i < nf; i++) {
        char m[4096];
        size_t n = f[i].meta_len < sizeof m - 1 ? f[i].meta_len : sizeof m - 1;
        memcpy(m, f[i].meta, n);
        m[n] = 0;
        if (strstr(m, text) != NULL)
            return i;
    }
    return -1;
}

static void test_same_result_both_ways(void **st)
{
    (void)st;
    ready_fds();
    reset_cfg();
    static const int shapes[][2] = {{1, 3}, {2, 1}, {6, 40}, {9, 500}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        size_t n, n0, n1;
        int s0, s1;
        char *in = make_session(shapes[c][0], shapes[c][1], 0, &n);
        char *serial = run(in, n, 0, 0, &s0, &n0);
        assert_int_equal(s0, 0);
        struct tu_frame f0[16], f1[16];
        int nf = tu_frames(serial, n0, f0, 16);
        assert_int_equal(nf, shapes[c][0] + 1);  /* one reply per request */
        /* the final reply logs every value, unescaped (and quoted again in
         * the reply's CSV), and each kept one */
        char want[64];
        snprintf(want, sizeof want, "c%d r%d, \"\"q\"\"|kept:c%d r%d, \"\"q\"\"|", 0,
                 shapes[c][1] - 1, 0, shapes[c][1] - 1);
        if (shapes[c][0] > 1 && !contains(f0[nf - 1].body, f0[nf - 1].body_len, want))
            fail_msg("%d chunks: the final reply does not log '%s'", shapes[c][0], want);
        for (int mode = 0; mode < 4; mode++) {
            char *o = run(in, n, 1, mode, &s1, &n1);
            assert_int_equal(s1, 0);
            assert_int_equal(tu_frames(o, n1, f1, 16), nf);
            for (int i = 1; i + 1 < nf; i++) {
                assert_int_equal(f1[i].body_len, 0);
                assert_memory_equal(f1[i].meta, "{\"finished\":false}", f1[i].meta_len);
            }
            if (f1[nf - 1].body_len != f0[nf - 1].body_len ||
                memcmp(f1[nf - 1].body, f0[nf - 1].body, f0[nf - 1].body_len) != 0)
                fail_msg("%d chunks of %d, read mode %d: the final reply differs from the "
                         "serial run's", shapes[c][0], shapes[c][1], mode);
            if (shapes[c][0] > 1 && worker_cpus() > 1 && !off_main)
                fail_msg("%d chunks: no request ran off the main thread", shapes[c][0]);
            free(o);
        }
        if (worker_cpus() < 2)
            print_message("one processor online: early replies are off, both runs serial\n");
        free(serial);
        free(in);
    }
}

static void test_message_in_a_later_reply(void **st)
{
    (void)st;
    ready_fds();
    reset_cfg();
    cfg.msg_at = 1;
    size_t n, n0, n1;
    int s0, s1;
    char *in = make_session(4, 20, 0, &n);
    char *serial = run(in, n, 0, 0, &s0, &n0);
    char *early = run(in, n, 1, 0, &s1, &n1);
    assert_int_equal(s0, 0);
    assert_int_equal(s1, 0);
    struct tu_frame f0[8], f1[8];
    assert_int_equal(tu_frames(serial, n0, f0, 8), 5);
    assert_int_equal(tu_frames(early, n1, f1, 8), 5);
    /* frame 0 answers getinfo, frame 2 the chunk numbered 1 */
    assert_int_equal(frame_with(f0, 5, "chunk 1 seen"), 2);
    int at = frame_with(f1, 5, "chunk 1 seen");
    if (worker_cpus() > 1)
        assert_int_equal(at, 3);  /* with the reply to the request after it */
    else
        assert_int_equal(at, 2);
    free(serial);
    free(early);
    free(in);
}

/* An error of a request whose reply has gone ends the session in the next
 * reply: finished, the ERROR, status 1, nothing after it. */
static void check_error(const char *out, size_t n, int status, int want_frames,
                        const char *text)
{
    struct tu_frame f[16];
    assert_int_equal(status, 1);
    int nf = tu_frames(out, n, f, 16);
    assert_int_equal(nf, want_frames);
    assert_int_equal(frame_with(f, nf, "\"ERROR\""), nf - 1);
    assert_int_equal(frame_with(f, nf, text), nf - 1);
    assert_int_equal(frame_with(f, nf, "\"finished\":true"), nf - 1);
}

static void test_error_in_a_later_reply(void **st)
{
    (void)st;
    ready_fds();
    reset_cfg();
    size_t n, no;
    int s;
    int early = worker_cpus() > 1;
    /* chunk 1 of 5 fails: serially its own reply says so; early, the
     * reply to chunk 2 */
    cfg.fail_at = 1;
    char *in = make_session(5, 30, 0, &n);
    char *o = run(in, n, 0, 0, &s, &no);
    check_error(o, no, s, 3, "chunk 1 refused");
    free(o);
    o = run(in, n, 1, 3, &s, &no);
    check_error(o, no, s, early ? 4 : 3, "chunk 1 refused");
    free(o);
    free(in);
    /* the last request before the input ends fails: the error still goes
     * out, after the reply that was already sent */
    cfg.fail_at = 2;
    in = make_session(3, 10, 1, &n);
    o = run(in, n, 1, 0, &s, &no);
    check_error(o, no, s, early ? 5 : 4, "chunk 2 refused");
    free(o);
    free(in);
}

static void test_rows_before_final_refused(void **st)
{
    (void)st;
    ready_fds();
    reset_cfg();
    if (worker_cpus() < 2)
        skip();  /* early replies need a second processor */
    cfg.emit_at = 0;
    size_t n, no;
    int s;
    char *in = make_session(3, 5, 0, &n);
    char *o = run(in, n, 1, 0, &s, &no);
    check_error(o, no, s, 3, "rows emitted before the final request");
    free(o);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_result_both_ways),
        cmocka_unit_test(test_message_in_a_later_reply),
        cmocka_unit_test(test_error_in_a_later_reply),
        cmocka_unit_test(test_rows_before_final_refused),
    };
    return cmocka_run_group_tests_name("early_reply", tests, NULL, NULL);
}
