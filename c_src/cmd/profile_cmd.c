#include "cmd/profile_cmd.h"
const struct scp_command profile_command = {"dnsprofile", NULL, NULL, NULL, NULL};
