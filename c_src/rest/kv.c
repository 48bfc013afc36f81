#include "rest/kv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "util/appdir.h"
#include "util/buf.h"
#include "util/conffile.h"
#include "util/num.h"
#include "util/xmem.h"

#define KV_FIELDS "_key,rrname,rrtype,rdata,time_first,time_last,count,last_client"

/* ---- dnsjoin.conf ------------------------------------------------------------ */

static void set_ca_default(struct kv_conf *c)
{
    snprintf(c->rest.ca_file, sizeof c->rest.ca_file, "$SPLUNK_HOME/etc/auth/cacert.pem");
}

void kv_conf_defaults(struct kv_conf *c)
{
    memset(c, 0, sizeof *c);
    rest_conf_defaults(&c->rest);
    set_ca_default(c);
    c->rest.max_response = REST_RESPONSE_MAX;
    c->batch_documents = 1000;
    c->batch_bytes = 16u << 20;
    snprintf(c->app, sizeof c->app, "TA-dnsjoin");
}

const char *kv_conf_unsafe_warning(void)
{
    return "dnsjoin.conf [kvstore] verify = false: splunkd's TLS certificate is not checked, so "
           "anyone who can intercept the connection receives the search's session key (UNSAFE; "
           "set verify = true and ca_file)";
}

/* One setting of [kvstore]; unknown keys are ignored (newer versions). */
static int conf_set(void *ctx, struct slice k, struct slice v, const char *file, int line,
                    struct err *e)
{
    struct kv_conf *c = ctx;
    uint64_t u;
    if (slice_eq_cstr(k, "ca_file")) {
        if (v.n == 0 || v.n >= sizeof c->rest.ca_file)
            goto bad;
        memcpy(c->rest.ca_file, v.p, v.n);
        c->rest.ca_file[v.n] = '\0';
    } else if (slice_eq_cstr(k, "verify")) {
        if (conffile_bool(v, &c->rest.verify))
            goto bad;
    } else if (slice_eq_cstr(k, "connect_timeout")) {
        if (num_parse_u64(v, 1, 3600, &u))
            goto bad;
        c->rest.connect_timeout_ms = (long)u * 1000;
    } else if (slice_eq_cstr(k, "timeout")) {
        if (num_parse_u64(v, 1, 86400, &u))
            goto bad;
        c->rest.timeout_ms = (long)u * 1000;
    } else if (slice_eq_cstr(k, "retries")) {
        if (num_parse_u64(v, 0, 10, &u))
            goto bad;
        c->rest.retries = (unsigned)u;
    } else if (slice_eq_cstr(k, "max_response_mb")) {
        if (num_parse_u64(v, 1, REST_RESPONSE_MAX >> 20, &u))
            return err_set(e, ERR_ARGS, "%s line %d: max_response_mb must be 1 to %llu "
                           "(REST_RESPONSE_MAX, " LIMIT_BUILD_HINT ")", file, line,
                           (unsigned long long)(REST_RESPONSE_MAX >> 20));
        c->rest.max_response = (size_t)u << 20;
    } else if (slice_eq_cstr(k, "batch_documents")) {
        if (num_parse_u64(v, 1, 50000, &u))
            goto bad;
        c->batch_documents = (size_t)u;
    } else if (slice_eq_cstr(k, "batch_mb")) {
        if (num_parse_u64(v, 1, 1024, &u))
            goto bad;
        c->batch_bytes = (size_t)u << 20;
    }
    return 0;
bad:
    return err_set(e, ERR_ARGS, "%s line %d: invalid value for [kvstore] %.*s", file, line,
                   (int)(k.n > 40 ? 40 : k.n), k.p);
}

int kv_conf_load(struct kv_conf *c, const char *app_dir, struct err *e)
{
    char dir[REST_PATH_MAX], path[REST_PATH_MAX + 32];
    int rc;

    if (app_dir == NULL) {
        if (appdir_self(dir, sizeof dir) != 0)
            return 0;  /* defaults */
    } else {
        snprintf(dir, sizeof dir, "%s", app_dir);
    }
    {
        const char *base = strrchr(dir, '/');
        base = base ? base + 1 : dir;
        size_t bl = strlen(base);
        if (bl > 0 && bl < sizeof c->app)
            memcpy(c->app, base, bl + 1);
    }
    snprintf(path, sizeof path, "%s/default/dnsjoin.conf", dir);
    rc = conffile_read(path, "default/dnsjoin.conf", "kvstore", conf_set, c, e);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/local/dnsjoin.conf", dir);
        rc = conffile_read(path, "local/dnsjoin.conf", "kvstore", conf_set, c, e);
    }
    if (rc)
        return rc;
    if (strncmp(c->rest.ca_file, "$SPLUNK_HOME", 12) == 0) {
        char home[REST_PATH_MAX];
        const char *env = getenv("SPLUNK_HOME");
        char rest_of[REST_PATH_MAX];
        snprintf(rest_of, sizeof rest_of, "%s", c->rest.ca_file + 12);
        if (env != NULL && *env != '\0') {
            snprintf(home, sizeof home, "%s", env);
        } else {
            /* <SPLUNK_HOME>/etc/apps/<app> */
            snprintf(home, sizeof home, "%s", dir);
            for (int k = 0; k < 3; k++) {
                char *sl = strrchr(home, '/');
                if (sl != NULL)
                    *sl = '\0';
            }
        }
        if ((size_t)snprintf(c->rest.ca_file, sizeof c->rest.ca_file, "%s%s", home, rest_of) >=
            sizeof c->rest.ca_file)
            return err_set(e, ERR_ARGS, "[kvstore] ca_file: path too long");
    }
    return 0;
}

/* ---- requests ------------------------------------------------------------------ */

struct kv {
    struct rest *r;
    const struct kv_conf *c;
    struct buf path;      /* "/servicesNS/nobody/<app>/storage/collections/data/<coll>" */
    size_t base_len;
    struct buf body;
    int use_or;           /* "$in" was refused: send "$or" */
    unsigned long requests;
};

struct kv *kv_new(struct rest *r, const struct kv_conf *c, const char *collection)
{
    struct kv *k;
    /* The same allocator as meta.c, so json_dumps output is xfree'd. */
    json_set_alloc_funcs(xmalloc, xfree);
    k = xcalloc(1, sizeof *k);
    if (k == NULL)
        return NULL;
    k->r = r;
    k->c = c;
    buf_init(&k->path, REST_URL_MAX);
    buf_init(&k->body, c->batch_bytes + 4096);
    if (buf_appends(&k->path, "/servicesNS/nobody/") ||
        rest_urlencode(&k->path, c->app, strlen(c->app)) ||
        buf_appends(&k->path, "/storage/collections/data/") ||
        rest_urlencode(&k->path, collection, strlen(collection))) {
        kv_free(k);
        return NULL;
    }
    k->base_len = k->path.len;
    return k;
}

void kv_free(struct kv *k)
{
    if (k == NULL)
        return;
    buf_free(&k->path);
    buf_free(&k->body);
    xfree(k);
}

unsigned long kv_requests(const struct kv *k) { return k->requests; }

static struct slice jstr(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);  /* borrowed */
    if (!json_is_string(v))
        return SLICE_NULL;
    return slice_of(json_string_value(v), json_string_length(v));
}

/* A number field, written by us as a JSON number; a string holding a
 * number is accepted too (enforceTypes = false keeps what was sent). */
static int jnum(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -9e15 && d < 9e15))
            return ERR_INPUT;
        *out = (int64_t)d;
        return 0;
    }
    if (json_is_string(v)) {
        int64_t us;
        if (num_parse_time_us(slice_of(json_string_value(v), json_string_length(v)), &us))
            return ERR_INPUT;
        *out = us / US_PER_SEC;
        return 0;
    }
    return ERR_INPUT;
}

static int time_ok(int64_t s) { return s >= -KV_TIME_MAX && s <= KV_TIME_MAX; }

/* Documents missing a mandatory field are skipped: someone else's rows in
 * a shared collection must not fail our search. */
int kv_parse_page(const char *p, size_t n, kv_doc_cb cb, void *ctx, size_t *rows,
                  const char *what, struct err *e)
{
    json_error_t jerr;
    json_t *root = json_loadb(p, n, 0, &jerr);
    size_t i;
    json_t *o;
    int rc = 0;

    *rows = 0;
    if (root == NULL || !json_is_array(root)) {
        json_decref(root);
        return err_set(e, ERR_REST, "%s: the KV store's answer is not a JSON array of documents",
                       what);
    }
    json_array_foreach(root, i, o) {
        struct kv_doc d;
        int64_t cnt = 0;
        (*rows)++;
        if (!json_is_object(o))
            continue;
        d.key = jstr(o, "_key");
        d.rrname = jstr(o, "rrname");
        d.rrtype = jstr(o, "rrtype");
        d.rdata = jstr(o, "rdata");
        d.last_client = jstr(o, "last_client");
        if (d.last_client.p == NULL)
            d.last_client = SLICE_LIT("");
        if (d.rrname.p == NULL || d.rdata.p == NULL || d.rrtype.p == NULL ||
            jnum(o, "time_first", &d.time_first) || jnum(o, "time_last", &d.time_last) ||
            !time_ok(d.time_first) || !time_ok(d.time_last))
            continue;
        if (jnum(o, "count", &cnt) || cnt < 0)
            cnt = 0;
        d.count = (uint64_t)cnt;
        rc = cb(ctx, &d, e);
        if (rc)
            break;
    }
    json_decref(root);
    return rc;
}

/* The query object for field in values[0..n) as compact JSON, URL-encoded
 * into path. */
static int append_query(struct kv *k, const char *field, const struct slice *v, size_t n,
                        struct err *e)
{
    json_t *arr = json_array(), *q = NULL;
    char *s = NULL;
    int rc = ERR_NOMEM;

    if (arr == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_t *str = json_stringn(v[i].p, v[i].n);
        if (str == NULL)
            goto out;
        if (k->use_or) {
            json_t *one = json_pack("{s:o}", field, str);
            if (one == NULL || json_array_append_new(arr, one))
                goto out;
        } else if (json_array_append_new(arr, str)) {
            goto out;
        }
    }
    q = k->use_or ? json_pack("{s:o}", "$or", arr) : json_pack("{s:{s:o}}", field, "$in", arr);
    arr = NULL;  /* stolen by json_pack, also on failure */
    if (q == NULL)
        goto out;
    s = json_dumps(q, JSON_COMPACT);
    if (s == NULL)
        goto out;
    rc = rest_urlencode(&k->path, s, strlen(s));
out:
    json_decref(arr);
    json_decref(q);
    xfree(s);
    if (rc)
        return err_set(e, rc, "building a KV store query: %s",
                       rc == ERR_LIMIT ? "URL longer than REST_URL_MAX (" LIMIT_BUILD_HINT ")"
                                       : "out of memory");
    return 0;
}

/* Encoded size of one value inside the query, at most. */
static size_t value_cost(struct slice v) { return 3 * (v.n + 16); }

/* What a query of field is for, in messages. */
static const char *field_what(const char *field)
{
    return strcmp(field, "rrname") == 0 ? "names" : "addresses";
}

static int find_batch(struct kv *k, const char *field, const struct slice *v, size_t n,
                      kv_doc_cb cb, void *ctx, struct err *e)
{
    for (size_t skip = 0;;) {
        long st;
        const char *resp;
        size_t rlen, rows;
        int rc;

        k->path.len = k->base_len;
        if (buf_appends(&k->path, "?query="))
            return err_set(e, ERR_REST, "KV store query: URL too long");
        rc = append_query(k, field, v, n, e);
        if (rc)
            return rc;
        if (buf_printf(&k->path, "&fields=%s&sort=_key&limit=%u&skip=%zu", KV_FIELDS,
                       (unsigned)KV_PAGE_ROWS, skip) ||
            buf_appendc(&k->path, '\0'))
            return err_set(e, ERR_REST, "KV store query: URL too long");
        k->requests++;
        rc = rest_request(k->r, "GET", k->path.p, NULL, 0, &st, &resp, &rlen, e);
        if (rc == ERR_REST && st == 400 && !k->use_or) {
            /* "$in" is not documented for the data endpoint; fall back. */
            k->use_or = 1;
            continue;
        }
        if (rc)
            return rc;
        {
            char what[64];
            snprintf(what, sizeof what, "GET (query of %zu %s)", n, field_what(field));
            rc = kv_parse_page(resp, rlen, cb, ctx, &rows, what, e);
        }
        if (rc)
            return rc;
        if (rows < KV_PAGE_ROWS)
            return 0;
        skip += rows;
    }
}

/* Every document whose field is one of values[0..n), in batches of at most
 * KV_IN_MAX values within the URL budget. */
static int find_by(struct kv *k, const char *field, const struct slice *values, size_t n,
                   kv_doc_cb cb, void *ctx, struct err *e)
{
    /* Room for the fixed parts of the URL (base URI, fields, paging). */
    size_t budget = REST_URL_MAX / 2 > k->base_len + 512 ? REST_URL_MAX / 2 - k->base_len - 512
                                                         : 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i, cost = 0;
        while (j < n && j - i < KV_IN_MAX && (j == i || cost + value_cost(values[j]) <= budget))
            cost += value_cost(values[j++]);
        int rc = find_batch(k, field, values + i, j - i, cb, ctx, e);
        if (rc)
            return rc;
        i = j;
    }
    return 0;
}

int kv_find_rdata(struct kv *k, const struct slice *rdata, size_t n, kv_doc_cb cb, void *ctx,
                  struct err *e)
{
    return find_by(k, "rdata", rdata, n, cb, ctx, e);
}

int kv_find_rrname(struct kv *k, const struct slice *rrname, size_t n, kv_doc_cb cb, void *ctx,
                   struct err *e)
{
    return find_by(k, "rrname", rrname, n, cb, ctx, e);
}

static json_t *doc_json(const struct kv_doc *d)
{
    return json_pack("{s:s%,s:s%,s:s%,s:s%,s:I,s:I,s:I,s:s%}", "_key", d->key.p, d->key.n,
                     "rrname", d->rrname.p, d->rrname.n, "rrtype", d->rrtype.p, d->rrtype.n,
                     "rdata", d->rdata.p, d->rdata.n, "time_first", (json_int_t)d->time_first,
                     "time_last", (json_int_t)d->time_last, "count", (json_int_t)d->count,
                     "last_client", d->last_client.p ? d->last_client.p : "",
                     d->last_client.n);
}

static int flush_batch(struct kv *k, size_t ndocs, size_t *saved, struct err *e)
{
    long st;
    const char *resp;
    size_t rlen;
    int rc;

    if (buf_appendc(&k->body, ']'))
        return err_set(e, ERR_NOMEM, "out of memory building a batch_save request");
    k->path.len = k->base_len;
    if (buf_appends(&k->path, "/batch_save") || buf_appendc(&k->path, '\0'))
        return err_set(e, ERR_REST, "batch_save: URL too long");
    k->requests++;
    rc = rest_request(k->r, "POST", k->path.p, k->body.p, k->body.len, &st, &resp, &rlen, e);
    buf_reset(&k->body);
    if (rc == 0)
        *saved += ndocs;
    return rc;
}

int kv_save(struct kv *k, const struct kv_doc *docs, size_t n, size_t *saved, struct err *e)
{
    size_t inbatch = 0;
    int rc;

    *saved = 0;
    buf_reset(&k->body);
    for (size_t i = 0; i < n; i++) {
        json_t *o = doc_json(&docs[i]);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        size_t sl = s ? strlen(s) : 0;
        json_decref(o);
        if (s == NULL)
            return err_set(e, ERR_NOMEM, "out of memory building a batch_save request");
        if (sl + 2 > k->c->batch_bytes) {
            xfree(s);
            return err_set(e, ERR_REST, "a document is larger than batch_mb");
        }
        if (inbatch > 0 && (inbatch == k->c->batch_documents ||
                            k->body.len + sl + 2 > k->c->batch_bytes)) {
            rc = flush_batch(k, inbatch, saved, e);
            inbatch = 0;
            if (rc) {
                xfree(s);
                return rc;
            }
        }
        rc = buf_appendc(&k->body, inbatch == 0 ? '[' : ',');
        if (rc == 0)
            rc = buf_append(&k->body, s, sl);
        xfree(s);
        if (rc)
            return err_set(e, ERR_NOMEM, "out of memory building a batch_save request");
        inbatch++;
    }
    if (inbatch > 0)
        return flush_batch(k, inbatch, saved, e);
    return 0;
}

int kv_open(const char *splunkd_uri, const char *key, size_t key_len, const char *collection,
            const char *app_dir, const struct rest_transport *t, struct kv_conf *conf,
            struct rest **r, struct kv **k, struct err *e)
{
    struct rest_transport curl;
    int rc;

    *r = NULL;
    *k = NULL;
    kv_conf_defaults(conf);
    rc = kv_conf_load(conf, app_dir, e);
    if (rc) {
        if (t != NULL && t->release != NULL)
            t->release(t->ctx);
        return rc;
    }
    if (t == NULL) {
        rc = rest_transport_curl(&curl, e);
        if (rc)
            return rc;
        t = &curl;
    }
    *r = rest_new(splunkd_uri, key, key_len, &conf->rest, t, e);
    if (*r == NULL)
        return e->code ? e->code : ERR_NOMEM;
    *k = kv_new(*r, conf, collection);
    if (*k == NULL) {
        rest_free(*r);
        *r = NULL;
        return err_set(e, ERR_NOMEM, "out of memory opening the KV store collection");
    }
    return 0;
}
