/*
 * fuzz_xmlin: the configuration XML splunkd writes on the modular input's
 * stdin (run mode's <input>, validation's <items>), in UTF-8 or UTF-16.
 *
 * Properties: xmlin_parse returns 0 or a documented error with a one-line
 * message and leaves x safe to free (LeakSanitizer checks the frees); on
 * success the root element's name is set (xmlin does not restrict it to
 * "input" or "items", whatever xmlin.h says: the caller checks), there are at most
 * XMLIN_PARAMS_MAX params, each named, and xmlin_get finds each param's
 * first occurrence; xmlin_to_utf8 output is NUL-terminated at its length.
 */
#include <string.h>

#include "fuzz.h"
#include "modinput/xmlin.h"
#include "util/xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct xmlin x;
    struct err e;

    memset(&x, 0, sizeof x);
    int rc = xmlin_parse(p, size, &x, &e);
    if (rc != 0) {
        FUZZ_CHECK(rc == ERR_INPUT || rc == ERR_LIMIT || rc == ERR_NOMEM);
        FUZZ_CHECK(e.msg[0] != '\0' && strchr(e.msg, '\n') == NULL);
    } else {
        FUZZ_CHECK(x.root != NULL);
        FUZZ_CHECK(x.n <= XMLIN_PARAMS_MAX);
        for (size_t i = 0; i < x.n; i++) {
            FUZZ_CHECK(x.p[i].name != NULL && x.p[i].value != NULL);
            const char *v = xmlin_get(&x, x.p[i].name);
            FUZZ_CHECK(v != NULL);
            size_t first = 0;
            while (strcmp(x.p[first].name, x.p[i].name) != 0)
                first++;
            FUZZ_CHECK(v == x.p[first].value);
        }
    }
    xmlin_free(&x);

    char *u;
    size_t un;
    rc = xmlin_to_utf8(p, size, &u, &un);
    FUZZ_CHECK(rc == 0 || rc == ERR_INPUT || rc == ERR_NOMEM);
    if (rc == 0) {
        FUZZ_CHECK(u[un] == '\0');
        xfree(u);
    }
    return 0;
}
