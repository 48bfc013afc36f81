/*
 * rest: HTTP(S) requests to splunkd's REST API, and the only module that
 * includes libcurl.
 *
 * A `struct rest` is bound to one splunkd_uri and one session key (from the
 * search's getinfo).  Each request carries `Authorization: Splunk <key>`,
 * has a connect timeout and a total timeout, reads at most max_response
 * bytes, and is retried with exponential backoff after HTTP 429 or 503 or a
 * connection reset (nothing else is retried: an unreachable or slow splunkd
 * must cost one timeout, not several).
 *
 * TLS: the server certificate is verified against conf.ca_file (and only
 * that file: the system store is not consulted).  For a loopback
 * splunkd_uri (127.0.0.0/8, ::1, localhost) the host name is not checked,
 * because splunkd's default certificate names no host; for any other host
 * it is.  verify = 0 turns all checks off (the caller warns every run).
 * Plain http:// is accepted for loopback hosts only (splunkd with
 * enableSplunkdSSL = false); the key never travels in clear over a network.
 * Proxies from the environment are ignored: splunkd_uri is always reached
 * directly, so no proxy ever sees the key.
 *
 * The session key is copied into memory that rest_free wipes; it never
 * appears in an error message (messages name the method, the URL path
 * without its query string, and the HTTP status or transport failure).
 *
 * The network goes through `struct rest_transport`, a seam that unit tests
 * replace; rest_transport_curl() is the real one.
 */
#ifndef REST_H
#define REST_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define REST_PATH_MAX 4096  /* ca_file path */

struct rest_conf {
    char ca_file[REST_PATH_MAX];  /* PEM bundle; "" = none (verification fails) */
    int verify;                   /* 0: no certificate checks at all (unsafe) */
    long connect_timeout_ms;
    long timeout_ms;              /* one attempt, connection to last byte */
    unsigned retries;             /* extra attempts after 429/503/reset */
    size_t max_response;          /* bytes of one response body */
    unsigned backoff_ms;          /* first backoff; doubled per retry, capped at 8 s */
};

/* Defaults of README/dnsjoin.conf.spec [kvstore] (ca_file left empty). */
void rest_conf_defaults(struct rest_conf *c);

/* What a transport failed with (HTTP answers of any status are REST_NET_OK). */
enum rest_net {
    REST_NET_OK = 0,
    REST_NET_CONNECT,   /* refused, unreachable, name not resolved */
    REST_NET_TIMEOUT,   /* connect or total timeout */
    REST_NET_RESET,     /* connection reset / closed without an answer */
    REST_NET_TLS,       /* certificate or handshake rejected */
    REST_NET_TOO_BIG,   /* response larger than max_response */
    REST_NET_OTHER
};

/* One exchange as the transport sees it.  Every pointer is BORROWED for the
 * duration of perform. */
struct rest_call {
    const char *method;       /* "GET", "POST", "DELETE" */
    const char *url;          /* absolute, NUL-terminated */
    const char *auth;         /* the whole header line "Authorization: Splunk <key>": SECRET,
                               * must not be copied anywhere that outlives the call */
    const char *body;         /* NULL: none */
    size_t body_len;
    const struct rest_conf *conf;
    int verify_host;          /* 0 for a loopback host */
};

struct rest_transport {
    void *ctx;
    /* Perform one exchange: REST_NET_OK with *status set and the response
     * body appended to `body` (whose max is conf->max_response; a larger
     * body is REST_NET_TOO_BIG), or another REST_NET_* value with e->msg
     * describing the failure (never the auth header). */
    int (*perform)(void *ctx, const struct rest_call *c, long *status, struct buf *body,
                   struct err *e);
    void (*sleep_ms)(void *ctx, unsigned ms);
    void (*release)(void *ctx);  /* optional: free ctx */
};

/* The libcurl transport.  OWNED: pass it to rest_new, which takes it.
 * 0, or ERR_REST (libcurl could not be initialised) with e filled. */
int rest_transport_curl(struct rest_transport *t, struct err *e) WARN_UNUSED;

struct rest;

/* Bind to splunkd_uri with a session key (copied; wiped by rest_free).
 * `t` is taken over (its release is called by rest_free, also on failure).
 * OWNED or NULL with e filled: ERR_ARGS for a URI that is not http(s)://host
 * or that asks for http:// to a non-loopback host or for one longer than
 * REST_URL_MAX, ERR_NOMEM. */
struct rest *rest_new(const char *splunkd_uri, const char *key, size_t key_len,
                      const struct rest_conf *conf, const struct rest_transport *t,
                      struct err *e);
void rest_free(struct rest *r);

/* 1 if the URI's host is loopback (127.0.0.0/8, ::1, localhost), else 0. */
int rest_uri_is_loopback(const char *uri);

/*
 * One request.  path_query starts with '/' and is appended to splunkd_uri
 * (already URL-encoded by the caller).  body may be NULL (then it is sent
 * with Content-Type: application/json when given).
 *
 * Returns 0 for a 2xx answer; *status is the HTTP status, *resp (BORROWED
 * until the next request or rest_free) the body, NUL-terminated.  Otherwise
 * ERR_REST with e->msg one line such as
 *   "POST /servicesNS/nobody/TA-dnsjoin/storage/collections/data/x/batch_save:
 *    HTTP 403 (the search's user lacks the capability)"
 * and *status the last HTTP status (0 when no answer came).
 */
int rest_request(struct rest *r, const char *method, const char *path_query, const char *body,
                 size_t body_len, long *status, const char **resp, size_t *resp_len,
                 struct err *e) WARN_UNUSED;

/* Requests made, attempts made (retries included): for messages and tests. */
void rest_counts(const struct rest *r, unsigned long *requests, unsigned long *attempts);

/* Append `s` URL-encoded (RFC 3986 unreserved kept, everything else %XX,
 * '/' included) to b.  0 or the buf error. */
int rest_urlencode(struct buf *b, const char *s, size_t n) WARN_UNUSED;

#endif
