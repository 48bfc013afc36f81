/*
 * appdir: the app folder a binary of the app runs from.
 *
 * splunkd runs a command or input from <app>/bin/ or from a platform
 * folder, <app>/<platform>/bin/ (linux_x86_64/bin/ in the x86_64 release
 * package), and with a working directory that is not the app's; the app's
 * default/, local/ and lookups/ are found from the binary's own path.
 */
#ifndef APPDIR_H
#define APPDIR_H

#include <stddef.h>

#include "util/err.h"

/* The app folder of the executable at exe[0..len): its folder's parent,
 * or that folder's parent when the folder is <platform>/bin.  Written to
 * out (NUL-terminated).  0, or ERR_IO when the path has no such parents or
 * the result does not fit in n bytes.  Pure: no file system access. */
int appdir_from_exe(const char *exe, size_t len, char *out, size_t n) WARN_UNUSED;

/* appdir_from_exe() of /proc/self/exe.  0 or ERR_IO. */
int appdir_self(char *out, size_t n) WARN_UNUSED;

/* <app of this executable>/<rel> into out: 0, or ERR_IO when the app is not
 * found or the path does not fit in n bytes. */
int appdir_file(const char *rel, char *out, size_t n) WARN_UNUSED;

#endif
