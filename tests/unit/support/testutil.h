/*
 * testutil: helpers shared by the cmocka suites.
 *
 * - files: read a test data file (relative to the repository root, where
 *   `make test` runs the suites); optional ../shared data with a skip.
 * - processes: run a binary with given stdin bytes, capture stdout/stderr,
 *   enforce a timeout (every protocol test has one), no shell involved.
 * - frames: split a reply stream into frames.
 * - memory I/O: point util/io's seam at memory buffers so a whole protocol
 *   session runs in-process with reads of 1 byte, random sizes, EINTR, EAGAIN.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "scp/cols.h"
#include "scp/csv.h"

/* OWNED (free); NULL if missing.  *len set. */
char *tu_read_file(const char *path, size_t *len);
/* Like tu_read_file but gunzips through zlib-free means: runs `gzip -dc`. */
char *tu_read_gz(const char *path, size_t *len);
/* 1 if ../shared exists (tests that need it skip with a message otherwise). */
int tu_have_shared(void);

struct tu_result {
    int status;          /* exit status, or 128+signal */
    int timed_out;
    long elapsed_ms;
    char *out;           /* OWNED */
    size_t out_len;
    char *err;           /* OWNED */
    size_t err_len;
};

/* Path of a built binary: $DNSJOIN_BIN/<name> (default "bin/<name>"). */
const char *tu_bin(const char *name);

/* 1 when `make valgrind` runs the programs the suites start under memcheck
 * (VALGRIND_CHILD): tu_run's timeouts are then 50 times longer, and tests
 * that bound a run's time or loop over many runs should scale down. */
int tu_under_valgrind(void);
/* DNSJOIN_TEST_STRIDE (1 to 1000, default 1): the suites that try every
 * offset or every allocation try every Nth past the first few instead, for
 * the slow builds that look for something else (make tsan: races). */
size_t tu_stride(void);

/* Run argv with `in` on stdin.  0 on success (whatever the exit status),
 * -1 if the process could not be run. */
int tu_run(const char *const *argv, const char *in, size_t inlen, int timeout_ms,
           struct tu_result *r);
void tu_result_free(struct tu_result *r);

struct tu_frame {
    const char *meta;
    size_t meta_len;
    const char *body;
    size_t body_len;
};

struct buf;

/* Append one request frame (header, meta, then blen body bytes) to out.
 * 0, or -1 when out cannot grow. */
int tu_frame_append(struct buf *out, const char *meta, const char *body, size_t blen);

/* Split n bytes into frames; returns the count, or -1 if the bytes are not a
 * sequence of whole frames. */
int tu_frames(const char *p, size_t n, struct tu_frame *f, int max);

/* Memory I/O for util/io.  mode: 0 = whole reads, 1 = one byte at a time,
 * 2 = random sizes (seeded), 3 = random sizes with EINTR and EAGAIN mixed in. */
void tu_memio_start(const char *in, size_t inlen, int mode, unsigned seed);
/* OWNED output collected since tu_memio_start. */
char *tu_memio_output(size_t *len);
void tu_memio_stop(void);
/* Descriptors for a memory session: a read end with a byte waiting and a
 * write end with room, so that poll() says both are ready at once.
 * 0, or -1 if a pipe could not be made. */
int tu_ready_fds(int *rfd, int *wfd);

/* A CSV result read back for assertions: the text (OWNED), its column
 * names and the parsed table. */
struct tu_table {
    char *data;
    struct cols *c;
    struct csv_table t;
};

/* Parse data[0..n) (taking ownership of data); 0 or the csv_parse error. */
int tu_table_load(struct tu_table *tb, char *data, size_t n);
void tu_table_free(struct tu_table *tb);
/* Index of a column by name, or -1. */
long tu_table_col(const struct tu_table *tb, const char *name);
/* Value of a named column in row r (SLICE_NULL when there is no such column). */
struct slice tu_table_cell(const struct tu_table *tb, size_t r, const char *name);

/* Tiny deterministic PRNG for reproducible random tests. */
uint64_t tu_rand(uint64_t *state);

#endif
