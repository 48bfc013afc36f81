/*
 * limits.h: every size the input controls, named, in one place.
 *
 * Each limit is checked before allocating, and the error or warning that a
 * limit produces names it and says how to raise it (a command option, or
 * dnsjoin.conf where noted).  Values are chosen so that real splunkd traffic
 * (50,000-row chunks of tens of MB, 10 MB values) is far inside them while a
 * hostile length still cannot make the process allocate gigabytes.
 *
 * Every value can be overridden at build time (-DCSV_ROWS_MAX=50): `make
 * small-limits` builds binaries with tiny values so that tests/limits can go
 * past each limit with a few kilobytes of input.  Messages for limits that
 * only a rebuild can raise say so with LIMIT_BUILD_HINT.
 */
#ifndef LIMITS_H
#define LIMITS_H

#define LIMIT_BUILD_HINT "a build-time limit in c_src/limits.h"

/* --- chunked protocol (SCP v2) ------------------------------------------ */

/* "chunked 1.0,<20 digits>,<20 digits>\n" is at most 54 bytes (a 21st digit
 * is refused first), so this bites only when set lower; splunkd's are < 40. */
#ifndef SCP_HEADER_MAX
#define SCP_HEADER_MAX 64
#endif
/* getinfo metadata holds the whole URL-encoded search string. */
#ifndef SCP_META_MAX
#define SCP_META_MAX (8u * 1024 * 1024)
#endif
/* One request body (CSV).  A 50,000-row chunk is typically 10-50 MB. */
#ifndef SCP_BODY_MAX
#define SCP_BODY_MAX (1024ull * 1024 * 1024)
#endif
/* One reply body. */
#ifndef SCP_REPLY_MAX
#define SCP_REPLY_MAX (2048ull * 1024 * 1024)
#endif
/* Bytes reserved at once while a body arrives; a lying header cannot make
 * us allocate more than twice what really arrived. */
#ifndef SCP_READ_STEP
#define SCP_READ_STEP (4u * 1024 * 1024)
#endif
/* inspector messages per reply, and bytes per message. */
#ifndef SCP_MESSAGES_MAX
#define SCP_MESSAGES_MAX 64
#endif
#ifndef SCP_MESSAGE_LEN_MAX
#define SCP_MESSAGE_LEN_MAX 1024
#endif

/* --- CSV bodies ---------------------------------------------------------- */

#ifndef CSV_FIELD_MAX
#define CSV_FIELD_MAX (256u * 1024 * 1024)  /* one value, after unquoting */
#endif
#ifndef CSV_COLS_MAX
#define CSV_COLS_MAX 20000                  /* columns per chunk, __mv_ included */
#endif
#ifndef CSV_ROWS_MAX
#define CSV_ROWS_MAX 1000000                /* rows per chunk */
#endif
#ifndef CSV_NAME_MAX
#define CSV_NAME_MAX 4096                   /* one column name */
#endif
/* distinct column names interned over a whole session */
#ifndef COLS_INTERN_MAX
#define COLS_INTERN_MAX 100000
#endif

/* --- SPL arguments ------------------------------------------------------- */

#ifndef ARGS_COUNT_MAX
#define ARGS_COUNT_MAX 256
#endif
#ifndef ARG_LEN_MAX
#define ARG_LEN_MAX 8192
#endif

/* --- join state (dnsjoin, dnstimechart, dnsprofile) ----------------------- */

/* Default for maxbuffer=: bytes of held rows, sized for about 2 GB. */
#ifndef JOIN_MAXBUFFER_DEFAULT
#define JOIN_MAXBUFFER_DEFAULT (2000ull * 1000 * 1000)
#endif
/* Held rows are kept as they came up to this many bytes; beyond it (a full
 * window of a busy stream) they are packed against recent rows of their
 * kind (util/rowpack.h): about a third of the size, for some CPU.  This is
 * memory, not input, so it is a tuning point rather than a limit. */
#ifndef JOIN_HELD_PLAIN_MAX
#define JOIN_HELD_PLAIN_MAX (4u * 1024 * 1024)
#endif
#ifndef JOIN_MAXNAMES_MAX
#define JOIN_MAXNAMES_MAX 1000
#endif
/* DNS answers for one address held at once: what bounds the names a shared
 * (CDN) address can collect, and the candidates each of its connections is
 * compared with. */
#ifndef JOIN_ANSWERS_PER_IP_MAX
#define JOIN_ANSWERS_PER_IP_MAX 100000u
#endif
/* Distinct DNS records (ip, name, client) kept at once. */
#ifndef JOIN_RECORDS_MAX
#define JOIN_RECORDS_MAX 50000000ull
#endif

/* --- reports -------------------------------------------------------------- */

#ifndef REPORT_SERIES_MAX
#define REPORT_SERIES_MAX 100000      /* distinct by-field values */
#endif
#ifndef REPORT_BINS_MAX
#define REPORT_BINS_MAX 1000000       /* time bins in one chart */
#endif
#ifndef REPORT_CONVERSATIONS_MAX
#define REPORT_CONVERSATIONS_MAX 10000000ull
#endif
/* Bytes of one conversation's active hours (report/hourset): about one per
 * distinct hour, so no real range comes near it; it keeps the offsets in
 * 32 bits. */
#ifndef REPORT_HOURSET_BYTES_MAX
#define REPORT_HOURSET_BYTES_MAX (1u << 30)
#endif

/* --- modular input --------------------------------------------------------- */

#ifndef MODINPUT_XML_MAX
#define MODINPUT_XML_MAX (1024u * 1024)      /* configuration XML on stdin */
#endif
#ifndef DNSMASQ_LINE_MAX
#define DNSMASQ_LINE_MAX 4096                /* one log line */
#endif
#ifndef DNSMASQ_INFLIGHT_MAX
#define DNSMASQ_INFLIGHT_MAX 200000          /* open transactions */
#endif
#ifndef DNSMASQ_ANSWERS_MAX
#define DNSMASQ_ANSWERS_MAX 512              /* answers per transaction */
#endif

/* --- REST (KV store) ------------------------------------------------------ */

#ifndef REST_RESPONSE_MAX
#define REST_RESPONSE_MAX (64u * 1024 * 1024)
#endif
#ifndef REST_URL_MAX
#define REST_URL_MAX 8192
#endif
#ifndef PDNS_RECORDS_MAX
#define PDNS_RECORDS_MAX 5000000ull  /* distinct passive DNS records per dnspdns run */
#endif
/* Distinct names dnsprofile asks the KV store for (name_first_seen with
 * history=), in row order: a few hundred per request at most, so this
 * bounds the requests the end of a search waits for; past it the rest of
 * the rows' name_first_seen and new_name are empty, with a WARN. */
#ifndef HISTORY_NAMES_MAX
#define HISTORY_NAMES_MAX 100000
#endif

/* --- dnsjoin.conf ---------------------------------------------------------- */

#ifndef CONFFILE_BYTES_MAX
#define CONFFILE_BYTES_MAX (1u * 1024 * 1024)  /* one dnsjoin.conf, read whole */
#endif
#ifndef CONFFILE_LINE_MAX
#define CONFFILE_LINE_MAX 4096                 /* one line of it */
#endif

/* --- dnsjoin: public resolvers (DNS bypass) ------------------------------ */

#ifndef RESOLVERS_FILE_MAX
#define RESOLVERS_FILE_MAX (1u * 1024 * 1024)  /* lookups/dnsjoin_public_resolvers.csv, read whole */
#endif
#ifndef RESOLVERS_PROVIDER_MAX
#define RESOLVERS_PROVIDER_MAX 64              /* bytes of one provider name */
#endif
#ifndef LOCAL_RESOLVERS_MAX
#define LOCAL_RESOLVERS_MAX 256                /* addresses or ranges in local_resolvers= */
#endif

/* --- dnsprofile: the site's own domains ----------------------------------- */

#ifndef LOCAL_DOMAINS_MAX
#define LOCAL_DOMAINS_MAX 256                  /* suffixes in local_domains= */
#endif

/* --- map phase: weighted rows (cmd/wrows) -------------------------------- */

/* Fields one map-phase row projects (the reduce's fields, named once). */
#ifndef WROWS_FIELDS_MAX
#define WROWS_FIELDS_MAX 24
#endif
/* A map phase sends its distinct rows once they take this many bytes, and
 * starts again: its memory stays bounded and the reduce adds them up. */
#ifndef WROWS_MAP_BYTES
#define WROWS_MAP_BYTES (64u * 1024 * 1024)
#endif
/* The events one map-phase row, or all the rows a reduce reads, stand for
 * (__dnsjoin_w and its sum): every count made of them stays inside 64
 * bits. */
#ifndef WROWS_WEIGHT_MAX
#define WROWS_WEIGHT_MAX (1ull << 62)
#endif

#endif
