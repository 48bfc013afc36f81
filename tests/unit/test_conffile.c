/*
 * test_conffile: util/conffile reads one stanza of a .conf file as splunkd
 * does: the table gives a file's text, the stanza asked for and the
 * "key=value@line" list the callback must see, or the error it must give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "util/conffile.h"

struct seen {
    char text[512];
    int stop_at;  /* return ERR_INPUT at this key (1-based), 0: never */
    int n;
};

static int collect(void *ctx, struct slice k, struct slice v, const char *file, int line,
                   struct err *e)
{
    struct seen *s = ctx;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "%s%.*s=%.*s@%d", used ? " " : "",
             (int)k.n, k.p, (int)v.n, v.p, line);
    if (++s->n == s->stop_at)
        return err_set(e, ERR_INPUT, "%s line %d: stopped", file, line);
    return 0;
}

static const struct {
    const char *text, *stanza, *want;
    int stop_at, rc;
} cases[] = {
    {"", "search", "", 0, 0},
    {"[search]\nmapphase = false\n", "search", "mapphase=false@2", 0, 0},
    /* blanks around keys and values, CRLF, tabs, comments, blank lines */
    {"# c\n\n[search]\r\n\t mapphase\t=  true \r\n; x = y\n  # k = v\n", "search",
     "mapphase=true@4", 0, 0},
    /* other stanzas are skipped; a stanza may come back; a header must be
     * the whole trimmed line */
    {"[kvstore]\nverify = false\n[search]\na=1\n[searchx]\nb=2\n[search] x\nc=3\n[search]\nd=4",
     "search", "a=1@4 d=4@10", 0, 0},
    {"[search\nmapphase=1\n", "search", "", 0, 0},
    /* no '=': not a setting; an empty value is kept; '=' in a value */
    {"[search]\nmapphase\nk =\nu = a=b\n", "search", "k=@3 u=a=b@4", 0, 0},
    /* keys before any stanza belong to none */
    {"mapphase = false\n[search]\n", "search", "", 0, 0},
    /* the callback's error stops the parse */
    {"[search]\na=1\nb=2\nc=3\n", "search", "a=1@2 b=2@3", 2, ERR_INPUT},
    /* no line end at the end */
    {"[search]\nmapphase = off", "search", "mapphase=off@2", 0, 0},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct seen s = {{0}, cases[i].stop_at, 0};
        struct err e;
        err_clear(&e);
        int rc = conffile_parse(cases[i].text, strlen(cases[i].text), "local/dnsjoin.conf",
                                cases[i].stanza, collect, &s, &e);
        if (rc != cases[i].rc || strcmp(s.text, cases[i].want) != 0)
            fail_msg("case %zu: rc %d, saw \"%s\" (want %d, \"%s\")", i, rc, s.text,
                     cases[i].rc, cases[i].want);
        if (rc != 0)
            assert_non_null(strstr(e.msg, "local/dnsjoin.conf line"));
    }
}

/* A line of CONFFILE_LINE_MAX bytes is an error naming the file and line;
 * one byte shorter is read. */
static void test_long_line(void **state)
{
    (void)state;
    size_t n = 9 + CONFFILE_LINE_MAX + 1;
    char *t = malloc(n + 1);
    assert_non_null(t);
    memcpy(t, "[search]\n", 9);
    memset(t + 9, 'k', CONFFILE_LINE_MAX);
    t[9 + CONFFILE_LINE_MAX] = '\n';
    t[n] = '\0';
    struct seen s = {{0}, 0, 0};
    struct err e;
    assert_int_equal(conffile_parse(t, n, "default/dnsjoin.conf", "search", collect, &s, &e),
                     ERR_ARGS);
    assert_non_null(strstr(e.msg, "default/dnsjoin.conf line 2"));
    assert_non_null(strstr(e.msg, "CONFFILE_LINE_MAX"));
    t[9 + CONFFILE_LINE_MAX - 1] = '\n';  /* now 4095 bytes, then one 'k' line */
    t[9 + 2] = '=';
    assert_int_equal(conffile_parse(t, n, "default/dnsjoin.conf", "search", collect, &s, &e), 0);
    assert_int_equal(s.n, 1);
    free(t);
}

/* conffile_read: a missing file is no error and no key; a file is parsed
 * whole; one past CONFFILE_BYTES_MAX is refused. */
static void test_read(void **state)
{
    (void)state;
    char path[] = "/tmp/dnsjoin-conffile.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    struct seen s = {{0}, 0, 0};
    struct err e;
    assert_int_equal(conffile_read("/nonexistent/dnsjoin.conf", "x", "search", collect, &s, &e),
                     0);
    assert_int_equal(s.n, 0);
    static const char text[] = "[search]\nmapphase = f\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    assert_int_equal(conffile_read(path, "local/dnsjoin.conf", "search", collect, &s, &e), 0);
    assert_string_equal(s.text, "mapphase=f@2");
    /* grow it past the limit with comment lines */
    char line[64];
    memset(line, '#', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (size_t w = 0; w <= CONFFILE_BYTES_MAX; w += sizeof line)
        assert_int_equal(write(fd, line, sizeof line), (ssize_t)sizeof line);
    close(fd);
    assert_int_equal(conffile_read(path, "local/dnsjoin.conf", "search", collect, &s, &e),
                     ERR_ARGS);
    assert_non_null(strstr(e.msg, "CONFFILE_BYTES_MAX"));
    unlink(path);
}

static void test_bool(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int rc, out;
    } b[] = {{"true", 0, 1}, {"TRUE", 0, 1}, {"1", 0, 1},  {"t", 0, 1},   {"Yes", 0, 1},
             {"y", 0, 1},    {"on", 0, 1},   {"false", 0, 0}, {"0", 0, 0}, {"F", 0, 0},
             {"no", 0, 0},   {"n", 0, 0},    {"OFF", 0, 0},   {"", ERR_INPUT, 0},
             {"maybe", ERR_INPUT, 0}, {"truee", ERR_INPUT, 0}, {"2", ERR_INPUT, 0}};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        int out = -1, rc = conffile_bool(slice_cstr(b[i].v), &out);
        if (rc != b[i].rc || (rc == 0 && out != b[i].out))
            fail_msg("\"%s\": rc %d out %d", b[i].v, rc, out);
    }
    /* a NUL inside the value does not end it (found by fuzz_conffile) */
    int out = -1;
    assert_int_equal(conffile_bool(slice_of("true\0[s", 7), &out), ERR_INPUT);
    assert_int_equal(conffile_bool(slice_of("no\0", 3), &out), ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_bool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
