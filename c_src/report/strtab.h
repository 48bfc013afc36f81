/*
 * strtab: interned strings for the reports (series values, clients, domain
 * names, ports, sourcetypes).
 *
 * The report commands keep state across chunks, but a chunk's cells are
 * views into a body that is freed after its reply; whatever a report keeps
 * must be copied.  Interning copies each distinct value once and turns it
 * into a small integer, so the aggregation tables key on integers and their
 * size follows the number of distinct values, not the number of events.
 */
#ifndef REPORT_STRTAB_H
#define REPORT_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/slice.h"

struct strtab;

/* OWNED, free with strtab_free; NULL on allocation failure.  `max` is the
 * number of distinct strings allowed (ERR_LIMIT past it).  Id 0 is always
 * the empty string. */
struct strtab *strtab_new(size_t max);
void strtab_free(struct strtab *t);

/* Id of `s` (copied on first sight).  0, ERR_NOMEM or ERR_LIMIT. */
int strtab_intern(struct strtab *t, struct slice s, uint32_t *id) WARN_UNUSED;

/* Id of `s` or UINT32_MAX when it was never interned. */
uint32_t strtab_find(const struct strtab *t, struct slice s);

/* VIEW into the table, valid until strtab_free. */
struct slice strtab_get(const struct strtab *t, uint32_t id);

/* A hint only: bring id's entry (text 0) or its bytes (text 1, which reads
 * the entry) into the cache ahead of a strtab_get. */
void strtab_prefetch(const struct strtab *t, uint32_t id, int text);

size_t strtab_count(const struct strtab *t);

#endif
