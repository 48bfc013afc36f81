/*
 * bin/dnsjoin: the search commands of TA-dnsjoin, one per sub-command named
 * by commands.conf's command.arg.1.  SPL arguments never come from argv;
 * they arrive in the getinfo request.
 */
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/join_cmd.h"
#include "cmd/pdns_cmd.h"
#include "cmd/passthrough.h"
#include "cmd/profile_cmd.h"
#include "cmd/timechart_cmd.h"
#include "scp/scp.h"
#include "util/log.h"

struct subcommand {
    const char *name;
    const struct scp_command *cmd;
    size_t state_size;
};

static const struct subcommand subcommands[] = {
    {"join", &join_command, 0},
    {"passthrough", &passthrough_command, 0},
    {"pdns", &pdns_command, 0},
    {"timechart", &timechart_command, 0},
    {"profile", &profile_command, 0},
};

static void usage(void)
{
    fprintf(stderr, "usage: dnsjoin <sub-command>   (run by splunkd over the chunked protocol)\n"
                    "sub-commands:");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(stderr, " %s", subcommands[i].name);
    fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
    /* A closed pipe must be an error we report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
    /* Chunk buffers and held-row blocks are large and come and go all search
     * long: a fixed threshold keeps them out of the heap (glibc would
     * otherwise raise it after the first free), so that freeing one gives
     * the memory back instead of leaving holes. */
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
    /* Messages carry the command's name themselves (dnsjoin, dnstimechart...). */
    log_set_prefix("");
    if (argc < 2) {
        usage();
        return 2;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return scp_run(subcommands[i].cmd, NULL, STDIN_FILENO, STDOUT_FILENO);
    }
    log_msg(LOG_ERROR, "dnsjoin: unknown sub-command '%.64s'", argv[1]);
    usage();
    return 2;
}
