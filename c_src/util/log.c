#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prefix = "";
static enum log_level log_min = LOG_INFO;

void log_set_prefix(const char *prefix) { log_prefix = prefix ? prefix : ""; }
void log_set_min(enum log_level min) { log_min = min; }

const char *log_level_name(enum log_level lv)
{
    switch (lv) {
    case LOG_DEBUG: return "DEBUG";
    case LOG_INFO: return "INFO";
    case LOG_WARN: return "WARN";
    case LOG_ERROR: return "ERROR";
    }
    return "INFO";
}

void log_msg(enum log_level lv, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (lv < log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    /* One fprintf per line so concurrent writers do not interleave mid-line. */
    fprintf(stderr, "%s %s%s\n", log_level_name(lv), log_prefix, line);
    fflush(stderr);
}
