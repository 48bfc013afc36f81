/*
 * test_appdir: the app folder of a binary, from its path (util/appdir):
 * <app>/bin/X and <app>/<platform>/bin/X give <app>; paths too short, a
 * platform name that is only a prefix, and a result that does not fit fail
 * or are left alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/appdir.h"

struct acase {
    const char *exe;
    const char *want;  /* NULL: ERR_IO */
};

static const struct acase acases[] = {
    {"/opt/splunk/etc/apps/TA-dnsjoin/bin/dnsjoin", "/opt/splunk/etc/apps/TA-dnsjoin"},
    {"/opt/splunk/etc/apps/TA-dnsjoin/linux_x86_64/bin/dnsjoin",
     "/opt/splunk/etc/apps/TA-dnsjoin"},
    {"/opt/splunk/etc/apps/TA-dnsjoin/linux_aarch64/bin/dnsmasq_log",
     "/opt/splunk/etc/apps/TA-dnsjoin"},
    {"/opt/splunk/etc/apps/TA-dnsjoin/darwin_x86_64/bin/dnsjoin",
     "/opt/splunk/etc/apps/TA-dnsjoin"},
    /* only whole folder names are platforms */
    {"/a/xlinux_x86_64/bin/dnsjoin", "/a/xlinux_x86_64"},
    {"/a/linux_x86_64x/bin/dnsjoin", "/a/linux_x86_64x"},
    /* an app that is itself named like a platform folder, one level up */
    {"/apps/linux_x86/linux_x86_64/bin/d", "/apps/linux_x86"},
    {"/work/main/bin/dnsjoin", "/work/main"},
    {"/x/bin/dnsjoin", "/x"},
    {"/bin/dnsjoin", NULL},
    {"/dnsjoin", NULL},
    {"dnsjoin", NULL},
    {"", NULL},
    {"/linux_x86_64/bin/dnsjoin", NULL},
};

static void test_table(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof acases / sizeof acases[0]; i++) {
        const struct acase *c = &acases[i];
        char out[256];
        int rc = appdir_from_exe(c->exe, strlen(c->exe), out, sizeof out);
        if (c->want == NULL) {
            if (rc == 0)
                fail_msg("%s: want an error, got '%s'", c->exe, out);
        } else if (rc != 0 || strcmp(out, c->want) != 0) {
            fail_msg("%s: want '%s', got rc %d '%s'", c->exe, c->want, rc, rc ? "" : out);
        }
    }
}

/* The result and its NUL must fit: one byte short fails, exact fits. */
static void test_room(void **st)
{
    static const char exe[] = "/opt/app/bin/dnsjoin";
    char out[9];
    (void)st;
    assert_int_equal(appdir_from_exe(exe, strlen(exe), out, 8), ERR_IO);
    assert_int_equal(appdir_from_exe(exe, strlen(exe), out, 9), 0);
    assert_string_equal(out, "/opt/app");
}

/* The length bounds the path: bytes after it are never read. */
static void test_length(void **st)
{
    static const char exe[] = "/opt/app/bin/dnsjoinXXXX/more/bin/x";
    char out[64];
    (void)st;
    assert_int_equal(appdir_from_exe(exe, strlen("/opt/app/bin/dnsjoin"), out, sizeof out), 0);
    assert_string_equal(out, "/opt/app");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_room),
        cmocka_unit_test(test_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
