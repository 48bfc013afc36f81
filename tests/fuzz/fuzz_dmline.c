/*
 * fuzz_dmline: the dnsmasq log as the modular input reads it: lines found
 * with dmline_split, each parsed with dmline_parse (syslog header
 * included), then fed to transaction reassembly (txn) as the modular
 * input does.
 *
 * Properties:
 * - dmline_split consumes > 0 bytes, at most the input, or reports need
 *   more / ERR_LIMIT; a line never contains its newline;
 * - dmline_parse returns the kind it stores, a known one, and every view
 *   lies inside the line;
 * - txn never keeps a view into a line after txn_feed returns: each line
 *   is fed from its own heap copy, freed right after (AddressSanitizer
 *   reports a later read); every transaction handed to the callback has
 *   views that are null or non-empty-safe, and no more answers than
 *   DNSMASQ_ANSWERS_MAX.
 */
#include <string.h>

#include "fuzz.h"
#include "limits.h"
#include "modinput/dmline.h"
#include "modinput/txn.h"

static uint64_t emitted;
static volatile size_t sink; /* keeps the byte reads */

static int on_txn(void *ctx, const struct txn_ev *ev)
{
    (void)ctx;
    FUZZ_CHECK(ev->n_answer <= DNSMASQ_ANSWERS_MAX);
    FUZZ_CHECK(ev->n_answer == 0 || ev->answer != NULL);
    FUZZ_CHECK(ev->n_cname == 0 || ev->cname != NULL);
    /* touch every byte, so a stale view is caught here */
    size_t sum = ev->src.n + ev->query.n + ev->qtype.n + ev->dest.n + ev->answer_source.n;
    const struct slice *all[] = {&ev->src, &ev->query, &ev->qtype, &ev->dest,
                                 &ev->answer_source, &ev->ede};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        for (size_t k = 0; k < all[i]->n; k++)
            sum += (unsigned char)all[i]->p[k];
    for (size_t i = 0; i < ev->n_answer; i++)
        for (size_t k = 0; k < ev->answer[i].n; k++)
            sum += (unsigned char)ev->answer[i].p[k];
    for (size_t i = 0; i < ev->n_cname; i++)
        for (size_t k = 0; k < ev->cname[i].n; k++)
            sum += (unsigned char)ev->cname[i].p[k];
    sink = sum;
    emitted++;
    return 0;
}

static void check_views(const struct dmline *d, const char *p, size_t n)
{
    const struct slice *all[] = {&d->h.prog, &d->h.pid, &d->client, &d->source,
                                 &d->qtype, &d->name, &d->value, &d->ede};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        FUZZ_CHECK(fuzz_inside(all[i]->p, all[i]->n, p, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t off = 0;
    struct err e;
    struct txn_tab *t = txn_new(5 * 1000000, on_txn, NULL);
    int64_t now = 1700000000ll * 1000000;
    int stop = 0;

    if (t == NULL)
        return 0;
    while (off < size && !stop) {
        size_t len = 0;
        ssize_t used = dmline_split(p + off, size - off, &len);
        if (used == 0) {
            /* last line without a newline: the input parses it at EOF */
            used = (ssize_t)(size - off);
            len = size - off;
        } else if (used < 0) {
            FUZZ_CHECK(used == ERR_LIMIT && size - off > DNSMASQ_LINE_MAX);
            const char *nl = memchr(p + off, '\n', size - off);
            off = nl ? (size_t)(nl - p) + 1 : size;
            continue;
        }
        FUZZ_CHECK((size_t)used <= size - off && len <= (size_t)used);
        FUZZ_CHECK(memchr(p + off, '\n', len) == NULL);

        char *line = malloc(len ? len : 1);
        FUZZ_CHECK(line != NULL);
        memcpy(line, p + off, len);
        struct dmline d;
        int kind = dmline_parse(line, len, &d);
        FUZZ_CHECK(kind == (int)d.kind && kind >= DML_QUERY && kind <= DML_BAD);
        check_views(&d, line, len);
        if (d.has_client && dmline_ip_kind(d.client) != DMV_NONE) {
            char ptr[DMLINE_PTR_MAX];
            size_t pn = dmline_ptr_name(d.client, ptr);
            FUZZ_CHECK(pn < DMLINE_PTR_MAX);
        }
        if (d.kind != DML_BAD) {
            int rc = txn_feed(t, &d, now, off, &e);
            FUZZ_CHECK(rc == 0 || rc == ERR_NOMEM || rc == ERR_LIMIT);
            stop = rc != 0;
        }
        free(line); /* txn must have copied what it keeps */
        now += 250000;
        if (!stop && txn_tick(t, now, &e) != 0)
            stop = 1;
        off += (size_t)used;
    }
    if (!stop)
        FUZZ_CHECK(txn_flush_all(t, &e) == 0);
    if (!stop && txn_open_count(t) != 0) {
        fprintf(stderr, "txn_open_count() = %zu after txn_flush_all() returned 0\n",
                txn_open_count(t));
        FUZZ_CHECK(txn_open_count(t) == 0);
    }
    txn_free(t);
    return 0;
}
