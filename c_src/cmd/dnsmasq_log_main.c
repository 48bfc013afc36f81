/* dnsmasq_log: entry point.  Only the line parser exists so far; every
 * mode reports that plainly instead of pretending to work. */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "ERROR dnsmasq_log: not implemented yet (only the line parser is built)\n");
    return 2;
}
