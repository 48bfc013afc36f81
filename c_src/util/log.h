/*
 * log: one line per message on stderr, "LEVEL message".
 *
 * splunkd copies a custom command's stderr into the job's search.log line by
 * line, and a modular input's stderr into splunkd.log, so a message must be a
 * single line and must never carry the session key.
 */
#ifndef LOG_H
#define LOG_H

#include "util/err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Prefix added after the level, e.g. "dnsjoin: " (BORROWED, static string). */
void log_set_prefix(const char *prefix);
void log_set_min(enum log_level min);

void log_msg(enum log_level lv, const char *fmt, ...) ATTR_FMT(2, 3);

const char *log_level_name(enum log_level lv);

#endif
