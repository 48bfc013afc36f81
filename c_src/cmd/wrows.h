/*
 * wrows: weighted rows, the map phase of the filtered dnstimechart and of
 * dnsprofile, and their reduce.
 *
 * A reduce's result depends on a few values of each event, its projection:
 * _time to the byte, the client, the address, the query and answers, the
 * series value, the port and so on.  Events with equal projections get
 * the same DNS join decision (the join reads nothing else) and count the
 * same, so a map phase sends each distinct projection once, with the
 * number of events it stands for in __dnsjoin_w, a name no user field has.
 * The reduce adds up the weights of equal rows from every indexer, sorts
 * the distinct rows newest first (then by their bytes) and replays them
 * through the same join as one sorted stream, each counting as `weight`
 * events: exact for any split of the events over indexers and any
 * interleaving of their replies.
 *
 * A projected field is read as the command reads it:
 *   WR_FIRST     one value (a multivalued cell's first, as join_field)
 *   WR_ALL       every value: the plain and the __mv_ cell as they came
 *   WR_URL_HOST  one value, shortened to its host (dname_url_host) when
 *                the host reads back as itself, so that equal sites merge
 * An absent cell is sent as an empty one, as CSV cannot tell them apart.
 */
#ifndef WROWS_H
#define WROWS_H

#include <stddef.h>
#include <stdint.h>

#include "join/join.h"
#include "scp/cols.h"
#include "scp/csv.h"
#include "scp/csvw.h"
#include "scp/scp.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/slice.h"

/* The weight's field, in map rows. */
#define WROWS_WEIGHT_FIELD "__dnsjoin_w"

enum wrows_kind { WR_FIRST, WR_ALL, WR_URL_HOST };

struct wrows_field {
    struct slice name;  /* SLICE_NULL: left out */
    enum wrows_kind kind;
};

/* The fields the join engine reads for o, as wrows fields (_time first):
 * fills f[0 .. WROWS_JOIN_FIELDS), to which a command adds its own. */
#define WROWS_JOIN_FIELDS 7
void wrows_join_fields(const struct join_opts *o, struct wrows_field *f);

struct wrows;

/* OWNED (wrows_free) or NULL when out of memory.  fields[0] must be _time;
 * a field named twice is kept once, read the widest way (WR_ALL over
 * WR_FIRST over WR_URL_HOST).  At most WROWS_FIELDS_MAX fields.  cols is
 * BORROWED for the set's life. */
struct wrows *wrows_new(struct cols *cols, const struct wrows_field *fields, size_t n);
void wrows_free(struct wrows *w);

/* The column ids a chunk must store cells for (the fields, their __mv_
 * columns, the weight): BORROWED, valid for the set's life. */
const uint32_t *wrows_want(const struct wrows *w, size_t *n);

/* Add the fields to a getinfo's required fields (splunkd adds their
 * __mv_ companions): all a map phase reads.  0, ERR_LIMIT or ERR_NOMEM. */
struct reqfields;
int wrows_required(const struct wrows *w, struct reqfields *r) WARN_UNUSED;

/* The fields as they are written: _time first, the weight last. */
const struct schema *wrows_schema(const struct wrows *w);

/* Add every row of t.  A row's weight is its __dnsjoin_w cell (1 when
 * blank): a weight that is not a whole number from 1 to WROWS_WEIGHT_MAX,
 * or a sum of all weights past it, is ERR_INPUT naming the field.  a is
 * scratch (unescaped multivalues).  0, ERR_INPUT or ERR_NOMEM. */
int wrows_add(struct wrows *w, const struct csv_table *t, struct arena *a,
              struct err *e) WARN_UNUSED;

size_t wrows_count(const struct wrows *w);   /* distinct rows */
uint64_t wrows_events(const struct wrows *w); /* the sum of their weights */
uint64_t wrows_rows_in(const struct wrows *w); /* rows added */
size_t wrows_bytes(const struct wrows *w);   /* memory held */

/* Queue every distinct row in s's reply (newest first, then by bytes), as
 * VIEWs into the set: it must not change until the reply is written (then
 * wrows_clear starts the next batch).  0 or ERR_NOMEM. */
int wrows_emit(struct wrows *w, struct scp *s, struct err *e) WARN_UNUSED;

/* Forget the rows (the totals stay). */
void wrows_clear(struct wrows *w);

/* The reduce: feed every distinct row, newest first, to j as chunks of a
 * sorted stream (their __dnsjoin_w cells give the weights), then end j's
 * input (join_finish).  The reply's arena is reset between chunks, as
 * after a reply; nothing may be queued in the reply meanwhile. */
int wrows_replay(struct wrows *w, struct scp *s, struct join *j, join_sink sink, void *ctx,
                 struct err *e) WARN_UNUSED;

/* How a command uses its set: as its map phase, or as the reduce that
 * keeps at most maxbuffer bytes of rows and replays them through j. */
struct wrows_use {
    const char *cmd;     /* "dnstimechart": named in messages */
    int map;
    uint64_t maxbuffer;  /* the reduce's */
    struct join *j;      /* BORROWED: the reduce's engine */
    join_sink sink;
    void *ctx;
};

/* One execute request: add in's rows (wrows_add).  The map phase queues
 * them in s's reply once they pass WROWS_MAP_BYTES and with the final
 * request (then an INFO message); the reduce keeps them, an ERR_LIMIT past
 * maxbuffer, and with the final request replays them (wrows_replay).
 * 0, ERR_INPUT, ERR_LIMIT or ERR_NOMEM. */
int wrows_step(struct wrows *w, const struct wrows_use *u, struct scp *s,
               const struct csv_table *in, int finished, struct err *e) WARN_UNUSED;

/* After a reply is written: rows the map phase queued pointed into the
 * set, which then starts its next batch (wrows_clear). */
void wrows_written(struct wrows *w);

/* A row's weight for a sink: the __dnsjoin_w value v, 1 when blank.
 * 0 or ERR_INPUT naming the field. */
int wrows_weight(struct slice v, uint64_t *w, struct err *e) WARN_UNUSED;

#endif
