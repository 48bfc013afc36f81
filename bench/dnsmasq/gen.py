#!/usr/bin/env python3
"""Write a large dnsmasq --log-queries=extra log for the parser benchmark.
Usage: gen.py OUT MEGABYTES [SEED]
Transactions interleave as in DOMAIN.md §1.4: forwarded queries are answered
a few hundred lines later, with CNAME chains, NXDOMAIN, local answers,
in-flight duplicates and the odd DHCP line."""
import random, sys

out, mb = sys.argv[1], float(sys.argv[2])
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
target = int(mb * 1024 * 1024)
names = ["lh%d.googleusercontent.com" % i for i in range(1, 40)] + \
        ["host%d.example.net" % i for i in range(200)] + ["teredo.ipv6.microsoft.com"]
mon = ["Nov"]
serial = 0
pending = []          # (due_line, lines)
lines_out = 0
size = 0
t = 0
with open(out, "w") as f:
    buf = []
    while size < target:
        t += 1
        stamp = "Nov %2d %02d:%02d:%02d dnsmasq[3001]: " % (6 + t // 86400 % 20, t // 3600 % 24, t // 60 % 60, t % 60)
        for _ in range(50):
            serial += 1
            c = "10.0.%d.%d/%d" % (rnd.randrange(4), rnd.randrange(1, 250), rnd.randrange(1024, 65535))
            n = rnd.choice(names)
            ty = "A" if rnd.random() < 0.7 else "AAAA"
            p = "%s%d %s " % (stamp, serial, c)
            ip = c.split("/")[0]
            buf.append("%squery[%s] %s from %s\n" % (p, ty, n, ip))
            r = rnd.random()
            if n.startswith("teredo"):
                buf.append("%sconfig %s is 65.55.158.118\n" % (p, n))
            elif r < 0.25:
                buf.append("%scached %s is 198.51.100.%d\n" % (p, n, rnd.randrange(256)))
            elif r < 0.30:
                buf.append("%sreply query is duplicate\n" % p)
            else:
                buf.append("%sforwarded %s to 192.0.2.53\n" % (p, n))
                ans = []
                if n.startswith("lh"):
                    ans.append("%sreply %s is <CNAME>\n" % (p, n))
                    ans.append("%sreply googlehosted.l.googleusercontent.com is 203.0.113.%d\n" % (p, rnd.randrange(256)))
                    ans.append("%sreply googlehosted.l.googleusercontent.com is 203.0.113.%d\n" % (p, rnd.randrange(256)))
                elif r < 0.4:
                    ans.append("%sreply %s is NXDOMAIN\n" % (p, n))
                elif ty == "AAAA":
                    ans.append("%sreply %s is 2001:db8::%x\n" % (p, n, rnd.randrange(65536)))
                else:
                    ans.append("%sreply %s is 192.0.2.%d\n" % (p, n, rnd.randrange(256)))
                pending.append((lines_out + len(buf) + rnd.randrange(1, 60), ans))
            if rnd.random() < 0.01:
                buf.append(stamp.replace("dnsmasq[", "dnsmasq-dhcp[") + "DHCPACK(eth0) 10.0.0.9 aa:bb:cc:dd:ee:ff\n")
            now = lines_out + len(buf)
            due = [x for x in pending if x[0] <= now]
            pending = [x for x in pending if x[0] > now]
            for _, a in due:
                buf.extend(a)
        chunk = "".join(buf)
        f.write(chunk)
        size += len(chunk)
        lines_out += len(buf)
        buf = []
    for _, a in pending:
        f.write("".join(a))
