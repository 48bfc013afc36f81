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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"
#include "modinput/dmlog.h"
#include "modinput/jsonw.h"
#include "modinput/stamp.h"
#include "util/buf.h"
#include "util/io.h"
#include "util/log.h"
#include "util/num.h"

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
    int fd, rc = 0, eof = 0;

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
    dmlog_free(&lg);
    buf_free(&in);
    buf_free(&fo.out);
    if (fd > 0)
        close(fd);
    if (rc) {
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
    log_msg(LOG_ERROR, "Splunk modes (--scheme, --validate-arguments, run mode) are not implemented yet");
    return usage();
}
