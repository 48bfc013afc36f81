/*
 * dmline: one dnsmasq log line -> what it says (DOMAIN.md §1.2, §1.3).
 *
 * A pure function over (pointer, length): the line's kind, the extra-mode
 * serial and client address/port, the transport of log-queries=proto, the
 * name, query type and value, with every text a VIEW into the caller's
 * line.  Nothing here decides which transaction a line belongs to; that is
 * txn's job.
 *
 * Three message prefixes are known (dnsmasq 2.91 src/cache.c log_query()):
 *   plain  "<message>"
 *   extra  "<serial> <addr>/<port> <message>"      (log-queries=extra)
 *   proto  "UDP|TCP <serial> <addr>/<port> <message>" (log-queries=proto)
 * dnsmasq logs a TCP exchange with a negative id and prints its absolute
 * value, so the serial is the same whatever the transport; a UDP query that
 * dnsmasq retries upstream over TCP keeps its serial and logs its later lines
 * with "TCP".
 *
 * Pi-hole FTL (its own dnsmasq) logs the answers it makes itself with the
 * blocking reason in the source slot ("gravity blocked ads.example is
 * 0.0.0.0"); those are answers with d->block set (docs/dnsmasq_log.md).
 *
 * A line that holds a query, forward, answer or duplicate message behind a
 * prefix this parser does not know is DML_UNPLACED, never DML_INFO: the
 * caller counts and reports it instead of losing it silently.
 */
#ifndef DMLINE_H
#define DMLINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "modinput/syslogh.h"
#include "util/slice.h"

enum dmline_kind {
    DML_QUERY = 1, /* query[T] / auth[T] <name> from <client> */
    DML_FORWARD,   /* forwarded <name> to <server> */
    DML_ANSWER,    /* <source> <name> is <value>: reply, cached, config, a hosts file, DHCP */
    DML_DUP,       /* reply query is duplicate (extra mode) */
    DML_AUX,       /* dnssec-query, validation, ipset/nftset add: no bearing on the answer */
    DML_START,     /* started, version ...: a new daemon, serials restart */
    DML_INFO,      /* any other dnsmasq line (using nameserver, read /etc/hosts, ...) */
    DML_SKIP,      /* another program, or dnsmasq-dhcp / -tftp / -script */
    DML_UNPLACED,  /* a query-like message behind an unknown prefix; ukind says which */
    DML_BAD        /* a line we do not recognise */
};

/* log-queries=proto: the transport of the client's exchange. */
enum dmline_proto {
    DMP_NONE = 0,  /* plain or extra mode: not logged */
    DMP_UDP,
    DMP_TCP
};

/* Why Pi-hole FTL answered a query itself (the source of its answer line). */
enum dmline_block {
    DMB_NONE = 0,
    DMB_GRAVITY,   /* "gravity blocked" */
    DMB_REGEX,     /* "regex denied" (v6), "regex blacklisted" (v5) */
    DMB_EXACT,     /* "exactly denied" (v6), "exactly blacklisted" (v5) */
    DMB_SPECIAL,   /* "special domain", "Mozilla canary domain", ... */
    DMB_UPSTREAM,  /* "blocked upstream with ...": the upstream's own block answer */
    DMB_CNAME,     /* a CNAME target was blocked: "... (CNAME)", "blocked during CNAME inspection" */
    DMB_RATELIMIT, /* "Rate-limiting": refused, the client sent too many queries */
    DMB_BUSY       /* "to be blocked/refused (gravity database is not available)" */
};

enum dmline_val {
    DMV_NONE = 0,
    DMV_IP4,       /* an IPv4 address */
    DMV_IP6,       /* an IPv6 address */
    DMV_CNAME,     /* <CNAME>: the next line of the packet names the target */
    DMV_NXDOMAIN,
    DMV_NODATA4,   /* NODATA-IPv4 */
    DMV_NODATA6,   /* NODATA-IPv6 */
    DMV_NODATA,    /* NODATA for another type */
    DMV_RCODE,     /* "error is SERVFAIL" etc.; rcode holds the number */
    DMV_RR,        /* <MX>, <TXT>, <type=N>: a record whose data dnsmasq does not print */
    DMV_NAME,      /* a host name: the answer of a reverse (PTR) lookup */
    DMV_OTHER      /* anything else */
};

struct dmline {
    struct syslogh h;
    enum dmline_kind kind;
    int extra;             /* the line carried "<serial> " */
    enum dmline_proto proto;   /* "UDP "/"TCP " before the serial */
    enum dmline_kind ukind;    /* DML_UNPLACED: the kind the message would have */
    enum dmline_block block;   /* a Pi-hole block answer (kind DML_ANSWER) */
    int ftl_local;             /* "Pi-hole hostname": FTL's own answer, not a block */
    uint64_t serial;
    int has_client;        /* extra mode "<addr>/<port>" present */
    struct slice client;   /* VIEW: extra-mode client address, else the "from" address */
    unsigned port;
    struct slice source;   /* VIEW: "query", "forwarded", "reply", "cached", "/etc/hosts",
                            * or FTL's reason ("gravity blocked"), which may hold spaces */
    struct slice qtype;    /* VIEW: "A", "AAAA", "type=65" (query and dnssec lines) */
    struct slice name;     /* VIEW: as logged; for a reverse answer, the address */
    struct slice value;    /* VIEW: client, server, or answer value without " (EDE: ...)" */
    struct slice ede;      /* VIEW: text inside " (EDE: ...)", may be null */
    enum dmline_val vkind;
    int rcode;             /* DNS rcode implied by the value, -1 when none */
    int reverse;           /* name slot holds an address (PTR answer, F_REVERSE) */
};

/* Find the end of the next line in p[0..n).  Returns the bytes to consume
 * (line plus '\n', > 0) with *line_len set (a trailing '\r' dropped), 0 when
 * no newline is there yet (need more), or ERR_LIMIT when n already exceeds
 * DNSMASQ_LINE_MAX without a newline (the caller skips to the next one). */
ssize_t dmline_split(const char *p, size_t n, size_t *line_len);

/* Parse one complete line (no newline).  Always fills d->kind; never fails:
 * what it does not recognise is DML_BAD (or DML_INFO for a dnsmasq line that
 * is not about a query, DML_UNPLACED for one that is but whose prefix is not
 * known).  Returns d->kind. */
int dmline_parse(const char *p, size_t n, struct dmline *d);

/* Address text (IPv4 or IPv6, no brackets) -> DMV_IP4 / DMV_IP6 / DMV_NONE. */
int dmline_ip_kind(struct slice s);

/* The PTR name of an address ("4.3.2.1.in-addr.arpa", nibble form for IPv6)
 * into out (at least DMLINE_PTR_MAX bytes); returns its length or 0. */
#define DMLINE_PTR_MAX 80
size_t dmline_ptr_name(struct slice addr, char *out);

/* Static names for reports: "query", "gravity", "udp", ... ("" for none). */
const char *dmline_kind_name(enum dmline_kind k);
const char *dmline_block_name(enum dmline_block b);
const char *dmline_proto_name(enum dmline_proto p);

#endif
