#include "report/pfeed.h"

#include <string.h>

#include "limits.h"
#include "util/bytes.h"
#include "util/worker.h"
#include "util/xmem.h"

enum { R_LOOKUP, R_CONN, R_PROXY };

/* A string copied into the batch's text. */
struct rtext {
    uint32_t off, n;
};

/* Offsets are 32 bits: a batch's text is flushed past PFEED_BATCH_TEXT,
 * and one event adds at most six fields. */
_Static_assert((uint64_t)PFEED_BATCH_TEXT + 6 * (uint64_t)CSV_FIELD_MAX < UINT32_MAX,
               "pfeed text offsets need more than 32 bits");

struct rec {
    int64_t t;
    uint64_t n;                     /* the events it stands for */
    struct ipaddr client_ip, ip;    /* ip: R_CONN */
    struct rtext client, name, sourcetype, action, port, transport;
    uint32_t ips, nips;             /* R_LOOKUP: into the batch's addresses */
    uint8_t kind, client_is_ip, udp3544;
};

struct batch {
    struct rec *r;                  /* OWNED: PFEED_BATCH_EVENTS */
    size_t n;
    struct ipaddr *ips;             /* OWNED */
    size_t nips, ipcap;
    char *text;                     /* OWNED */
    size_t tlen, tcap;
};

/* Batches handed to the worker and not yet applied, at most: enough that
 * a slow batch there (the conversation table growing) does not stop the
 * main thread. */
#define PFEED_DEPTH 4
#define PFEED_BATCHES (PFEED_DEPTH + 1)

struct pfeed {
    struct profile *p;              /* BORROWED; the worker's while it runs */
    struct worker *w;               /* OWNED */
    struct batch b[PFEED_BATCHES];  /* one filled here, the others queued */
    unsigned cur;
    int failed;                     /* first error seen, then every call */
    struct err fe;
    /* the worker's: set by the first failing batch, which the caller reads
     * once worker_submit or worker_wait has returned its error */
    int wfailed;
    struct err we;
};

static int apply(void *ctx, void *job);

struct pfeed *pfeed_new(struct profile *p, int threaded)
{
    struct pfeed *f = xcalloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->p = p;
    for (int i = 0; i < PFEED_BATCHES; i++)
        if ((f->b[i].r = xcalloc(PFEED_BATCH_EVENTS, sizeof *f->b[i].r)) == NULL)
            goto fail;
    if ((f->w = worker_new(apply, f, threaded, PFEED_DEPTH)) == NULL)
        goto fail;
    return f;
fail:
    pfeed_free(f);
    return NULL;
}

void pfeed_free(struct pfeed *f)
{
    if (f == NULL)
        return;
    worker_free(f->w);  /* first: the worker may still read the batches */
    for (int i = 0; i < PFEED_BATCHES; i++) {
        xfree(f->b[i].r);
        xfree(f->b[i].ips);
        xfree(f->b[i].text);
    }
    xfree(f);
}

int pfeed_threaded(const struct pfeed *f) { return worker_threaded(f->w); }

static struct slice text_of(const struct batch *b, struct rtext t)
{
    return slice_of(b->text != NULL ? b->text + t.off : "", t.n);
}

/* The address a record's conversation is keyed by (NULL: a proxy's). */
static const struct ipaddr *rec_ip(const struct batch *b, const struct rec *r)
{
    if (r->kind == R_CONN)
        return &r->ip;
    if (r->kind == R_LOOKUP)
        return r->nips > 0 ? &b->ips[r->ips] : NULL;
    return NULL;
}

/* Keys are made KEYS_AHEAD records ahead of counting, so that each record's
 * conversation can be brought into the cache in steps while earlier ones
 * are counted (the table is far larger than the cache). */
#define KEYS_AHEAD 6
#define KEYS_RING 8
_Static_assert(KEYS_AHEAD < KEYS_RING, "the ring holds the keys ahead and the current one");

static int make_key(struct pfeed *f, const struct batch *b, size_t i, struct profile_key *k)
{
    const struct rec *r = &b->r[i];
    int rc = profile_key(f->p, text_of(b, r->client), r->client_is_ip ? &r->client_ip : NULL,
                         text_of(b, r->name), k, &f->we);
    if (rc == 0 && !(r->kind == R_LOOKUP && r->nips == 0))
        profile_prefetch(f->p, k, rec_ip(b, r), 0);
    return rc;
}

/* Count one batch into the profile (worker_fn). */
static int apply(void *ctx, void *job)
{
    struct pfeed *f = ctx;
    struct batch *b = job;
    struct profile_key ring[KEYS_RING];
    int rc = 0;

    if (f->wfailed) {
        /* counted nothing after a failure: the command is failing */
        b->n = b->nips = b->tlen = 0;
        return 0;
    }
    err_clear(&f->we);
    for (size_t i = 0; i < KEYS_AHEAD && i < b->n && rc == 0; i++)
        rc = make_key(f, b, i, &ring[i % KEYS_RING]);
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const struct rec *r = &b->r[i];
        if (i + KEYS_AHEAD < b->n &&
            (rc = make_key(f, b, i + KEYS_AHEAD, &ring[(i + KEYS_AHEAD) % KEYS_RING])) != 0)
            break;
        if (i + 3 < b->n)
            profile_prefetch(f->p, &ring[(i + 3) % KEYS_RING], rec_ip(b, &b->r[i + 3]), 1);
        if (i + 1 < b->n)
            profile_prefetch(f->p, &ring[(i + 1) % KEYS_RING], rec_ip(b, &b->r[i + 1]), 2);
        const struct profile_key *k = &ring[i % KEYS_RING];
        struct slice st = text_of(b, r->sourcetype);
        if (r->kind == R_CONN) {
            rc = profile_conn(f->p, k, &r->ip, r->t, r->udp3544, text_of(b, r->action),
                              text_of(b, r->port), text_of(b, r->transport), st, r->n, &f->we);
        } else if (r->kind == R_PROXY) {
            rc = profile_proxy(f->p, k, r->t, st, r->n, &f->we);
        } else {
            const struct ipaddr *seen[PFEED_ANSWER_REPEATS];
            size_t nseen = 0;
            for (uint32_t a = 0; a < r->nips && rc == 0; a++) {
                const struct ipaddr *ip = &b->ips[r->ips + a];
                size_t j;
                /* an answer that lists an address twice is one lookup of it */
                for (j = 0; j < nseen && !ipaddr_eq(seen[j], ip); j++)
                    ;
                if (j < nseen)
                    continue;
                if (nseen < PFEED_ANSWER_REPEATS)
                    seen[nseen++] = ip;
                rc = profile_lookup(f->p, k, ip, r->t, st, r->n, &f->we);
            }
        }
    }
    b->n = b->nips = b->tlen = 0;
    f->wfailed = rc;
    return rc;
}

/* Remember the first error (the worker's) and report it. */
static int failed(struct pfeed *f, int rc, struct err *e)
{
    if (!f->failed) {
        f->failed = rc;
        f->fe = f->we;
        if (f->fe.code == 0)
            err_set(&f->fe, rc, "%s counting the events", err_str(rc));
    }
    *e = f->fe;
    return f->failed;
}

/* An event could not be queued: the counts would be short of it, so the
 * feed fails from here on, like a failure while counting. */
static int lost(struct pfeed *f, struct err *e)
{
    f->failed = ERR_NOMEM;
    err_set(&f->fe, ERR_NOMEM, "out of memory queueing an event");
    *e = f->fe;
    return f->failed;
}

/* Hand the current batch to the worker and start filling the next, which
 * the worker is done with: worker_submit returns once at most PFEED_DEPTH
 * batches are queued, and there are one more than that. */
static int submit(struct pfeed *f, struct err *e)
{
    int rc = worker_submit(f->w, &f->b[f->cur]);
    f->cur = (f->cur + 1) % PFEED_BATCHES;
    return rc ? failed(f, rc, e) : 0;
}

/* Room for one record with `text` bytes of strings and nips addresses, in
 * the batch being filled; NULL with e filled (f->failed set). */
static struct rec *reserve(struct pfeed *f, size_t text, size_t nips, struct err *e)
{
    struct batch *b = &f->b[f->cur];
    if (f->failed) {
        *e = f->fe;
        return NULL;
    }
    if (b->n == PFEED_BATCH_EVENTS || b->tlen >= PFEED_BATCH_TEXT) {
        if (submit(f, e) != 0)
            return NULL;
        b = &f->b[f->cur];
    }
    if (b->tlen + text > b->tcap) {
        size_t nc = b->tcap ? b->tcap * 2 : 64u * 1024;
        if (nc < b->tlen + text)
            nc = b->tlen + text;
        char *nt = xrealloc(b->text, nc);
        if (nt == NULL) {
            (void)lost(f, e);
            return NULL;
        }
        b->text = nt;
        b->tcap = nc;
    }
    if (b->nips + nips > b->ipcap) {
        size_t nc = b->ipcap ? b->ipcap * 2 : 1024;
        if (nc < b->nips + nips)
            nc = b->nips + nips;
        struct ipaddr *ni = xreallocarray(b->ips, nc, sizeof *ni);
        if (ni == NULL) {
            (void)lost(f, e);
            return NULL;
        }
        b->ips = ni;
        b->ipcap = nc;
    }
    struct rec *r = &b->r[b->n++];
    memset(r, 0, sizeof *r);
    return r;
}

static struct rtext put(struct batch *b, struct slice s)
{
    struct rtext t = {(uint32_t)b->tlen, s.p != NULL ? (uint32_t)s.n : 0};
    if (t.n) {
        bytes_copy(b->text + b->tlen, s.p, t.n);
        b->tlen += t.n;
    }
    return t;
}

static size_t len(struct slice s) { return s.p != NULL ? s.n : 0; }

static void put_client(struct batch *b, struct rec *r, struct slice client,
                       const struct ipaddr *client_ip)
{
    if (client_ip != NULL) {
        /* the profile keys an address client by the address */
        r->client_is_ip = 1;
        r->client_ip = *client_ip;
    } else {
        r->client = put(b, client);
    }
}

int pfeed_lookup(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
                 struct slice name, const struct ipaddr *ips, size_t nips, int64_t t,
                 struct slice sourcetype, uint64_t n, struct err *e)
{
    struct rec *r;
    size_t text = (client_ip ? 0 : len(client)) + len(name) + len(sourcetype);
    if (nips == 0)
        return 0;
    if ((r = reserve(f, text, nips, e)) == NULL)
        return f->failed;
    struct batch *b = &f->b[f->cur];
    r->kind = R_LOOKUP;
    r->t = t;
    r->n = n;
    put_client(b, r, client, client_ip);
    r->name = put(b, name);
    r->sourcetype = put(b, sourcetype);
    r->ips = (uint32_t)b->nips;
    r->nips = (uint32_t)nips;
    memcpy(b->ips + b->nips, ips, nips * sizeof *ips);
    b->nips += nips;
    return 0;
}

int pfeed_conn(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
               struct slice name, const struct ipaddr *ip, int64_t t, int udp3544,
               struct slice action, struct slice port, struct slice transport,
               struct slice sourcetype, uint64_t n, struct err *e)
{
    struct rec *r;
    size_t text = (client_ip ? 0 : len(client)) + len(name) + len(action) + len(port) +
                  len(transport) + len(sourcetype);
    if ((r = reserve(f, text, 0, e)) == NULL)
        return f->failed;
    struct batch *b = &f->b[f->cur];
    r->kind = R_CONN;
    r->t = t;
    r->n = n;
    r->ip = *ip;
    r->udp3544 = udp3544 != 0;
    put_client(b, r, client, client_ip);
    r->name = put(b, name);
    r->action = put(b, action);
    r->port = put(b, port);
    r->transport = put(b, transport);
    r->sourcetype = put(b, sourcetype);
    return 0;
}

int pfeed_proxy(struct pfeed *f, struct slice client, const struct ipaddr *client_ip,
                struct slice host, int64_t t, struct slice sourcetype, uint64_t n,
                struct err *e)
{
    struct rec *r;
    size_t text = (client_ip ? 0 : len(client)) + len(host) + len(sourcetype);
    if ((r = reserve(f, text, 0, e)) == NULL)
        return f->failed;
    struct batch *b = &f->b[f->cur];
    r->kind = R_PROXY;
    r->t = t;
    r->n = n;
    put_client(b, r, client, client_ip);
    r->name = put(b, host);
    r->sourcetype = put(b, sourcetype);
    return 0;
}

int pfeed_flush(struct pfeed *f, struct err *e)
{
    int rc = 0;
    if (f->failed) {
        *e = f->fe;
        return f->failed;
    }
    if (f->b[f->cur].n > 0 && (rc = submit(f, e)) != 0)
        return rc;
    if ((rc = worker_wait(f->w)) != 0)
        return failed(f, rc, e);
    return 0;
}
