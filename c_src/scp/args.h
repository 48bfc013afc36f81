/*
 * args: SPL arguments as splunkd sends them in searchinfo.args (one string
 * per token, quotes already removed): `name=value` options and bare words.
 *
 * Hand-written and linear (the Python SDK's regex parser had catastrophic
 * backtracking).  A command reads the options it knows with the typed
 * getters, consumes the bare words it expects, then calls args_finish, which
 * rejects anything left over, so a typo is an error and not silently
 * ignored.
 */
#ifndef ARGS_H
#define ARGS_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "util/err.h"
#include "util/slice.h"

struct args_item {
    struct slice name;   /* VIEW into the argument string; blank for a bare word */
    struct slice value;  /* VIEW: the value, or the whole bare word */
    int is_word;
    int used;
};

struct args {
    struct args_item items[ARGS_COUNT_MAX];
    size_t n;
};

/* Split argv (BORROWED, must outlive a) into items.  0, ERR_ARGS or
 * ERR_LIMIT (ARGS_COUNT_MAX, ARG_LEN_MAX), e filled. */
int args_parse(struct args *a, const char *const *argv, size_t argc, struct err *e) WARN_UNUSED;

/* Each getter: 0 with *out set (to def when the option is absent), or
 * ERR_ARGS with a message naming the option and the accepted values. */
int args_str(struct args *a, const char *name, struct slice def, struct slice *out,
             struct err *e) WARN_UNUSED;
int args_span(struct args *a, const char *name, int64_t def_us, int64_t min_us, int64_t max_us,
              int64_t *out, struct err *e) WARN_UNUSED;
int args_uint(struct args *a, const char *name, uint64_t def, uint64_t min, uint64_t max,
              uint64_t *out, struct err *e) WARN_UNUSED;
int args_bool(struct args *a, const char *name, int def, int *out, struct err *e) WARN_UNUSED;
/* choices is NULL-terminated; *out is the index. */
int args_enum(struct args *a, const char *name, const char *const *choices, int def, int *out,
              struct err *e) WARN_UNUSED;

/* Index of the next unused bare word at or after `from`, or -1. */
long args_next_word(const struct args *a, size_t from);

/* Error for the first unused item ("unknown option", "unexpected word"). */
int args_finish(const struct args *a, const char *cmd, struct err *e) WARN_UNUSED;

#endif
