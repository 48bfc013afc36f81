/*
 * csvfile: a small CSV file of the app (a lookup under lookups/), read
 * whole and parsed once, with its columns found by name.
 */
#ifndef CSVFILE_H
#define CSVFILE_H

#include <stddef.h>

#include "scp/cols.h"
#include "scp/csv.h"
#include "util/err.h"

struct csvfile {
    char *body;           /* OWNED: the file's bytes; the table's cells point into it */
    struct cols *cols;    /* OWNED */
    struct csv_table t;   /* rows of the file, header excluded */
};

/* Read path (at most max bytes; limit_name names the limit in the message)
 * and parse it.  0, or ERR_IO, ERR_LIMIT, ERR_CSV, ERR_NOMEM with e filled;
 * f is ready for csvfile_free either way. */
int csvfile_load(struct csvfile *f, const char *path, size_t max, const char *limit_name,
                 struct err *e) WARN_UNUSED;

/* Index of the column named name, or -1. */
long csvfile_col(const struct csvfile *f, const char *name);

void csvfile_free(struct csvfile *f);

#endif
