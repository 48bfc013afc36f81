/*
 * fuzz_mapmerge: the reduce side of the map phase, in-process: what
 * `dnspdns`, `dnstimechart` and `dnsprofile` (scp_run with pdns_command /
 * timechart_command / profile_command) do with the `__dnsjoin_pdns_*` and
 * `__dnsjoin_tc_*` rows that the indexers' map phases send, and with
 * weighted rows (`__dnsjoin_w`, the filtered dnstimechart's and
 * dnsprofile's).
 *
 * The input is not a byte stream for the protocol (fuzz_session does
 * that) but the cells of map-phase rows, so that the fuzzer spends its
 * time on the partial fields' values:
 *
 *   byte 0       the command (bit 0: 0 dnspdns, 1 dnstimechart) and its
 *                arguments (bits 1..3: an entry of pdns_args / tc_args),
 *                except that dnspdns's entries 6 and 7 (low nibble 0x0C
 *                and 0x0E) are dnsprofile: 0x0C its reduce of weighted
 *                rows ("mapphase=t" and pf_args[bits 4..6]), 0x0E a
 *                single phase reading the same columns (pf_args[bits
 *                4..6] alone).  Bits 4..7 are read only for dnsprofile,
 *                bit 7 never.  Before dnsprofile, entries 6 and 7 were
 *                dnspdns's "", as entry 0 is
 *   the rest     chunks separated by 0x1E, rows by '\n', cells by 0x1F;
 *                the cells of a row fill the command's columns in order
 *                (pdns_cols / tc_cols / pf_cols; missing cells are empty,
 *                extra ones dropped), each written CSV-quoted
 *
 * The session is a getinfo (no splunkd_uri: dnspdns's KV store fails at
 * once, no socket is opened), one execute request per chunk with
 * "finished":false, and a last empty one with "finished":true.
 * dnsprofile finds no lookups/tunnel_endpoints.csv next to the fuzzer (a
 * WARN, the built-in list) and counts on its worker thread, as it does in
 * Splunk, when a second processor is online.
 *
 * Properties:
 * - scp_run returns 0 or 1 (never crashes, never hangs);
 * - the replies are whole frames whose metadata parses, one per request
 *   read, and with status 1 one of them is the fatal reply;
 * - status 0: no ERROR message at all; status 1: exactly one ERROR.
 */
#include <string.h>
#include <unistd.h>

#include "cmd/pdns_cmd.h"
#include "cmd/profile_cmd.h"
#include "cmd/timechart_cmd.h"
#include "fuzz.h"
#include "scp/chunk.h"
#include "scp/meta.h"
#include "scp/scp.h"
#include "util/io.h"
#include "util/log.h"

static const char *const pdns_cols[] = {
    "_time", "__dnsjoin_pdns_rrname", "__dnsjoin_pdns_rdata", "__dnsjoin_pdns_first",
    "__dnsjoin_pdns_last", "__dnsjoin_pdns_count", "__dnsjoin_pdns_client",
    "query", "answer", "src", NULL};
static const char *const tc_cols[] = {
    "_time", "__dnsjoin_tc_bin", "__dnsjoin_tc_series", "__dnsjoin_tc_count",
    "sourcetype", "host", "src_ip", "dest_ip", "__dnsjoin_w", NULL};
/* What dnsprofile's map phase writes (phase=map: the join's fields, then
 * dest_port, transport, sourcetype, action, url, __mv_answer, the weight). */
static const char *const pf_cols[] = {
    "_time", "query", "answer", "src", "dest_ip", "dest", "src_ip", "dest_port", "transport",
    "sourcetype", "action", "url", "__mv_answer", "__dnsjoin_w", NULL};

/* SPL arguments (JSON-safe): the reduce as a search head runs it, plus a
 * map phase and, for dnstimechart, a filter with mapphase=t: the reduce of
 * weighted rows (__dnsjoin_w), where partial counts are an ERROR.
 * cont=t only with day and week bins: with small spans a few far-apart
 * bins make a chart of up to REPORT_BINS_MAX rows, a second per input. */
static const char *const pdns_args[8] = {
    "", "mapphase=t", "collection=fz", "query=query answer=answer",
    "phase=map", "mapphase=t", "", ""};  /* 6 and 7: dnsprofile */
/* dnsprofile's, after "mapphase=t " for the reduce: a map phase
 * (phase=map), other join fields, a small maxbuffer (the reduce's distinct
 * rows past it are an ERROR). */
static const char *const pf_args[8] = {
    "", "window=120 nodns_private=t local_domains=corp.example", "nodns=f scope=client",
    "window=1h skew=5s local_resolvers=10.0.0.53", "phase=map",
    "ip=dest_ip client=src maxnames=2", "maxbuffer=4KB", "window=5s skew=0 scope=client nodns=f"};
static const char *const tc_args[8] = {
    "cont=f", "span=1d", "span=5m by host cont=f", "span=7d limit=2 useother=f",
    "span=1h tz=Europe/Berlin cont=f", "mapphase=t span=1d src=10.0.0.0/8", "phase=map by host",
    "span=30s usenull=f cont=f"};

static char *in_p;
static size_t in_n, in_off, in_cap;
static char *out_p;
static size_t out_n, out_cap;

static void grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    char *q = realloc(*p, c);
    FUZZ_CHECK(q != NULL);
    *p = q;
    *cap = c;
}

static void put(const void *p, size_t n)
{
    grow(&in_p, &in_cap, in_n + n);
    memcpy(in_p + in_n, p, n);
    in_n += n;
}

static ssize_t mem_read(int fd, void *p, size_t n)
{
    (void)fd;
    if (n > in_n - in_off)
        n = in_n - in_off;
    memcpy(p, in_p + in_off, n);
    in_off += n;
    return (ssize_t)n;
}

static ssize_t mem_write(int fd, const void *p, size_t n)
{
    (void)fd;
    grow(&out_p, &out_cap, out_n + n);
    memcpy(out_p + out_n, p, n);
    out_n += n;
    return (ssize_t)n;
}

static const struct io_ops mem_ops = {mem_read, mem_write, pread};

static void frame(const char *meta, const char *body, size_t bn)
{
    char h[64];
    int hn = snprintf(h, sizeof h, "chunked 1.0,%zu,%zu\n", strlen(meta), bn);
    put(h, (size_t)hn);
    put(meta, strlen(meta));
    put(body, bn);
}

/* The args string as a JSON array of words (the entries hold no quotes). */
static void getinfo(const char *cmd, const char *args)
{
    char words[256] = "", meta[1024];
    size_t w = 0;
    for (const char *p = args; *p;) {
        size_t n = strcspn(p, " ");
        w += (size_t)snprintf(words + w, sizeof words - w, "%s\"%.*s\"", w ? "," : "", (int)n, p);
        p += n;
        p += *p == ' ';
    }
    snprintf(meta, sizeof meta,
             "{\"action\":\"getinfo\",\"preview\":false,\"streaming_command_will_restart\":false,"
             "\"searchinfo\":{\"args\":[%s],\"raw_args\":[%s],\"dispatch_dir\":\"/nonexistent\","
             "\"sid\":\"fz\",\"app\":\"TA-dnsjoin\",\"owner\":\"admin\",\"username\":\"admin\","
             "\"session_key\":\"fuzz-dummy-session-key-0000\",\"splunk_version\":\"9.2.0\","
             "\"search\":\"| %s %s\",\"command\":\"%s\",\"maxresultrows\":50000,"
             "\"earliest_time\":\"0\",\"latest_time\":\"0\"}}",
             words, words, cmd, args, cmd);
    frame(meta, "", 0);
}

struct buf_s {
    char *p;
    size_t n, cap;
};

static void bput(struct buf_s *b, const void *p, size_t n)
{
    grow(&b->p, &b->cap, b->n + n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* Quoted when it holds a comma, quote, CR or LF, as splunkd writes. */
static void put_cell(struct buf_s *b, const uint8_t *p, size_t n)
{
    int q = 0;
    for (size_t i = 0; i < n; i++)
        q |= p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
    if (!q) {
        bput(b, p, n);
        return;
    }
    bput(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            bput(b, "\"", 1);
        bput(b, p + i, 1);
    }
    bput(b, "\"", 1);
}

/* One chunk of the input as a CSV body with the command's header. */
static void body_of(struct buf_s *b, const char *const *cols, const uint8_t *p, size_t n)
{
    size_t ncols = 0;
    b->n = 0;
    for (; cols[ncols]; ncols++) {
        if (ncols)
            bput(b, ",", 1);
        bput(b, cols[ncols], strlen(cols[ncols]));
    }
    bput(b, "\n", 1);
    size_t off = 0;
    while (off < n) {
        const uint8_t *nl = memchr(p + off, '\n', n - off);
        size_t end = nl ? (size_t)(nl - p) : n;
        size_t c = 0, at = off;
        for (; c < ncols; c++) {
            if (c)
                bput(b, ",", 1);
            if (at > end)
                continue;
            const uint8_t *us = memchr(p + at, 0x1F, end - at);
            size_t ce = us ? (size_t)(us - p) : end;
            put_cell(b, p + at, ce - at);
            at = ce + 1;
        }
        bput(b, "\n", 1);
        off = end + 1;
    }
}

static unsigned count_errors(const char *msgs)
{
    unsigned n = 0;
    for (const char *l = msgs; l && *l;) {
        n += strncmp(l, "ERROR ", 6) == 0;
        const char *nl = strchr(l, '\n');
        l = nl ? nl + 1 : l + strlen(l);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct buf_s body;
    static char pfa[128];
    if (size == 0)
        return 0;
    int tc = data[0] & 1, pf = (data[0] & 0x0D) == 0x0C;
    const char *const *cols = tc ? tc_cols : pf ? pf_cols : pdns_cols;
    const char *args = (tc ? tc_args : pdns_args)[(data[0] >> 1) & 7];
    const char *cmd = tc ? "dnstimechart" : pf ? "dnsprofile" : "dnspdns";
    const struct scp_command *c = tc ? &timechart_command : pf ? &profile_command : &pdns_command;
    uint64_t requests = 1;
    if (pf) {
        const char *v = pf_args[(data[0] >> 4) & 7];
        if (data[0] & 2) {  /* 0x0E: the single phase */
            args = v;
        } else {
            snprintf(pfa, sizeof pfa, "mapphase=t%s%s", *v ? " " : "", v);
            args = pfa;
        }
    }

    log_set_min((enum log_level)(LOG_ERROR + 1)); /* stderr quiet */
    in_n = in_off = out_n = 0;
    getinfo(cmd, args);
    for (size_t off = 1; off < size;) {
        const uint8_t *rs = memchr(data + off, 0x1E, size - off);
        size_t end = rs ? (size_t)(rs - data) : size;
        body_of(&body, cols, data + off, end - off);
        frame("{\"action\":\"execute\",\"finished\":false}", body.p, body.n);
        requests++;
        off = end + 1;
    }
    frame("{\"action\":\"execute\",\"finished\":true}", "", 0);
    requests++;

    const struct io_ops *saved = io_ops;
    io_ops = &mem_ops;
    int status = scp_run(c, NULL, 0, 1);
    io_ops = saved;
    FUZZ_CHECK(status == 0 || status == 1);

    uint64_t replies = 0;
    unsigned errors = 0;
    size_t off = 0;
    while (off < out_n) {
        uint64_t ml, bl;
        struct err e;
        struct meta_reply mr;
        long h = chunk_header_parse(out_p + off, out_n - off, &ml, &bl, &e);
        FUZZ_CHECK(h > 0);
        off += (size_t)h;
        FUZZ_CHECK(ml <= out_n - off && bl <= out_n - off - ml);
        FUZZ_CHECK(meta_parse_reply(out_p + off, (size_t)ml, &mr, &e) == 0);
        errors += count_errors(mr.messages);
        meta_reply_free(&mr);
        off += ml + bl;
        replies++;
    }
    FUZZ_CHECK(replies <= requests);
    if (status == 0) {
        FUZZ_CHECK(replies == requests);
        FUZZ_CHECK(errors == 0);
    } else {
        FUZZ_CHECK(errors == 1);
    }
    return 0;
}
