#include "scp/scp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scp/chunk.h"
#include "util/buf.h"
#include "util/worker.h"
#include "util/xmem.h"

int scp_pipeline = 1;

const char *scp_type_name(enum scp_type t)
{
    switch (t) {
    case SCP_STREAMING: return "streaming";
    case SCP_STATEFUL: return "stateful";
    case SCP_EVENTS: return "events";
    case SCP_REPORTING: return "reporting";
    }
    return "streaming";
}

void scp_msg(struct scp *s, enum log_level lv, const char *fmt, ...)
{
    struct scp_message *m;
    va_list ap;

    if (s->nmsgs >= SCP_MESSAGES_MAX)
        return;
    m = &s->msgs[s->nmsgs++];
    snprintf(m->level, sizeof m->level, "%s", log_level_name(lv));
    va_start(ap, fmt);
    vsnprintf(m->text, sizeof m->text, fmt, ap);
    va_end(ap);
    if (lv >= LOG_WARN)
        log_msg(lv, "%s", m->text);
}

int scp_emit(struct scp *s, const struct schema *sc, const struct slice *cells)
{
    s->rows_out++;
    return csvw_add(&s->out, sc, cells);
}

int scp_emit_full(struct scp *s, struct slice raw, const struct schema *sc, const char *base,
                  const struct cell *cells, const struct schema *xs, const struct slice *xcells)
{
    s->rows_out++;
    return csvw_add2(&s->out, raw, sc, base, cells, xs, xcells);
}

int scp_emit_packed(struct scp *s, const char *stored, size_t n, const struct schema *sc,
                    const struct schema *xs, const struct slice *xcells)
{
    s->rows_out++;
    return csvw_add_packed(&s->out, stored, n, sc, xs, xcells);
}

int scp_emit_gen(struct scp *s, const struct schema *sc, csvw_gen_fn gen, void *ctx, size_t i,
                 size_t n)
{
    return scp_emit_gen_lines(s, sc, gen, NULL, ctx, i, n);
}

int scp_emit_gen_lines(struct scp *s, const struct schema *sc, csvw_gen_fn gen,
                       csvw_line_fn line, void *ctx, size_t i, size_t n)
{
    s->rows_out += n;
    return csvw_add_gen_lines(&s->out, sc, gen, line, ctx, i, n);
}

int scp_emit_row(struct scp *s, const struct csv_table *in, size_t r, const struct schema *xs,
                 const struct slice *xcells)
{
    s->rows_out++;
    /* the row's text stands for all its fields */
    return csvw_add2(&s->out, in->raw[r], &s->in_schema, NULL, NULL, xs, xcells);
}

/* Collect messages in the form meta wants. */
static size_t msg_view(struct scp *s, struct meta_msg *v)
{
    for (size_t i = 0; i < s->nmsgs; i++) {
        v[i].level = s->msgs[i].level;
        v[i].text = s->msgs[i].text;
    }
    return s->nmsgs;
}

/* The fatal pattern: one reply with finished and an ERROR message, empty
 * body, one stderr line.  The reply may fail (splunkd gone): ignore that. */
/* {"finished":true,"inspector":{"messages":[["ERROR",text]]}} into buf
 * (room for text escaped: 6 bytes per byte, plus 96), with no allocation;
 * bytes outside ASCII become '?' so the JSON is valid whatever the text. */
static size_t error_meta(char *buf, size_t cap, const char *text)
{
    static const char head[] = "{\"finished\":true,\"inspector\":{\"messages\":[[\"ERROR\",\"";
    static const char tail[] = "\"]]}}";
    size_t n = sizeof head - 1;
    memcpy(buf, head, n);
    for (const unsigned char *p = (const unsigned char *)text;
         *p && n + 6 + sizeof tail < cap; p++) {
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)*p;
        } else if (*p < 0x20) {
            n += (size_t)snprintf(buf + n, 7, "\\u%04x", *p);
        } else {
            buf[n++] = (char)(*p < 0x80 ? *p : '?');
        }
    }
    memcpy(buf + n, tail, sizeof tail - 1);
    return n + sizeof tail - 1;
}

static int fail(struct scp *s, const struct scp_command *cmd, int out_fd, int getinfo_phase,
                const struct err *e)
{
    struct meta_msg v[SCP_MESSAGES_MAX + 1];
    struct buf meta;
    struct err we;
    size_t n;

    const char *text = e->msg[0] ? e->msg : err_str(e->code);
    size_t nl = strlen(cmd->name);
    s->nmsgs = s->nmsgs < SCP_MESSAGES_MAX ? s->nmsgs : SCP_MESSAGES_MAX - 1;
    /* Every message names the command once (search.log mixes commands). */
    if (strncmp(text, cmd->name, nl) == 0 && text[nl] == ':')
        scp_msg(s, LOG_ERROR, "%s", text);
    else
        scp_msg(s, LOG_ERROR, "%s: %s", cmd->name, text);
    n = msg_view(s, v);
    buf_init(&meta, SCP_META_MAX);
    int rc = getinfo_phase ? meta_getinfo_reply(&meta, NULL, NULL, 0, v, n, 1)
                           : meta_execute_reply(&meta, 1, v, n);
    if (e->code != ERR_PIPE) {
        char fb[SCP_MESSAGE_LEN_MAX * 6 + 96];
        const char *mp = meta.p;
        size_t ml = meta.len;
        if (rc != 0) {
            /* out of memory: the ERROR alone, built without allocating */
            ml = error_meta(fb, sizeof fb, s->msgs[s->nmsgs - 1].text);
            mp = fb;
        }
        if (frame_write(out_fd, mp, ml, NULL, 0, &we))
            log_msg(LOG_WARN, "%s: could not send the error reply: %s", cmd->name, we.msg);
    }
    buf_free(&meta);
    return 1;
}

static int do_getinfo(struct scp *s, const struct scp_command *cmd, void *state,
                      struct frame *f, int out_fd, int *early_reply, struct err *e)
{
    struct meta_request req;
    struct scp_getinfo gi;
    struct args *a = NULL;
    struct meta_msg v[SCP_MESSAGES_MAX];
    struct buf meta;
    int rc;

    rc = meta_parse(f->meta, f->meta_len, &req, &s->info, e);
    if (rc)
        return rc;
    if (req.action != META_GETINFO)
        return err_set(e, ERR_PROTO, "the first request must be getinfo");
    if (f->body_len != 0)
        return err_set(e, ERR_PROTO, "getinfo request carries a %zu-byte body; none expected",
                       f->body_len);
    a = xmalloc(sizeof *a);
    if (a == NULL)
        return err_set(e, ERR_NOMEM, "out of memory");
    rc = args_parse(a, (const char *const *)s->info.args, s->info.nargs, e);
    memset(&gi, 0, sizeof gi);
    gi.type = SCP_STREAMING;
    if (rc == 0)
        rc = cmd->getinfo(s, state, a, &gi, e);
    xfree(a);
    if (rc)
        return rc;
    buf_init(&meta, SCP_META_MAX);
    rc = meta_getinfo_reply_preop(&meta, scp_type_name(gi.type), gi.streaming_preop,
                                  gi.required, gi.nrequired, v, msg_view(s, v), 0);
    if (rc == 0)
        rc = frame_write(out_fd, meta.p, meta.len, NULL, 0, e);
    else
        err_set(e, rc, "out of memory writing the getinfo reply");
    buf_free(&meta);
    s->nmsgs = 0;
    *early_reply = gi.early_reply;
    return rc;
}

/* do_execute's return when the reply went out but the command's written
 * hook failed (not an ERR_* code: those are negative). */
#define SCP_DEFERRED 1

/* Parse an execute request into t (with copy, its values copied out of the
 * frame); *finished from its metadata. */
static int read_request(struct scp *s, struct frame *f, struct csv_table *t, int copy,
                        int *finished, struct err *e)
{
    struct meta_request req;
    *finished = 0;
    int rc = meta_parse(f->meta, f->meta_len, &req, NULL, e);
    if (rc)
        return rc;
    if (req.action == META_GETINFO)
        return err_set(e, ERR_PROTO, "a second getinfo request arrived");
    if (req.action != META_EXECUTE)
        return err_set(e, ERR_PROTO, "unknown request action");
    static const uint32_t none[1] = {COL_NONE};
    const uint32_t *want = NULL;
    if (s->want_set)
        want = s->nwant ? s->want : none;  /* an empty list, not "all" */
    rc = (copy ? csv_parse_copy : csv_parse_want)(f->body, f->body_len, s->cols, want,
                                                  s->nwant, t, e);
    if (rc)
        return rc;
    s->rows_in += t->nrows;
    *finished = req.finished;
    return 0;
}

/* Write one reply: the rows queued so far and the messages, which go. */
static int send_reply(struct scp *s, int finished, struct buf *meta, int out_fd, struct err *e)
{
    struct meta_msg v[SCP_MESSAGES_MAX];
    size_t body_len;
    int rc = csvw_prepare(&s->out, s->cols, &body_len, e);
    if (rc)
        return rc;
    buf_reset(meta);
    rc = meta_execute_reply(meta, finished, v, msg_view(s, v));
    if (rc)
        return err_set(e, rc, "out of memory writing a reply");
    rc = frame_write_head(out_fd, meta->p, meta->len, body_len, e);
    if (rc == 0)
        rc = csvw_write(&s->out, s->cols, out_fd, e);
    if (rc)
        return rc;
    csvw_reset(&s->out);
    s->nmsgs = 0;
    return 0;
}

static int do_execute(struct scp *s, const struct scp_command *cmd, void *state,
                      struct frame *f, struct csv_table *t, struct buf *meta, int out_fd,
                      int *finished, struct err *e)
{
    int fin = 0, rc = read_request(s, f, t, 0, &fin, e);
    if (rc)
        return rc;
    s->in_schema.n = t->ncols;
    s->in_schema.ids = t->ids;
    rc = cmd->execute(s, state, t, fin, e);
    if (rc == 0)
        rc = send_reply(s, fin, meta, out_fd, e);
    if (rc)
        return rc;
    *finished = fin;
    /* Before the arena goes: what the command keeps may still point there. */
    if (!fin && cmd->written != NULL && cmd->written(s, state, e) != 0)
        rc = SCP_DEFERRED;
    arena_reset(&s->arena);
    return rc;
}

/* ---- early replies -------------------------------------------------------
 * The main thread reads and parses request k+1 while the pipeline thread
 * runs the hooks of request k; it then waits for them and answers k+1
 * (with their messages, or their error), and hands k+1 over.  Only one job
 * is ever in flight, so the two never touch the command's state, the arena
 * or the messages at the same time.  The two tables take turns, and each
 * holds a copy of its wanted values (csv_parse_copy): the frame buffer is
 * read into again at once, and a second one (the size of a whole chunk)
 * is not needed. */

struct scp_job {
    const struct scp_command *cmd;
    void *state;
    struct scp *s;
    const struct csv_table *t;  /* BORROWED: the request's table */
    int rc;
    struct err e;
};

struct pipeline {
    struct worker *w;           /* OWNED; NULL: requests run one by one */
    struct csv_table t[2];
    int next;                   /* the table the next request is parsed into */
    int busy;                   /* a job was handed over and not waited for */
    struct scp_job job;
};

static int run_job(void *ctx, void *arg)
{
    struct scp_job *j = arg;
    struct scp *s = j->s;
    uint64_t before = s->rows_out;
    (void)ctx;
    s->in_schema.n = j->t->ncols;
    s->in_schema.ids = j->t->ids;
    j->rc = j->cmd->execute(s, j->state, j->t, 0, &j->e);
    if (j->rc == 0 && s->rows_out != before) {
        /* its reply has gone: the rows would be lost */
        csvw_reset(&s->out);
        j->rc = err_set(&j->e, ERR_STATE, "rows emitted before the final request");
    }
    if (j->rc == 0 && j->cmd->written != NULL)
        j->rc = j->cmd->written(s, j->state, &j->e);
    arena_reset(&s->arena);
    return j->rc;
}

/* Wait for the job in flight; 0 or its error (in e). */
static int pipeline_wait(struct pipeline *pl, struct err *e)
{
    if (pl->w == NULL || !pl->busy)
        return 0;
    int rc = worker_wait(pl->w);
    pl->busy = 0;
    if (pl->job.rc != 0) {
        *e = pl->job.e;
        return pl->job.rc;
    }
    return rc ? err_set(e, rc, "%s", err_str(rc)) : 0;
}

static int do_execute_early(struct scp *s, const struct scp_command *cmd, void *state,
                            struct frame *f, struct pipeline *pl, struct buf *meta,
                            int out_fd, int *finished, struct err *e)
{
    struct csv_table *t = &pl->t[pl->next];
    struct err pe;
    int fin = 0;
    err_clear(&pe);
    int rc = read_request(s, f, t, 1, &fin, &pe);  /* beside the job in flight */
    int jrc = pipeline_wait(pl, e);
    if (jrc)
        return jrc;  /* the earlier request's error first */
    if (rc) {
        *e = pe;
        return rc;
    }
    if (fin) {
        /* the result is built next, without the request before's memory */
        csv_table_free(&pl->t[pl->next ^ 1]);
        s->in_schema.n = t->ncols;
        s->in_schema.ids = t->ids;
        rc = cmd->execute(s, state, t, 1, e);
        if (rc == 0)
            rc = send_reply(s, 1, meta, out_fd, e);
        *finished = rc == 0;
        arena_reset(&s->arena);
        return rc;
    }
    rc = send_reply(s, 0, meta, out_fd, e);
    if (rc)
        return rc;
    pl->job = (struct scp_job){.cmd = cmd, .state = state, .s = s, .t = t};
    pl->busy = 1;
    pl->next ^= 1;
    /* nothing is in flight, so this returns at once and reports nothing */
    rc = worker_submit(pl->w, &pl->job);
    return rc ? err_set(e, rc, "%s", err_str(rc)) : 0;
}

/* Early replies when the command asks for them and a second processor can
 * run its hooks; otherwise requests run one by one. */
static void pipeline_start(struct pipeline *pl, int early_reply)
{
    if (!early_reply || !scp_pipeline || worker_cpus() < 2)
        return;
    pl->w = worker_new(run_job, NULL, 1, 1);
    if (pl->w != NULL && !worker_threaded(pl->w)) {
        worker_free(pl->w);  /* no thread: nothing would overlap */
        pl->w = NULL;
    }
}

int scp_run(const struct scp_command *cmd, void *state, int in_fd, int out_fd)
{
    struct scp *s = xcalloc(1, sizeof *s);
    struct frame_reader rd;
    struct pipeline pl;
    struct buf meta;
    struct frame f;
    struct err e;
    int status = 0, rc, finished = 0, getinfo_done = 0, deferred = 0, early = 0;

    if (s == NULL || (s->cols = cols_new()) == NULL ||
        (cmd->create != NULL && (state = cmd->create()) == NULL)) {
        log_msg(LOG_ERROR, "%s: out of memory at start", cmd->name);
        if (s)
            cols_free(s->cols);
        xfree(s);
        return 1;
    }
    err_clear(&e);
    arena_init(&s->arena, 1u << 20, SCP_REPLY_MAX);
    csvw_init(&s->out);
    frame_reader_init(&rd, in_fd);
    memset(&pl, 0, sizeof pl);
    csv_table_init(&pl.t[0]);
    csv_table_init(&pl.t[1]);
    buf_init(&meta, SCP_META_MAX);

    for (;;) {
        rc = frame_read(&rd, &f, &e);
        if (rc <= 0 && pl.busy) {
            /* the request before is still being worked on: its error came
             * first, and the reply to this one is where it goes */
            struct err je;
            if (pipeline_wait(&pl, &je) != 0) {
                if (rc < 0)
                    log_msg(LOG_ERROR, "%s: %s", cmd->name, e.msg);
                e = je;
                rc = -1;
            }
        }
        if (rc == 0) {
            if (deferred) {
                log_msg(LOG_ERROR, "%s: %s", cmd->name, e.msg);
                status = 1;
            } else if (getinfo_done && !finished)
                log_msg(LOG_INFO, "%s: input ended before the final request", cmd->name);
            break;
        }
        if (rc < 0) {
            status = fail(s, cmd, out_fd, !getinfo_done, &e);
            break;
        }
        s->requests++;
        if (!getinfo_done) {
            rc = do_getinfo(s, cmd, state, &f, out_fd, &early, &e);
            getinfo_done = rc == 0;
            if (getinfo_done)
                pipeline_start(&pl, early);
        } else if (finished) {
            rc = err_set(&e, ERR_PROTO, "a request arrived after the final one");
        } else if (deferred) {
            rc = e.code;  /* e holds what failed after the last reply */
        } else if (pl.w != NULL) {
            rc = do_execute_early(s, cmd, state, &f, &pl, &meta, out_fd, &finished, &e);
        } else {
            rc = do_execute(s, cmd, state, &f, &pl.t[0], &meta, out_fd, &finished, &e);
            if (rc == SCP_DEFERRED) {
                /* The reply is out: the error goes in the next one. */
                deferred = 1;
                rc = 0;
            }
        }
        if (rc) {
            status = fail(s, cmd, out_fd, !getinfo_done, &e);
            break;
        }
    }

    worker_free(pl.w);  /* idle: every job was waited for */
    if (cmd->destroy != NULL)
        cmd->destroy(state);
    buf_free(&meta);
    csv_table_free(&pl.t[0]);
    csv_table_free(&pl.t[1]);
    frame_reader_free(&rd);
    csvw_free(&s->out);
    arena_free(&s->arena);
    cols_free(s->cols);
    meta_info_free(&s->info);
    xfree(s);
    return status;
}
