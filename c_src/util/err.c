#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
    va_list ap;
    if (e == NULL)
        return code;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    for (char *p = e->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

const char *err_str(int code)
{
    switch (code) {
#define ERR_CASE(name, val, text) case (val): return text;
        ERR_MAP(ERR_CASE)
#undef ERR_CASE
    }
    return "unknown error";
}

void err_clear(struct err *e)
{
    e->code = 0;
    e->msg[0] = '\0';
}
