/*
 * dname: the domain-name comparisons the reports make: a DNS query name
 * against a domain= glob, and the host of a proxy event's URL.
 *
 * DNS names are case-insensitive (RFC 4343) and may be written with the
 * root's trailing dot, so "Teredo.IPv6.Microsoft.com." is the name
 * teredo.ipv6.microsoft.com everywhere here.
 */
#ifndef REPORT_DNAME_H
#define REPORT_DNAME_H

#include "util/slice.h"

/* The name without one trailing '.' (VIEW into s). */
struct slice dname_trim(struct slice s);

/* 1 if `name` matches `glob` ('*' = any run of bytes, ASCII case
 * ignored, trailing dots ignored on both), else 0.  Linear in practice:
 * backtracks only to the last '*'. */
int dname_glob(struct slice glob, struct slice name);

/* The host part of a URL as proxies log it: "http://user@host:8080/p",
 * "host:443" (CONNECT), "[2001:db8::1]:443", "host/path".  VIEW into url;
 * an empty slice when there is none. */
struct slice dname_url_host(struct slice url);

/* 1 if `name` is `domain` or a name below it, on a label boundary
 * (a.corp.example and corp.example are in corp.example, xcorp.example is
 * not), ASCII case ignored, one trailing dot ignored on both; else 0.  An
 * empty domain contains nothing. */
int dname_in_domain(struct slice name, struct slice domain);

/* Lower-case ASCII copy of s (at most n bytes) into out; returns the
 * length written. */
size_t dname_lower(struct slice s, char *out, size_t n);

#endif
