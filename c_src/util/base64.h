/*
 * base64: RFC 4648 section 4 encoding (standard alphabet, "=" padding), as
 * the Community ID writes its digest.  Encoding only: nothing here reads
 * base64 input.
 */
#ifndef UTIL_BASE64_H
#define UTIL_BASE64_H

#include <stddef.h>

/* Encoded length of n bytes, without a NUL. */
#define BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Write the encoding of p[0..n) to out (BASE64_LEN(n) bytes, then a NUL:
 * out needs BASE64_LEN(n) + 1 bytes).  Returns BASE64_LEN(n). */
size_t base64_encode(const void *p, size_t n, char *out);

#endif
