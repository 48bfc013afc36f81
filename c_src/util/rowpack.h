/*
 * rowpack: a row's text stored as copies from a reference text plus literal
 * bytes.
 *
 * Rows held for a whole window are mostly what the row before them of the
 * same kind was: the same index, host, source and bucket, the same syslog
 * prefix and key=value layout in _raw, the same field values repeated from
 * _raw.  Packing each row against one recent row of its kind keeps a window
 * in a fraction of its size, and unpacking is a few memcpy calls, so a held
 * row can be unpacked again while its reply is written.
 *
 * Stored form: the reference's address and the tokens' length (unaligned,
 * ROWPACK_HEAD bytes), then tokens [varint L][L literal bytes][varint off]
 * [varint len], the last token possibly without its copy.  The unpacked
 * length is kept by the caller.  A reference is immutable and shared: each
 * stored row counts one reference (rowpack_store takes it, rowref_drop on
 * rowpack_ref gives it back).
 */
#ifndef ROWPACK_H
#define ROWPACK_H

#include <stddef.h>
#include <stdint.h>

/* Only this much of a reference text is searched for matches. */
#define ROWREF_TEXT_MAX 65535u

struct rowref;

/* A copy of text[0..n) (at most ROWREF_TEXT_MAX bytes of it) with its match
 * index; one reference held by the caller.  NULL when out of memory. */
struct rowref *rowref_new(const char *text, size_t n);
void rowref_hold(struct rowref *r);
/* Drops one reference; the last frees it.  NULL is ignored. */
void rowref_drop(struct rowref *r);
/* Frees the match index (only rowpack_pack needs it): the reference stays
 * usable for unpacking. */
void rowref_retire(struct rowref *r);

#define ROWPACK_HEAD (sizeof(uintptr_t) + sizeof(uint32_t))

/* Stores src[0..n) packed against r (which must not be retired) in
 * dst[0..cap), taking one reference to r.  Returns the stored length, or 0
 * (no reference taken) when it would not fit in cap: the caller keeps the
 * row as it is. */
size_t rowpack_store(struct rowref *r, const char *src, size_t n, char *dst, size_t cap);

/* Unpacks a stored row of n bytes into dst.  0, or -1 if the stored form
 * does not give exactly n bytes (it always does for what rowpack_store
 * wrote). */
int rowpack_load(const char *stored, char *dst, size_t n);

/* The reference a stored row holds. */
struct rowref *rowpack_ref(const char *stored);

#endif
