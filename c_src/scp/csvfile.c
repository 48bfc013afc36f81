#include "scp/csvfile.h"

#include <string.h>

#include "util/io.h"
#include "util/xmem.h"

int csvfile_load(struct csvfile *f, const char *path, size_t max, const char *limit_name,
                 struct err *e)
{
    size_t n = 0;
    memset(f, 0, sizeof *f);
    csv_table_init(&f->t);
    f->body = io_read_file(path, max, limit_name, &n, e);
    if (f->body == NULL)
        return e->code;
    f->cols = cols_new();
    if (f->cols == NULL)
        return err_set(e, ERR_NOMEM, "out of memory reading %s", path);
    return csv_parse(f->body, n, f->cols, &f->t, e);
}

long csvfile_col(const struct csvfile *f, const char *name)
{
    return csv_col_index(&f->t, cols_find(f->cols, slice_cstr(name)));
}

void csvfile_free(struct csvfile *f)
{
    csv_table_free(&f->t);
    cols_free(f->cols);
    xfree(f->body);
    f->cols = NULL;
    f->body = NULL;
}
