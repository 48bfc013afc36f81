#include "cmd/passthrough.h"

static int pt_getinfo(struct scp *s, void *state, struct args *a, struct scp_getinfo *gi,
                      struct err *e)
{
    (void)state;
    (void)e;
    /* Arguments are accepted and ignored. */
    for (size_t i = 0; i < a->n; i++)
        a->items[i].used = 1;
    /* stateful: one process on the search head, all fields. */
    gi->type = SCP_STATEFUL;
    /* it reads no field: rows go back as their text */
    s->want_set = 1;
    s->nwant = 0;
    return 0;
}

static int pt_execute(struct scp *s, void *state, const struct csv_table *in, int finished,
                      struct err *e)
{
    (void)state;
    (void)finished;
    for (size_t r = 0; r < in->nrows; r++)
        if (scp_emit_row(s, in, r, NULL, NULL))
            return err_set(e, ERR_NOMEM, "out of memory queueing row %zu", r + 1);
    return 0;
}

const struct scp_command passthrough_command = {
    .name = "passthrough", .getinfo = pt_getinfo, .execute = pt_execute};
