#!/bin/sh
# dnsmasq_log script tests.  $1: directory holding the binaries.
#  1. scheme and validation (well-formed XML, errors for bad parameters)
#  2. run mode on a captured log (UTF-16 configuration, exact answers)
#  3. rotation (rename), copytruncate, a partial last line
#  4. SIGKILL at random moments while the log grows: nothing lost, few duplicates;
#     again with the fault-injection build (one-byte reads/writes, EINTR, EAGAIN)
#  5. a real dnsmasq + dig: the machine's (SKIP when not installed), then
#     dnsmasq 2.91+ in Debian roots (real.sh)
set -u
bin=$(cd "${1:-bin}" && pwd)/dnsmasq_log
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/dnsmasq/capture
tmp=$(mktemp -d /tmp/dnsmasq_log_test.XXXXXX)
fail=0
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    [ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

conf() { # conf PATH START FLUSH [ZONE] -> run-mode XML on stdout
    cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<input><server_host>test</server_host><server_uri>https://127.0.0.1:8089</server_uri>
<session_key>123</session_key><checkpoint_dir>$tmp/ck</checkpoint_dir>
<configuration><stanza name="dnsmasq_log://t&amp;1" app="TA-dnsjoin">
<param name="path">$1</param><param name="start">$2</param>
<param name="flush_after">$3</param><param name="timezone">${4:-UTC}</param>
<param name="index">main</param><param name="interval">0</param>
</stanza></configuration></input>
XML
}
items() { # items PATH ZONE FLUSH START
    cat <<XML
<items><server_host>t</server_host><server_uri>https://127.0.0.1:8089</server_uri>
<session_key>1</session_key><checkpoint_dir>$tmp/ck</checkpoint_dir>
<item name="r"><param name="path">$1</param><param name="timezone">$2</param>
<param name="flush_after">$3</param><param name="start">$4</param></item></items>
XML
}

# wait until FILE stops growing for SECS seconds (max 60 s)
settle() {
    last=-1; same=0; n=0
    while [ $n -lt 600 ]; do
        sz=$(wc -c < "$1")
        if [ "$sz" = "$last" ]; then same=$((same + 1)); else same=0; last=$sz; fi
        [ $same -ge $(( $2 * 10 )) ] && return 0
        sleep 0.1; n=$((n + 1))
    done
}

mkdir -p "$tmp/ck"

# ---- 1. scheme and validation
if "$bin" --scheme | python3 -c 'import sys,xml.etree.ElementTree as E; r=E.fromstring(sys.stdin.read()); a=[x.get("name") for x in r.iter("arg")]; assert a==["path","timezone","start","flush_after"],a'; then
    ok "scheme is well-formed and declares path timezone start flush_after"
else bad "scheme"; fi
cp "$data/extra.log" "$tmp/v.log"
if items "$tmp/v.log" Europe/Berlin 10 end | "$bin" --validate-arguments > "$tmp/v.out" 2>/dev/null && [ ! -s "$tmp/v.out" ]; then
    ok "validation accepts good parameters"
else bad "validation of good parameters"; fi
for case in "$tmp/missing.log|UTC|10|end|path" "$tmp/v.log|Mars/Olympus|10|end|timezone" \
            "$tmp/v.log|UTC|ten|end|flush_after" "$tmp/v.log|UTC|10|middle|start" \
            "relative.log|UTC|10|end|path"; do
    IFS='|' read -r p z f s what <<EOF2
$case
EOF2
    if items "$p" "$z" "$f" "$s" | "$bin" --validate-arguments > "$tmp/v.out" 2>/dev/null; then
        bad "validation accepted a bad $what"
    elif grep -q "^<error><message>$what: .*</message></error>\$" "$tmp/v.out"; then
        ok "validation rejects a bad $what"
    else bad "validation message for $what: $(cat "$tmp/v.out")"; fi
done

# ---- 2. run mode, UTF-16 configuration, exact answers
cp "$data/extra.log" "$tmp/r.log"
conf "$tmp/r.log" beginning 3 | python3 -c 'import sys; sys.stdout.buffer.write(sys.stdin.read().replace("UTF-8","utf-16").encode("utf-16"))' > "$tmp/r.xml"
: > "$tmp/r.out"
"$bin" < "$tmp/r.xml" > "$tmp/r.out" 2> "$tmp/r.err" & p=$!; pids="$pids $p"
settle "$tmp/r.out" 3; kill -TERM $p; wait $p
if python3 "$here/xmlcheck.py" "$tmp/r.out" > "$tmp/r.json" &&
   python3 "$here/compare.py" --exact "$tmp/r.json" "$data/extra.truth.tsv" > "$tmp/r.cmp"; then
    ok "run mode (UTF-16 config): $(head -1 "$tmp/r.cmp")"
else bad "run mode: $(cat "$tmp/r.cmp" "$tmp/r.err" | head -5)"; fi
grep -q 'stanza="dnsmasq_log://t&amp;1"' "$tmp/r.out" && ok "stanza attribute escaped" || bad "stanza attribute"

# ---- 3. rotation, copytruncate, partial line
rm -f "$tmp/ck"/*
: > "$tmp/rot.log"
conf "$tmp/rot.log" beginning 3 > "$tmp/rot.xml"
"$bin" < "$tmp/rot.xml" > "$tmp/rot.out" 2> "$tmp/rot.err" & p=$!; pids="$pids $p"
sleep 0.3
head -c 30000 "$data/extra.log" > "$tmp/part1"; tail -c +30001 "$data/extra.log" > "$tmp/part2"
head -c 30000 "$data/extra.log" >> "$tmp/rot.log"          # ends mid-line
sleep 0.6
mv "$tmp/rot.log" "$tmp/rot.log.1"                          # rename rotation...
cat "$tmp/part2" >> "$tmp/rot.log.1"                          # ...late lines to the old file
cp "$data/extra-late-dup.log" "$tmp/rot.log"                  # the new file
# Lines not read before a copytruncate are gone (as with any tailer): wait
# until the input has gone quiet on the new file, not a fixed time, so a
# slow (sanitizer, loaded) build is not mistaken for a loss.
sleep 1
settle "$tmp/rot.out" 5
truncate -s 0 "$tmp/rot.log"                                  # copytruncate
sleep 0.5
cat "$data/extra.log" >> "$tmp/rot.log"
settle "$tmp/rot.out" 4; kill -TERM $p; wait $p
python3 "$here/xmlcheck.py" "$tmp/rot.out" > "$tmp/rot.json"
"$bin" --file "$data/extra.log" 2>/dev/null > "$tmp/w1"
"$bin" --file "$data/extra-late-dup.log" 2>/dev/null > "$tmp/w2"
cp "$tmp/w1" "$tmp/w3"
cat "$tmp/w1" "$tmp/w2" "$tmp/w3" | sort > "$tmp/want"; sort "$tmp/rot.json" > "$tmp/got"
if cmp -s "$tmp/want" "$tmp/got"; then
    ok "rename rotation + late lines to the old file + copytruncate + partial line: $(wc -l < "$tmp/got") events, none lost or repeated"
else bad "rotation: want $(wc -l < "$tmp/want") got $(wc -l < "$tmp/got") ($(comm -3 "$tmp/want" "$tmp/got" | wc -l) differ)"; fi

# ---- 4. SIGKILL at random moments
# kill_restart BIN LABEL: the log grows for 4 s while BIN is started and
# SIGKILLed again and again, then a last run drains it.
kill_restart() {
    kb=$1; kl=$2
    rm -f "$tmp/ck"/* "$tmp"/k.out.*
    : > "$tmp/k.log"
    # extra mode only: plain mode's heuristic may pair differently after a restart
    cat "$data/extra.log" "$data/extra-late-dup.log" > "$tmp/k.src"
    "$bin" --file "$tmp/k.src" 2>/dev/null | sort > "$tmp/k.want"
    conf "$tmp/k.log" beginning 30 > "$tmp/k.xml"
    python3 "$here/feeder.py" "$tmp/k.src" "$tmp/k.log" 4 & feed=$!; pids="$pids $feed"
    kills=0; i=0
    while kill -0 $feed 2>/dev/null || [ $i -lt 3 ]; do
        "$kb" < "$tmp/k.xml" > "$tmp/k.out.$i" 2>> "$tmp/k.err" & p=$!
        sleep "0.$(awk -v s=$i 'BEGIN{srand(s*7+1); printf "%d", 1+rand()*5}')"
        kill -KILL $p 2>/dev/null && kills=$((kills + 1)); wait $p 2>/dev/null
        i=$((i + 1))
    done
    # the last run with a short flush_after, so the never-answered ones come out too
    conf "$tmp/k.log" beginning 2 > "$tmp/k2.xml"
    "$kb" < "$tmp/k2.xml" > "$tmp/k.out.last" 2>> "$tmp/k.err" & p=$!; pids="$pids $p"
    sleep 1; settle "$tmp/k.out.last" 4; kill -TERM $p; wait $p
    : > "$tmp/k.all"
    for f in "$tmp"/k.out.*; do python3 "$here/xmlcheck.py" "$f" --allow-unclosed >> "$tmp/k.all" || bad "$kl: stream $f"; done
    sort "$tmp/k.all" > "$tmp/k.got"
    missing=$(comm -23 "$tmp/k.want" "$tmp/k.got" | wc -l)
    extra=$(sort -u "$tmp/k.got" | comm -13 "$tmp/k.want" - | wc -l)
    dups=$(( $(wc -l < "$tmp/k.got") - $(sort -u "$tmp/k.got" | wc -l) ))
    bound=$(( kills * 64 ))
    if [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$dups" -le "$bound" ]; then
        ok "$kl: SIGKILL x$kills while the log grew: $(wc -l < "$tmp/k.want") transactions, none lost, $dups duplicates (bound $bound: events since the last checkpoint)"
    else bad "$kl: SIGKILL x$kills: missing=$missing unexpected=$extra duplicates=$dups (bound $bound)"; fi
}
kill_restart "$bin" "kill-restart"

# The same with the fault-injection build (Makefile FAULT_MOD, passed by
# make test): every read of stdin, checkpoint and log and every write of
# events and checkpoint moves one byte or fails with EINTR/EAGAIN.
faultbin=${DNSMASQ_LOG_FAULTIO:-}
[ -z "$faultbin" ] && [ -x build/tests/dnsmasq_log_faultio ] && faultbin=build/tests/dnsmasq_log_faultio
if [ -n "$faultbin" ] && [ -x "$faultbin" ]; then
    faultbin=$(cd "$(dirname "$faultbin")" && pwd)/$(basename "$faultbin")
    kill_restart "$faultbin" "kill-restart, 1-byte I/O + EINTR/EAGAIN"
else
    echo "SKIP kill-restart under I/O faults: no fault-injection build (make test builds build/tests/dnsmasq_log_faultio)"
fi

# ---- 5. real dnsmasq: the machine's own (Debian 12: 2.90; installed when we
# are root), then 2.91 and later from Debian roots made by real.sh
[ -n "${NOREAL:-}" ] && exit $fail
[ "$(id -u)" = 0 ] && sh "$here/../deps.sh" dnsmasq-base bind9-dnsutils
if ! command -v dnsmasq >/dev/null 2>&1 || ! command -v dig >/dev/null 2>&1 ||
   ! command -v python3 >/dev/null 2>&1; then
    echo "SKIP: real-dnsmasq test: dnsmasq or dig (Debian: dnsmasq-base bind9-dnsutils) not installed"
else
  hv=$(dnsmasq --version | sed -n '1s/^Dnsmasq version \([^ ]*\).*/\1/p')
  base=$(( 25000 + $$ % 400 * 2 ))
  # kept for later runs on other builds, as real.sh keeps its captures
  key=$(cat "$here/capture.sh" "$here/slowrelay.py" | cksum | cut -d' ' -f1)
  hcache=${REAL_CACHE:-$here/../../build/captures}/host-$hv-$key
  for mode in extra plain; do
    base=$((base + 3))
    if [ -z "${REAL_FRESH:-}" ] && [ -f "$hcache/$mode/.complete" ]; then
        mkdir -p "$tmp/cap_$mode" && cp "$hcache/$mode/dnsmasq.log" "$hcache/$mode/truth.tsv" "$tmp/cap_$mode/"
        echo "note real dnsmasq $hv, $mode: parsing the capture made $(cat "$hcache/$mode/.complete") (REAL_FRESH=1 captures anew)"
    # a port taken by another program is not a failure of ours: one retry elsewhere
    elif ! sh "$here/capture.sh" $mode "$tmp/cap_$mode" 300 $base > "$tmp/cap_$mode.log" 2>&1 &&
       ! sh "$here/capture.sh" $mode "$tmp/cap_$mode" 300 $((base + 997)) > "$tmp/cap_$mode.log" 2>&1; then
        bad "capture $mode: $(tail -3 "$tmp/cap_$mode.log")"; continue
    else
        rm -rf "$hcache/$mode.new.$$" && mkdir -p "$hcache/$mode.new.$$" &&
            cp "$tmp/cap_$mode/dnsmasq.log" "$tmp/cap_$mode/truth.tsv" "$hcache/$mode.new.$$/" &&
            date -u '+%Y-%m-%d %H:%M UTC' > "$hcache/$mode.new.$$/.complete" &&
            rm -rf "$hcache/$mode" && mv "$hcache/$mode.new.$$" "$hcache/$mode" 2>/dev/null ||
            rm -rf "$hcache/$mode.new.$$"
    fi
    "$bin" --file "$tmp/cap_$mode/dnsmasq.log" > "$tmp/cap_$mode.json" 2>/dev/null
    if [ $mode = extra ]; then
        # a mismatch is shown with the log's lines around it: the capture
        # depends on the machine's timing and may not come again
        if python3 "$here/compare.py" --exact --log "$tmp/cap_$mode/dnsmasq.log" \
                "$tmp/cap_$mode.json" "$tmp/cap_$mode/truth.tsv" > "$tmp/cmp"; then
            ok "real dnsmasq $hv, log-queries=extra: $(head -1 "$tmp/cmp")"
        else bad "real dnsmasq $hv extra: $(head -80 "$tmp/cmp")"; fi
    else
        python3 "$here/compare.py" "$tmp/cap_$mode.json" "$tmp/cap_$mode/truth.tsv" > "$tmp/cmp"
        ok "real dnsmasq $hv, plain log-queries (heuristic, reported): $(head -1 "$tmp/cmp")"
    fi
  done
fi
sh "$here/real.sh" "$(dirname "$bin")" || fail=1
exit $fail
