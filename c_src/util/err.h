/*
 * err: error codes plus a fixed-size message, so reporting never allocates.
 *
 * Library code returns an ERR_* code (0 = ok, negative = error) and fills a
 * caller-supplied struct err; only main() turns that into an ERROR reply, a
 * stderr line and an exit status.  Messages must never contain the session
 * key or raw row data beyond a short, sanitised excerpt.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

#define ERR_MAP(X)                                                     \
    X(OK, 0, "ok")                                                     \
    X(NOMEM, -1, "out of memory")                                      \
    X(IO, -2, "input/output error")                                    \
    X(EOF_TRUNC, -3, "input ended inside a frame")                     \
    X(FRAME, -4, "malformed frame header")                             \
    X(LIMIT, -5, "input exceeds a limit")                              \
    X(JSON, -6, "malformed JSON metadata")                             \
    X(PROTO, -7, "protocol violation")                                 \
    X(CSV, -8, "malformed CSV body")                                   \
    X(ARGS, -9, "bad command argument")                                \
    X(PIPE, -10, "output pipe closed")                                 \
    X(TIMEOUT, -11, "timed out")                                       \
    X(INPUT, -12, "bad input data")                                    \
    X(REST, -13, "REST request failed")                                \
    X(STATE, -14, "invalid state")

enum err_code {
#define ERR_ENUM(name, val, text) ERR_##name = (val),
    ERR_MAP(ERR_ENUM)
#undef ERR_ENUM
};

#define ERR_MSG_MAX 512

struct err {
    int code;                /* ERR_* */
    char msg[ERR_MSG_MAX];   /* one line, no newline, NUL-terminated */
};

#if defined(__GNUC__)
#define ATTR_FMT(a, b) __attribute__((format(printf, a, b)))
#define WARN_UNUSED __attribute__((warn_unused_result))
#else
#define ATTR_FMT(a, b)
#define WARN_UNUSED
#endif

/* Set code and message; returns code so callers can `return err_set(...)`.
 * Newlines in the formatted text are replaced so the message stays one line. */
int err_set(struct err *e, int code, const char *fmt, ...) ATTR_FMT(3, 4);

/* Short fixed text for a code. */
const char *err_str(int code);

void err_clear(struct err *e);

#endif
