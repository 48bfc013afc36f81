/*
 * replay_main: run a fuzz target over files without libFuzzer.
 *
 *   replay_<target> PATH...
 *
 * Every PATH is a file or a directory (its regular files, in name order, one
 * level deep).  Each input is copied so that its last byte sits right before
 * an unmapped page: a read past the end of the input faults here even
 * without AddressSanitizer.  A failed property or a crash ends the run with
 * the target's own message followed by the name of the input.
 *
 * Files whose name starts with "known-bug-" are inputs that still fail on
 * purpose (a bug reported to the code's owner, not fixed yet).  They run in
 * a child process whose stderr is discarded; the driver prints KNOWN-BUG
 * and whether the input still fails, and neither outcome fails the run.
 * The child runs with FUZZ_STRICT=1, which turns on the properties a
 * target keeps off while fuzzing because a reported bug still breaks them.
 * When such an input passes, rename it without the prefix so it becomes an
 * ordinary regression.
 *
 * Exit status: 0 when every ordinary input ran, 1 on a usage or file error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#define KNOWN_PREFIX "known-bug-"

static unsigned long ran, known_failing, known_passing;
static const char *current; /* the input being run, for the crash handler */

/* On a crash or a failed property, name the input, then die as before. */
static void on_fatal(int sig)
{
    static const char pre[] = "replay: input that failed: ";
    if (current != NULL) {
        ssize_t w = write(2, pre, sizeof pre - 1);
        w = write(2, current, strlen(current));
        w = write(2, "\n", 1);
        (void)w;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_whole(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    size_t n = 0, cap = 0;
    if (f == NULL)
        return -1;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *q = realloc(p, ncap);
            if (q == NULL) {
                free(p);
                fclose(f);
                return -1;
            }
            p = q;
            cap = ncap;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return -1;
    }
    *out = p;
    *len = n;
    return 0;
}

/* Run the target on p[0..n) placed against a guard page. */
static void run_guarded(const char *p, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t span = (n + page - 1) / page * page;
    char *m = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        perror("replay: mmap");
        exit(1);
    }
    if (mprotect(m + span, page, PROT_NONE) != 0) {
        perror("replay: mprotect");
        exit(1);
    }
    char *at = m + span - n;
    if (n)
        memcpy(at, p, n);
    (void)LLVMFuzzerTestOneInput((const uint8_t *)at, n);
    munmap(m, span + page);
}

static int is_known(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, KNOWN_PREFIX, sizeof KNOWN_PREFIX - 1) == 0;
}

static void run_known(const char *path, const char *p, size_t n)
{
    fflush(NULL);
    pid_t pid = fork();
    int st = 0;
    if (pid < 0) {
        perror("replay: fork");
        exit(1);
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2);
        alarm(60); /* a known hang ends here */
        setenv("FUZZ_STRICT", "1", 1); /* checks for reported, unfixed bugs */
        run_guarded(p, n);
        _exit(0);
    }
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        known_passing++;
        printf("KNOWN-BUG %s: passes in this build; if the libFuzzer build agrees, rename it "
               "without \"%s\"\n", path, KNOWN_PREFIX);
    } else {
        known_failing++;
        printf("KNOWN-BUG %s: still fails (%s %d)\n", path,
               WIFSIGNALED(st) ? "signal" : "status",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
}

static int run_file(const char *path)
{
    char *p;
    size_t n;
    if (read_whole(path, &p, &n) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    if (is_known(path)) {
        run_known(path, p, n);
    } else {
        current = path;
        run_guarded(p, n);
        current = NULL;
        ran++;
    }
    free(p);
    return 0;
}

static int skip_name(const char *name)
{
    /* dot files and notes that describe a regression input */
    size_t n = strlen(name);
    return name[0] == '.' || (n > 4 && strcmp(name + n - 4, ".txt") == 0) ||
           (n > 3 && strcmp(name + n - 3, ".md") == 0);
}

static int run_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "replay: %s: no such file or directory\n", path);
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return run_file(path);
    struct dirent **list;
    int cnt = scandir(path, &list, NULL, alphasort), rc = 0;
    if (cnt < 0) {
        fprintf(stderr, "replay: cannot list %s\n", path);
        return -1;
    }
    for (int i = 0; i < cnt; i++) {
        char full[4096];
        if (!skip_name(list[i]->d_name) && rc == 0) {
            int w = snprintf(full, sizeof full, "%s/%s", path, list[i]->d_name);
            if (w < 0 || (size_t)w >= sizeof full) {
                fprintf(stderr, "replay: path too long under %s\n", path);
                rc = -1;
            } else if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(full) != 0) {
                rc = -1;
            }
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 1;
    }
    /* The targets never write to a closed pipe on purpose; if they do, it
     * must show up as an error, not kill the driver silently. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGSEGV, on_fatal);
    signal(SIGBUS, on_fatal);
    signal(SIGABRT, on_fatal);
    signal(SIGFPE, on_fatal);
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) != 0)
            return 1;
    printf("%s: %lu inputs ok", argv[0], ran);
    if (known_failing || known_passing)
        printf(", known bugs: %lu still failing, %lu passing now", known_failing, known_passing);
    printf("\n");
    return 0;
}
