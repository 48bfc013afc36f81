#include "util/appdir.h"

#include <string.h>
#include <unistd.h>

/* The platform folders of the commands.conf and inputs.conf specs, and
 * linux_aarch64, which splunkd on ARM may come to use. */
static const char *const platforms[] = {
    "linux_x86_64", "linux_x86", "linux_aarch64", "darwin_x86_64", "windows_x86_64", "windows_x86",
};

/* Length of the folder part of p[0..len) (no trailing slash), or 0. */
static size_t parent_len(const char *p, size_t len)
{
    while (len > 0 && p[len - 1] != '/')
        len--;
    while (len > 1 && p[len - 1] == '/')
        len--;
    return len > 0 && p[0] == '/' && len == 1 ? 0 : len;
}

static int is_platform(const char *p, size_t len)
{
    size_t start = len;
    while (start > 0 && p[start - 1] != '/')
        start--;
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        if (strlen(platforms[i]) == len - start && memcmp(p + start, platforms[i], len - start) == 0)
            return 1;
    return 0;
}

int appdir_from_exe(const char *exe, size_t len, char *out, size_t n)
{
    size_t bin = parent_len(exe, len);   /* <app>/bin or <app>/<platform>/bin */
    size_t app = bin ? parent_len(exe, bin) : 0;
    if (app && is_platform(exe, app))
        app = parent_len(exe, app);
    if (app == 0 || app >= n)
        return ERR_IO;
    memcpy(out, exe, app);
    out[app] = '\0';
    return 0;
}

int appdir_self(char *out, size_t n)
{
    char exe[4096];  /* PATH_MAX: the kernel's path, not input */
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe);
    if (len <= 0 || (size_t)len >= sizeof exe)
        return ERR_IO;
    return appdir_from_exe(exe, (size_t)len, out, n);
}

int appdir_file(const char *rel, char *out, size_t n)
{
    char app[4096];
    if (appdir_self(app, sizeof app) != 0)
        return ERR_IO;
    size_t la = strlen(app), lr = strlen(rel);
    if (la + 1 + lr + 1 > n)
        return ERR_IO;
    memcpy(out, app, la);
    out[la] = '/';
    memcpy(out + la + 1, rel, lr + 1);
    return 0;
}
