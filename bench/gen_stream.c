/*
 * gen_stream: writes a synthetic but realistic splunkd -> command byte stream
 * (SCP v2, "chunked 1.0") to stdout, or with --csv a plain CSV table.
 *
 * Every event is a pure function of (seed, index), index 0 being the oldest.
 * That is what lets the generator stream 50M events in any order without
 * keeping them: only the current chunk body is held (its length must be known
 * before the frame header), and --order shuffled keeps one permutation array.
 *
 * Mix: ~30% dnsmasq:transaction answers, ~60% linux:netfilter packets whose
 * dest_ip is mostly an address answered shortly before (so a DNS join finds
 * matches), ~10% squid requests.  Address and name sets are bounded by
 * --ips and --conversations, not by --events, so state in a join or profile
 * grows with those and not with the stream length.
 *
 * CSV is written exactly as splunkd quotes it: every header name and value
 * containing a byte outside [A-Za-z0-9] is quoted, "" escapes, LF line ends,
 * all plain columns then all __mv_ columns, __mv_ cells as $a$;$b$.
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -o gen_stream gen_stream.c
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_END     1700000000LL
#define DEFAULT_EVENTS  1000000ULL
#define DEFAULT_ROWS    50000ULL
#define N_POPULAR       200u        /* names many clients resolve */
#define N_NOISE         1024u       /* never-answered destinations */
#define MAX_IPS         (1u << 24)  /* keeps stats keys packable */
#define PAIR_CONV       123         /* percent; see main() */
#define SCRATCH         8192        /* one event's text; the largest is ~1 KB */

/* ---------------------------------------------------------------- output */

struct sb {
	char *p;
	size_t n, cap;
};

static void die(const char *msg)
{
	fprintf(stderr, "gen_stream: %s\n", msg);
	exit(2);
}

static void sb_reserve(struct sb *b, size_t extra)
{
	if (b->n + extra <= b->cap)
		return;
	size_t c = b->cap ? b->cap : (size_t)1 << 20;
	while (c < b->n + extra)
		c *= 2;
	char *np = realloc(b->p, c);
	if (!np)
		die("out of memory");
	b->p = np;
	b->cap = c;
}

static void out_write(const char *p, size_t n)
{
	if (n && fwrite(p, 1, n, stdout) != n) {
		/* a closed pipe is the reader's choice, not an error worth a message */
		if (errno != EPIPE)
			perror("gen_stream: write");
		exit(errno == EPIPE ? 0 : 2);
	}
}

static unsigned char is_alnum[256];

static void init_tables(void)
{
	for (int c = '0'; c <= '9'; c++)
		is_alnum[c] = 1;
	for (int c = 'A'; c <= 'Z'; c++)
		is_alnum[c] = 1;
	for (int c = 'a'; c <= 'z'; c++)
		is_alnum[c] = 1;
}

/* One CSV cell, quoted iff it holds a byte outside [A-Za-z0-9] (splunkd's rule). */
static void put_cell(struct sb *b, const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && is_alnum[(unsigned char)s[k]])
		k++;
	sb_reserve(b, 2 * n + 3);
	char *o = b->p + b->n;
	if (k == n) {
		memcpy(o, s, n);
		b->n += n;
		return;
	}
	*o++ = '"';
	const char *e = s + n;
	while (s < e) {
		const char *q = memchr(s, '"', (size_t)(e - s));
		size_t seg = q ? (size_t)(q - s) + 1 : (size_t)(e - s);
		memcpy(o, s, seg);
		o += seg;
		s += seg;
		if (q)
			*o++ = '"';
	}
	*o++ = '"';
	b->n = (size_t)(o - b->p);
}

/* ------------------------------------------------------------ randomness */

static inline uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: cheap and good enough to derive every choice */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	uint64_t z = r->s;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

/* ------------------------------------------------------------- text bits */

#define LIT(p, s) (memcpy((p), (s), sizeof(s) - 1), (p) + sizeof(s) - 1)

static inline char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static inline char *putz(char *p, const char *s)
{
	return put(p, s, strlen(s));
}

static char *u64dec(char *p, uint64_t v)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

static char *u64dec_w(char *p, uint64_t v, int width)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n < width)
		t[n++] = '0';
	while (n)
		*p++ = t[--n];
	return p;
}

static char *hex16(char *p, unsigned v)
{
	static const char hx[] = "0123456789abcdef";
	int started = 0;
	for (int sh = 12; sh >= 0; sh -= 4) {
		unsigned d = (v >> sh) & 15;
		if (d || started || sh == 0) {
			*p++ = hx[d];
			started = 1;
		}
	}
	return p;
}

static char *ipv4(char *p, unsigned a, unsigned b, unsigned c, unsigned d)
{
	p = u64dec(p, a);
	*p++ = '.';
	p = u64dec(p, b);
	*p++ = '.';
	p = u64dec(p, c);
	*p++ = '.';
	return u64dec(p, d);
}

/* Days since 1970-01-01 to civil date (H. Hinnant's algorithm); UTC, no libc TZ. */
static void civil(int64_t days, int *y, unsigned *m, unsigned *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static const char MON[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* syslog-style "Nov 14 22:13:20" (day padded with a space), cached per second */
struct tcache {
	int64_t sec;
	char sys[16];
};

static const char *syslog_time(struct tcache *c, int64_t t)
{
	if (t == c->sec)
		return c->sys;
	int y;
	unsigned m, d;
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	unsigned s = (unsigned)(t - days * 86400);
	civil(days, &y, &m, &d);
	char *p = c->sys;
	p = put(p, MON[m - 1], 3);
	*p++ = ' ';
	*p++ = d < 10 ? ' ' : (char)('0' + d / 10);
	*p++ = (char)('0' + d % 10);
	*p++ = ' ';
	p = u64dec_w(p, s / 3600, 2);
	*p++ = ':';
	p = u64dec_w(p, s / 60 % 60, 2);
	*p++ = ':';
	p = u64dec_w(p, s % 60, 2);
	*p = 0;
	c->sec = t;
	return c->sys;
}

/* ---------------------------------------------------------------- model */

enum { ORDER_DESC, ORDER_ASC, ORDER_SHUF };
enum { T_DNS, T_FW, T_PROXY };

struct gen {
	uint64_t seed, n;
	int64_t start, span, end;
	uint32_t ips, i6, cdn, gen;     /* pools: [0,i6) v6, then CDN, then general */
	uint32_t clients;
	uint64_t pairs, hot;            /* (client, name) pairs; hot = popular pairs */
	uint32_t names, gen_names, v6_names;
	unsigned dns_pm, fw_pm;         /* per-mille thresholds of the mix */
};

static inline uint64_t h2(const struct gen *g, uint64_t salt, uint64_t x)
{
	return mix64(g->seed ^ mix64(x * 0x100000001b3ULL + salt));
}

static inline int type_at(const struct gen *g, uint64_t i)
{
	unsigned t = (unsigned)(h2(g, 1, i) % 1000);
	return t < g->dns_pm ? T_DNS : t < g->fw_pm ? T_FW : T_PROXY;
}

static inline int64_t time_at(const struct gen *g, uint64_t i)
{
	/* evenly spread, oldest first; integer seconds like a syslog source */
	return g->start + (int64_t)(i * (uint64_t)g->span / g->n);  /* i*span < 2^64: events are capped */
}

/* Name kinds by n % 16 so each kind's rank is a cheap formula (keeps pools dense). */
static int name_kind(uint32_t n)
{
	unsigned r = n % 16;
	return r == 5 ? 6 : r == 1 ? 'c' : 'g';
}

static uint32_t gen_rank(uint32_t n)
{
	unsigned r = n % 16;
	unsigned below_r = r - (r > 1) - (r > 5);
	return (n / 16) * 14 + below_r;
}

/* The addresses a name resolves to (indices into the IP space). */
static int name_ips(const struct gen *g, uint32_t n, uint32_t ip[3])
{
	uint64_t h = h2(g, 2, n);
	int cnt;
	uint64_t base;
	switch (name_kind(n)) {
	case 6: {
		uint64_t rk = n / 16;
		base = rk * g->i6 / g->v6_names;
		uint64_t nx = (rk + 1) * g->i6 / g->v6_names;
		cnt = (int)(nx - base);
		if (cnt < 1)
			cnt = 1;
		if (cnt > 3)
			cnt = 3;
		for (int k = 0; k < cnt; k++)
			ip[k] = (uint32_t)((base + (uint64_t)k) % g->i6);
		return cnt;
	}
	case 'c':
		/* CDN names share a small block: the same address answers several names */
		cnt = 2;
		base = (h >> 8) % g->cdn;
		for (int k = 0; k < cnt; k++)
			ip[k] = g->i6 + (uint32_t)((base + (uint64_t)k) % g->cdn);
		return cnt;
	default: {
		uint64_t rk = gen_rank(n);
		base = rk * g->gen / g->gen_names;
		uint64_t nx = (rk + 1) * g->gen / g->gen_names;
		cnt = (int)(nx - base);
		if (cnt < 1)
			cnt = 1;
		if (h % 100 < 5)
			cnt++;          /* overlap with the next name: shared hosting */
		if (cnt > 3)
			cnt = 3;
		for (int k = 0; k < cnt; k++)
			ip[k] = g->i6 + g->cdn + (uint32_t)((base + (uint64_t)k) % g->gen);
		return cnt;
	}
	}
}

static int ip_is_v6(const struct gen *g, uint32_t k)
{
	return k < g->i6;
}

static const unsigned char FIRST_OCTET[64] = {
	13, 18, 20, 23, 31, 34, 35, 37, 40, 44, 45, 46, 50, 51, 52, 54,
	62, 64, 65, 66, 69, 72, 74, 77, 78, 80, 81, 82, 85, 87, 88, 89,
	91, 93, 94, 95, 104, 107, 108, 128, 129, 130, 136, 137, 138, 139, 140, 141,
	142, 143, 144, 146, 147, 151, 152, 157, 162, 163, 173, 176, 178, 185, 188, 199};

/* Address text of IP index k; k >= ips are the never-answered noise pool. */
static char *ip_str(const struct gen *g, char *p, uint32_t k)
{
	if (k >= g->ips) {
		uint32_t j = k - g->ips;  /* 198.18.0.0/15: benchmarking space */
		return ipv4(p, 198, 18 + j / 64000, j / 250 % 256, j % 250 + 1);
	}
	if (k < g->i6) {
		p = LIT(p, "2a02:26f0:");
		p = hex16(p, (k >> 16) & 0xffff);
		*p++ = ':';
		p = hex16(p, k & 0xffff);
		return LIT(p, "::1");
	}
	uint32_t x = k - g->i6;
	unsigned a = FIRST_OCTET[x % 64];
	unsigned b = (x / 64) % 256 ^ 0x5a;
	unsigned c = (x / 16384) % 256;
	unsigned d = 1 + (x / 4194304 * 37 + x % 7) % 254;
	return ipv4(p, a, b, c, d);
}

static char *client_str(const struct gen *g, char *p, uint32_t c, int v6)
{
	(void)g;
	if (v6) {
		p = LIT(p, "fd00:20::");
		return hex16(p, c + 0x100);
	}
	return ipv4(p, 10, 20 + c / 40000, c / 200 % 200, c % 200 + 20);
}

static const char *const POPULAR[] = {
	"www.google.com", "www.youtube.com", "outlook.office365.com",
	"login.microsoftonline.com", "www.facebook.com", "graph.facebook.com",
	"api.github.com", "github.com", "slack.com", "edge.microsoft.com",
	"update.googleapis.com", "clients4.google.com", "www.amazon.com",
	"s3.amazonaws.com", "ctldl.windowsupdate.com", "fonts.gstatic.com",
	"www.wikipedia.org", "zoom.us", "teams.microsoft.com", "i.ytimg.com",
	"lh3.googleusercontent.com", "ocsp.digicert.com", "www.bing.com",
	"settings-win.data.microsoft.com", "dns.msftncsi.com"};
#define N_POPLIST (sizeof POPULAR / sizeof POPULAR[0])

static const char SYL[20][3] = {"ba", "ce", "di", "fo", "gu", "ka", "le", "mi",
				"no", "pu", "ra", "se", "ti", "vo", "zu", "ha",
				"ne", "ro", "sa", "te"};

/* bijective word for n: base-20 syllables, at least three */
static char *word(char *p, uint64_t n)
{
	char t[32];
	int k = 0;
	do {
		t[k++] = (char)(n % 20);
		n /= 20;
	} while (n);
	while (k < 3)
		t[k++] = 0;
	while (k) {
		int s = t[--k];
		*p++ = SYL[s][0];
		*p++ = SYL[s][1];
	}
	return p;
}

static const char *const PREFIX[] = {"www", "api", "cdn", "img", "static",
				     "mail", "login", "assets", "m", "edge"};
static const char *const TLD[] = {"com", "net", "org", "io", "de", "co.uk"};

static char *name_str(const struct gen *g, char *p, uint32_t n)
{
	if (n < N_POPLIST)
		return putz(p, POPULAR[n]);
	uint64_t h = h2(g, 3, n);
	p = putz(p, PREFIX[h % 10]);
	*p++ = '.';
	p = word(p, n);
	*p++ = '.';
	return putz(p, TLD[(h >> 8) % 6]);
}

static char *cname_str(const struct gen *g, char *p, uint32_t n)
{
	static const char *const EDGE[] = {".edgekey.net", ".cloudfront.net",
					   ".akamaiedge.net", ".fastly.net"};
	p = word(p, n + 7919);
	return putz(p, EDGE[h2(g, 4, n) % 4]);
}

static void pair_info(const struct gen *g, uint64_t pr, uint32_t *client, uint32_t *name,
		      uint32_t *alt)
{
	uint64_t h = h2(g, 5, pr);
	*client = (uint32_t)(h % g->clients);
	/* a few pairs also see traffic from a second host (shared names, NAT) */
	*alt = (h >> 59) % 32 == 0
		       ? (uint32_t)((*client + 1 + (h >> 20) % (g->clients - 1)) % g->clients)
		       : *client;
	if ((h >> 40) % 20 == 0)
		*name = (uint32_t)((h >> 44) % N_POPULAR);
	else
		*name = N_POPULAR + (uint32_t)(pr % (g->names - N_POPULAR));
}

/* What a DNS event at index j answered; shared by the DNS event and its followers. */
struct dnsc {
	uint64_t pair;
	uint32_t client, alt, name, ip[3];
	int nip, nx, cname, cached;
	uint64_t r;     /* leftover randomness for cosmetics */
};

static void dns_core(const struct gen *g, uint64_t j, struct dnsc *d)
{
	struct rng r = {h2(g, 6, j)};
	uint64_t x = rnd(&r);
	d->pair = x % 5 == 0 ? below(&r, g->hot) : below(&r, g->pairs);
	pair_info(g, d->pair, &d->client, &d->name, &d->alt);
	uint64_t y = rnd(&r);
	d->nx = y % 100 < 3;
	d->cname = !d->nx && (y / 100) % 100 < 10;
	d->cached = (y / 10000) % 100 < 40;
	d->nip = d->nx ? 0 : name_ips(g, d->name, d->ip);
	d->r = rnd(&r);
}

/* The DNS event a follower (packet, proxy request) refers to, or -1. */
static int64_t recent_dns(const struct gen *g, uint64_t i, struct rng *r)
{
	uint64_t k = rnd(r) % 100, d;
	if (k < 70)
		d = 1 + below(r, 30);
	else if (k < 95)
		d = 1 + below(r, 1500);
	else
		d = 1 + below(r, 60000);
	if (d > i)
		return -1;
	uint64_t j = i - d;
	for (int s = 0; s < 64; s++) {
		if (type_at(g, j) == T_DNS)
			return (int64_t)j;
		if (j == 0)
			break;
		j--;
	}
	return -1;
}

/* ------------------------------------------------------------- columns */

enum col {
	C_BKT, C_CD, C_INDEXTIME, C_RAW, C_SERIAL, C_SOURCETYPE_, C_TIME,
	C_ACTION, C_ANSWER, C_DEST, C_DEST_IP, C_DEST_PORT, C_HOST, C_INDEX,
	C_LINECOUNT, C_PUNCT, C_QUERY, C_QUERY_TYPE, C_REPLY_CODE, C_SOURCE,
	C_SOURCETYPE, C_SPLUNK_SERVER, C_SRC, C_SRC_IP, C_SRC_PORT, C_TRANSPORT,
	C_URL, NCOL
};

/* byte-sorted, as splunkd lists fields of an event search */
static const char *const COLNAME[NCOL] = {
	"_bkt", "_cd", "_indextime", "_raw", "_serial", "_sourcetype", "_time",
	"action", "answer", "dest", "dest_ip", "dest_port", "host", "index",
	"linecount", "punct", "query", "query_type", "reply_code", "source",
	"sourcetype", "splunk_server", "src", "src_ip", "src_port", "transport",
	"url"};

#define BIT(c) (1u << (c))
#define COMMON_MASK (BIT(C_BKT) | BIT(C_CD) | BIT(C_INDEXTIME) | BIT(C_RAW) | \
		     BIT(C_SERIAL) | BIT(C_SOURCETYPE_) | BIT(C_TIME) | BIT(C_HOST) | \
		     BIT(C_INDEX) | BIT(C_LINECOUNT) | BIT(C_PUNCT) | BIT(C_SOURCE) | \
		     BIT(C_SOURCETYPE) | BIT(C_SPLUNK_SERVER))
static const uint32_t TYPE_MASK[3] = {
	COMMON_MASK | BIT(C_SRC) | BIT(C_QUERY) | BIT(C_ANSWER) | BIT(C_QUERY_TYPE) |
		BIT(C_REPLY_CODE),
	COMMON_MASK | BIT(C_SRC_IP) | BIT(C_DEST_IP) | BIT(C_SRC_PORT) | BIT(C_DEST_PORT) |
		BIT(C_TRANSPORT) | BIT(C_ACTION),
	COMMON_MASK | BIT(C_SRC) | BIT(C_URL) | BIT(C_DEST) | BIT(C_ACTION)};

struct ev {
	const char *v[NCOL];
	size_t l[NCOL];
	const char *mv_answer;
	size_t mv_answer_len;
	int type;
	char buf[SCRATCH];
};

struct ctx {
	struct gen g;
	struct tcache tc;
	char tstr_cache[24];
	int64_t tstr_sec;
	size_t tstr_len;
};

#define SETV(e, c, s, n) ((e)->v[c] = (s), (e)->l[c] = (n))
#define SETLIT(e, c, s) SETV(e, c, s, sizeof(s) - 1)
/* set column c to the text written from `from` to `to`, in e->buf */
#define SETSPAN(e, c, from, to) SETV(e, c, from, (size_t)((to) - (from)))

/* Splunk's punct: the first 30 punctuation bytes, spaces as '_' */
static char *punct(char *p, const char *raw, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n && k < 30; i++) {
		unsigned char ch = (unsigned char)raw[i];
		if (is_alnum[ch] || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		*p++ = ch == ' ' ? '_' : (char)ch;
		k++;
	}
	return p;
}

static void make_event(struct ctx *cx, uint64_t i, uint64_t serial, struct ev *e)
{
	const struct gen *g = &cx->g;
	char *p = e->buf;
	int64_t t = time_at(g, i);
	struct rng r = {h2(g, 7, i)};
	uint64_t h = rnd(&r);
	e->type = type_at(g, i);
	for (int c = 0; c < NCOL; c++)
		e->l[c] = 0;
	e->mv_answer_len = 0;

	/* common Splunk fields */
	if (t != cx->tstr_sec) {
		char *q = u64dec(cx->tstr_cache, (uint64_t)t);
		q = LIT(q, ".000");
		cx->tstr_len = (size_t)(q - cx->tstr_cache);
		cx->tstr_sec = t;
	}
	SETV(e, C_TIME, cx->tstr_cache, cx->tstr_len);
	char *s = p;
	p = u64dec(p, serial);
	SETSPAN(e, C_SERIAL, s, p);
	s = p;
	p = u64dec(p, (uint64_t)t + 1 + h % 20);
	SETSPAN(e, C_INDEXTIME, s, p);
	uint64_t bucket = (uint64_t)(t - g->start) / 86400 + 17;
	s = p;
	p = LIT(p, "netops~");
	p = u64dec(p, bucket);
	p = LIT(p, "~5B3E1C2A-8F4D-4E61-9A7B-2C0D1E3F4A5B");
	SETSPAN(e, C_BKT, s, p);
	s = p;
	p = u64dec(p, bucket);
	*p++ = ':';
	p = u64dec(p, i * 3 + 1048576);
	SETSPAN(e, C_CD, s, p);
	SETLIT(e, C_INDEX, "netops");
	if ((h >> 8) & 1)
		SETLIT(e, C_SPLUNK_SERVER, "idx01.corp.example");
	else
		SETLIT(e, C_SPLUNK_SERVER, "idx02.corp.example");

	const char *sys = syslog_time(&cx->tc, t);
	char *raw = p;
	unsigned lines = 1;

	if (e->type == T_DNS) {
		struct dnsc d;
		dns_core(g, i, &d);
		char nm[128], cl[48], cn[96];
		size_t nml = (size_t)(name_str(g, nm, d.name) - nm);
		size_t cll = (size_t)(client_str(g, cl, d.client, 0) - cl);
		size_t cnl = d.cname ? (size_t)(cname_str(g, cn, d.name) - cn) : 0;
		int v6 = d.nip && ip_is_v6(g, d.ip[0]);
		char ips[3][48];
		size_t ipl[3];
		for (int k = 0; k < d.nip; k++)
			ipl[k] = (size_t)(ip_str(g, ips[k], d.ip[k]) - ips[k]);
		unsigned qid = (unsigned)(d.r % 900000) + 1000;
		unsigned port = 1024 + (unsigned)((d.r >> 20) % 64000);
		const char *qt = v6 ? "AAAA" : "A";

		/* _raw: the dnsmasq --log-queries=extra lines of the transaction */
#define DLINE()                                             \
	do {                                                \
		p = put(p, sys, 15);                        \
		p = LIT(p, " dnsmasq[812]: ");              \
		p = u64dec(p, qid);                         \
		*p++ = ' ';                                 \
		p = put(p, cl, cll);                        \
		*p++ = '/';                                 \
		p = u64dec(p, port);                        \
		*p++ = ' ';                                 \
	} while (0)
		DLINE();
		p = LIT(p, "query[");
		p = putz(p, qt);
		p = LIT(p, "] ");
		p = put(p, nm, nml);
		p = LIT(p, " from ");
		p = put(p, cl, cll);
		if (!d.cached || d.nx) {
			*p++ = '\n';
			DLINE();
			p = LIT(p, "forwarded ");
			p = put(p, nm, nml);
			p = LIT(p, " to 9.9.9.9");
			lines++;
		}
		const char *verb = d.cached && !d.nx ? "cached " : "reply ";
		if (d.nx) {
			*p++ = '\n';
			DLINE();
			p = putz(p, verb);
			p = put(p, nm, nml);
			p = LIT(p, " is NXDOMAIN");
			lines++;
		} else {
			const char *owner = nm;
			size_t ownl = nml;
			if (d.cname) {
				*p++ = '\n';
				DLINE();
				p = putz(p, verb);
				p = put(p, nm, nml);
				p = LIT(p, " is <CNAME>");
				lines++;
				owner = cn;
				ownl = cnl;
			}
			for (int k = 0; k < d.nip; k++) {
				*p++ = '\n';
				DLINE();
				p = putz(p, verb);
				p = put(p, owner, ownl);
				p = LIT(p, " is ");
				p = put(p, ips[k], ipl[k]);
				lines++;
			}
		}
#undef DLINE
		SETSPAN(e, C_RAW, raw, p);

		s = p;
		p = put(p, cl, cll);
		SETSPAN(e, C_SRC, s, p);
		s = p;
		p = put(p, nm, nml);
		SETSPAN(e, C_QUERY, s, p);
		SETV(e, C_QUERY_TYPE, qt, strlen(qt));
		if (d.nx) {
			SETLIT(e, C_REPLY_CODE, "NXDOMAIN");
			SETLIT(e, C_ANSWER, "NXDOMAIN");
		} else {
			SETLIT(e, C_REPLY_CODE, "NOERROR");
			/* answer: values joined by LF; __mv_answer: $v$;$v$ (no $ in these values) */
			const char *vals[4];
			size_t vl[4];
			int nv = 0;
			if (d.cname) {
				vals[nv] = cn;
				vl[nv++] = cnl;
			}
			for (int k = 0; k < d.nip; k++) {
				vals[nv] = ips[k];
				vl[nv++] = ipl[k];
			}
			s = p;
			for (int k = 0; k < nv; k++) {
				if (k)
					*p++ = '\n';
				p = put(p, vals[k], vl[k]);
			}
			SETSPAN(e, C_ANSWER, s, p);
			if (nv > 1) {
				s = p;
				for (int k = 0; k < nv; k++) {
					if (k)
						*p++ = ';';
					*p++ = '$';
					p = put(p, vals[k], vl[k]);
					*p++ = '$';
				}
				e->mv_answer = s;
				e->mv_answer_len = (size_t)(p - s);
			}
		}
		SETLIT(e, C_HOST, "dns01");
		SETLIT(e, C_SOURCE, "/var/log/dnsmasq.log");
		SETLIT(e, C_SOURCETYPE, "dnsmasq:transaction");
	} else if (e->type == T_FW) {
		int64_t j = recent_dns(g, i, &r);
		struct dnsc d;
		uint32_t ipk = 0, client = 0;
		int v6 = 0, noise = 1;
		uint64_t k = rnd(&r);
		if (j >= 0 && k % 100 >= 8) {
			dns_core(g, (uint64_t)j, &d);
			if (d.nip) {
				ipk = d.ip[(k >> 8) % (unsigned)d.nip];
				client = (k >> 16) % 2 ? d.alt : d.client;
				v6 = ip_is_v6(g, ipk);
				noise = 0;
			}
		}
		if (noise) {
			uint32_t nj = (uint32_t)((k >> 24) % N_NOISE);
			ipk = g->ips + nj;
			client = (uint32_t)(h2(g, 8, nj) % g->clients);
		}
		char sip[48], dip[48];
		size_t sipl = (size_t)(client_str(g, sip, client, v6) - sip);
		size_t dipl = (size_t)(ip_str(g, dip, ipk) - dip);
		uint64_t q = rnd(&r);
		unsigned pc = (unsigned)(q % 100), dport;
		int udp;
		if (noise) {
			static const unsigned NP[6] = {3544, 123, 5060, 1900, 445, 8443};
			dport = NP[q % 6];
			udp = dport != 445 && dport != 8443;
		} else if (pc < 70) {
			dport = 443, udp = 0;
		} else if (pc < 85) {
			dport = 80, udp = 0;
		} else if (pc < 96) {
			dport = 443, udp = 1;   /* QUIC */
		} else if (pc < 99) {
			dport = 123, udp = 1;
		} else {
			dport = 3544, udp = 1;  /* Teredo: blocked, tunnel annotation */
		}
		int blocked = noise ? (q >> 8) % 10 != 0
				    : dport == 3544 || dport == 123 || (q >> 8) % 100 < 12;
		unsigned sport = 1024 + (unsigned)((q >> 16) % 64000);
		unsigned len = udp ? 60 + (unsigned)((q >> 32) % 1200) : 60;
		int unifi = (h >> 12) % 4 == 0;

		p = put(p, sys, 15);
		if (unifi) {
			p = LIT(p, " usg01 ");
			if (blocked)
				p = LIT(p, "[WAN_OUT-D-2147483647] DESCR=\"[WAN_OUT]Block All Traffic\"");
			else
				p = LIT(p, "[WAN_OUT-A-3000] DESCR=\"[WAN_OUT]Allow Established\"");
		} else {
			p = LIT(p, " fw01 kernel: [");
			p = u64dec(p, (uint64_t)(t - g->start) + 86400);
			*p++ = '.';
			p = u64dec_w(p, (q >> 40) % 1000000, 6);
			p = LIT(p, "] ");
			if (blocked)
				p = LIT(p, "IPTABLES-DROP:");
			else
				p = LIT(p, "IPTABLES-ACCEPT:");
		}
		p = LIT(p, " IN=eth1 OUT=eth0 MAC=00:1b:21:3a:4f:10:00:50:56:a1:");
		p = hex16(p, 0x10 + client % 0xe0);
		p = LIT(p, ":33:08:00 SRC=");
		p = put(p, sip, sipl);
		p = LIT(p, " DST=");
		p = put(p, dip, dipl);
		p = LIT(p, " LEN=");
		p = u64dec(p, len);
		if (v6)
			p = LIT(p, " TC=0 HOPLIMIT=63 FLOWLBL=0");
		else {
			p = LIT(p, " TOS=0x00 PREC=0x00 TTL=63 ID=");
			p = u64dec(p, (q >> 48) % 65536);
			if (!udp)
				p = LIT(p, " DF");
		}
		p = LIT(p, " PROTO=");
		p = udp ? LIT(p, "UDP") : LIT(p, "TCP");
		p = LIT(p, " SPT=");
		p = u64dec(p, sport);
		p = LIT(p, " DPT=");
		p = u64dec(p, dport);
		if (udp) {
			p = LIT(p, " LEN=");
			p = u64dec(p, len - 20);
		} else {
			p = LIT(p, " WINDOW=64240 RES=0x00 SYN URGP=0");
		}
		SETSPAN(e, C_RAW, raw, p);

		s = p;
		p = put(p, sip, sipl);
		SETSPAN(e, C_SRC_IP, s, p);
		s = p;
		p = put(p, dip, dipl);
		SETSPAN(e, C_DEST_IP, s, p);
		s = p;
		p = u64dec(p, sport);
		SETSPAN(e, C_SRC_PORT, s, p);
		s = p;
		p = u64dec(p, dport);
		SETSPAN(e, C_DEST_PORT, s, p);
		if (udp)
			SETLIT(e, C_TRANSPORT, "udp");
		else
			SETLIT(e, C_TRANSPORT, "tcp");
		if (blocked)
			SETLIT(e, C_ACTION, "blocked");
		else
			SETLIT(e, C_ACTION, "allowed");
		if (unifi)
			SETLIT(e, C_HOST, "usg01");
		else
			SETLIT(e, C_HOST, "fw01");
		SETLIT(e, C_SOURCE, "/var/log/kern.log");
		SETLIT(e, C_SOURCETYPE, "linux:netfilter");
	} else {
		int64_t j = recent_dns(g, i, &r);
		struct dnsc d;
		if (j >= 0)
			dns_core(g, (uint64_t)j, &d);
		else {
			d.pair = below(&r, g->pairs);
			pair_info(g, d.pair, &d.client, &d.name, &d.alt);
			d.nip = name_ips(g, d.name, d.ip);
		}
		char nm[128], cl[48], up[48];
		size_t nml = (size_t)(name_str(g, nm, d.name) - nm);
		size_t cll = (size_t)(client_str(g, cl, d.client, 0) - cl);
		size_t upl = d.nip ? (size_t)(ip_str(g, up, d.ip[0]) - up) : 0;
		uint64_t q = rnd(&r);
		int denied = q % 100 < 5;
		int connect = (q >> 8) % 100 < 75;
		unsigned ms = (unsigned)((q >> 16) % 1000);
		char *url = NULL, *url_end = NULL;

		p = u64dec(p, (uint64_t)t);
		*p++ = '.';
		p = u64dec_w(p, ms, 3);
		p = LIT(p, " ");
		unsigned el = (unsigned)((q >> 26) % 90000);
		for (unsigned w = el < 10 ? 1 : el < 100 ? 2 : el < 1000 ? 3 : el < 10000 ? 4 : 5;
		     w < 6; w++)
			*p++ = ' ';
		p = u64dec(p, el);
		*p++ = ' ';
		p = put(p, cl, cll);
		p = denied ? LIT(p, " TCP_DENIED/403 ")
			   : connect ? LIT(p, " TCP_TUNNEL/200 ") : LIT(p, " TCP_MISS/200 ");
		p = u64dec(p, denied ? 3900 : 200 + (q >> 44) % 90000);
		if (connect) {
			p = LIT(p, " CONNECT ");
			url = p;
			p = put(p, nm, nml);
			p = LIT(p, ":443");
			url_end = p;
		} else {
			p = LIT(p, " GET ");
			url = p;
			p = LIT(p, "http://");
			p = put(p, nm, nml);
			p = LIT(p, "/assets/");
			p = word(p, q >> 50);
			p = LIT(p, ".js?v=");
			p = u64dec(p, (q >> 36) % 1000);
			url_end = p;
		}
		p = LIT(p, " - ");
		if (denied || !upl)
			p = LIT(p, "HIER_NONE/- text/html");
		else {
			p = LIT(p, "HIER_DIRECT/");
			p = put(p, up, upl);
			p = connect ? LIT(p, " -") : LIT(p, " application/javascript");
		}
		SETSPAN(e, C_RAW, raw, p);
		SETSPAN(e, C_URL, url, url_end);
		SETV(e, C_DEST, url + (connect ? 0 : 7), nml);
		s = p;
		p = put(p, cl, cll);
		SETSPAN(e, C_SRC, s, p);
		if (denied)
			SETLIT(e, C_ACTION, "blocked");
		else
			SETLIT(e, C_ACTION, "allowed");
		SETLIT(e, C_HOST, "proxy01");
		SETLIT(e, C_SOURCE, "/var/log/squid/access.log");
		SETLIT(e, C_SOURCETYPE, "squid");
	}
	e->v[C_SOURCETYPE_] = e->v[C_SOURCETYPE];
	e->l[C_SOURCETYPE_] = e->l[C_SOURCETYPE];
	s = p;
	*p++ = (char)('0' + lines);
	SETSPAN(e, C_LINECOUNT, s, p);
	s = p;
	p = punct(p, e->v[C_RAW], e->l[C_RAW]);
	SETSPAN(e, C_PUNCT, s, p);
	if ((size_t)(p - e->buf) > SCRATCH)
		die("event scratch overflow");   /* cannot happen with these templates */
}

/* ------------------------------------------------------------- writing */

static void write_header(struct sb *b, uint32_t mask)
{
	int first = 1;
	for (int pass = 0; pass < 2; pass++)
		for (int c = 0; c < NCOL; c++) {
			if (!(mask & BIT(c)))
				continue;
			if (!first) {
				sb_reserve(b, 1);
				b->p[b->n++] = ',';
			}
			first = 0;
			char nm[64];
			size_t l = strlen(COLNAME[c]);
			if (pass) {
				memcpy(nm, "__mv_", 5);
				memcpy(nm + 5, COLNAME[c], l);
				l += 5;
			} else {
				memcpy(nm, COLNAME[c], l);
			}
			put_cell(b, nm, l);
		}
	sb_reserve(b, 1);
	b->p[b->n++] = '\n';
}

static void write_row(struct sb *b, const struct ev *e, uint32_t mask)
{
	int first = 1;
	for (int c = 0; c < NCOL; c++) {
		if (!(mask & BIT(c)))
			continue;
		if (!first) {
			sb_reserve(b, 1);
			b->p[b->n++] = ',';
		}
		first = 0;
		if (e->l[c])
			put_cell(b, e->v[c], e->l[c]);
	}
	/* __mv_ columns: all empty except a multivalue answer */
	sb_reserve(b, NCOL + 1);
	for (int c = 0; c < NCOL; c++) {
		if (!(mask & BIT(c)))
			continue;
		b->p[b->n++] = ',';
		if (c == C_ANSWER && e->mv_answer_len) {
			put_cell(b, e->mv_answer, e->mv_answer_len);
			sb_reserve(b, NCOL + 1);
		}
	}
	b->p[b->n++] = '\n';
}

static void write_frame(const char *meta, const struct sb *body)
{
	char hdr[64];
	int hl = snprintf(hdr, sizeof hdr, "chunked 1.0,%zu,%zu\n", strlen(meta), body->n);
	out_write(hdr, (size_t)hl);
	out_write(meta, strlen(meta));
	out_write(body->p, body->n);
}

static void json_str(struct sb *b, const char *s, size_t n)
{
	sb_reserve(b, 6 * n + 2);
	b->p[b->n++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			b->p[b->n++] = '\\';
			b->p[b->n++] = (char)c;
		} else if (c < 0x20) {
			b->n += (size_t)snprintf(b->p + b->n, 7, "\\u%04x", c);
		} else {
			b->p[b->n++] = (char)c;
		}
	}
	b->p[b->n++] = '"';
}

static void sb_puts(struct sb *b, const char *s)
{
	size_t n = strlen(s);
	sb_reserve(b, n + 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void url_encode(struct sb *b, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		sb_reserve(b, 4);
		if (is_alnum[c] || c == '-' || c == '_' || c == '.' || c == '~') {
			b->p[b->n++] = (char)c;
		} else {
			b->p[b->n++] = '%';
			b->p[b->n++] = hx[c >> 4];
			b->p[b->n++] = hx[c & 15];
		}
	}
}

/* getinfo metadata in splunkd 8.2.1's key order (PROTOCOL.md 4.1) */
static char *getinfo_meta(const char *args, const char *command, const char *earliest,
			  const char *latest, uint64_t maxrows, int64_t sid_time)
{
	struct sb b = {0};
	char tmp[128];
	sb_puts(&b, "{\"action\":\"getinfo\",\"preview\":false,"
		    "\"streaming_command_will_restart\":false,\"searchinfo\":{\"args\":[");
	/* split on spaces; the same tokens serve as raw_args (nothing was quoted) */
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			sb_puts(&b, "],\"raw_args\":[");
		int first = 1;
		const char *s = args;
		while (*s) {
			while (*s == ' ')
				s++;
			const char *t = s;
			while (*t && *t != ' ')
				t++;
			if (t > s) {
				if (!first)
					sb_puts(&b, ",");
				first = 0;
				json_str(&b, s, (size_t)(t - s));
			}
			s = t;
		}
	}
	snprintf(tmp, sizeof tmp, "%" PRId64 ".42", sid_time);
	sb_puts(&b, "],\"dispatch_dir\":\"/opt/splunk/var/run/splunk/dispatch/");
	sb_puts(&b, tmp);
	sb_puts(&b, "\",\"sid\":\"");
	sb_puts(&b, tmp);
	sb_puts(&b, "\",\"app\":\"TA-dnsjoin\",\"owner\":\"admin\",\"username\":\"admin\","
		    "\"session_key\":\"dummy-session-key-not-a-secret^0123456789abcdef\","
		    "\"splunkd_uri\":\"https://127.0.0.1:8089\",\"splunk_version\":\"8.2.1\","
		    "\"search\":\"");
	struct sb srch = {0};
	sb_puts(&srch, "search index=netops (sourcetype=dnsmasq:transaction OR "
		       "sourcetype=linux:netfilter OR sourcetype=squid) | ");
	sb_puts(&srch, command);
	if (*args) {
		sb_puts(&srch, " ");
		sb_puts(&srch, args);
	}
	url_encode(&b, srch.p);
	free(srch.p);
	sb_puts(&b, "\",\"command\":");
	json_str(&b, command, strlen(command));
	snprintf(tmp, sizeof tmp, ",\"maxresultrows\":%" PRIu64 ",\"earliest_time\":", maxrows);
	sb_puts(&b, tmp);
	json_str(&b, earliest, strlen(earliest));
	sb_puts(&b, ",\"latest_time\":");
	json_str(&b, latest, strlen(latest));
	sb_puts(&b, "}}");
	return b.p;
}

/* ---------------------------------------------------------------- stats */

/* --stats: what the generator meant, for comparing with a join or profile */
struct set64 {
	uint64_t *k;
	size_t n, cap;
};

static void set_add(struct set64 *s, uint64_t key)
{
	key += 1;   /* 0 marks an empty slot */
	if (2 * (s->n + 1) > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1 << 16;
		uint64_t *nk = calloc(nc, sizeof *nk);
		if (!nk)
			die("out of memory (stats)");
		for (size_t i = 0; i < s->cap; i++)
			if (s->k[i]) {
				size_t h = mix64(s->k[i]) & (nc - 1);
				while (nk[h])
					h = (h + 1) & (nc - 1);
				nk[h] = s->k[i];
			}
		free(s->k);
		s->k = nk;
		s->cap = nc;
	}
	size_t h = mix64(key) & (s->cap - 1);
	while (s->k[h]) {
		if (s->k[h] == key)
			return;
		h = (h + 1) & (s->cap - 1);
	}
	s->k[h] = key;
	s->n++;
}

static uint64_t triple(uint32_t client, uint32_t name, uint32_t ip)
{
	return (uint64_t)client << 48 | (uint64_t)name << 24 | ip;
}

static void stats(const struct gen *g)
{
	struct set64 conv = {0}, dips = {0}, answered = {0};
	uint64_t cnt[3] = {0}, nodns = 0;
	for (uint64_t i = 0; i < g->n; i++) {
		int ty = type_at(g, i);
		cnt[ty]++;
		struct dnsc d;
		if (ty == T_DNS) {
			dns_core(g, i, &d);
			for (int k = 0; k < d.nip; k++) {
				set_add(&conv, triple(d.client, d.name, d.ip[k]));
				set_add(&answered, d.ip[k]);
			}
		} else if (ty == T_FW) {
			/* same draws as make_event */
			struct rng r = {h2(g, 7, i)};
			(void)rnd(&r);
			int64_t j = recent_dns(g, i, &r);
			uint64_t k = rnd(&r);
			if (j >= 0 && k % 100 >= 8) {
				dns_core(g, (uint64_t)j, &d);
				if (d.nip) {
					uint32_t ipk = d.ip[(k >> 8) % (unsigned)d.nip];
					uint32_t c = (k >> 16) % 2 ? d.alt : d.client;
					if (ip_is_v6(g, ipk))
						c += g->clients;
					set_add(&conv, triple(c, d.name, ipk));
					set_add(&dips, ipk);
					continue;
				}
			}
			uint32_t nj = (uint32_t)((k >> 24) % N_NOISE);
			set_add(&conv, triple((uint32_t)(h2(g, 8, nj) % g->clients), 0xffffff,
					      g->ips + nj));
			set_add(&dips, g->ips + nj);
			nodns++;
		}
	}
	fprintf(stderr,
		"events=%" PRIu64 " dns=%" PRIu64 " firewall=%" PRIu64 " proxy=%" PRIu64 "\n"
		"answered_ips=%zu firewall_dest_ips=%zu firewall_without_dns=%" PRIu64 "\n"
		"conversations(client,name,ip)=%zu clients=%u names=%u pairs=%" PRIu64 "\n",
		g->n, cnt[0], cnt[1], cnt[2], answered.n, dips.n, nodns, conv.n, g->clients,
		g->names, g->pairs);
	free(conv.k);
	free(dips.k);
	free(answered.k);
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fputs("usage: gen_stream [options] > stream\n"
	      "  --events N         events (default 1000000)\n"
	      "  --days D           spread over D days (default 7)\n"
	      "  --end EPOCH        newest event time bound (default 1700000000)\n"
	      "  --order desc|asc|shuffled   (default desc, newest first as Splunk)\n"
	      "  --seed S           (default 1)\n"
	      "  --chunk-rows N     rows per execute chunk (default 50000)\n"
	      "  --ips N            distinct destination addresses (default 100000)\n"
	      "  --clients N        client hosts (default 500)\n"
	      "  --conversations N  target (client,name,ip) count (default 100000)\n"
	      "  --mix D,F,P        percent DNS,firewall,proxy (default 30,60,10)\n"
	      "  --args 'a=b c=d'   searchinfo.args, split on spaces\n"
	      "  --command NAME     searchinfo.command (default dnsjoin)\n"
	      "  --earliest T --latest T   searchinfo times (default the data range)\n"
	      "  --csv              plain CSV (header + rows) instead of the chunk stream\n"
	      "  --stats            print what was generated (counts, distinct IPs,\n"
	      "                     conversations) on stderr instead of writing events\n",
	      f);
}

static uint64_t num(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "gen_stream: bad number for %s: %s\n", opt, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t events = DEFAULT_EVENTS, rows = DEFAULT_ROWS, seed = 1, ips = 100000;
	uint64_t conversations = 100000, days = 7, clients = 500;
	int64_t end = DEFAULT_END;
	int order = ORDER_DESC, csv = 0, want_stats = 0;
	unsigned mix[3] = {30, 60, 10};
	const char *args = "", *command = "dnsjoin", *earliest = NULL, *latest = NULL;

	init_tables();
	for (int a = 1; a < argc; a++) {
		const char *o = argv[a];
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(o, "--csv")) {
			csv = 1;
			continue;
		}
		if (!strcmp(o, "--stats")) {
			want_stats = 1;
			continue;
		}
		if (a + 1 >= argc) {
			usage(stderr);
			return 2;
		}
		const char *v = argv[++a];
		if (!strcmp(o, "--events"))
			events = num(o, v);
		else if (!strcmp(o, "--days"))
			days = num(o, v);
		else if (!strcmp(o, "--end"))
			end = (int64_t)num(o, v);
		else if (!strcmp(o, "--seed"))
			seed = num(o, v);
		else if (!strcmp(o, "--chunk-rows"))
			rows = num(o, v);
		else if (!strcmp(o, "--ips"))
			ips = num(o, v);
		else if (!strcmp(o, "--clients"))
			clients = num(o, v);
		else if (!strcmp(o, "--conversations"))
			conversations = num(o, v);
		else if (!strcmp(o, "--args"))
			args = v;
		else if (!strcmp(o, "--command"))
			command = v;
		else if (!strcmp(o, "--earliest"))
			earliest = v;
		else if (!strcmp(o, "--latest"))
			latest = v;
		else if (!strcmp(o, "--mix")) {
			if (sscanf(v, "%u,%u,%u", &mix[0], &mix[1], &mix[2]) != 3 ||
			    mix[0] + mix[1] + mix[2] != 100)
				die("--mix wants three percentages adding up to 100");
		} else if (!strcmp(o, "--order")) {
			if (!strcmp(v, "desc"))
				order = ORDER_DESC;
			else if (!strcmp(v, "asc"))
				order = ORDER_ASC;
			else if (!strcmp(v, "shuffled"))
				order = ORDER_SHUF;
			else
				die("--order is desc, asc or shuffled");
		} else {
			fprintf(stderr, "gen_stream: unknown option %s\n", o);
			usage(stderr);
			return 2;
		}
	}
	if (rows == 0)
		die("--chunk-rows must be at least 1");
	if (days == 0 || days > 3650)
		die("--days must be 1..3650");
	if (ips < 100 || ips > MAX_IPS - N_NOISE)
		die("--ips must be 100..16776192");
	if (clients < 2 || clients > 30000)
		die("--clients must be 2..30000");
	if (conversations < 2000 || conversations > 20000000)
		die("--conversations must be 2000..20000000");
	if (events > 10000000000ULL)
		die("--events must be at most 10000000000");
	if (order == ORDER_SHUF && events > 200000000)
		die("--order shuffled holds a permutation; use at most 200000000 events");

	struct gen g = {0};
	g.seed = mix64(seed ^ 0x5eedULL);
	g.n = events ? events : 1;
	g.end = end;
	g.span = (int64_t)days * 86400;
	g.start = end - g.span;
	g.ips = (uint32_t)ips;
	g.i6 = g.ips / 16;
	g.cdn = g.ips / 25;
	g.gen = g.ips - g.i6 - g.cdn;
	g.clients = (uint32_t)clients;
	/* measured: a saturated stream has ~PAIR_CONV (client,name,ip) per pair */
	g.pairs = (conversations - N_NOISE) * 100 / PAIR_CONV;
	g.hot = g.pairs / 100 ? g.pairs / 100 : 1;
	g.names = N_POPULAR + (uint32_t)g.pairs;
	g.v6_names = g.names / 16 + 1;
	g.gen_names = (g.names / 16 + 1) * 14;
	g.dns_pm = mix[0] * 10;
	g.fw_pm = (mix[0] + mix[1]) * 10;
	if (g.names >= 0xffffff)
		die("too many names for --conversations");

	if (want_stats) {
		if (!events)
			return 0;
		stats(&g);
		return 0;
	}

	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

	uint32_t *perm = NULL;
	if (order == ORDER_SHUF && events) {
		perm = malloc(events * sizeof *perm);
		if (!perm)
			die("out of memory (permutation)");
		for (uint64_t i = 0; i < events; i++)
			perm[i] = (uint32_t)i;
		struct rng r = {g.seed ^ 0x5aULL};
		for (uint64_t i = events - 1; i > 0; i--) {
			uint64_t j = rnd(&r) % (i + 1);
			uint32_t t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
	}
#define INDEX_AT(pos) (order == ORDER_ASC ? (pos) : order == ORDER_DESC ? events - 1 - (pos) \
								    : (uint64_t)perm[pos])

	struct ctx *cx = calloc(1, sizeof *cx);
	struct ev *e = malloc(sizeof *e);
	if (!cx || !e)
		die("out of memory");
	cx->g = g;
	cx->tc.sec = INT64_MIN;
	cx->tstr_sec = INT64_MIN;
	struct sb body = {0};

	if (csv) {
		uint32_t mask = 0;
		for (uint64_t i = 0; i < events && mask != (TYPE_MASK[0] | TYPE_MASK[1] | TYPE_MASK[2]);
		     i++)
			mask |= TYPE_MASK[type_at(&g, i)];
		if (!events)
			mask = COMMON_MASK;
		write_header(&body, mask);
		for (uint64_t pos = 0; pos < events; pos++) {
			make_event(cx, INDEX_AT(pos), pos, e);
			write_row(&body, e, mask);
			if (body.n > (1u << 20)) {
				out_write(body.p, body.n);
				body.n = 0;
			}
		}
		out_write(body.p, body.n);
	} else {
		char el[32], la[32];
		snprintf(el, sizeof el, "%" PRId64, g.start);
		snprintf(la, sizeof la, "%" PRId64, g.end);
		char *meta = getinfo_meta(args, command, earliest ? earliest : el,
					  latest ? latest : la, rows > 50000 ? rows : 50000, g.end);
		struct sb empty = {0};
		write_frame(meta, &empty);
		free(meta);
		uint64_t pos = 0;
		do {
			uint64_t n = events - pos < rows ? events - pos : rows;
			uint32_t mask = 0;
			for (uint64_t k = 0; k < n; k++)
				mask |= TYPE_MASK[type_at(&g, INDEX_AT(pos + k))];
			body.n = 0;
			if (n) {
				write_header(&body, mask);
				for (uint64_t k = 0; k < n; k++) {
					make_event(cx, INDEX_AT(pos + k), pos + k, e);
					write_row(&body, e, mask);
				}
			}
			pos += n;
			write_frame(pos >= events ? "{\"action\":\"execute\",\"finished\":true}"
						  : "{\"action\":\"execute\",\"finished\":false}",
				    &body);
		} while (pos < events);
	}
	if (fflush(stdout) != 0) {
		perror("gen_stream: write");
		return 2;
	}
	free(body.p);
	free(perm);
	free(e);
	free(cx);
	return 0;
}
