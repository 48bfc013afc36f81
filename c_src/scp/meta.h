/*
 * meta: the JSON side of the protocol, and the only module that includes
 * jansson.  It decodes request metadata (getinfo's searchinfo, execute's
 * finished flag) into plain C structs and encodes reply metadata.
 *
 * Unknown keys are ignored (splunkd adds keys between versions).  The
 * session key is copied into memory that meta_info_free wipes; it is never
 * formatted into any message.
 */
#ifndef META_H
#define META_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

enum meta_action { META_GETINFO, META_EXECUTE, META_OTHER };

struct meta_request {
    enum meta_action action;
    int finished;          /* execute: "finished" (false when absent) */
};

/* searchinfo from getinfo.  Every string is OWNED (NUL-terminated, may be
 * empty when absent); free with meta_info_free. */
struct meta_info {
    char **args;           /* searchinfo.args, quotes removed by splunkd */
    size_t nargs;
    char **raw_args;
    size_t nraw_args;
    char *command, *sid, *app, *owner, *username, *dispatch_dir;
    char *splunkd_uri, *splunk_version, *search;
    char *session_key;     /* secret: wiped on free */
    size_t session_key_len;
    int64_t earliest_us, latest_us;  /* 0 = unbounded ("0" or absent) */
    int64_t maxresultrows;           /* 0 when absent */
    int preview;
};

/* Parse request metadata.  For getinfo, `info` (may be NULL otherwise) is
 * filled.  0, ERR_JSON (not a JSON object, bad types) or ERR_NOMEM. */
int meta_parse(const char *p, size_t n, struct meta_request *req, struct meta_info *info,
               struct err *e) WARN_UNUSED;

void meta_info_free(struct meta_info *info);

/* One inspector message. */
struct meta_msg {
    const char *level;     /* "INFO", "WARN", "ERROR" */
    const char *text;      /* bytes outside printable ASCII are replaced */
};

/* getinfo reply: {"type":..., "required_fields":[...], "inspector":...} plus
 * "finished":true when `finished`.  type may be NULL (error replies). */
int meta_getinfo_reply(struct buf *out, const char *type, const char *const *required,
                       size_t nrequired, const struct meta_msg *msgs, size_t nmsgs,
                       int finished) WARN_UNUSED;
/* The same plus "streaming_preop" (a reporting command's map phase) when
 * preop is not NULL. */
int meta_getinfo_reply_preop(struct buf *out, const char *type, const char *preop,
                             const char *const *required, size_t nrequired,
                             const struct meta_msg *msgs, size_t nmsgs, int finished) WARN_UNUSED;

/* execute reply: {"finished":<bool>, "inspector":...}. */
int meta_execute_reply(struct buf *out, int finished, const struct meta_msg *msgs,
                       size_t nmsgs) WARN_UNUSED;

/* For the splunkd stand-in: a getinfo request in splunkd 8.2.1 key order. */
struct meta_getinfo_req {
    const char *const *args;  /* unquoted */
    const char *const *raw_args;
    size_t nargs;
    const char *command, *search, *dispatch_dir, *sid;
    const char *earliest, *latest;  /* epoch strings, "0" = unbounded */
    int64_t maxresultrows;
};
int meta_getinfo_request(struct buf *out, const struct meta_getinfo_req *g) WARN_UNUSED;

/* For the stand-in: decode a reply's metadata. */
struct meta_reply {
    int has_finished, finished;
    char type[32];             /* getinfo: the declared type, "" if absent */
    int has_error;             /* an ERROR or FATAL message is present */
    char *messages;            /* OWNED: "LEVEL text\n" lines, or NULL */
    char **required;           /* OWNED list, or NULL */
    size_t nrequired;
    char *streaming_preop;     /* OWNED: getinfo's map phase SPL, or NULL */
};
int meta_parse_reply(const char *p, size_t n, struct meta_reply *r, struct err *e) WARN_UNUSED;
void meta_reply_free(struct meta_reply *r);

#endif
