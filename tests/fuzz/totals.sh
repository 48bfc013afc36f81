#!/bin/sh
# Total fuzzing time, executions and failed runs per target, from runs.tsv.
printf '%-14s %8s %12s %5s %7s\n' target seconds executions runs failed
awk -F'\t' '{ s[$2] += $3; x[$2] += $4; n[$2]++; if ($5 != "ok") f[$2]++ }
    END { for (t in s) printf "%-14s %8d %12d %5d %7d\n", t, s[t], x[t], n[t], f[t] }' \
    "$(dirname "$0")/runs.tsv" | sort
