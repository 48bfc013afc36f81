/*
 * worker: one background thread that runs jobs one at a time, in the order
 * they are handed over, while the caller prepares the next.
 *
 * A reporting command reads and joins its input on the main thread and
 * counts on the worker, so the two halves of its per-event work overlap on
 * a machine with a second core.  There is at most one job in flight: the
 * caller fills one buffer while the worker empties the other, and memory
 * stays bounded.  Handing over and waiting go through one mutex, which also
 * orders memory: everything the caller wrote before worker_submit is
 * visible to the job, and everything the job wrote is visible to the caller
 * after the worker_submit or worker_wait that returned its result.
 *
 * Without a thread (threaded 0, or pthread_create failed) each job runs at
 * once on the caller's thread: same order, same results.
 */
#ifndef WORKER_H
#define WORKER_H

#include "util/err.h"

/* Runs one job; 0 or an ERR_* code (the job itself carries any message). */
typedef int (*worker_fn)(void *ctx, void *job);

struct worker;

/* OWNED, free with worker_free; NULL on allocation failure.  ctx is
 * BORROWED for the worker's life and is only used by jobs. */
struct worker *worker_new(worker_fn fn, void *ctx, int threaded);

/* Hand a job over (BORROWED until the next worker_submit or worker_wait
 * returns); first waits for the job before it.  Returns that earlier job's
 * result (0 when there was none). */
int worker_submit(struct worker *w, void *job) WARN_UNUSED;

/* Wait until no job is in flight; returns the result of the last job not
 * yet reported (0 when none). */
int worker_wait(struct worker *w) WARN_UNUSED;

/* 1 if jobs run on a thread of their own. */
int worker_threaded(const struct worker *w);

/* Waits for the job in flight (its result is dropped), stops the thread. */
void worker_free(struct worker *w);

/* Online processors, at least 1: whether a second thread can help. */
long worker_cpus(void);

#endif
