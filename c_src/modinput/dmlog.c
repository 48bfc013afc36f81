#include "modinput/dmlog.h"

#include <inttypes.h>

#include "limits.h"
#include "util/log.h"

int dmlog_init(struct dmlog *l, const struct stamp_ctx *clk, int64_t flush_us,
               txn_emit_fn emit, void *ctx, uint64_t start_off)
{
    l->tx = txn_new(flush_us, emit, ctx);
    if (l->tx == NULL)
        return ERR_NOMEM;
    l->clk = *clk;
    l->off = start_off;
    l->lineno = 0;
    l->bad = l->long_lines = l->bad_time = 0;
    l->skipping = 0;
    l->warned = l->warned_long = l->warned_forced = l->warned_answers = 0;
    return 0;
}

void dmlog_free(struct dmlog *l)
{
    txn_free(l->tx);
    l->tx = NULL;
}

static void note_bad(struct dmlog *l, const char *why)
{
    l->bad++;
    if (!l->warned) {
        l->warned = 1;
        log_msg(LOG_WARN, "line %" PRIu64 " (offset %" PRIu64 "): %s; later ones are only counted",
                l->lineno, l->off, why);
    }
}

/* The transaction limits are not errors: say once that one was reached,
 * the final statistics line has the counts. */
static void limit_warnings(struct dmlog *l)
{
    const struct txn_stats *s = txn_stats(l->tx);
    if (s->forced > 0 && !l->warned_forced) {
        l->warned_forced = 1;
        log_msg(LOG_WARN, "line %" PRIu64 ": more than DNSMASQ_INFLIGHT_MAX (%llu) transactions "
                "open at once; the oldest are written without waiting for their answer, counted "
                "as forced_out (" LIMIT_BUILD_HINT ")", l->lineno,
                (unsigned long long)DNSMASQ_INFLIGHT_MAX);
    }
    if (s->answers_dropped > 0 && !l->warned_answers) {
        l->warned_answers = 1;
        log_msg(LOG_WARN, "line %" PRIu64 ": a transaction has more than DNSMASQ_ANSWERS_MAX "
                "(%llu) answers; the rest are left out, counted as answers_dropped ("
                LIMIT_BUILD_HINT ")", l->lineno, (unsigned long long)DNSMASQ_ANSWERS_MAX);
    }
}

static int one_line(struct dmlog *l, const char *p, size_t len, struct err *e)
{
    struct dmline d;
    int64_t t;

    l->lineno++;
    if (len == 0)
        return 0;
    dmline_parse(p, len, &d);
    if (d.kind == DML_BAD) {
        note_bad(l, "not a dnsmasq log line this input understands");
        return 0;
    }
    if (stamp_to_us(&l->clk, &d.h, &t) != 0) {
        l->bad_time++;
        note_bad(l, "impossible date");
        return 0;
    }
    if (d.kind == DML_QUERY) {
        int rc = txn_tick(l->tx, t, e);
        if (rc)
            return rc;
    }
    int rc = txn_feed(l->tx, &d, t, l->off, e);
    limit_warnings(l);
    return rc;
}

int dmlog_feed(struct dmlog *l, const char *p, size_t n, int eof, size_t *used, struct err *e)
{
    size_t i = 0;
    int rc = 0;

    while (i < n && rc == 0) {
        size_t len = 0;
        ssize_t c;
        if (l->skipping) {
            const char *nl = memchr(p + i, '\n', n - i);
            size_t k = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
            i += k;
            l->off += k;
            if (nl)
                l->skipping = 0;
            continue;
        }
        c = dmline_split(p + i, n - i, &len);
        if (c == 0) {
            if (!eof)
                break;
            /* the last line of a finished file may lack its newline */
            len = n - i;
            c = (ssize_t)len;
        } else if (c < 0) {
            l->lineno++;
            l->long_lines++;
            l->bad++;  /* also unparsed, as before long_lines was reported */
            if (!l->warned_long)
                log_msg(LOG_WARN, "line %" PRIu64 " (offset %" PRIu64 ") is longer than "
                        "DNSMASQ_LINE_MAX (%llu bytes) and was skipped; later ones are only "
                        "counted as long_lines (" LIMIT_BUILD_HINT ")", l->lineno, l->off,
                        (unsigned long long)DNSMASQ_LINE_MAX);
            l->warned_long = 1;
            l->skipping = 1;
            continue;
        }
        rc = one_line(l, p + i, len, e);
        i += (size_t)c;
        l->off += (uint64_t)c;
    }
    *used = i;
    limit_warnings(l);  /* transactions also finish outside one_line (flushes) */
    return rc;
}

void dmlog_report(struct dmlog *l)
{
    limit_warnings(l);
    const struct txn_stats *s = txn_stats(l->tx);
    log_msg(LOG_INFO,
            "lines=%" PRIu64 " queries=%" PRIu64 " transactions=%" PRIu64 " unparsed=%" PRIu64
            " skipped_other_programs=%" PRIu64 " non_query_lines=%" PRIu64
            " dnssec_and_sets=%" PRIu64 " orphan_lines=%" PRIu64 " restarts=%" PRIu64
            " forced_out=%" PRIu64 " open=%zu long_lines=%" PRIu64 " answers_dropped=%" PRIu64,
            l->lineno, s->queries, s->emitted, l->bad, s->skipped, s->info, s->aux, s->orphans,
            s->epochs, s->forced, txn_open_count(l->tx), l->long_lines, s->answers_dropped);
}
