/*
 * mapcheck: the map-phase suites' common check, that a command run with
 * its map phase (scpdrive --indexers K, mapphase=t) gives the bytes of the
 * single-phase run, for K in {1, 2, 5}, events split by host or at random,
 * and the map rows merged by time, as they arrive or in a seeded random
 * interleaving.
 */
#ifndef MAPCHECK_H
#define MAPCHECK_H

#include <stddef.h>

struct mc_search {
    const char *cmd;        /* dnsjoin's sub-command: timechart, profile */
    const char *args;       /* the user's arguments (mapphase=t is added) */
    const char *earliest, *latest;
    /* substrings the map runs' stderr must hold, proving that the map
     * phase ran and the reduce read its rows (NULL-terminated) */
    const char *const *ran;
};

/* Run scpdrive over csv with the search's arguments (mapphase=t first
 * when map is set) and more scpdrive options (NULL-terminated); exit
 * status 0 required.  OWNED stdout returned, *err (when not NULL) OWNED
 * stderr. */
char *mc_drive(const struct mc_search *q, const char *csv, int map, const char *const *opts,
               size_t *n, char **err);

/* Every K x split x merge (all 18 when `all`, else a few; one under
 * memcheck) gives the single-phase bytes, which have at least min_lines
 * lines.  chunk_rows: rows per request sent to every process. */
void mc_check_exact(const struct mc_search *q, const char *csv, size_t min_lines, int all,
                    const char *chunk_rows);

#endif
