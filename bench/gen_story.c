/*
 * gen_story: the 7-day Teredo story as a CSV file for bin/scpdrive, plus
 * (--truth FILE) what the generator did, so tests assert against its intent
 * rather than against the join's own output.
 *
 * The network (DOMAIN.md 0): default-deny firewall, web proxy 10.0.0.3 (the
 * only host allowed out on tcp/80,443), dnsmasq at 10.0.0.2.  Clients
 * 10.0.0.20-10.0.0.60 browse through the proxy; the proxy resolves the sites
 * it fetches (several share CDN addresses 203.0.113.10-12).  The Windows host
 * 10.0.0.57 browses through the proxy too, but its Teredo client resolves
 * teredo.ipv6.microsoft.com -> 65.55.158.118 every few minutes while the host
 * is up, then sends 8-10 UDP/3544 packets straight to that address and 0-3 to
 * 65.55.158.119 (primary + 1, never in DNS); the firewall drops them all.
 * Inbound scans to the WAN address add network events without any DNS.  A
 * DNS filter answers a few ad and tracker names with 0.0.0.0, and some of
 * the clients' connection attempts to that answer die at the firewall.
 * Two hosts try to go around dnsmasq: 10.0.0.72's browser speaks DNS over
 * HTTPS to Cloudflare (1.1.1.1, tcp/443, no lookup first), 10.0.0.71 (a
 * phone's "private DNS") resolves dns.google and then speaks DNS over TLS
 * to 8.8.8.8 (tcp/853); the firewall drops both.  And 10.0.0.33 beacons:
 * it resolves a name no other host asks for every 300 s (+-3 s), around
 * the clock, then opens one blocked tcp/443 connection to its address.
 *
 * Deterministic: a fixed seed and a fixed end (2023-11-15 00:00:00 UTC).
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -o gen_story gen_story.c
 * Use:   gen_story [--order desc|asc|shuffled] [--seed S] [--truth FILE] > story.csv
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define END_TIME   1700006400LL          /* Wed 2023-11-15 00:00:00 UTC */
#define DAYS       7
#define HOURS      (DAYS * 24)
#define START_TIME (END_TIME - DAYS * 86400LL)

#define WIN_HOST   "10.0.0.57"
#define PROXY      "10.0.0.3"
#define DNS_SERVER "10.0.0.2"
#define WAN_ADDR   "192.0.2.1"
#define TEREDO     "teredo.ipv6.microsoft.com"
#define PRIMARY    "65.55.158.118"
#define SECONDARY  "65.55.158.119"
#define SINKHOLE   "0.0.0.0"           /* a DNS filter's answer for a blocked name */
#define DOH_HOST   "10.0.0.72"
#define DOH_IP     "1.1.1.1"
#define DOH_PROVIDER "Cloudflare"
#define DOT_HOST   "10.0.0.71"
#define DOT_NAME   "dns.google"
#define DOT_IP     "8.8.8.8"
#define DOT_PROVIDER "Google Public DNS"
#define BEACON_HOST "10.0.0.33"
#define BEACON_NAME "cdn-update.sync-check.example"
#define BEACON_IP  "198.51.100.77"
#define BEACON_PERIOD 300

static void die(const char *msg)
{
	fprintf(stderr, "gen_story: %s\n", msg);
	exit(2);
}

/* ------------------------------------------------------------ randomness */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rint_in(unsigned lo, unsigned hi)     /* inclusive */
{
	return lo + (unsigned)(rnd() % (uint64_t)(hi - lo + 1));
}

/* ---------------------------------------------------------------- events */

enum col {
	C_TIME, C_RAW, C_HOST, C_SOURCETYPE, C_SRC, C_QUERY, C_ANSWER, C_QUERY_TYPE,
	C_REPLY_CODE, C_SRC_IP, C_DEST_IP, C_SRC_PORT, C_DEST_PORT, C_TRANSPORT,
	C_ACTION, C_URL, C_DEST, C_MV_ANSWER, NCOL
};

static const char *const COLNAME[NCOL] = {
	"_time", "_raw", "host", "sourcetype", "src", "query", "answer", "query_type",
	"reply_code", "src_ip", "dest_ip", "src_port", "dest_port", "transport",
	"action", "url", "dest", "__mv_answer"};

struct event {
	int64_t t;
	uint32_t seq;           /* generation order: stable tie-break */
	char *row;              /* the CSV line, LF included */
	size_t len;
};

static struct event *evs;
static size_t nev, cap_ev;
static uint32_t seq_no;

static unsigned char is_alnum[256];

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap * 2 : 256;
		while (c < b->n + n + 1)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p)
			die("out of memory");
		b->cap = c;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

/* splunkd's quoting: quoted iff a byte outside [A-Za-z0-9]; "" escapes */
static void put_cell(struct sb *b, const char *s)
{
	size_t n = strlen(s), k = 0;
	while (k < n && is_alnum[(unsigned char)s[k]])
		k++;
	if (k == n) {
		sb_add(b, s, n);
		return;
	}
	sb_add(b, "\"", 1);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		sb_add(b, s, (size_t)(q - s) + 1);
		sb_add(b, "\"", 1);
	}
	sb_add(b, s, strlen(s));
	sb_add(b, "\"", 1);
}

static void emit(int64_t t, const char *v[NCOL])
{
	struct sb b = {0};
	char ts[32];
	snprintf(ts, sizeof ts, "%" PRId64 ".000", t);
	v[C_TIME] = ts;
	for (int c = 0; c < NCOL; c++) {
		if (c)
			sb_add(&b, ",", 1);
		if (v[c] && *v[c])
			put_cell(&b, v[c]);
	}
	sb_add(&b, "\n", 1);
	if (nev == cap_ev) {
		cap_ev = cap_ev ? cap_ev * 2 : 4096;
		evs = realloc(evs, cap_ev * sizeof *evs);
		if (!evs)
			die("out of memory");
	}
	evs[nev++] = (struct event){t, seq_no++, b.p, b.n};
}

/* ------------------------------------------------------------ raw text */

static const char MON[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* syslog time "Nov  8 09:14:03" (UTC; the story has no zone) */
static void systime(char out[24], int64_t t)
{
	int64_t days = t / 86400;
	unsigned s = (unsigned)(t % 86400);
	/* civil-from-days (H. Hinnant) */
	int64_t z = days + 719468, era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, 24, "%s %2u %02u:%02u:%02u", MON[m - 1], d % 32, s / 3600 % 24, s / 60 % 60,
		 s % 60);
}

static char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	char *p = malloc((size_t)n + 1);
	if (!p)
		die("out of memory");
	va_start(ap, f);
	vsnprintf(p, (size_t)n + 1, f, ap);
	va_end(ap);
	return p;
}

/* ---------------------------------------------------------------- DNS */

static unsigned dns_serial = 1200;

/*
 * A dnsmasq:transaction event: the --log-queries=extra lines of one query.
 * answers: NULL-terminated; a CNAME target first when cname is set.
 */
static void dns_event(int64_t t, const char *client, const char *name, const char *cname,
		      const char *const *answers, int cached)
{
	char st[24];
	systime(st, t);
	unsigned serial = dns_serial++, port = rint_in(49152, 65535);
	struct sb raw = {0}, ans = {0}, mv = {0};
	char *l = fmt("%s dnsmasq[812]: %u %s/%u query[A] %s from %s", st, serial, client, port,
		      name, client);
	sb_add(&raw, l, strlen(l));
	free(l);
	if (!cached) {
		l = fmt("\n%s dnsmasq[812]: %u %s/%u forwarded %s to 9.9.9.9", st, serial, client,
			port, name);
		sb_add(&raw, l, strlen(l));
		free(l);
	}
	const char *verb = cached ? "cached" : "reply";
	const char *owner = name;
	int nvals = 0;
	if (cname) {
		l = fmt("\n%s dnsmasq[812]: %u %s/%u %s %s is <CNAME>", st, serial, client, port,
			verb, name);
		sb_add(&raw, l, strlen(l));
		free(l);
		owner = cname;
		sb_add(&ans, cname, strlen(cname));
		sb_add(&mv, "$", 1);
		sb_add(&mv, cname, strlen(cname));
		sb_add(&mv, "$", 1);
		nvals++;
	}
	for (int k = 0; answers[k]; k++) {
		l = fmt("\n%s dnsmasq[812]: %u %s/%u %s %s is %s", st, serial, client, port, verb,
			owner, answers[k]);
		sb_add(&raw, l, strlen(l));
		free(l);
		if (nvals) {
			sb_add(&ans, "\n", 1);
			sb_add(&mv, ";", 1);
		}
		sb_add(&ans, answers[k], strlen(answers[k]));
		sb_add(&mv, "$", 1);
		sb_add(&mv, answers[k], strlen(answers[k]));
		sb_add(&mv, "$", 1);
		nvals++;
	}
	const char *v[NCOL] = {0};
	v[C_RAW] = raw.p;
	v[C_HOST] = "dns01";
	v[C_SOURCETYPE] = "dnsmasq:transaction";
	v[C_SRC] = client;
	v[C_QUERY] = name;
	v[C_ANSWER] = ans.p;
	v[C_QUERY_TYPE] = "A";
	v[C_REPLY_CODE] = "NOERROR";
	v[C_MV_ANSWER] = nvals > 1 ? mv.p : NULL;   /* one value: empty __mv_ cell */
	emit(t, v);
	free(raw.p);
	free(ans.p);
	free(mv.p);
}

/* ----------------------------------------------------------- firewall */

static void fw_event(int64_t t, const char *src, const char *dst, unsigned sport,
		     unsigned dport, int udp, int blocked)
{
	char st[24], sp[8], dp[8];
	systime(st, t);
	unsigned len = udp ? rint_in(72, 110) : 60;
	char *udptail = fmt(" LEN=%u", len - 20);
	char *raw = fmt("%s fw01 kernel: [%7" PRId64 ".%06u] %s IN=eth1 OUT=eth0 "
			"MAC=00:1b:21:3a:4f:10:00:0c:29:%02x:3e:57:08:00 SRC=%s DST=%s LEN=%u "
			"TOS=0x00 PREC=0x00 TTL=%u ID=%u%s PROTO=%s SPT=%u DPT=%u%s",
			st, t - START_TIME + 86400, rint_in(0, 999999),
			blocked ? "FW-DROP:" : "FW-ACCEPT:", (unsigned)(rnd() % 256), src, dst,
			len, udp ? 127u : 63u, rint_in(1, 65535), udp ? "" : " DF",
			udp ? "UDP" : "TCP", sport, dport,
			udp ? udptail : " WINDOW=64240 RES=0x00 SYN URGP=0");
	snprintf(sp, sizeof sp, "%u", sport);
	snprintf(dp, sizeof dp, "%u", dport);
	const char *v[NCOL] = {0};
	v[C_RAW] = raw;
	v[C_HOST] = "fw01";
	v[C_SOURCETYPE] = "linux:netfilter";
	v[C_SRC_IP] = src;
	v[C_DEST_IP] = dst;
	v[C_SRC_PORT] = sp;
	v[C_DEST_PORT] = dp;
	v[C_TRANSPORT] = udp ? "udp" : "tcp";
	v[C_ACTION] = blocked ? "blocked" : "allowed";
	emit(t, v);
	free(raw);
	free(udptail);
}

/* -------------------------------------------------------------- proxy */

static void proxy_event(int64_t t, const char *client, const char *host, const char *upstream)
{
	unsigned ms = rint_in(0, 999), el = rint_in(40, 60000);
	char *url = fmt("%s:443", host);
	char *raw = fmt("%" PRId64 ".%03u %6u %s TCP_TUNNEL/200 %u CONNECT %s - HIER_DIRECT/%s -",
			t, ms, el, client, rint_in(400, 250000), url, upstream);
	const char *v[NCOL] = {0};
	v[C_RAW] = raw;
	v[C_HOST] = "proxy01";
	v[C_SOURCETYPE] = "squid";
	v[C_SRC] = client;
	v[C_URL] = url;
	v[C_DEST] = host;
	v[C_ACTION] = "allowed";
	emit(t, v);
	free(raw);
	free(url);
}

/* ---------------------------------------------------------------- sites */

struct site {
	const char *name, *cname;
	const char *ips[4];
	int weight;
	int64_t resolved;   /* proxy's cache: last lookup time */
};

/* 203.0.113.10-12 are CDN addresses shared by several names */
static struct site SITES[] = {
	{"www.news-daily.example", "news-daily.cdn.example-edge.net",
	 {"203.0.113.10", "203.0.113.11", NULL}, 20, 0},
	{"static.shop-online.example", "shop.cdn.example-edge.net",
	 {"203.0.113.10", "203.0.113.12", NULL}, 12, 0},
	{"img.photos-hub.example", NULL, {"203.0.113.11", "203.0.113.12", NULL}, 10, 0},
	{"video.stream-now.example", NULL, {"203.0.113.12", NULL}, 6, 0},
	{"lh3.googleusercontent.com", NULL, {"198.51.100.80", "198.51.100.81", NULL}, 15, 0},
	{"mail.partner-corp.example", NULL, {"198.51.100.25", NULL}, 8, 0},
	{"intranet-sso.example", NULL, {"198.51.100.40", NULL}, 6, 0},
	{"updates.vendor-soft.example", "vendor-soft.cdn.example-edge.net",
	 {"203.0.113.11", NULL}, 4, 0},
	{"www.wiki-ref.example", NULL, {"198.51.100.60", "198.51.100.61", "198.51.100.62", NULL},
	 9, 0},
};
#define NSITES (sizeof SITES / sizeof SITES[0])

static struct site *pick_site(void)
{
	int total = 0;
	for (size_t i = 0; i < NSITES; i++)
		total += SITES[i].weight;
	int r = (int)(rnd() % (uint64_t)total);
	for (size_t i = 0; i < NSITES; i++) {
		if (r < SITES[i].weight)
			return &SITES[i];
		r -= SITES[i].weight;
	}
	return &SITES[0];
}

/* ------------------------------------------------------------- schedule */

/* hour index 0 = Wed 2023-11-08 00:00 UTC; weekdays Wed..Fri, Mon, Tue */
static int weekend(int h)
{
	int dow = (h / 24 + 3) % 7;     /* 0 = Sunday; day 0 is a Wednesday */
	return dow == 0 || dow == 6;
}

/* Teredo lookup interval range in seconds for this hour; 0 = host off */
static void teredo_interval(int h, unsigned *lo, unsigned *hi)
{
	int hd = h % 24;
	*lo = *hi = 0;
	if (!weekend(h)) {
		if (hd >= 7 && hd < 19)
			*lo = 150, *hi = 330;           /* working day: every 2.5-5.5 min */
		else if (hd >= 19 && hd < 23)
			*lo = 420, *hi = 900;           /* evening: 7-15 min */
	} else if (hd >= 10 && hd < 17) {
		*lo = 600, *hi = 1500;                  /* weekend visit: 10-25 min */
	}
}

/* browsing requests per client in this hour (mean) */
static unsigned browse_rate(int h)
{
	int hd = h % 24;
	if (weekend(h))
		return hd >= 10 && hd < 17 ? 1 : 0;
	if (hd >= 8 && hd < 18)
		return hd == 12 ? 10 : 6;
	if (hd >= 7 && hd < 21)
		return 2;
	return 0;
}

/* ----------------------------------------------------------------- main */

static int cmp_asc(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int main(int argc, char **argv)
{
	const char *truth = NULL, *order = "desc";
	uint64_t seed = 1;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--truth") && a + 1 < argc)
			truth = argv[++a];
		else if (!strcmp(argv[a], "--order") && a + 1 < argc)
			order = argv[++a];
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 10);
		else {
			fputs("usage: gen_story [--order desc|asc|shuffled] [--seed S] "
			      "[--truth FILE] > story.csv\n",
			      stderr);
			return 2;
		}
	}
	if (strcmp(order, "desc") && strcmp(order, "asc") && strcmp(order, "shuffled"))
		die("--order is desc, asc or shuffled");
	for (int c = 0; c < 256; c++)
		is_alnum[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
			      (c >= 'a' && c <= 'z');
	rng_state = seed * 0x2545f4914f6cdd1dULL + 0x7e5ed;

	/* truth: per hour, for the Windows host */
	unsigned lookups[HOURS] = {0}, p118[HOURS] = {0}, p119[HOURS] = {0};
	unsigned long n_dns = 0, n_fw = 0, n_proxy = 0, n_scan = 0, n_client_dns = 0;
	unsigned long win_proxied = 0;

	/* 1. Teredo: lookups while the host is up, each followed by blocked packets */
	int64_t t = START_TIME + rint_in(60, 600);
	while (t < END_TIME) {
		int h = (int)((t - START_TIME) / 3600);
		unsigned lo, hi;
		teredo_interval(h, &lo, &hi);
		if (!lo) {
			/* host off: wake at the next hour with a random offset */
			t = START_TIME + (int64_t)(h + 1) * 3600 + rint_in(5, 240);
			continue;
		}
		static const char *const tan[] = {PRIMARY, NULL};
		dns_event(t, WIN_HOST, TEREDO, NULL, tan, rnd() % 4 == 0);
		n_dns++;
		lookups[h]++;
		/* the Teredo client keeps one UDP port per qualification attempt */
		unsigned sport = rint_in(49152, 65535);
		unsigned n1 = rint_in(8, 10), n2 = rint_in(0, 3);
		for (unsigned k = 0; k < n1 + n2; k++) {
			/* within 2 minutes: before the next lookup (>= 150 s later) */
			int64_t pt = t + rint_in(1, 120);
			int to_primary = k < n1;
			if (pt >= END_TIME)
				continue;
			fw_event(pt, WIN_HOST, to_primary ? PRIMARY : SECONDARY, sport, 3544, 1, 1);
			n_fw++;
			int ph = (int)((pt - START_TIME) / 3600);
			if (to_primary)
				p118[ph]++;
			else
				p119[ph]++;
		}
		t += rint_in(lo, hi);
	}

	/* 2. Browsing via the proxy; the proxy resolves (cache 300 s) and connects */
	char clients[41][16];
	for (int c = 0; c < 41; c++)
		snprintf(clients[c], sizeof clients[c], "10.0.0.%d", 20 + c);
	for (int h = 0; h < HOURS; h++) {
		unsigned rate = browse_rate(h);
		if (!rate)
			continue;
		for (int c = 0; c < 41; c++) {
			unsigned n = rint_in(0, 2 * rate);
			for (unsigned k = 0; k < n; k++) {
				int64_t rt = START_TIME + (int64_t)h * 3600 + rint_in(0, 3599);
				struct site *s = pick_site();
				int nips = 0;
				while (s->ips[nips])
					nips++;
				const char *ip = s->ips[rnd() % (uint64_t)nips];
				if (!s->resolved || rt - s->resolved > 300 || rt < s->resolved) {
					dns_event(rt, PROXY, s->name, s->cname, s->ips, 0);
					n_dns++;
					s->resolved = rt;
				}
				fw_event(rt, PROXY, ip, rint_in(32768, 60999), 443, 0, 0);
				n_fw++;
				proxy_event(rt, clients[c], s->name, ip);
				n_proxy++;
				if (!strcmp(clients[c], WIN_HOST))
					win_proxied++;
				/* browsers prefetch names even behind a proxy: lookup only */
				if (rnd() % 10 == 0) {
					dns_event(rt, clients[c], s->name, s->cname, s->ips, 1);
					n_dns++;
					n_client_dns++;
				}
			}
		}
	}

	/* 3. Inbound scans to the WAN address: network events with no DNS at all */
	for (int h = 0; h < HOURS; h++) {
		unsigned n = rint_in(2, 8);
		for (unsigned k = 0; k < n; k++) {
			static const unsigned ports[] = {22, 23, 445, 3389, 5060, 8080};
			/* public first octets only: no private, loopback or story addresses */
			static const unsigned first[] = {45, 61, 80, 91, 103, 118, 141, 179, 185, 193,
							 212};
			char src[24];
			snprintf(src, sizeof src, "%u.%u.%u.%u", first[rnd() % 11], rint_in(0, 255),
				 rint_in(0, 255), rint_in(1, 254));
			unsigned dp = ports[rnd() % 6];
			fw_event(START_TIME + (int64_t)h * 3600 + rint_in(0, 3599), src, WAN_ADDR,
				 rint_in(1024, 65535), dp, dp == 5060, 1);
			n_fw++;
			n_scan++;
		}
	}

	/* 4. A DNS filter answers ad and tracker names with 0.0.0.0 (dnsmasq's
	 * address=/name/0.0.0.0, Pi-hole); some browsers try the answer anyway
	 * and the firewall drops it.  Such an answer names no destination: every
	 * blocked name shares it, so no connection may be joined to one. */
	static const char *const blocked_names[] = {"ads.tracker.example", "pixel.adnet.example",
						    "telemetry.vendor.example"};
	unsigned long n_sink_dns = 0, n_sink_fw = 0;
	for (int h = 0; h < HOURS; h++) {
		unsigned n = rint_in(0, 3);
		for (unsigned k = 0; k < n; k++) {
			static const char *const sink[] = {SINKHOLE, NULL};
			int64_t bt = START_TIME + (int64_t)h * 3600 + rint_in(0, 3590);
			const char *cl = clients[rnd() % 41];
			dns_event(bt, cl, blocked_names[rnd() % 3], NULL, sink, 1);
			n_dns++;
			n_sink_dns++;
			if (rnd() % 2) {
				fw_event(bt + rint_in(0, 5), cl, SINKHOLE, rint_in(32768, 60999), 443, 0, 1);
				n_fw++;
				n_sink_fw++;
			}
		}
	}

	/* 5. Around the local resolver.  DoH: a few blocked connections an hour
	 * while the user is at work (browse_rate > 0), to an address no DNS
	 * answer names; DoT: the phone resolves dns.google through dnsmasq
	 * (once an hour), then retries tcp/853 every few minutes, all day. */
	unsigned long n_doh = 0, n_dot = 0, n_dot_dns = 0;
	for (int h = 0; h < HOURS; h++) {
		if (browse_rate(h)) {
			unsigned n = rint_in(2, 6);
			for (unsigned k = 0; k < n; k++) {
				fw_event(START_TIME + (int64_t)h * 3600 + rint_in(0, 3599), DOH_HOST,
					 DOH_IP, rint_in(32768, 60999), 443, 0, 1);
				n_fw++;
				n_doh++;
			}
		}
		static const char *const dot_ans[] = {DOT_IP, "8.8.4.4", NULL};
		int64_t lt = START_TIME + (int64_t)h * 3600 + rint_in(0, 600);
		dns_event(lt, DOT_HOST, DOT_NAME, NULL, dot_ans, 0);
		n_dns++;
		n_dot_dns++;
		/* within the hour of its lookup (window=1h) */
		for (int64_t ct = lt + rint_in(1, 30); ct < lt + 3000; ct += rint_in(240, 420)) {
			fw_event(ct, DOT_HOST, DOT_IP, rint_in(32768, 60999), 853, 0, 1);
			n_fw++;
			n_dot++;
		}
	}

	/* 6. A beacon: a rare name resolved every BEACON_PERIOD s (+-3 s),
	 * around the clock, each lookup followed by one connection. */
	unsigned long n_beacon = 0;
	for (int64_t bt = START_TIME + rint_in(10, 200); bt < END_TIME - 5;
	     bt += BEACON_PERIOD - 3 + (int64_t)rint_in(0, 6)) {
		static const char *const bans[] = {BEACON_IP, NULL};
		dns_event(bt, BEACON_HOST, BEACON_NAME, NULL, bans, 0);
		n_dns++;
		fw_event(bt + 1, BEACON_HOST, BEACON_IP, rint_in(32768, 60999), 443, 0, 1);
		n_fw++;
		n_beacon++;
	}

	/* order: desc is what an event search returns; asc as after `reverse` */
	qsort(evs, nev, sizeof *evs, cmp_asc);
	if (!strcmp(order, "desc")) {
		for (size_t i = 0; i < nev / 2; i++) {
			struct event tmp = evs[i];
			evs[i] = evs[nev - 1 - i];
			evs[nev - 1 - i] = tmp;
		}
	} else if (!strcmp(order, "shuffled")) {
		for (size_t i = nev; i > 1; i--) {
			size_t j = (size_t)(rnd() % i);
			struct event tmp = evs[i - 1];
			evs[i - 1] = evs[j];
			evs[j] = tmp;
		}
	}

	struct sb hdr = {0};
	for (int c = 0; c < NCOL; c++) {
		if (c)
			sb_add(&hdr, ",", 1);
		put_cell(&hdr, COLNAME[c]);
	}
	sb_add(&hdr, "\n", 1);
	fwrite(hdr.p, 1, hdr.n, stdout);
	free(hdr.p);
	for (size_t i = 0; i < nev; i++) {
		fwrite(evs[i].row, 1, evs[i].len, stdout);
		free(evs[i].row);
	}
	if (fflush(stdout) || ferror(stdout))
		die("write error on stdout");

	if (truth) {
		FILE *f = fopen(truth, "w");
		if (!f) {
			fprintf(stderr, "gen_story: %s: %s\n", truth, strerror(errno));
			return 2;
		}
		unsigned long L = 0, P1 = 0, P2 = 0;
		unsigned max_h = 0;
		for (int h = 0; h < HOURS; h++) {
			L += lookups[h];
			P1 += p118[h];
			P2 += p119[h];
			if (lookups[h] > max_h)
				max_h = lookups[h];
		}
		fprintf(f,
			"# gen_story truth (seed %" PRIu64 "): what the generator emitted, "
			"not what a join computes\n"
			"start=%lld\nend=%lld\nhours=%d\n"
			"host=" WIN_HOST "\ndomain=" TEREDO "\nprimary=" PRIMARY
			"\nsecondary=" SECONDARY "\n"
			"lookups=%lu\npackets_primary=%lu\npackets_secondary=%lu\n"
			"packets_total=%lu\nblocked_total=%lu\nallowed_total=0\n"
			"packets_per_lookup_primary=%.2f\n"
			"packet_delay_max_s=120\nlookup_interval_min_s=150\n"
			"transport=udp\ndest_port=3544\nproxied_teredo=0\n"
			"host_proxy_requests=%lu\n"
			"events=%zu\ndns_events=%lu\nfirewall_events=%lu\nproxy_events=%lu\n"
			"client_prefetch_lookups=%lu\ninbound_scans=%lu\n"
			"sinkhole=" SINKHOLE "\nsinkhole_lookups=%lu\nsinkhole_packets=%lu\n"
			"max_lookups_per_hour=%u\n"
			"doh_host=" DOH_HOST "\ndoh_ip=" DOH_IP "\ndoh_provider=" DOH_PROVIDER
			"\ndoh_connections=%lu\n"
			"dot_host=" DOT_HOST "\ndot_name=" DOT_NAME "\ndot_ip=" DOT_IP
			"\ndot_provider=" DOT_PROVIDER "\ndot_lookups=%lu\ndot_connections=%lu\n"
			"beacon_host=" BEACON_HOST "\nbeacon_name=" BEACON_NAME "\nbeacon_ip=" BEACON_IP
			"\nbeacon_period_s=%d\nbeacon_jitter_s=3\nbeacon_lookups=%lu\n"
			"beacon_connections=%lu\nbeacon_name_clients=1\n"
			"# per hour for host/domain; hour_start is the epoch of the hour\n"
			"hour_start,lookups,packets_primary,packets_secondary\n",
			seed, (long long)START_TIME, (long long)END_TIME, HOURS, L, P1, P2, P1 + P2,
			P1 + P2, L ? (double)P1 / (double)L : 0.0, win_proxied, nev, n_dns, n_fw,
			n_proxy, n_client_dns, n_scan, n_sink_dns, n_sink_fw, max_h, n_doh, n_dot_dns,
			n_dot, BEACON_PERIOD, n_beacon, n_beacon);
		for (int h = 0; h < HOURS; h++)
			fprintf(f, "%lld,%u,%u,%u\n", (long long)(START_TIME + h * 3600LL), lookups[h],
				p118[h], p119[h]);
		if (fclose(f)) {
			fprintf(stderr, "gen_story: %s: write error\n", truth);
			return 2;
		}
	}
	free(evs);
	return 0;
}
