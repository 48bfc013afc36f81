/*
 * worker: one background thread that runs jobs in the order they are
 * handed over, while the caller prepares the next ones.
 *
 * A reporting command reads and joins its input on the main thread and
 * counts on the worker, so the two halves of its per-event work overlap on
 * a machine with a second core.  At most `depth` jobs wait or run at once:
 * the caller fills buffers while the worker empties earlier ones, jitter on
 * either side is absorbed, and memory stays bounded.  Handing over and
 * waiting go through one mutex, which also orders memory: everything the
 * caller wrote before worker_submit is visible to the job, and everything a
 * job wrote is visible to the caller once a later worker_submit or
 * worker_wait has seen it finish (worker_submit returning means the job
 * handed over `depth` submissions earlier has finished).
 *
 * Without a thread (threaded 0, or pthread_create failed) each job runs at
 * once on the caller's thread: same order, same results.
 */
#ifndef WORKER_H
#define WORKER_H

#include "util/err.h"

/* Runs one job; 0 or an ERR_* code (the job itself carries any message). */
typedef int (*worker_fn)(void *ctx, void *job);

/* Jobs that may wait or run at once, at most. */
#define WORKER_DEPTH_MAX 16

struct worker;

/* OWNED, free with worker_free; NULL on allocation failure.  ctx is
 * BORROWED for the worker's life and is only used by jobs; depth is
 * 1..WORKER_DEPTH_MAX. */
struct worker *worker_new(worker_fn fn, void *ctx, int threaded, unsigned depth);

/* Hand a job over (BORROWED until it has finished); first waits while
 * `depth` jobs are waiting or running.  Returns the first error of the
 * jobs finished since the last report (0 when none). */
int worker_submit(struct worker *w, void *job) WARN_UNUSED;

/* Wait until every job handed over has finished; returns the first error
 * not yet reported (0 when none). */
int worker_wait(struct worker *w) WARN_UNUSED;

/* 1 if jobs run on a thread of their own. */
int worker_threaded(const struct worker *w);

/* Waits for the jobs in flight (their results are dropped), stops the
 * thread. */
void worker_free(struct worker *w);

/* Online processors, at least 1: whether a second thread can help. */
long worker_cpus(void);

#endif
