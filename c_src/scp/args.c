#include "scp/args.h"

#include <stdio.h>
#include <string.h>

#include "util/num.h"

static int name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

int args_parse(struct args *a, const char *const *argv, size_t argc, struct err *e)
{
    a->n = 0;
    if (argc > ARGS_COUNT_MAX)
        return err_set(e, ERR_LIMIT, "more than ARGS_COUNT_MAX (%llu) arguments; the commands "
                       "take a few options each: check the quoting (" LIMIT_BUILD_HINT ")",
                       (unsigned long long)ARGS_COUNT_MAX);
    for (size_t i = 0; i < argc; i++) {
        const char *s = argv[i];
        size_t n = strlen(s), k = 0;
        struct args_item *it = &a->items[a->n];

        if (n > ARG_LEN_MAX)
            return err_set(e, ERR_LIMIT, "argument %zu is longer than ARG_LEN_MAX (%llu bytes); "
                           "check the quoting (" LIMIT_BUILD_HINT ")", i + 1,
                           (unsigned long long)ARG_LEN_MAX);
        memset(it, 0, sizeof *it);
        while (k < n && name_char(s[k], k == 0))
            k++;
        if (k > 0 && k < n && s[k] == '=') {
            it->name = slice_of(s, k);
            it->value = slice_of(s + k + 1, n - k - 1);
            for (size_t j = 0; j < a->n; j++)
                if (!a->items[j].is_word && slice_eq(a->items[j].name, it->name))
                    return err_set(e, ERR_ARGS, "option '%.*s' is given more than once",
                                   (int)k, s);
        } else {
            it->is_word = 1;
            it->value = slice_of(s, n);
        }
        a->n++;
    }
    return 0;
}

static struct args_item *find(struct args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (!a->items[i].is_word && slice_eq_cstr(a->items[i].name, name)) {
            a->items[i].used = 1;
            return &a->items[i];
        }
    return NULL;
}

int args_str(struct args *a, const char *name, struct slice def, struct slice *out, struct err *e)
{
    struct args_item *it = find(a, name);
    (void)e;
    *out = it ? it->value : def;
    return 0;
}

/* Quote at most 64 bytes of a user value in a message. */
#define SHOW(v) (int)((v).n > 64 ? 64 : (v).n), (v).p

int args_span(struct args *a, const char *name, int64_t def_us, int64_t min_us, int64_t max_us,
              int64_t *out, struct err *e)
{
    struct args_item *it = find(a, name);
    if (it == NULL) {
        *out = def_us;
        return 0;
    }
    if (num_parse_span_us(it->value, out) || *out < min_us || *out > max_us) {
        char lo[NUM_US_STRMAX], hi[NUM_US_STRMAX];
        num_format_us(min_us, lo);
        num_format_us(max_us, hi);
        return err_set(e, ERR_ARGS, "%s=%.*s: expected a time span such as 30s, 5m, 1h or 1d "
                       "(between %ss and %ss)", name, SHOW(it->value), lo, hi);
    }
    return 0;
}

int args_uint(struct args *a, const char *name, uint64_t def, uint64_t min, uint64_t max,
              uint64_t *out, struct err *e)
{
    struct args_item *it = find(a, name);
    if (it == NULL) {
        *out = def;
        return 0;
    }
    if (num_parse_u64(it->value, min, max, out))
        return err_set(e, ERR_ARGS, "%s=%.*s: expected a whole number from %llu to %llu", name,
                       SHOW(it->value), (unsigned long long)min, (unsigned long long)max);
    return 0;
}

int args_bool(struct args *a, const char *name, int def, int *out, struct err *e)
{
    static const char *const t[] = {"t", "true", "1", "yes", "T", "TRUE", "True", NULL};
    static const char *const f[] = {"f", "false", "0", "no", "F", "FALSE", "False", NULL};
    struct args_item *it = find(a, name);
    if (it == NULL) {
        *out = def;
        return 0;
    }
    for (int i = 0; t[i]; i++)
        if (slice_eq_cstr(it->value, t[i])) {
            *out = 1;
            return 0;
        }
    for (int i = 0; f[i]; i++)
        if (slice_eq_cstr(it->value, f[i])) {
            *out = 0;
            return 0;
        }
    return err_set(e, ERR_ARGS, "%s=%.*s: expected t or f", name, SHOW(it->value));
}

int args_enum(struct args *a, const char *name, const char *const *choices, int def, int *out,
              struct err *e)
{
    struct args_item *it = find(a, name);
    char list[256] = "";
    size_t used = 0;

    if (it == NULL) {
        *out = def;
        return 0;
    }
    for (int i = 0; choices[i]; i++) {
        if (slice_eq_cstr(it->value, choices[i])) {
            *out = i;
            return 0;
        }
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? "|" : "", choices[i]);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    return err_set(e, ERR_ARGS, "%s=%.*s: expected one of %s", name, SHOW(it->value), list);
}

long args_next_word(const struct args *a, size_t from)
{
    for (size_t i = from; i < a->n; i++)
        if (a->items[i].is_word && !a->items[i].used)
            return (long)i;
    return -1;
}

int args_finish(const struct args *a, const char *cmd, struct err *e)
{
    for (size_t i = 0; i < a->n; i++) {
        const struct args_item *it = &a->items[i];
        if (it->used)
            continue;
        if (it->is_word)
            return err_set(e, ERR_ARGS, "%s: unexpected argument '%.*s'", cmd, SHOW(it->value));
        return err_set(e, ERR_ARGS, "%s: unknown option '%.*s'", cmd, SHOW(it->name));
    }
    return 0;
}
