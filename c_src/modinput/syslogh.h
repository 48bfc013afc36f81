/*
 * syslogh: the header in front of a dnsmasq message.
 *
 * dnsmasq's query log reaches us behind one of several headers (DOMAIN.md
 * §1.1, §1.7): its own "Mmm dd hh:mm:ss dnsmasq[pid]: ", BSD syslog with a
 * host name (and maybe "<pri>"), rsyslog's ISO stamp, OpenWrt logread's
 * "Www Mmm dd hh:mm:ss yyyy facility.level", RFC 5424, or none at all
 * (debug echo "dnsmasq: ").  This module finds the timestamp parts, the
 * program tag and where the message starts; it never allocates and keeps
 * no state.
 */
#ifndef SYSLOGH_H
#define SYSLOGH_H

#include <stddef.h>

#include "util/slice.h"

struct syslogh {
    int year;              /* 0 when the header carries no year */
    int mon;               /* 1..12; 0 when the line has no timestamp */
    int day, hour, min, sec;
    int usec;              /* fraction of an ISO stamp, else 0 */
    int has_off;           /* ISO stamp carried Z or +hh:mm */
    int off_sec;           /* that offset, seconds east of UTC */
    struct slice prog;     /* VIEW: "dnsmasq", "dnsmasq-dhcp", or another program */
    struct slice pid;      /* VIEW: may be empty */
    size_t msg_off;        /* the message starts at p + msg_off */
};

enum syslogh_kind {
    SYSLOGH_DNS = 1,   /* a dnsmasq DNS line ("dnsmasq" tag) */
    SYSLOGH_SKIP = 2   /* another program or dnsmasq-dhcp/-tftp/...: not ours */
};

/* Parse the header of one line (no newline).  Returns SYSLOGH_DNS,
 * SYSLOGH_SKIP, or ERR_INPUT when no known header form matches.  h's slices
 * point into p. */
int syslogh_parse(const char *p, size_t n, struct syslogh *h);

#endif
