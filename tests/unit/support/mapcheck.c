#include "mapcheck.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

char *mc_drive(const struct mc_search *q, const char *csv, int map, const char *const *opts,
               size_t *n, char **err)
{
    const char *argv[64];
    char args[1024];
    size_t k = 0;
    struct tu_result r;
    /* the single phase says mapphase=f: dnspdns and the unfiltered
     * dnstimechart name their map phase by default (dnsjoin.conf [search]
     * mapphase), which scpdrive runs only with --indexers; with it the
     * baseline names none, whatever the default */
    snprintf(args, sizeof args, "%s%s", map ? "mapphase=t " : "mapphase=f ", q->args);
    argv[k++] = tu_bin("scpdrive");
    argv[k++] = "--no-mv";
    argv[k++] = "--order";
    argv[k++] = "desc";
    argv[k++] = "--args";
    argv[k++] = args;
    argv[k++] = "--earliest";
    argv[k++] = q->earliest;
    argv[k++] = "--latest";
    argv[k++] = q->latest;
    const char *const *more[] = {q->opts, opts};
    for (size_t m = 0; m < 2; m++)
        for (const char *const *o = more[m]; o && *o; o++) {
            if (k >= sizeof argv / sizeof argv[0] - 6)
                fail_msg("mc_drive: too many scpdrive options");
            argv[k++] = *o;
        }
    argv[k++] = csv;
    argv[k++] = "--";
    argv[k++] = tu_bin("dnsjoin");
    argv[k++] = q->cmd;
    argv[k] = NULL;
    assert_int_equal(tu_run(argv, NULL, 0, 180000, &r), 0);
    if (r.status != 0)
        fail_msg("scpdrive %s %s failed (%d): %.500s", q->cmd, args, r.status, r.err);
    char *out = r.out;
    *n = r.out_len;
    r.out = NULL;
    if (err != NULL) {
        *err = r.err;
        r.err = NULL;
    }
    tu_result_free(&r);
    return out;
}

/* The --indexers run really ran K map processes and the reduce merged
 * their rows. */
static void check_ran(const struct mc_search *q, const char *err, const char *k)
{
    char want[64];
    snprintf(want, sizeof want, "scpdrive: stats: map %s of %s:", k, k);
    if (strstr(err, "names no streaming_preop") != NULL || strstr(err, want) == NULL)
        fail_msg("%s %s: the map phase did not run (K=%s): %.600s", q->cmd, q->args, k, err);
    for (const char *const *s = q->ran; s && *s; s++)
        if (strstr(err, *s) == NULL)
            fail_msg("%s %s: K=%s: no \"%s\" on stderr: %.600s", q->cmd, q->args, k, *s, err);
}

void mc_check_exact(const struct mc_search *q, const char *csv, size_t min_lines, int all,
                    const char *chunk_rows)
{
    static const char *const ks[] = {"1", "2", "5"};
    static const char *const splits[] = {"host", "random"};
    static const char *const merges[] = {"time", "arrival", "random"};
    const char *opts1[] = {"--chunk-rows", chunk_rows, NULL};
    size_t n1, nl = 0;
    char *one = mc_drive(q, csv, 0, opts1, &n1, NULL);
    for (size_t i = 0; i < n1; i++)
        nl += one[i] == '\n';
    if (nl < min_lines)
        fail_msg("%s %s: single phase gave %zu lines, expected at least %zu", q->cmd, q->args,
                 nl, min_lines);
    for (const char *const *h = q->out; h && *h; h++)
        if (strstr(one, *h) == NULL)
            fail_msg("%s %s: no \"%s\" in the single phase's output: %.300s", q->cmd, q->args,
                     *h, one);
    int vg = tu_under_valgrind();
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 2; b++)
            for (size_t c = 0; c < 3; c++) {
                /* not all: K=2 and K=5, one merge each; memcheck: one run */
                if (!all && (a == 0 || c != (a + b) % 3))
                    continue;
                if (vg && !(a == 1 && b == 1 && c == 2))
                    continue;
                char seed[16];
                snprintf(seed, sizeof seed, "%zu", 40 + a * 6 + b * 3 + c);
                const char *opts[] = {"--stats", "--indexers", ks[a], "--split", splits[b],
                                      "--merge", merges[c], "--seed", seed, "--chunk-rows",
                                      chunk_rows, NULL};
                size_t n;
                char *err;
                char *got = mc_drive(q, csv, 1, opts, &n, &err);
                check_ran(q, err, ks[a]);
                if (n != n1 || memcmp(got, one, n) != 0) {
                    size_t d = 0;
                    while (d < n && d < n1 && got[d] == one[d])
                        d++;
                    size_t from = d > 200 ? d - 200 : 0;
                    fail_msg("%s %s: K=%s split=%s merge=%s differs from the single phase at "
                             "byte %zu\n--- got\n%.*s\n--- want\n%.*s", q->cmd, q->args, ks[a],
                             splits[b], merges[c], d, (int)(n - from > 600 ? 600 : n - from),
                             got + from, (int)(n1 - from > 600 ? 600 : n1 - from), one + from);
                }
                free(got);
                free(err);
            }
    free(one);
}

void mc_bench_stream(const char *path, unsigned long events)
{
    const char *gen = getenv("GEN_STREAM"), *cc = getenv("CC");
    char built_gen[128], nev[32];
    struct tu_result r;
    int built = 0;
    if (gen == NULL || *gen == '\0') {
        if (cc == NULL || *cc == '\0' || strchr(cc, ' ') != NULL)
            cc = "cc";
        gen = built_gen;
        snprintf(built_gen, sizeof built_gen, "/tmp/dnsjoin-mapcheck-gen_stream-%d",
                 (int)getpid());
        const char *argv[] = {cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Wpedantic",
                              "-Werror", "-o", built_gen, "bench/gen_stream.c", NULL};
        assert_int_equal(tu_run(argv, NULL, 0, 120000, &r), 0);
        if (r.status != 0) {
            unlink(built_gen);
            fail_msg("%s bench/gen_stream.c failed (%d): %.500s", cc, r.status, r.err);
        }
        tu_result_free(&r);
        built = 1;
    }
    snprintf(nev, sizeof nev, "%lu", events);
    const char *argv[] = {gen, "--csv", "--events", nev, NULL};
    int ran = tu_run(argv, NULL, 0, 60000, &r);
    if (built)
        unlink(gen);
    assert_int_equal(ran, 0);
    if (r.status != 0 || r.out_len == 0)
        fail_msg("%s failed (%d): %.300s", gen, r.status, r.err);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(r.out, 1, r.out_len, f), r.out_len);
    assert_int_equal(fclose(f), 0);
    tu_result_free(&r);
}

const char *mc_gen_story(void)
{
    const char *g = getenv("GEN_STORY");
    return g && *g ? g : "build/gen_story";
}

void mc_story(const char *path, const char *seed)
{
    struct tu_result r;
    const char *gen[] = {mc_gen_story(), "--order", "shuffled", "--seed", seed, NULL};
    assert_int_equal(tu_run(gen, NULL, 0, 60000, &r), 0);
    if (r.status != 0)
        fail_msg("gen_story failed (%d): %s", r.status, r.err);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(r.out, 1, r.out_len, f), r.out_len);
    fclose(f);
    tu_result_free(&r);
}
