#include "util/worker.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "util/xmem.h"

struct worker {
    worker_fn fn;
    void *ctx;             /* BORROWED */
    int threaded;
    unsigned depth;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* a job handed over or finished, or stop */
    /* guarded by mu: jobs handed over but not finished, oldest first */
    void *q[WORKER_DEPTH_MAX];
    unsigned head, len;
    int rc;                /* first error not yet reported */
    int stop;
};

static void *run(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->len == 0 && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->len == 0)
            break;
        void *job = w->q[w->head];
        pthread_mutex_unlock(&w->mu);
        int rc = w->fn(w->ctx, job);
        pthread_mutex_lock(&w->mu);
        /* it leaves the queue only now: a waiting caller needs it done */
        w->head = (w->head + 1) % WORKER_DEPTH_MAX;
        w->len--;
        if (w->rc == 0)
            w->rc = rc;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct worker *worker_new(worker_fn fn, void *ctx, int threaded, unsigned depth)
{
    struct worker *w = xcalloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->fn = fn;
    w->ctx = ctx;
    w->depth = depth < 1 ? 1 : depth > WORKER_DEPTH_MAX ? WORKER_DEPTH_MAX : depth;
    if (!threaded)
        return w;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        return w;
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return w;
    }
    /* Signals stay with the main thread, which handles them today: the
     * worker starts with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->threaded = pthread_create(&w->th, NULL, run, w) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!w->threaded) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
    }
    return w;
}

/* Wait (mu held) until at most `left` jobs are in flight; take the error. */
static int drain(struct worker *w, unsigned left)
{
    while (w->len > left)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = w->rc;
    w->rc = 0;
    return rc;
}

int worker_submit(struct worker *w, void *job)
{
    int rc;
    if (!w->threaded) {
        rc = w->rc;
        w->rc = w->fn(w->ctx, job);
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    rc = drain(w, w->depth - 1);
    w->q[(w->head + w->len) % WORKER_DEPTH_MAX] = job;
    w->len++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int worker_wait(struct worker *w)
{
    int rc;
    if (!w->threaded) {
        rc = w->rc;
        w->rc = 0;
        return rc;
    }
    pthread_mutex_lock(&w->mu);
    rc = drain(w, 0);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int worker_threaded(const struct worker *w) { return w->threaded; }

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        (void)drain(w, 0);
        w->stop = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->th, NULL);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
    }
    xfree(w);
}

long worker_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? n : 1;
}
