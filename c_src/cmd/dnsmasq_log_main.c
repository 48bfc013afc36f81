/*
 * dnsmasq_log: Splunk modular input turning dnsmasq's query log into one
 * JSON event per DNS transaction.
 *
 *   dnsmasq_log --scheme                  scheme XML
 *   dnsmasq_log --validate-arguments      <items> XML on stdin
 *   dnsmasq_log                           run mode: <input> XML on stdin
 *   dnsmasq_log --file LOG [--timezone Z] [--year Y] [--flush-after S]
 *                                         JSON lines on stdout
 *
 * Only this file exits; modules return error codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "modinput/dmlog.h"
#include "modinput/ckpt.h"
#include "modinput/jsonw.h"
#include "modinput/stamp.h"
#include "modinput/xmlin.h"
#include "modinput/xmlout.h"
#include "util/buf.h"
#include "util/io.h"
#include "util/log.h"
#include "util/num.h"
#include "util/xmem.h"

#define READ_CHUNK (1u << 20)
#define OUT_FLUSH (1u << 16)

struct file_out {
    struct buf out;
    struct err *e;
};

static int file_emit(void *ctx, const struct txn_ev *ev)
{
    struct file_out *fo = ctx;
    int rc = jsonw_txn(&fo->out, ev);
    if (rc == 0)
        rc = buf_appendc(&fo->out, '\n');
    if (rc)
        return err_set(fo->e, rc, "cannot format an event: %s", err_str(rc));
    if (fo->out.len >= OUT_FLUSH) {
        rc = io_write_all(1, fo->out.p, fo->out.len, fo->e);
        buf_reset(&fo->out);
    }
    return rc;
}

static int usage(void)
{
    fprintf(stderr, "usage: dnsmasq_log --scheme | --validate-arguments | "
                    "--file LOG [--timezone ZONE] [--year YEAR] [--flush-after SECONDS]\n"
                    "       (no argument: Splunk run mode, configuration XML on stdin)\n");
    return 2;
}

static int run_file(int argc, char **argv)
{
    const char *path = NULL, *zone = NULL, *tz_env = NULL;
    uint64_t year = 0, flush = 10;
    struct stamp_ctx clk;
    struct dmlog lg;
    struct file_out fo;
    struct err e;
    struct buf in;
    struct stat st;
    int fd, rc = 0, eof = 0, mostly;

    err_clear(&e);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--file") == 0)
            path = argv[++i];
        else if (strcmp(argv[i], "--timezone") == 0)
            zone = argv[++i];
        else if (strcmp(argv[i], "--year") == 0) {
            if (num_parse_u64(slice_cstr(argv[++i]), 1970, 9999, &year)) {
                log_msg(LOG_ERROR, "--year must be a year from 1970 to 9999");
                return 2;
            }
        } else if (strcmp(argv[i], "--flush-after") == 0) {
            if (num_parse_u64(slice_cstr(argv[++i]), 0, 86400, &flush)) {
                log_msg(LOG_ERROR, "--flush-after must be 0..86400 seconds");
                return 2;
            }
        } else
            return usage();
    }
    if (path == NULL)
        return usage();
    if (stamp_zone_parse(zone, &clk, &tz_env, &e)) {
        log_msg(LOG_ERROR, "%s", e.msg);
        return 2;
    }
    if (tz_env)
        setenv("TZ", tz_env, 1);
    tzset();
    fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY);
    if (fd < 0) {
        log_msg(LOG_ERROR, "cannot open %s: %s", path, strerror(errno));
        return 1;
    }
    /* without --year, no line may be later than the file's mtime (+1 day) */
    stamp_set_year(&clk, (int)year,
                   fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_mtime
                                                               : (int64_t)time(NULL));
    buf_init(&fo.out, (size_t)OUT_FLUSH * 4 + (size_t)DNSMASQ_ANSWERS_MAX * 6 * DNSMASQ_LINE_MAX);
    fo.e = &e;
    buf_init(&in, (size_t)READ_CHUNK + DNSMASQ_LINE_MAX + 1);
    if (dmlog_init(&lg, &clk, (int64_t)flush * US_PER_SEC, file_emit, &fo, 0)) {
        log_msg(LOG_ERROR, "out of memory");
        return 1;
    }
    while (rc == 0 && !eof) {
        size_t used = 0;
        ssize_t got;
        rc = buf_reserve(&in, READ_CHUNK);
        if (rc) {
            err_set(&e, rc, "input buffer");
            break;
        }
        got = io_read_some(fd, in.p + in.len, READ_CHUNK, &e);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got == 0)
            eof = 1;
        in.len += (size_t)got;
        rc = dmlog_feed(&lg, in.p, in.len, eof, &used, &e);
        memmove(in.p, in.p + used, in.len - used);
        in.len -= used;
    }
    if (rc == 0)
        rc = txn_flush_all(lg.tx, &e);
    if (rc == 0 && fo.out.len)
        rc = io_write_all(1, fo.out.p, fo.out.len, &e);
    dmlog_report(&lg);
    /* most query-like lines in an unknown format: what was written is not
     * what the log holds, and a script must not take it for a success */
    mostly = rc == 0 && dmlog_mostly_unplaced(&lg);
    if (mostly)
        log_msg(LOG_ERROR, "%s: %llu of %llu query-like dnsmasq lines are in a format this "
                "input does not know and gave no transaction; set log-queries=extra or proto "
                "(Pi-hole: misc.extraLogging=true); see README/inputs.conf.spec", path,
                (unsigned long long)lg.unplaced, (unsigned long long)lg.like);
    dmlog_free(&lg);
    buf_free(&in);
    buf_free(&fo.out);
    if (fd > 0)
        close(fd);
    if (rc) {
        log_msg(LOG_ERROR, "%s", e.msg[0] ? e.msg : err_str(rc));
        return 1;
    }
    if (mostly)
        return 1;
    return 0;
}

/* ---------------------------------------------------------------- scheme */

static const char scheme_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<scheme>\n"
    "  <title>dnsmasq query log</title>\n"
    "  <description>One JSON event per DNS transaction (sourcetype dnsmasq:transaction) "
    "reassembled from dnsmasq's log-queries output, plain, extra or proto (Pi-hole's pihole.log "
    "too).</description>\n"
    "  <use_external_validation>true</use_external_validation>\n"
    "  <use_single_instance>false</use_single_instance>\n"
    "  <streaming_mode>xml</streaming_mode>\n"
    "  <endpoint>\n"
    "    <args>\n"
    "      <arg name=\"path\">\n"
    "        <title>Log file</title>\n"
    "        <description>Absolute path of dnsmasq's log (--log-facility=FILE, or a syslog "
    "file holding its lines).</description>\n"
    "        <data_type>string</data_type>\n"
    "        <required_on_edit>true</required_on_edit>\n"
    "        <required_on_create>true</required_on_create>\n"
    "      </arg>\n"
    "      <arg name=\"timezone\">\n"
    "        <title>Time zone of the log</title>\n"
    "        <description>Zone of dnsmasq's Mmm dd hh:mm:ss stamps: an IANA name "
    "(Europe/Berlin), UTC, or +hh:mm. Default: the host's zone.</description>\n"
    "        <data_type>string</data_type>\n"
    "        <required_on_edit>false</required_on_edit>\n"
    "        <required_on_create>false</required_on_create>\n"
    "      </arg>\n"
    "      <arg name=\"start\">\n"
    "        <title>Where to start in a new file</title>\n"
    "        <description>end (default) or beginning, for a file seen for the first "
    "time.</description>\n"
    "        <data_type>string</data_type>\n"
    "        <required_on_edit>false</required_on_edit>\n"
    "        <required_on_create>false</required_on_create>\n"
    "      </arg>\n"
    "      <arg name=\"flush_after\">\n"
    "        <title>Seconds to wait for late lines</title>\n"
    "        <description>How long a transaction waits for its reply lines before it is "
    "emitted without them (default 10).</description>\n"
    "        <validation>is_nonneg_int('flush_after')</validation>\n"
    "        <data_type>number</data_type>\n"
    "        <required_on_edit>false</required_on_edit>\n"
    "        <required_on_create>false</required_on_create>\n"
    "      </arg>\n"
    "    </args>\n"
    "  </endpoint>\n"
    "</scheme>\n";

/* ------------------------------------------------------------ parameters */

struct params {
    const char *path, *zone, *tz_env;
    int from_start;
    uint64_t flush;
    struct stamp_ctx clk;
};

/* Check every parameter; 0 or ERR_ARGS with a message naming it.  Run mode
 * passes need_file 0: a log that is missing for a while is waited for. */
static int check_params(const struct xmlin *x, struct params *pr, int need_file, struct err *e)
{
    const char *start = xmlin_get(x, "start"), *flush = xmlin_get(x, "flush_after");

    memset(pr, 0, sizeof *pr);
    pr->path = xmlin_get(x, "path");
    pr->zone = xmlin_get(x, "timezone");
    pr->flush = 10;
    if (pr->path == NULL || pr->path[0] == '\0')
        return err_set(e, ERR_ARGS, "path: missing (the dnsmasq log file)");
    if (pr->path[0] != '/')
        return err_set(e, ERR_ARGS, "path: must be an absolute path");
    if (need_file && access(pr->path, R_OK) != 0)
        return err_set(e, ERR_ARGS, "path: cannot read the file: %s", strerror(errno));
    if (stamp_zone_parse(pr->zone, &pr->clk, &pr->tz_env, e))
        return err_set(e, ERR_ARGS, "timezone: %s", e->msg);
    if (start && start[0] && strcmp(start, "end") != 0 && strcmp(start, "beginning") != 0)
        return err_set(e, ERR_ARGS, "start: must be end or beginning");
    pr->from_start = start && strcmp(start, "beginning") == 0;
    if (flush && flush[0] && num_parse_u64(slice_cstr(flush), 0, 86400, &pr->flush))
        return err_set(e, ERR_ARGS, "flush_after: must be a whole number of seconds, 0 to 86400");
    return 0;
}

/* x is always initialised, also when the XML is not parsed (too large, a
 * read error): callers free it on every path. */
static int read_stdin_xml(struct xmlin *x, struct err *e)
{
    struct buf b;
    char tmp[65536];
    int rc = 0;

    memset(x, 0, sizeof *x);
    buf_init(&b, MODINPUT_XML_MAX);
    for (;;) {
        ssize_t got = io_read_some(0, tmp, sizeof tmp, e);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got == 0)
            break;
        rc = buf_append(&b, tmp, (size_t)got);
        if (rc) {
            err_set(e, rc, rc == ERR_LIMIT ? "configuration XML larger than MODINPUT_XML_MAX "
                           "(%llu bytes; " LIMIT_BUILD_HINT ")" : "out of memory reading the "
                           "configuration XML (%llu bytes at most)",
                    (unsigned long long)MODINPUT_XML_MAX);
            break;
        }
    }
    if (rc == 0)
        rc = xmlin_parse(b.p ? b.p : "", b.len, x, e);
    buf_free(&b);
    return rc;
}

static void xml_error(const char *msg)
{
    struct buf b;
    struct err e;
    buf_init(&b, 4096);
    if (buf_appends(&b, "<error><message>") == 0 && xmlout_escape(&b, slice_cstr(msg)) == 0 &&
        buf_appends(&b, "</message></error>\n") == 0 && io_write_all(1, b.p, b.len, &e) != 0)
        log_msg(LOG_ERROR, "cannot write the validation error: %s", e.msg);
    buf_free(&b);
}

static int run_validate(void)
{
    struct xmlin x;
    struct params pr;
    struct err e;
    int rc;

    err_clear(&e);
    rc = read_stdin_xml(&x, &e);
    if (rc == 0)
        rc = check_params(&x, &pr, 1, &e);
    xmlin_free(&x);
    if (rc) {
        xml_error(e.msg);
        log_msg(LOG_ERROR, "validation failed: %s", e.msg);
        return 1;
    }
    return 0;
}

/* -------------------------------------------------------------- run mode */

#define CKPT_EVERY 64         /* events between checkpoints inside one read */
#define POLL_US 200000        /* idle poll of the file */
#define ROTATE_GRACE_S 2      /* keep reading a renamed file this long */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

struct run {
    struct params pr;
    struct xmlout_meta meta;
    char *ckpt_path;          /* OWNED */
    struct ckpt id;           /* identity of the open file; off/done unused */
    struct ckpt prev;         /* loaded checkpoint: done = already-emitted starts */
    uint64_t *done;           /* OWNED: starts emitted since the last compaction */
    size_t n_done, cap_done;
    struct dmlog lg;
    int lg_on;
    struct buf json, xml;
    unsigned since_ckpt;
    struct err *e;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Write the checkpoint for everything emitted so far.  `cur` is the offset
 * of the line being processed (or of the next unread byte). */
static int save_ckpt(struct run *r, uint64_t cur)
{
    struct ckpt c = r->id;
    size_t k = 0;
    uint64_t resume = txn_resume_off(r->lg.tx, cur);

    qsort(r->done, r->n_done, sizeof *r->done, cmp_u64);
    for (size_t i = 0; i < r->n_done; i++)
        if (r->done[i] >= resume && (k == 0 || r->done[k - 1] != r->done[i]))
            r->done[k++] = r->done[i];
    r->n_done = k;
    c.off = resume;
    c.done = r->done;
    c.n_done = r->n_done;
    r->since_ckpt = 0;
    return ckpt_save(r->ckpt_path, &c, r->e);
}

static int run_emit(void *ctx, const struct txn_ev *ev)
{
    struct run *r = ctx;
    int rc;

    if (r->n_done == r->cap_done) {
        size_t nc = r->cap_done ? r->cap_done * 2 : 1024;
        uint64_t *d;
        if (nc > DNSMASQ_INFLIGHT_MAX * 2)
            nc = DNSMASQ_INFLIGHT_MAX * 2;  /* the limit itself, not the next power */
        if (r->n_done >= DNSMASQ_INFLIGHT_MAX * 2)
            return err_set(r->e, ERR_LIMIT, "more than twice DNSMASQ_INFLIGHT_MAX (%llu) "
                           "transactions finished while an older one is still open; a smaller "
                           "flush_after in inputs.conf closes unanswered queries sooner ("
                           LIMIT_BUILD_HINT ")", (unsigned long long)DNSMASQ_INFLIGHT_MAX * 2);
        d = xreallocarray(r->done, nc, sizeof *d);
        if (d == NULL)
            return err_set(r->e, ERR_NOMEM, "out of memory");
        r->done = d;
        r->cap_done = nc;
    }
    r->done[r->n_done++] = ev->start_off;
    /* emitted before a restart: the checkpoint says so */
    if (ckpt_is_done(&r->prev, ev->start_off))
        return 0;
    buf_reset(&r->json);
    buf_reset(&r->xml);
    rc = jsonw_txn(&r->json, ev);
    if (rc == 0)
        rc = xmlout_event(&r->xml, &r->meta, ev->time_us, slice_of(r->json.p, r->json.len));
    if (rc)
        return err_set(r->e, rc, "cannot format an event");
    /* one write per event: splunkd sees every event as soon as it exists */
    rc = io_write_all(1, r->xml.p, r->xml.len, r->e);
    if (rc)
        return rc;
    if (++r->since_ckpt >= CKPT_EVERY)
        rc = save_ckpt(r, r->lg.off);
    return rc;
}

static int file_identity(int fd, struct ckpt *id)
{
    struct err e;
    struct stat st;
    unsigned char head[CKPT_HEAD_BYTES];
    ssize_t got;

    if (fstat(fd, &st) != 0)
        return -1;
    got = io_pread_full(fd, head, sizeof head, 0, &e);
    if (got < 0)
        return -1;
    id->dev = (uint64_t)st.st_dev;
    id->ino = (uint64_t)st.st_ino;
    id->head_len = (uint64_t)got;
    id->head_hash = ckpt_hash(head, (size_t)got);
    return 0;
}

/* Whether the open file still starts with the bytes a checkpoint hashed. */
static int same_head(int fd, const struct ckpt *c)
{
    unsigned char head[CKPT_HEAD_BYTES];
    struct err e;
    ssize_t got = io_pread_full(fd, head, (size_t)c->head_len, 0, &e);
    return got == (ssize_t)c->head_len && ckpt_hash(head, (size_t)got) == c->head_hash;
}

/* Offset just after the last newline before `size` (start=end). */
static uint64_t last_line_end(int fd, uint64_t size)
{
    char tmp[4096];
    struct err e;
    uint64_t pos = size;
    while (pos > 0) {
        size_t want = pos < sizeof tmp ? (size_t)pos : sizeof tmp;
        ssize_t got = io_pread_full(fd, tmp, want, (off_t)(pos - want), &e);
        if (got != (ssize_t)want)
            return 0;
        for (size_t i = want; i > 0; i--)
            if (tmp[i - 1] == '\n')
                return pos - want + i;
        pos -= want;
    }
    return 0;
}

static int start_log(struct run *r, uint64_t off)
{
    if (r->lg_on)
        dmlog_free(&r->lg);
    r->lg_on = 0;
    stamp_set_year(&r->pr.clk, 0, (int64_t)time(NULL));
    if (dmlog_init(&r->lg, &r->pr.clk, (int64_t)r->pr.flush * US_PER_SEC, run_emit, r, off))
        return err_set(r->e, ERR_NOMEM, "out of memory");
    r->lg_on = 1;
    return 0;
}

/* Open the log and decide where to start.  Returns the fd or -1 (missing). */
static int open_log(struct run *r, int first, uint64_t *pos)
{
    struct stat st;
    int fd = open(r->pr.path, O_RDONLY);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || file_identity(fd, &r->id) != 0) {
        close(fd);
        return -1;
    }
    *pos = 0;
    if (!first) {
        /* a new file after rotation: all of it is new */
        ckpt_free(&r->prev);
        return fd;
    }
    if (r->prev.head_len || r->prev.off) {
        if (r->prev.dev == r->id.dev && r->prev.ino == r->id.ino && same_head(fd, &r->prev) &&
            (uint64_t)st.st_size >= r->prev.off) {
            *pos = r->prev.off;
            log_msg(LOG_INFO, "resuming %s at offset %llu", r->pr.path,
                    (unsigned long long)*pos);
            return fd;
        }
        log_msg(LOG_WARN, "%s is not the file of the checkpoint (rotated or truncated while "
                          "stopped); reading it from the beginning", r->pr.path);
        ckpt_free(&r->prev);
        return fd;
    }
    if (!r->pr.from_start)
        *pos = last_line_end(fd, (uint64_t)st.st_size);
    return fd;
}

static int run_mode(void)
{
    struct xmlin x;
    struct run r;
    struct err e;
    struct buf in;
    struct buf name;
    int rc, fd = -1, warned_missing = 0;
    uint64_t pos = 0;
    int64_t idle_since = 0, rotated_at = 0;
    struct sigaction sa;

    memset(&r, 0, sizeof r);
    err_clear(&e);
    r.e = &e;
    buf_init(&in, (size_t)READ_CHUNK + DNSMASQ_LINE_MAX + 1);
    buf_init(&r.json, (size_t)DNSMASQ_ANSWERS_MAX * 6 * DNSMASQ_LINE_MAX);
    buf_init(&r.xml, (size_t)DNSMASQ_ANSWERS_MAX * 30 * DNSMASQ_LINE_MAX);
    buf_init(&name, 8192);
    rc = read_stdin_xml(&x, &e);
    if (rc == 0)
        rc = check_params(&x, &r.pr, 0, &e);
    if (rc == 0 && (x.checkpoint_dir == NULL || x.checkpoint_dir[0] == '\0'))
        rc = err_set(&e, ERR_ARGS, "no checkpoint_dir in the configuration");
    if (rc) {
        log_msg(LOG_ERROR, "%s", e.msg);
        xmlin_free(&x);
        return 1;
    }
    if (r.pr.tz_env)
        setenv("TZ", r.pr.tz_env, 1);
    tzset();
    /* one checkpoint file per stanza: sanitised name plus a hash */
    {
        const char *st = x.stanza ? x.stanza : "default";
        rc = buf_printf(&name, "%s/", x.checkpoint_dir);
        for (const char *c = st; *c && rc == 0 && c - st < 100; c++) {
            int keep = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                       (*c >= '0' && *c <= '9') || *c == '-' || *c == '.';
            char ch = *c;
            if (!keep)
                ch = '_';
            rc = buf_appendc(&name, ch);
        }
        if (rc == 0)
            rc = buf_printf(&name, "_%016llx.ckpt%c",
                            (unsigned long long)ckpt_hash(st, strlen(st)), '\0');
        if (rc)
            return 1;
        r.ckpt_path = name.p;
    }
    r.meta.stanza = x.stanza ? slice_cstr(x.stanza) : SLICE_NULL;
    r.meta.source = slice_cstr(r.pr.path);
    {
        const char *v = xmlin_get(&x, "sourcetype");
        r.meta.sourcetype = slice_cstr(v && v[0] ? v : "dnsmasq:transaction");
        v = xmlin_get(&x, "index");
        r.meta.index = v && v[0] ? slice_cstr(v) : SLICE_NULL;
        v = xmlin_get(&x, "host");
        r.meta.host = v && v[0] ? slice_cstr(v) : SLICE_NULL;
    }
    rc = ckpt_load(r.ckpt_path, &r.prev, &e);
    if (rc == ERR_INPUT)
        rc = 0;
    if (rc) {
        log_msg(LOG_ERROR, "%s", e.msg);
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = io_write_all(1, "<stream>\n", 9, &e);

    while (rc == 0 && !stop_flag) {
        struct err re;
        ssize_t got;
        size_t used = 0;
        if (fd < 0) {
            fd = open_log(&r, !r.lg_on && rotated_at == 0, &pos);
            if (fd < 0) {
                if (!warned_missing)
                    log_msg(LOG_WARN, "%s is missing; waiting for it", r.pr.path);
                warned_missing = 1;
                usleep(POLL_US);
                continue;
            }
            warned_missing = 0;
            rotated_at = 0;
            buf_reset(&in);
            rc = start_log(&r, pos);
            if (rc)
                break;
        }
        (void)dmlog_periodic(&r.lg, now_us());
        rc = buf_reserve(&in, READ_CHUNK);
        if (rc) {
            err_set(&e, rc, "input buffer");
            break;
        }
        got = io_pread_some(fd, in.p + in.len, READ_CHUNK, (off_t)(pos + in.len), &re);
        if (got < 0) {
            rc = err_set(&e, ERR_IO, "%s: %s", r.pr.path, re.msg);
            break;
        }
        if (got > 0) {
            in.len += (size_t)got;
            rc = dmlog_feed(&r.lg, in.p, in.len, 0, &used, &e);
            memmove(in.p, in.p + used, in.len - used);
            in.len -= used;
            pos += used;
            if (rc == 0 && r.since_ckpt)
                rc = save_ckpt(&r, pos);
            idle_since = 0;
            continue;
        }
        /* at the end of the file */
        {
            struct stat ps, fs;
            int64_t t = now_us();
            if (idle_since == 0)
                idle_since = t;
            if (fstat(fd, &fs) == 0 && (uint64_t)fs.st_size < pos + in.len) {
                /* copytruncate: what was there is gone, start again at 0 */
                log_msg(LOG_INFO, "%s was truncated; reading it from the start", r.pr.path);
                rc = txn_flush_all(r.lg.tx, &e);
                if (rc == 0)
                    rc = save_ckpt(&r, pos);
                pos = 0;
                buf_reset(&in);
                if (rc == 0 && file_identity(fd, &r.id) == 0)
                    rc = start_log(&r, 0);
                continue;
            }
            if (stat(r.pr.path, &ps) != 0 || (uint64_t)ps.st_ino != r.id.ino ||
                (uint64_t)ps.st_dev != r.id.dev) {
                /* renamed away (or deleted): give dnsmasq time to reopen,
                 * finish the old file, then take the new one */
                if (rotated_at == 0)
                    rotated_at = t;
                if (t - rotated_at >= ROTATE_GRACE_S * US_PER_SEC) {
                    rc = dmlog_feed(&r.lg, in.p, in.len, 1, &used, &e);
                    pos += used;
                    if (rc == 0)
                        rc = txn_flush_all(r.lg.tx, &e);
                    if (rc == 0)
                        rc = save_ckpt(&r, pos);
                    close(fd);
                    fd = -1;
                    continue;
                }
            }
            if (r.pr.flush == 0 || t - idle_since >= (int64_t)r.pr.flush * US_PER_SEC) {
                /* nothing new for flush_after: the open ones get no more lines */
                if (txn_open_count(r.lg.tx)) {
                    rc = txn_flush_all(r.lg.tx, &e);
                    if (rc == 0)
                        rc = save_ckpt(&r, pos);
                }
            }
            usleep(POLL_US);
        }
    }
    if ((rc == 0 || stop_flag) && io_write_all(1, "</stream>\n", 10, &e) != 0)
        rc = rc ? rc : ERR_PIPE;
    if (r.lg_on) {
        dmlog_report(&r.lg);
        dmlog_free(&r.lg);
    }
    if (fd >= 0)
        close(fd);
    ckpt_free(&r.prev);
    xfree(r.done);
    buf_free(&in);
    buf_free(&r.json);
    buf_free(&r.xml);
    buf_free(&name);
    xmlin_free(&x);
    if (rc && !stop_flag) {
        log_msg(LOG_ERROR, "%s", e.msg[0] ? e.msg : err_str(rc));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    log_set_prefix("dnsmasq_log: ");
    if (argc >= 2 && strcmp(argv[1], "--file") == 0)
        return run_file(argc, argv);
    if (argc == 2 && strcmp(argv[1], "--scheme") == 0) {
        struct err e;
        return io_write_all(1, scheme_xml, sizeof scheme_xml - 1, &e) ? 1 : 0;
    }
    if (argc == 2 && strcmp(argv[1], "--validate-arguments") == 0)
        return run_validate();
    if (argc == 1)
        return run_mode();
    log_msg(LOG_ERROR, "unknown arguments");
    return usage();
}
