/*
 * scp: the chunked protocol session (Search Command Protocol v2).
 *
 * scp_run plays the command's side: read getinfo, let the command check its
 * arguments and declare its type, answer; then for every execute request
 * parse the CSV body, let the command queue output rows, and write exactly
 * one reply, only after the whole request has been read (splunkd cannot take
 * partial or unsolicited replies).  A reporting command may ask for early
 * replies (scp_getinfo.early_reply): its requests are then worked on beside
 * the reading of the next one.  Any error becomes one reply with
 * {"finished":true} and an ERROR inspector message, one stderr line, and exit
 * status 1.  The session key never leaves struct meta_info.
 */
#ifndef SCP_H
#define SCP_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "scp/args.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/csvw.h"
#include "scp/meta.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/log.h"

enum scp_type { SCP_STREAMING, SCP_STATEFUL, SCP_EVENTS, SCP_REPORTING };

#define SCP_REQUIRED_MAX 64

struct scp_getinfo {
    enum scp_type type;
    const char *required[SCP_REQUIRED_MAX];  /* BORROWED until the reply is sent */
    size_t nrequired;                        /* 0 = all fields */
    /* 1: the command emits rows only for the final request (a reporting
     * command).  Every other request is then answered as soon as it has
     * been read, and its execute and written hooks run on a second thread
     * while the next request is read and parsed (when a second processor
     * is online and scp_pipeline is set).  Messages and errors of that work
     * go in the next reply; the hooks run in request order, one at a time,
     * and the final request's execute on the main thread after them all. */
    int early_reply;
    /* A reporting command's map phase: SPL that splunkd runs on every
     * indexer before this command ("streaming_preop"), or NULL.  BORROWED
     * until the reply has been written. */
    const char *streaming_preop;
};

/* 0 turns early replies off for every command (tests compare both). */
extern int scp_pipeline;

struct scp;

struct scp_command {
    const char *name;  /* for messages: "dnsjoin" */
    /* Check arguments (consume them from `a`, then args_finish) and declare
     * the type.  0 or an ERR_* code with e filled. */
    int (*getinfo)(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                   struct err *e);
    /* Handle one request: queue reply rows with scp_emit / csvw_add.  `in`
     * and its cells are valid until this reply has been written. */
    int (*execute)(struct scp *s, void *state, const struct csv_table *in, int finished,
                   struct err *e);
    /* Optional: called after each reply but the last has been written,
     * before the next request is read (the input buffer is then reused):
     * the command copies what it still needs of `in`.  An error is
     * reported in the reply to the next request. */
    int (*written)(struct scp *s, void *state, struct err *e);
    /* Optional: the command's state for the session (OWNED by scp_run,
     * released with destroy after the last reply). */
    void *(*create)(void);
    void (*destroy)(void *state);
};

struct scp_message {
    char level[8];
    char text[SCP_MESSAGE_LEN_MAX];
};

struct scp {
    struct cols *cols;            /* OWNED: the session's column names */
    struct arena arena;           /* per-reply scratch, reset after each reply */
    struct csvw out;              /* rows of the reply being built */
    struct schema in_schema;      /* the current request's columns (VIEW of the table) */
    struct meta_info info;        /* getinfo's searchinfo (session key inside) */
    /* Columns the command reads: set at getinfo to store only their cells
     * (want_set 0: all columns). */
    const uint32_t *want;         /* BORROWED from the command's state */
    size_t nwant;
    int want_set;
    struct scp_message msgs[SCP_MESSAGES_MAX];
    size_t nmsgs;
    uint64_t requests, rows_in, rows_out;
};

/* Add an inspector message to the current reply (WARN and ERROR are also
 * written to stderr).  Past SCP_MESSAGES_MAX messages are dropped. */
void scp_msg(struct scp *s, enum log_level lv, const char *fmt, ...) ATTR_FMT(3, 4);

/* Queue one output row (cells BORROWED until the reply is written). */
int scp_emit(struct scp *s, const struct schema *sc, const struct slice *cells) WARN_UNUSED;

/* Queue a row given as (raw text or SLICE_NULL, schema, cells) plus optional
 * extra fields; all BORROWED until the reply is written. */
int scp_emit_full(struct scp *s, struct slice raw, const struct schema *sc, const char *base,
                  const struct cell *cells, const struct schema *xs,
                  const struct slice *xcells) WARN_UNUSED;

/* Queue a row held in rowpack's form whose text is n bytes
 * (csvw_add_packed); all BORROWED until the reply is written. */
int scp_emit_packed(struct scp *s, const char *stored, size_t n, const struct schema *sc,
                    const struct schema *xs, const struct slice *xcells) WARN_UNUSED;

/* Queue n generated rows, gen(i) .. gen(i + n - 1) (csvw_add_gen): gen
 * makes their cells while the reply is written; sc and ctx are BORROWED
 * until then. */
int scp_emit_gen(struct scp *s, const struct schema *sc, csvw_gen_fn gen, void *ctx,
                 size_t i, size_t n) WARN_UNUSED;
/* The same with a line producer as well (csvw_add_gen_lines). */
int scp_emit_gen_lines(struct scp *s, const struct schema *sc, csvw_gen_fn gen,
                       csvw_line_fn line, void *ctx, size_t i, size_t n) WARN_UNUSED;

/* Queue row `r` of the current request unchanged, plus optional extra
 * fields; its input text is reused verbatim when possible. */
int scp_emit_row(struct scp *s, const struct csv_table *in, size_t r, const struct schema *xs,
                 const struct slice *xcells) WARN_UNUSED;

/* Run a whole session on (in_fd, out_fd).  `state` is passed to the command
 * when it has no create hook.  Returns the process exit status: 0 after a
 * clean end of input, 1 after an error (already reported). */
int scp_run(const struct scp_command *cmd, void *state, int in_fd, int out_fd);

const char *scp_type_name(enum scp_type t);

#endif
