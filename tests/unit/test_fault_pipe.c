/* splunkd closing the pipe mid-reply (EPIPE): bin/dnsjoin join and
 * passthrough run as child processes; the test reads part of a large reply,
 * closes the read end of the command's stdout, and keeps the command's
 * stdin open.  The command must exit by itself with status 1 (not killed
 * by SIGPIPE, not waiting for more input) and write exactly one stderr
 * line.  Also: the pipe closed before the getinfo reply.  The 30-second
 * limit is a hang guard only; a hang fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testutil.h"

#define HANG_GUARD_MS 30000

struct child {
    pid_t pid;
    int in, out, err; /* our ends */
};

static void spawn(const char *sub, struct child *c)
{
    int pi[2], po[2], pe[2];
    assert_int_equal(pipe(pi), 0);
    assert_int_equal(pipe(po), 0);
    assert_int_equal(pipe(pe), 0);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        dup2(pi[0], 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        for (int fd = 3; fd < 64; fd++)
            close(fd);
        /* as splunkd starts it: SIGPIPE at its default */
        signal(SIGPIPE, SIG_DFL);
        execl(tu_bin("dnsjoin"), "dnsjoin", sub, (char *)NULL);
        _exit(127);
    }
    close(pi[0]);
    close(po[1]);
    close(pe[1]);
    c->in = pi[1];
    c->out = po[0];
    c->err = pe[0];
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Write all of p (the child reads its whole request before replying). */
static void put(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Read exactly n bytes of the reply. */
static void get(int fd, size_t n)
{
    char buf[4096];
    while (n) {
        ssize_t r = read(fd, buf, n < sizeof buf ? n : sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        assert_true(r > 0);
        n -= (size_t)r;
    }
}

/* Wait for the child (hang guard), collect stderr; returns the wait status. */
static int finish(struct child *c, char *err, size_t errcap)
{
    long t0 = now_ms();
    size_t en = 0;
    int st = 0, done = 0;
    while (!done) {
        struct pollfd pf = {c->err, POLLIN, 0};
        if (poll(&pf, 1, 100) > 0) {
            ssize_t r = read(c->err, err + en, errcap - 1 - en);
            if (r > 0)
                en += (size_t)r;
        }
        pid_t w = waitpid(c->pid, &st, WNOHANG);
        if (w == c->pid)
            done = 1;
        else if (now_ms() - t0 > HANG_GUARD_MS) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &st, 0);
            fail_msg("the command did not exit after its stdout was closed (hang)");
        }
    }
    ssize_t r;
    while ((r = read(c->err, err + en, errcap - 1 - en)) > 0)
        en += (size_t)r;
    err[en] = '\0';
    close(c->err);
    close(c->in);
    return st;
}

static char *frame(const char *meta, const char *body, size_t body_len, size_t *n)
{
    size_t ml = strlen(meta), cap = ml + body_len + 64;
    char *p = malloc(cap);
    assert_non_null(p);
    int h = snprintf(p, cap, "chunked 1.0,%zu,%zu\n", ml, body_len);
    memcpy(p + h, meta, ml);
    memcpy(p + (size_t)h + ml, body, body_len);
    *n = (size_t)h + ml + body_len;
    return p;
}

static char *getinfo(size_t *n)
{
    return frame("{\"action\":\"getinfo\",\"preview\":false,\"searchinfo\":{\"args\":[],"
                 "\"session_key\":\"test-fault-pipe-key\",\"command\":\"dnsjoin\"}}",
                 "", 0, n);
}

/* A 4 MB body: 40,000 network rows the join passes through. */
static char *big_execute(size_t *n)
{
    size_t cap = 8u << 20, len = 0;
    char *body = malloc(cap);
    assert_non_null(body);
    len += (size_t)snprintf(body, cap, "_time,src_ip,dest_ip,_raw\n");
    for (int i = 0; i < 40000; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "%d,10.0.%d.%d,192.0.2.%d,\"row %d, padding padding padding "
                                "padding padding padding\"\n",
                                1700000000 - i, i / 250, i % 250, i % 200, i);
    char *f = frame("{\"action\":\"execute\",\"finished\":true}", body, len, n);
    free(body);
    return f;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void check_exit(int st, const char *err, const char *what)
{
    if (WIFSIGNALED(st))
        fail_msg("%s: killed by signal %d (stderr: %s)", what, WTERMSIG(st), err);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 1)
        fail_msg("%s: exit status %d, want 1 (stderr: %s)", what, WEXITSTATUS(st), err);
    if (count_lines(err) != 1)
        fail_msg("%s: %d stderr lines, want 1: %s", what, count_lines(err), err);
    assert_null(strstr(err, "test-fault-pipe-key"));
}

static void pipe_mid_reply(const char *sub)
{
    struct child c;
    size_t gn, en;
    char err[8192];
    char *g = getinfo(&gn), *x = big_execute(&en);
    spawn(sub, &c);
    put(c.in, g, gn);
    get(c.out, 5); /* the getinfo reply has started */
    put(c.in, x, en);
    get(c.out, 20000); /* part of the execute reply, then splunkd goes away */
    close(c.out);
    int st = finish(&c, err, sizeof err); /* stdin still open until here */
    check_exit(st, err, sub);
    print_message("%s: %s", sub, err);
    free(g);
    free(x);
}

static void test_epipe_join(void **st)
{
    (void)st;
    pipe_mid_reply("join");
}

static void test_epipe_passthrough(void **st)
{
    (void)st;
    pipe_mid_reply("passthrough");
}

static void test_epipe_before_getinfo_reply(void **st)
{
    struct child c;
    size_t gn;
    char err[8192];
    (void)st;
    char *g = getinfo(&gn);
    spawn("join", &c);
    close(c.out);
    put(c.in, g, gn);
    int status = finish(&c, err, sizeof err);
    check_exit(status, err, "join, pipe closed before the getinfo reply");
    free(g);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* our writes to a child that has gone */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epipe_join),
        cmocka_unit_test(test_epipe_passthrough),
        cmocka_unit_test(test_epipe_before_getinfo_reply),
    };
    return cmocka_run_group_tests_name("fault_pipe", tests, NULL, NULL);
}
