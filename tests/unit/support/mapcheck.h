/*
 * mapcheck: the map-phase suites' common check, that a command run with
 * its map phase (scpdrive --indexers K, mapphase=t) gives the bytes of the
 * single-phase run (mapphase=f, no --indexers), for K in {1, 2, 5}, events
 * split by host or at random, and the map rows merged by time, as they
 * arrive or in a seeded random interleaving; and the bench stream those
 * suites run it on.
 */
#ifndef MAPCHECK_H
#define MAPCHECK_H

#include <stddef.h>

struct mc_search {
    const char *cmd;        /* dnsjoin's sub-command: pdns, timechart, profile */
    const char *args;       /* the user's arguments (mapphase=t or =f is added) */
    const char *earliest, *latest;
    /* substrings the map runs' stderr must hold, proving that the map
     * phase ran and the reduce read its rows (NULL-terminated) */
    const char *const *ran;
    /* scpdrive options for every run, single phase and map phase alike
     * (NULL-terminated, or NULL): dnspdns's --splunkd-uri where nothing
     * listens, so its KV store fails at once in each of them */
    const char *const *opts;
    /* substrings the single-phase output must hold (NULL-terminated, or
     * NULL); the map runs give the same bytes, so they hold them too:
     * dnspdns's not_saved, the records' status without a KV store */
    const char *const *out;
};

/* Run scpdrive over csv with the search's arguments, mapphase=t first
 * when map is set, else mapphase=f (a single phase whatever the command's
 * default and dnsjoin.conf say), the search's opts and then more scpdrive
 * options (NULL-terminated); exit status 0 required.  OWNED stdout
 * returned, *err (when not NULL) OWNED stderr. */
char *mc_drive(const struct mc_search *q, const char *csv, int map, const char *const *opts,
               size_t *n, char **err);

/* Every K x split x merge (all 18 when `all`, else a few; one under
 * memcheck) gives the single-phase bytes, which have at least min_lines
 * lines and hold q->out.  chunk_rows: rows per request sent to every
 * process. */
void mc_check_exact(const struct mc_search *q, const char *csv, size_t min_lines, int all,
                    const char *chunk_rows);

/* The bench stream, `gen_stream --csv --events EVENTS` (bench/mapphase.sh's
 * input at EVENTS events; every column splunkd sends, _raw included),
 * written to path, which the caller owns and unlinks.  The generator is
 * $GEN_STREAM when set (left alone), else bench/gen_stream.c built with
 * $CC (cc when unset or holding blanks) the way bench/mapphase.sh builds
 * it, into a /tmp file of this process's that is removed before this
 * returns or fails.  Run from the repository root (bench/gen_stream.c is
 * relative); too heavy for memcheck, so callers skip under
 * tu_under_valgrind().  Any failure fails the test. */
void mc_bench_stream(const char *path, unsigned long events);

/* The generator of the 7-day story: $GEN_STORY, else build/gen_story. */
const char *mc_gen_story(void);

/* Write the story, shuffled with seed, as CSV to path (the caller owns and
 * unlinks it).  Any failure fails the test. */
void mc_story(const char *path, const char *seed);

#endif
