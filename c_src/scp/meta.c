#include "scp/meta.h"

#include <jansson.h>
#include <string.h>

#include "util/num.h"
#include "util/xmem.h"

/* jansson allocates through xmem, so allocation-failure tests reach it too. */
static void meta_setup(void)
{
    static int done;
    if (!done) {
        json_set_alloc_funcs(xmalloc, xfree);
        done = 1;
    }
}

static char *dup_str(json_t *v)
{
    if (json_is_string(v))
        return xstrndup(json_string_value(v), json_string_length(v));
    return xstrndup("", 0);
}

static int dup_array(json_t *arr, char ***out, size_t *n)
{
    size_t cnt = json_is_array(arr) ? json_array_size(arr) : 0;
    *out = xcalloc(cnt ? cnt : 1, sizeof **out);
    *n = 0;
    if (*out == NULL)
        return ERR_NOMEM;
    for (size_t i = 0; i < cnt; i++) {
        json_t *it = json_array_get(arr, i);
        if (!json_is_string(it))
            return ERR_JSON;
        (*out)[i] = dup_str(it);
        if ((*out)[i] == NULL)
            return ERR_NOMEM;
        *n = i + 1;
    }
    return 0;
}

/* "0", "", absent = unbounded; otherwise epoch seconds (string or number). */
static int time_of(json_t *v, int64_t *out)
{
    *out = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v) * US_PER_SEC;
        return 0;
    }
    if (json_is_real(v)) {
        *out = (int64_t)(json_real_value(v) * 1e6);
        return 0;
    }
    if (json_is_string(v)) {
        struct slice s = slice_of(json_string_value(v), json_string_length(v));
        if (s.n == 0)
            return 0;
        return num_parse_time_us(s, out) ? ERR_JSON : 0;
    }
    return ERR_JSON;
}

static int fill_info(json_t *si, struct meta_info *info, struct err *e)
{
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {
        {"command", offsetof(struct meta_info, command)},
        {"sid", offsetof(struct meta_info, sid)},
        {"app", offsetof(struct meta_info, app)},
        {"owner", offsetof(struct meta_info, owner)},
        {"username", offsetof(struct meta_info, username)},
        {"dispatch_dir", offsetof(struct meta_info, dispatch_dir)},
        {"splunkd_uri", offsetof(struct meta_info, splunkd_uri)},
        {"splunk_version", offsetof(struct meta_info, splunk_version)},
        {"search", offsetof(struct meta_info, search)},
    };
    int rc;

    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        char **dst = (char **)(void *)((char *)info + strs[i].off);
        *dst = dup_str(json_object_get(si, strs[i].key));
        if (*dst == NULL)
            return err_set(e, ERR_NOMEM, "out of memory reading getinfo");
    }
    json_t *key = json_object_get(si, "session_key");
    info->session_key = dup_str(key);
    if (info->session_key == NULL)
        return err_set(e, ERR_NOMEM, "out of memory reading getinfo");
    info->session_key_len = strlen(info->session_key);

    json_t *args = json_object_get(si, "args");
    if (args != NULL && !json_is_array(args))
        return err_set(e, ERR_JSON, "getinfo: searchinfo.args is not an array");
    rc = dup_array(args, &info->args, &info->nargs);
    if (rc == ERR_JSON)
        return err_set(e, rc, "getinfo: searchinfo.args holds a value that is not a string");
    if (rc)
        return err_set(e, rc, "out of memory reading getinfo");
    rc = dup_array(json_object_get(si, "raw_args"), &info->raw_args, &info->nraw_args);
    if (rc == ERR_NOMEM)
        return err_set(e, rc, "out of memory reading getinfo");
    if (time_of(json_object_get(si, "earliest_time"), &info->earliest_us))
        return err_set(e, ERR_JSON, "getinfo: searchinfo.earliest_time is not an epoch time");
    if (time_of(json_object_get(si, "latest_time"), &info->latest_us))
        return err_set(e, ERR_JSON, "getinfo: searchinfo.latest_time is not an epoch time");
    json_t *mr = json_object_get(si, "maxresultrows");
    info->maxresultrows = json_is_integer(mr) ? (int64_t)json_integer_value(mr) : 0;
    return 0;
}

int meta_parse(const char *p, size_t n, struct meta_request *req, struct meta_info *info,
               struct err *e)
{
    json_error_t jerr;
    json_t *root;
    int rc = 0;

    meta_setup();
    memset(req, 0, sizeof *req);
    if (info != NULL)
        memset(info, 0, sizeof *info);
    if (n == 0)
        return err_set(e, ERR_JSON, "request has no metadata");
    root = json_loadb(p, n, 0, &jerr);
    /* jansson's text quotes the input near the error, and getinfo's input
     * holds the session key: report the position only. */
    if (root == NULL)
        return err_set(e, ERR_JSON, "metadata is not valid JSON (line %d, column %d)",
                       jerr.line, jerr.column);
    if (!json_is_object(root)) {
        rc = err_set(e, ERR_JSON, "metadata is not a JSON object");
        goto done;
    }
    json_t *action = json_object_get(root, "action");
    if (!json_is_string(action)) {
        rc = err_set(e, ERR_JSON, "metadata has no \"action\"");
        goto done;
    }
    if (strcmp(json_string_value(action), "getinfo") == 0)
        req->action = META_GETINFO;
    else if (strcmp(json_string_value(action), "execute") == 0)
        req->action = META_EXECUTE;
    else
        req->action = META_OTHER;
    json_t *fin = json_object_get(root, "finished");
    if (fin != NULL && !json_is_boolean(fin)) {
        rc = err_set(e, ERR_JSON, "\"finished\" is not a boolean");
        goto done;
    }
    req->finished = json_is_true(fin);
    if (req->action == META_GETINFO && info != NULL) {
        json_t *si = json_object_get(root, "searchinfo");
        if (!json_is_object(si)) {
            rc = err_set(e, ERR_JSON, "getinfo metadata has no \"searchinfo\" object");
            goto done;
        }
        info->preview = json_is_true(json_object_get(root, "preview"));
        rc = fill_info(si, info, e);
    }
done:
    json_decref(root);
    return rc;
}

static void free_list(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        xfree(v[i]);
    xfree(v);
}

void meta_info_free(struct meta_info *info)
{
    free_list(info->args, info->nargs);
    free_list(info->raw_args, info->nraw_args);
    char *strs[] = {info->command, info->sid, info->app, info->owner, info->username,
                    info->dispatch_dir, info->splunkd_uri, info->splunk_version, info->search};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        xfree(strs[i]);
    if (info->session_key != NULL) {
        explicit_bzero(info->session_key, info->session_key_len);
        xfree(info->session_key);
    }
    memset(info, 0, sizeof *info);
}

/* jansson needs valid UTF-8; messages may quote field names from the input. */
static json_t *safe_string(const char *s)
{
    size_t n = strlen(s);
    char *t = xstrndup(s, n);
    json_t *j;
    if (t == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
            t[i] = '?';
    j = json_stringn(t, n);
    xfree(t);
    return j;
}

static int add_messages(json_t *root, const struct meta_msg *msgs, size_t nmsgs)
{
    json_t *arr, *insp;
    if (nmsgs == 0)
        return 0;
    arr = json_array();
    insp = json_object();
    if (arr == NULL || insp == NULL) {
        json_decref(arr);
        json_decref(insp);
        return ERR_NOMEM;
    }
    if (json_object_set_new(insp, "messages", arr)) {
        json_decref(insp);
        return ERR_NOMEM;
    }
    if (json_object_set_new(root, "inspector", insp))
        return ERR_NOMEM;
    for (size_t i = 0; i < nmsgs; i++) {
        json_t *pair = json_array();
        if (pair == NULL || json_array_append_new(arr, pair) ||
            json_array_append_new(pair, json_string(msgs[i].level)) ||
            json_array_append_new(pair, safe_string(msgs[i].text)))
            return ERR_NOMEM;
    }
    return 0;
}

static int dump_into(json_t *root, struct buf *out)
{
    char *s;
    int rc;
    if (root == NULL)
        return ERR_NOMEM;
    s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (s == NULL)
        return ERR_NOMEM;
    rc = buf_appends(out, s);
    xfree(s);
    return rc;
}

int meta_getinfo_reply(struct buf *out, const char *type, const char *const *required,
                       size_t nrequired, const struct meta_msg *msgs, size_t nmsgs,
                       int finished)
{
    return meta_getinfo_reply_preop(out, type, NULL, required, nrequired, msgs, nmsgs, finished);
}

int meta_getinfo_reply_preop(struct buf *out, const char *type, const char *preop,
                             const char *const *required, size_t nrequired,
                             const struct meta_msg *msgs, size_t nmsgs, int finished)
{
    json_t *root;
    meta_setup();
    root = json_object();
    if (root == NULL)
        return ERR_NOMEM;
    if (type != NULL && json_object_set_new(root, "type", json_string(type)))
        goto nomem;
    if (preop != NULL) {
        /* field names may be UTF-8: keep them when valid */
        json_t *j = json_string(preop);
        if (json_object_set_new(root, "streaming_preop", j ? j : safe_string(preop)))
            goto nomem;
    }
    if (nrequired) {
        json_t *arr = json_array();
        if (arr == NULL || json_object_set_new(root, "required_fields", arr))
            goto nomem;
        for (size_t i = 0; i < nrequired; i++)
            if (json_array_append_new(arr, safe_string(required[i])))
                goto nomem;
    }
    if (finished && json_object_set_new(root, "finished", json_true()))
        goto nomem;
    if (add_messages(root, msgs, nmsgs))
        goto nomem;
    return dump_into(root, out);
nomem:
    json_decref(root);
    return ERR_NOMEM;
}

int meta_execute_reply(struct buf *out, int finished, const struct meta_msg *msgs, size_t nmsgs)
{
    json_t *root;
    meta_setup();
    root = json_object();
    if (root == NULL)
        return ERR_NOMEM;
    if (json_object_set_new(root, "finished", json_boolean(finished)) ||
        add_messages(root, msgs, nmsgs)) {
        json_decref(root);
        return ERR_NOMEM;
    }
    return dump_into(root, out);
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++)
        if (json_array_append_new(arr, json_string(v[i]))) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

int meta_getinfo_request(struct buf *out, const struct meta_getinfo_req *g)
{
    json_t *root, *si;
    meta_setup();
    root = json_object();
    si = json_object();
    if (root == NULL || si == NULL)
        goto nomem;
    /* splunkd 8.2.1 key order */
    if (json_object_set_new(root, "action", json_string("getinfo")) ||
        json_object_set_new(root, "preview", json_false()) ||
        json_object_set_new(root, "streaming_command_will_restart", json_false()) ||
        json_object_set_new(root, "searchinfo", si)) {
        goto nomem;
    }
    if (json_object_set_new(si, "args", str_array(g->args, g->nargs)) ||
        json_object_set_new(si, "raw_args", str_array(g->raw_args, g->nargs)) ||
        json_object_set_new(si, "dispatch_dir", json_string(g->dispatch_dir)) ||
        json_object_set_new(si, "sid", json_string(g->sid)) ||
        json_object_set_new(si, "app", json_string("TA-dnsjoin")) ||
        json_object_set_new(si, "owner", json_string("admin")) ||
        json_object_set_new(si, "username", json_string("admin")) ||
        json_object_set_new(si, "session_key", json_string("scpdrive-dummy-session-key")) ||
        json_object_set_new(si, "splunkd_uri", json_string("https://127.0.0.1:8089")) ||
        json_object_set_new(si, "splunk_version", json_string("9.2.0")) ||
        json_object_set_new(si, "search", json_string(g->search)) ||
        json_object_set_new(si, "command", json_string(g->command)) ||
        json_object_set_new(si, "maxresultrows", json_integer(g->maxresultrows)) ||
        json_object_set_new(si, "earliest_time", json_string(g->earliest)) ||
        json_object_set_new(si, "latest_time", json_string(g->latest)))
        goto nomem_root;
    return dump_into(root, out);
nomem:
    json_decref(si);
nomem_root:
    json_decref(root);
    return ERR_NOMEM;
}

int meta_parse_reply(const char *p, size_t n, struct meta_reply *r, struct err *e)
{
    json_error_t jerr;
    json_t *root, *v;
    struct buf msgs;
    int rc = 0;

    meta_setup();
    memset(r, 0, sizeof *r);
    root = json_loadb(p, n, 0, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return err_set(e, ERR_JSON, "reply metadata is not a JSON object");
    }
    v = json_object_get(root, "finished");
    if (v != NULL) {
        if (!json_is_boolean(v)) {
            rc = err_set(e, ERR_JSON, "reply \"finished\" is not a boolean");
            goto done;
        }
        r->has_finished = 1;
        r->finished = json_is_true(v);
    }
    v = json_object_get(root, "type");
    if (json_is_string(v))
        snprintf(r->type, sizeof r->type, "%s", json_string_value(v));
    v = json_object_get(root, "streaming_preop");
    if (v != NULL) {
        if (!json_is_string(v)) {
            rc = err_set(e, ERR_JSON, "reply \"streaming_preop\" is not a string");
            goto done;
        }
        r->streaming_preop = xstrndup(json_string_value(v), strlen(json_string_value(v)));
        if (r->streaming_preop == NULL) {
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    v = json_object_get(root, "required_fields");
    if (json_is_array(v) && dup_array(v, &r->required, &r->nrequired)) {
        rc = err_set(e, ERR_JSON, "reply required_fields is not a list of strings");
        goto done;
    }
    buf_init(&msgs, 1u << 20);
    v = json_object_get(json_object_get(root, "inspector"), "messages");
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++) {
        json_t *m = json_array_get(v, i);
        const char *lv = json_string_value(json_array_get(m, 0));
        const char *tx = json_string_value(json_array_get(m, 1));
        if (lv == NULL || tx == NULL) {
            buf_free(&msgs);
            rc = err_set(e, ERR_JSON, "reply inspector message is not [level, text]");
            goto done;
        }
        if (strcmp(lv, "ERROR") == 0 || strcmp(lv, "FATAL") == 0)
            r->has_error = 1;
        if (buf_printf(&msgs, "%s %s\n", lv, tx)) {
            buf_free(&msgs);
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    if (msgs.len) {
        if (buf_appendc(&msgs, '\0')) {
            buf_free(&msgs);
            rc = err_set(e, ERR_NOMEM, "out of memory");
            goto done;
        }
        r->messages = buf_take(&msgs, NULL);
    }
done:
    json_decref(root);
    return rc;
}

void meta_reply_free(struct meta_reply *r)
{
    xfree(r->messages);
    xfree(r->streaming_preop);
    free_list(r->required, r->nrequired);
    memset(r, 0, sizeof *r);
}
