#include "rest/rest.h"

#include <curl/curl.h>
#ifdef REST_TLS_MBEDTLS
#include <mbedtls/asn1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#endif
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "limits.h"
#include "net/ipaddr.h"
#include "util/slice.h"
#include "util/xmem.h"

#define AUTH_PREFIX "Authorization: Splunk "
#define BACKOFF_CAP_MS 8000u

void rest_conf_defaults(struct rest_conf *c)
{
    memset(c, 0, sizeof *c);
    c->verify = 1;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 30000;
    c->retries = 3;
    c->max_response = REST_RESPONSE_MAX;
    c->backoff_ms = 250;
}

struct rest {
    struct rest_transport t;
    struct rest_conf conf;
    char *base;            /* OWNED: splunkd_uri without a trailing '/' */
    char *auth;            /* OWNED, SECRET: "Authorization: Splunk <key>" */
    size_t auth_len;
    int loopback;
    struct buf url;        /* scratch for the full URL */
    struct buf resp;       /* last response body */
    unsigned long requests, attempts;
};

/* ---- URI checks ------------------------------------------------------- */

/* The host part of an http(s) URI as a slice, brackets removed; *https set.
 * SLICE_NULL when the URI is not http(s)://host[:port][/...]. */
static struct slice uri_host(const char *uri, int *https)
{
    struct slice s = slice_cstr(uri);
    const char *p, *end;
    if (slice_starts_with(s, "https://")) {
        *https = 1;
        p = uri + 8;
    } else if (slice_starts_with(s, "http://")) {
        *https = 0;
        p = uri + 7;
    } else {
        return SLICE_NULL;
    }
    end = uri + s.n;
    if (p < end && *p == '[') {
        const char *q = memchr(p, ']', (size_t)(end - p));
        if (q == NULL || q == p + 1)
            return SLICE_NULL;
        return slice_of(p + 1, (size_t)(q - p - 1));
    }
    const char *q = p;
    while (q < end && *q != ':' && *q != '/' && *q != '?' && *q != '#')
        q++;
    if (q == p)
        return SLICE_NULL;
    for (const char *c = p; c < q; c++)
        if (*c == '@' || (unsigned char)*c <= ' ')
            return SLICE_NULL;  /* no userinfo, no blanks */
    return slice_of(p, (size_t)(q - p));
}

static int host_is_loopback(struct slice h)
{
    struct ipaddr a;
    static const unsigned char v6_loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (h.n == 9 && strncasecmp(h.p, "localhost", 9) == 0)
        return 1;
    if (ipaddr_parse(h, &a) != 0)
        return 0;
    if (ipaddr_is_v4(&a))
        return (ipaddr_v4(&a) >> 24) == 127;
    return memcmp(a.b, v6_loop, 16) == 0;
}

int rest_uri_is_loopback(const char *uri)
{
    int https;
    struct slice h = uri_host(uri, &https);
    return h.p != NULL && host_is_loopback(h);
}

int rest_urlencode(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_' || c == '.' || c == '~';
        int rc;
        if (keep) {
            rc = buf_appendc(b, (char)c);
        } else {
            char t[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = buf_append(b, t, 3);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- client --------------------------------------------------------------- */

struct rest *rest_new(const char *splunkd_uri, const char *key, size_t key_len,
                      const struct rest_conf *conf, const struct rest_transport *t,
                      struct err *e)
{
    struct rest *r = NULL;
    int https = 0;
    struct slice host = uri_host(splunkd_uri ? splunkd_uri : "", &https);
    size_t n;

    if (host.p == NULL) {
        err_set(e, ERR_ARGS, "splunkd_uri is not an http(s)://host URI");
        goto fail;
    }
    if (!https && !host_is_loopback(host)) {
        err_set(e, ERR_ARGS, "splunkd_uri is plain http to a non-loopback host; refusing to "
                             "send the session key unencrypted");
        goto fail;
    }
    n = strlen(splunkd_uri);
    while (n > 0 && splunkd_uri[n - 1] == '/')
        n--;
    if (n > REST_URL_MAX / 2) {
        err_set(e, ERR_ARGS, "splunkd_uri is longer than half of REST_URL_MAX (%llu bytes) ("
                             LIMIT_BUILD_HINT ")", (unsigned long long)REST_URL_MAX);
        goto fail;
    }
    r = xcalloc(1, sizeof *r);
    if (r == NULL)
        goto nomem;
    r->t = *t;
    r->conf = *conf;
    r->loopback = host_is_loopback(host);
    buf_init(&r->url, REST_URL_MAX);
    buf_init(&r->resp, conf->max_response + 1);
    r->base = xstrndup(splunkd_uri, n);
    r->auth_len = sizeof AUTH_PREFIX - 1 + key_len;
    r->auth = xmalloc(r->auth_len + 1);
    if (r->base == NULL || r->auth == NULL)
        goto nomem;
    memcpy(r->auth, AUTH_PREFIX, sizeof AUTH_PREFIX - 1);
    if (key_len)
        memcpy(r->auth + sizeof AUTH_PREFIX - 1, key, key_len);
    r->auth[r->auth_len] = '\0';
    return r;
nomem:
    err_set(e, ERR_NOMEM, "out of memory setting up the REST client");
fail:
    if (r != NULL) {
        rest_free(r);
    } else if (t->release != NULL) {
        t->release(t->ctx);
    }
    return NULL;
}

void rest_free(struct rest *r)
{
    if (r == NULL)
        return;
    if (r->auth != NULL) {
        explicit_bzero(r->auth, r->auth_len);
        xfree(r->auth);
    }
    xfree(r->base);
    buf_free(&r->url);
    buf_free(&r->resp);
    if (r->t.release != NULL)
        r->t.release(r->t.ctx);
    xfree(r);
}

void rest_counts(const struct rest *r, unsigned long *requests, unsigned long *attempts)
{
    *requests = r->requests;
    *attempts = r->attempts;
}

static const char *status_hint(long st)
{
    switch (st) {
    case 400: return "request rejected as malformed";
    case 401: return "the search's session key was rejected";
    case 403: return "the search's user lacks the capability for this collection";
    case 404: return "no such collection or endpoint; check collections.conf and the collection "
                     "name";
    case 409: return "conflict";
    case 413: return "request too large; lower batch_documents or batch_mb in dnsjoin.conf";
    case 429: return "too many requests";
    case 500: return "splunkd internal error";
    case 503: return "KV store not ready or unavailable";
    default: return st >= 500 ? "server error" : "unexpected answer";
    }
}

/* "GET /servicesNS/..." without the query string, bounded, for messages. */
static void describe(const char *method, const char *path_query, char *out, size_t cap)
{
    size_t n = strcspn(path_query, "?");
    if (n > 160)
        n = 160;
    snprintf(out, cap, "%s %.*s", method, (int)n, path_query);
}

int rest_request(struct rest *r, const char *method, const char *path_query, const char *body,
                 size_t body_len, long *status, const char **resp, size_t *resp_len,
                 struct err *e)
{
    char what[200];
    struct rest_call c;
    unsigned backoff = r->conf.backoff_ms;

    *status = 0;
    *resp = NULL;
    *resp_len = 0;
    describe(method, path_query, what, sizeof what);
    buf_reset(&r->url);
    if (buf_appends(&r->url, r->base) || buf_appends(&r->url, path_query) ||
        buf_appendc(&r->url, '\0'))
        return err_set(e, ERR_REST, "%s: URL longer than REST_URL_MAX (%llu bytes) ("
                       LIMIT_BUILD_HINT ")", what, (unsigned long long)REST_URL_MAX);
    c.method = method;
    c.url = r->url.p;
    c.auth = r->auth;
    c.body = body;
    c.body_len = body_len;
    c.conf = &r->conf;
    c.verify_host = !r->loopback;
    r->requests++;

    for (unsigned attempt = 0;; attempt++) {
        struct err te;
        int retry, net;
        long st = 0;

        err_clear(&te);
        buf_reset(&r->resp);
        r->attempts++;
        net = r->t.perform(r->t.ctx, &c, &st, &r->resp, &te);
        if (net == REST_NET_OK) {
            *status = st;
            if (st >= 200 && st < 300) {
                if (buf_appendc(&r->resp, '\0'))
                    return err_set(e, ERR_REST, "%s: out of memory", what);
                *resp = r->resp.p;
                *resp_len = r->resp.len - 1;
                return 0;
            }
            retry = st == 429 || st == 503;
        } else {
            retry = net == REST_NET_RESET;
        }
        if (!retry || attempt >= r->conf.retries) {
            const char *after = attempt > 0 ? " (after retries)" : "";
            if (net == REST_NET_OK)
                return err_set(e, ERR_REST, "%s: HTTP %ld (%s)%s", what, st, status_hint(st),
                               after);
            if (net == REST_NET_TOO_BIG)
                return err_set(e, ERR_REST, "%s: response larger than %zu bytes; raise "
                               "max_response_mb in dnsjoin.conf [kvstore] (at most "
                               "REST_RESPONSE_MAX, %llu MB) or narrow the search", what,
                               r->conf.max_response,
                               (unsigned long long)(REST_RESPONSE_MAX >> 20));
            return err_set(e, ERR_REST, "%s: %s%s", what, te.msg[0] ? te.msg : "transport error",
                           after);
        }
        if (r->t.sleep_ms != NULL)
            r->t.sleep_ms(r->t.ctx, backoff);
        backoff = backoff * 2 > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : backoff * 2;
    }
}

/* ---- the libcurl transport ------------------------------------------------ */

struct curl_ctx {
    CURL *h;  /* OWNED: one handle, so connections are kept alive between requests */
    struct ipaddr peer_ip;  /* the URI's host when it is an IP address (mbedTLS builds) */
};

#ifdef REST_TLS_MBEDTLS
/*
 * The release binaries' libcurl uses mbedTLS 2.28, which checks a host name
 * against the certificate's dNSName entries and CN but never against its
 * iPAddress entries: a splunkd_uri such as https://10.1.2.3:8089 would fail
 * the host check with a certificate that names exactly that address, where
 * the OpenSSL build accepts it.  This verify callback, installed only for a
 * host that is an IP address and only when the host is checked, clears the
 * mismatch when the server's certificate has an iPAddress entry equal to it.
 * The chain, the dates and every other check stay mbedTLS's.
 */
static int ip_san_verify(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const struct ipaddr *want = ctx;
    if (depth != 0 || !(*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH))
        return 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s != NULL; s = s->next) {
        if (s->buf.p != NULL && s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
            ipaddr_eq_raw(want, s->buf.p, s->buf.len)) {
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            break;
        }
    }
    return 0;
}

static CURLcode on_ssl_config(CURL *h, void *ssl_config, void *ctx)
{
    (void)h;
    mbedtls_ssl_conf_verify(ssl_config, ip_san_verify, ctx);
    return CURLE_OK;
}
#endif

struct sink {
    struct buf *b;
    int too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (buf_append(s->b, p, n)) {
        s->too_big = 1;
        return 0;  /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Wipe and free a header list holding the auth line (curl_slist_append
 * copied it). */
static void headers_free(struct curl_slist *l)
{
    for (struct curl_slist *i = l; i != NULL; i = i->next)
        explicit_bzero(i->data, strlen(i->data));
    curl_slist_free_all(l);
}

static int map_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return REST_NET_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return REST_NET_TIMEOUT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return REST_NET_RESET;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
        return REST_NET_TLS;
    default:
        return REST_NET_OTHER;
    }
}

static int curl_perform(void *ctx, const struct rest_call *c, long *status, struct buf *body,
                        struct err *e)
{
    struct curl_ctx *cc = ctx;
    CURL *h = cc->h;
    struct curl_slist *hdr = NULL, *tmp;
    char ebuf[CURL_ERROR_SIZE];
    struct sink sk = {body, 0};
    CURLcode rc;
    int net;

    ebuf[0] = '\0';
    curl_easy_reset(h);
    tmp = curl_slist_append(hdr, c->auth);
    if (tmp == NULL)
        goto nomem;
    hdr = tmp;
    /* no "Expect: 100-continue" round trip for large bodies */
    tmp = curl_slist_append(hdr, "Expect:");
    if (tmp == NULL)
        goto nomem;
    hdr = tmp;
    if (c->body != NULL) {
        tmp = curl_slist_append(hdr, "Content-Type: application/json");
        if (tmp == NULL)
            goto nomem;
        hdr = tmp;
    }
    rc = curl_easy_setopt(h, CURLOPT_URL, c->url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_USERAGENT, "TA-dnsjoin");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->conf->connect_timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->conf->timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, &sk);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->conf->verify ? 1L : 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST,
                              c->conf->verify && c->verify_host ? 2L : 0L);
    if (rc == CURLE_OK && c->conf->verify) {
        /* Only the configured CA file: no system store, no CA directory. */
        rc = curl_easy_setopt(h, CURLOPT_CAINFO, c->conf->ca_file);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
#ifdef REST_TLS_MBEDTLS
    if (rc == CURLE_OK && c->conf->verify && c->verify_host) {
        int https;
        struct slice host = uri_host(c->url, &https);
        if (host.p != NULL && ipaddr_parse(host, &cc->peer_ip) == 0) {
            rc = curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_config);
            if (rc == CURLE_OK)
                rc = curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &cc->peer_ip);
        }
    }
#endif
    if (rc == CURLE_OK) {
        if (strcmp(c->method, "GET") == 0) {
            rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        } else if (strcmp(c->method, "POST") == 0) {
            rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                  (curl_off_t)(c->body ? c->body_len : 0));
            if (rc == CURLE_OK)
                rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
        } else {
            rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
        }
    }
    if (rc != CURLE_OK) {
        headers_free(hdr);
        err_set(e, ERR_REST, "libcurl option rejected: %s", curl_easy_strerror(rc));
        return REST_NET_OTHER;
    }
    rc = curl_easy_perform(h);
    /* libcurl keeps the header list pointer until the next reset. */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    headers_free(hdr);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        return REST_NET_OK;
    }
    if (rc == CURLE_WRITE_ERROR && sk.too_big)
        return REST_NET_TOO_BIG;
    net = map_curl(rc);
    {
        static const char *const kind[] = {"", "splunkd unreachable", "timed out",
                                           "connection reset", "TLS certificate rejected",
                                           "", "transport error"};
        err_set(e, ERR_REST, "%s: %s", kind[net], ebuf[0] ? ebuf : curl_easy_strerror(rc));
    }
    return net;
nomem:
    headers_free(hdr);
    err_set(e, ERR_NOMEM, "out of memory");
    return REST_NET_OTHER;
}

static void sys_sleep_ms(void *ctx, unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    (void)ctx;
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static unsigned curl_users;

static void curl_release(void *ctx)
{
    struct curl_ctx *cc = ctx;
    if (cc == NULL)
        return;
    curl_easy_cleanup(cc->h);
    xfree(cc);
    if (--curl_users == 0)
        curl_global_cleanup();
}

int rest_transport_curl(struct rest_transport *t, struct err *e)
{
    struct curl_ctx *cc;
    memset(t, 0, sizeof *t);
    if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(e, ERR_REST, "libcurl could not be initialised");
    curl_users++;
    cc = xcalloc(1, sizeof *cc);
    if (cc != NULL)
        cc->h = curl_easy_init();
    if (cc == NULL || cc->h == NULL) {
        xfree(cc);
        if (--curl_users == 0)
            curl_global_cleanup();
        return err_set(e, ERR_REST, "libcurl could not be initialised");
    }
    t->ctx = cc;
    t->perform = curl_perform;
    t->sleep_ms = sys_sleep_ms;
    t->release = curl_release;
    return 0;
}
