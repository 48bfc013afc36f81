/*
 * limits.h: every size the input controls, named, in one place.
 *
 * Each limit is checked before allocating, and the error or warning that a
 * limit produces names it and says how to raise it (a command option, or
 * dnsjoin.conf where noted).  Values are chosen so that real splunkd traffic
 * (50,000-row chunks of tens of MB, 10 MB values) is far inside them while a
 * hostile length still cannot make the process allocate gigabytes.
 */
#ifndef LIMITS_H
#define LIMITS_H

/* --- chunked protocol (SCP v2) ------------------------------------------ */

/* "chunked 1.0,<20 digits>,<20 digits>\n" is 50 bytes; splunkd's are < 40. */
#define SCP_HEADER_MAX 64
/* getinfo metadata holds the whole URL-encoded search string. */
#define SCP_META_MAX (8u * 1024 * 1024)
/* One request body (CSV).  A 50,000-row chunk is typically 10-50 MB. */
#define SCP_BODY_MAX (1024ull * 1024 * 1024)
/* One reply body. */
#define SCP_REPLY_MAX (2048ull * 1024 * 1024)
/* Bytes reserved at once while a body arrives; a lying header cannot make
 * us allocate more than twice what really arrived. */
#define SCP_READ_STEP (4u * 1024 * 1024)
/* inspector messages per reply, and bytes per message. */
#define SCP_MESSAGES_MAX 64
#define SCP_MESSAGE_LEN_MAX 1024

/* --- CSV bodies ---------------------------------------------------------- */

#define CSV_FIELD_MAX (256u * 1024 * 1024)  /* one value, after unquoting */
#define CSV_COLS_MAX 20000                  /* columns per chunk, __mv_ included */
#define CSV_ROWS_MAX 1000000                /* rows per chunk */
#define CSV_NAME_MAX 4096                   /* one column name */
/* distinct column names interned over a whole session */
#define COLS_INTERN_MAX 100000

/* --- SPL arguments ------------------------------------------------------- */

#define ARGS_COUNT_MAX 256
#define ARG_LEN_MAX 8192

/* --- join state (dnsjoin, dnstimechart, dnsprofile) ----------------------- */

/* Names kept per IP inside one window (oldest dropped with a WARN). */
#define JOIN_NAMES_PER_IP_MAX 4096
/* Default for maxbuffer=: bytes of held rows, sized for about 2 GB. */
#define JOIN_MAXBUFFER_DEFAULT (2000ull * 1000 * 1000)
#define JOIN_MAXNAMES_MAX 1000
/* Distinct DNS records (ip, name, client) kept at once. */
#define JOIN_RECORDS_MAX 50000000ull

/* --- reports -------------------------------------------------------------- */

#define REPORT_SERIES_MAX 100000      /* distinct by-field values */
#define REPORT_BINS_MAX 1000000       /* time bins in one chart */
#define REPORT_CONVERSATIONS_MAX 10000000ull

/* --- modular input --------------------------------------------------------- */

#define MODINPUT_XML_MAX (1024u * 1024)      /* configuration XML on stdin */
#define DNSMASQ_LINE_MAX 4096                /* one log line */
#define DNSMASQ_INFLIGHT_MAX 200000          /* open transactions */
#define DNSMASQ_ANSWERS_MAX 512              /* answers per transaction */

/* --- REST (KV store) ------------------------------------------------------ */

#define REST_RESPONSE_MAX (64u * 1024 * 1024)
#define REST_URL_MAX 8192
#define PDNS_RECORDS_MAX 5000000ull  /* distinct passive DNS records per dnspdns run */

#endif
