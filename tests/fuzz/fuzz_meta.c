/*
 * fuzz_meta: request metadata (getinfo / execute JSON) and, for the
 * splunkd stand-in, reply metadata.
 *
 * Properties: meta_parse returns 0 or a documented error; on success the
 * session key length matches the string; meta_info_free leaves the struct
 * zeroed; reply parsing frees everything it allocated (LeakSanitizer).
 */
#include <string.h>

#include "fuzz.h"
#include "scp/meta.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct meta_request req;
    struct meta_info info;
    struct err e;

    log_set_min((enum log_level)(LOG_ERROR + 1));
    memset(&info, 0, sizeof info);
    int rc = meta_parse(p, size, &req, &info, &e);
    FUZZ_CHECK(rc == 0 || rc == ERR_JSON || rc == ERR_NOMEM || rc == ERR_PROTO ||
               rc == ERR_LIMIT);
    if (rc == 0) {
        FUZZ_CHECK(req.action == META_GETINFO || req.action == META_EXECUTE ||
                   req.action == META_OTHER);
        FUZZ_CHECK(req.finished == 0 || req.finished == 1);
        if (req.action == META_GETINFO && info.session_key != NULL)
            FUZZ_CHECK(strlen(info.session_key) <= info.session_key_len);
        for (size_t i = 0; i < info.nargs; i++)
            FUZZ_CHECK(info.args[i] != NULL);
    }
    meta_info_free(&info);
    const char zero[sizeof info] = {0};
    FUZZ_CHECK(memcmp(&info, zero, sizeof info) == 0);

    /* execute requests carry no searchinfo */
    rc = meta_parse(p, size, &req, NULL, &e);
    FUZZ_CHECK(rc <= 0);

    struct meta_reply r;
    memset(&r, 0, sizeof r);
    rc = meta_parse_reply(p, size, &r, &e);
    FUZZ_CHECK(rc <= 0);
    if (rc == 0)
        FUZZ_CHECK(memchr(r.type, '\0', sizeof r.type) != NULL);
    meta_reply_free(&r);
    return 0;
}
