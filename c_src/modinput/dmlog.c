#include "modinput/dmlog.h"

#include <inttypes.h>
#include <string.h>

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
    l->like = l->unplaced = 0;
    memset(l->unplaced_kind, 0, sizeof l->unplaced_kind);
    l->warned_unplaced = 0;
    l->win_like = l->win_unplaced = 0;
    l->win_start_us = 0;
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

static const char *const ukind_text[DMU_KINDS] = {"query", "forward", "answer",
                                                  "duplicate", "dnssec"};

static int ukind_of(enum dmline_kind k)
{
    switch (k) {
    case DML_QUERY: return DMU_QUERY;
    case DML_FORWARD: return DMU_FORWARD;
    case DML_ANSWER: return DMU_ANSWER;
    case DML_DUP: return DMU_DUP;
    case DML_AUX: return DMU_AUX;
    default: return -1;
    }
}

/* The first unplaced line of each kind, shown once: the bytes are the
 * operator's own log, cut to 200 and with control bytes replaced so a
 * line cannot forge another log line. */
static void note_unplaced(struct dmlog *l, int uk, const char *p, size_t len)
{
    char shown[201];
    size_t n = len < sizeof shown - 1 ? len : sizeof shown - 1;

    l->unplaced++;
    l->win_unplaced++;
    l->unplaced_kind[uk]++;
    if (l->warned_unplaced & (1u << uk))
        return;
    l->warned_unplaced |= 1u << uk;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        shown[i] = p[i];
        if (c < 0x20 || c == 0x7f)
            shown[i] = '?';  /* a control byte would break the log line */
    }
    shown[n] = '\0';
    log_msg(LOG_WARN, "line %" PRIu64 " (offset %" PRIu64 "): a dnsmasq %s line in a format this "
            "input does not know, not placed in any transaction (counted as unplaced_%s; later "
            "ones are only counted): \"%s%s\"; set log-queries=extra or proto (Pi-hole: "
            "misc.extraLogging=true); see README/inputs.conf.spec", l->lineno, l->off,
            ukind_text[uk], ukind_text[uk], shown, len > n ? "..." : "");
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
    if (d.kind == DML_UNPLACED) {
        int uk = ukind_of(d.ukind);
        l->like++;
        l->win_like++;
        note_unplaced(l, uk >= 0 ? uk : DMU_ANSWER, p, len);
        return 0;
    }
    if (ukind_of(d.kind) >= 0) {
        l->like++;
        l->win_like++;
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
            " forced_out=%" PRIu64 " open=%zu long_lines=%" PRIu64 " answers_dropped=%" PRIu64
            " blocked=%" PRIu64 " unplaced=%" PRIu64 " unplaced_query=%" PRIu64
            " unplaced_forward=%" PRIu64 " unplaced_answer=%" PRIu64 " unplaced_duplicate=%" PRIu64
            " unplaced_dnssec=%" PRIu64,
            l->lineno, s->queries, s->emitted, l->bad, s->skipped, s->info, s->aux, s->orphans,
            s->epochs, s->forced, txn_open_count(l->tx), l->long_lines, s->answers_dropped,
            s->blocked, l->unplaced, l->unplaced_kind[DMU_QUERY], l->unplaced_kind[DMU_FORWARD],
            l->unplaced_kind[DMU_ANSWER], l->unplaced_kind[DMU_DUP], l->unplaced_kind[DMU_AUX]);
}

static int mostly(uint64_t like, uint64_t unplaced)
{
    return like >= DMLOG_UNPLACED_MIN_LINES && unplaced * 2 > like;
}

int dmlog_mostly_unplaced(const struct dmlog *l) { return mostly(l->like, l->unplaced); }

int dmlog_periodic(struct dmlog *l, int64_t now_us)
{
    int warned = 0;

    if (l->win_start_us == 0) {
        l->win_start_us = now_us;
        return 0;
    }
    if (now_us - l->win_start_us < DMLOG_UNPLACED_WARN_US)
        return 0;
    if (mostly(l->win_like, l->win_unplaced)) {
        log_msg(LOG_WARN, "%" PRIu64 " of the %" PRIu64 " query-like dnsmasq lines of the last "
                "%lld minutes were in a format this input does not know and gave no "
                "transaction; set log-queries=extra or proto (Pi-hole: misc.extraLogging=true); "
                "see README/inputs.conf.spec", l->win_unplaced, l->win_like,
                (long long)((now_us - l->win_start_us) / (60LL * 1000000)));
        warned = 1;
    }
    l->win_like = l->win_unplaced = 0;
    l->win_start_us = now_us;
    return warned;
}
