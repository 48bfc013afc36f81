#!/usr/bin/env python3
"""UDP relay that delays every DNS query by a random 20-400 ms before
passing it to the upstream dnsmasq, so the front dnsmasq's replies
overlap and its log interleaves the way DOMAIN.md §1.4 describes.
Usage: slowrelay.py LISTEN_PORT UPSTREAM_PORT PIDFILE"""
import os, random, socket, sys, threading

listen_port, up_port, pidfile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", listen_port))
with open(pidfile, "w") as f:
    f.write(str(os.getpid()))

def relay(data, peer):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(data, ("127.0.0.1", up_port))
        reply, _ = s.recvfrom(65535)
        srv.sendto(reply, peer)
    except OSError:
        pass
    finally:
        s.close()

while True:
    data, peer = srv.recvfrom(65535)
    t = threading.Timer(random.uniform(0.02, 0.4), relay, (data, peer))
    t.daemon = True
    t.start()
