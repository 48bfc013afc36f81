/*
 * kv: the KV store requests of the passive DNS collection, the app's
 * dnsjoin.conf [kvstore] settings, and the JSON of KV store documents.
 *
 * This is the second module that includes jansson (meta.c is the first,
 * for the protocol's metadata).  It stays separate because its documents,
 * its query language and its error bodies belong to the KV store, not to
 * the chunked protocol, and meta.c must not learn about collections.  No
 * other module sees a json_t.
 *
 * Requests (SPLUNK_APP.md 13.1), all under
 *   <splunkd_uri>/servicesNS/nobody/<app>/storage/collections/data/<collection>
 * - find by address: GET ?query={"rdata":{"$in":[...]}}&fields=...&sort=_key
 *   &limit=KV_PAGE_ROWS&skip=N, many addresses per request (bounded by the
 *   URL length and KV_IN_MAX), page after page while a page comes back
 *   full.  If splunkd answers 400 to "$in" (its support is not documented),
 *   the same query is sent as the documented {"$or":[{"rdata":a},...]} from
 *   then on.  Find by name is the same with "rrname".
 * - save: POST .../batch_save with a JSON array, split so that no request
 *   holds more than batch_documents documents or batch_mb megabytes
 *   (limits.conf [kvstore] max_documents_per_batch_save and
 *   max_size_per_batch_save_mb; the conf spec tells admins to keep them in
 *   step).  batch_save inserts, or replaces a document with the same _key.
 */
#ifndef KV_H
#define KV_H

#include <stddef.h>
#include <stdint.h>

#include "rest/rest.h"
#include "util/err.h"
#include "util/slice.h"

/* Documents asked for per page (well under max_rows_per_query = 50000). */
#define KV_PAGE_ROWS 1000
/* Addresses per "$in" query (the URL length may make a batch smaller). */
#define KV_IN_MAX 200
#define KV_APP_MAX 256
/* Stored times (seconds) beyond about 146,000 years are not dates: such a
 * document is skipped, so that callers can turn any time they are given
 * into microseconds and subtract two of them without overflowing int64. */
#define KV_TIME_MAX (INT64_MAX / 1000000 / 2)

/* dnsjoin.conf [kvstore] (README/dnsjoin.conf.spec). */
struct kv_conf {
    struct rest_conf rest;    /* ca_file, verify, connect_timeout, timeout, retries,
                               * max_response_mb */
    size_t batch_documents;
    size_t batch_bytes;       /* batch_mb */
    char app[KV_APP_MAX];     /* the app's directory name, for servicesNS/nobody/<app> */
};

/* Defaults; ca_file = $SPLUNK_HOME/etc/auth/cacert.pem (expanded). */
void kv_conf_defaults(struct kv_conf *c);

/*
 * Read <app_dir>/default/dnsjoin.conf then <app_dir>/local/dnsjoin.conf
 * ([kvstore] only; missing files are fine).  app_dir NULL: the app of the
 * running binary (util/appdir: <app>/bin/ or <app>/<platform>/bin/).  A
 * leading $SPLUNK_HOME in ca_file is taken from the environment, else from
 * the app's location (<SPLUNK_HOME>/etc/apps/<app>).  0, or ERR_ARGS with
 * a message naming the file, line and setting.
 */
int kv_conf_load(struct kv_conf *c, const char *app_dir, struct err *e) WARN_UNUSED;

/* One document of the passive DNS collection.  Slices are VIEWs valid
 * during the callback (find) or BORROWED for the call (save). */
struct kv_doc {
    struct slice key, rrname, rrtype, rdata, last_client;
    int64_t time_first, time_last;  /* epoch seconds */
    uint64_t count;
};

typedef int (*kv_doc_cb)(void *ctx, const struct kv_doc *d, struct err *e);

struct kv;

/* OWNED or NULL (out of memory).  r is BORROWED for the kv's life. */
struct kv *kv_new(struct rest *r, const struct kv_conf *c, const char *collection);
void kv_free(struct kv *k);

/*
 * Every stored document whose rdata is one of the n values, passed to cb
 * (a document is passed once per page it is on; pages are sorted by _key).
 * 0, the callback's error, or ERR_REST with e->msg naming the request and
 * the problem (HTTP status, transport failure, bad JSON).
 */
int kv_find_rdata(struct kv *k, const struct slice *rdata, size_t n, kv_doc_cb cb, void *ctx,
                  struct err *e) WARN_UNUSED;

/* The same for documents whose rrname is one of the n values (names as
 * pdns stores them: lower case, no trailing dot; the KV store compares
 * them exactly).  Messages say "names" where kv_find_rdata's say
 * "addresses". */
int kv_find_rrname(struct kv *k, const struct slice *rrname, size_t n, kv_doc_cb cb, void *ctx,
                   struct err *e) WARN_UNUSED;

/* Save (insert or replace by _key) n documents in batch_save requests
 * within the batch limits.  *saved counts the documents of the requests
 * that succeeded.  0 or ERR_REST / ERR_NOMEM. */
int kv_save(struct kv *k, const struct kv_doc *docs, size_t n, size_t *saved,
            struct err *e) WARN_UNUSED;

/*
 * One page of a query answer, as splunkd sent it: p[0..n) need not be
 * NUL-terminated and is only read.  Each object element that has rrname,
 * rrtype, rdata (strings), time_first and time_last (numbers, or strings
 * holding one, within +/- KV_TIME_MAX) is passed to cb; other elements are
 * skipped.  A missing or
 * negative count is 0, a missing last_client "".  *rows = elements of the
 * array (skipped ones included: paging counts what the server sent).
 * 0, the callback's error (stopping there), or ERR_REST when the text is
 * not a JSON array; `what` names the request in that message.  No I/O:
 * this is the whole of the response parsing, kept apart so it can be
 * tested and fuzzed without a server.
 */
int kv_parse_page(const char *p, size_t n, kv_doc_cb cb, void *ctx, size_t *rows,
                  const char *what, struct err *e) WARN_UNUSED;

/*
 * Everything a command needs in one call: load dnsjoin.conf (into *conf,
 * app_dir as for kv_conf_load), bind a REST client to splunkd_uri and the
 * session key, and open `collection`.  t NULL: the libcurl transport; else
 * a test transport (taken over).  On success *r is OWNED (rest_free after
 * kv_free).  0, or ERR_ARGS / ERR_REST / ERR_NOMEM with e filled.
 */
int kv_open(const char *splunkd_uri, const char *key, size_t key_len, const char *collection,
            const char *app_dir, const struct rest_transport *t, struct kv_conf *conf,
            struct rest **r, struct kv **k, struct err *e) WARN_UNUSED;

/* The WARN text for verify = false (static, no secrets). */
const char *kv_conf_unsafe_warning(void);

/* Requests made so far (for messages and tests). */
unsigned long kv_requests(const struct kv *k);

#endif
