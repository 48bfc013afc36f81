#!/usr/bin/env python3
"""Append SRC to DST in random pieces (often ending mid-line) with short
pauses, as a busy dnsmasq would.  Usage: feeder.py SRC DST SECONDS"""
import random, sys, time
data = open(sys.argv[1], "rb").read()
secs = float(sys.argv[3])
pieces = max(1, int(secs / 0.02))
step = max(1, len(data) // pieces)
i = 0
with open(sys.argv[2], "ab", buffering=0) as f:
    while i < len(data):
        n = random.randint(1, 2 * step)
        f.write(data[i:i + n])
        i += n
        time.sleep(0.02)
