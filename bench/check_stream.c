/*
 * check_stream: validates an SCP v2 chunk stream (or with --csv a plain CSV
 * table) and prints its shape as key=value lines.
 *
 * Default (splunkd side, strict): first frame is a getinfo with an empty body;
 * then execute frames whose metadata is exactly {"action":"execute",
 * "finished":false|true}, only the last finished; every CSV body is quoted as
 * splunkd does (quoted iff a byte outside [A-Za-z0-9]), LF line ends, the
 * same cell count on every row, plain columns then the same names as __mv_,
 * and every non-empty __mv_ cell decodes ($a$;$b$, $$ = $) to the plain cell
 * split on LF.
 *
 * --lenient (a command's replies): any JSON-looking metadata, minimal or
 * full quoting, LF or CRLF, any column layout; still checks framing, CSV
 * syntax and cell counts, and counts rows.
 *
 * --any-layout: strict quoting and __mv_ decoding, but the columns need not
 * be all plain then all __mv_ (hand-made CSV such as gen_story's).
 *
 * --order desc|asc additionally checks _time is monotonic across the stream.
 *
 * Exit 0 when valid, 1 with a message naming the frame and row otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER  64
#define MAX_META    (16u << 20)
#define MAX_BODY    ((size_t)4 << 30)

static int lenient, csv_only, order, any_layout; /* order: 0 none, 1 desc, 2 asc */
static uint64_t frame_no, row_no;

static void fail(const char *fmt, const char *detail)
{
	fprintf(stderr, "check_stream: frame %" PRIu64 " row %" PRIu64 ": ", frame_no, row_no);
	fprintf(stderr, fmt, detail ? detail : "");
	fputc('\n', stderr);
	exit(1);
}

static unsigned char is_alnum[256];

static size_t read_full(FILE *f, char *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		size_t r = fread(p + got, 1, n - got, f);
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/* --------------------------------------------------------------- CSV */

struct cell {
	size_t off, len;    /* decoded content in the row scratch */
	int quoted;
};

struct table {
	size_t ncol;
	char **names;
	size_t *mv_of;      /* for a plain column, index of its __mv_ column or SIZE_MAX */
	int time_col;
};

static char *scratch;
static size_t scratch_cap;
static struct cell *cells;
static size_t cells_cap;

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fail("out of memory%s", NULL);
	return q;
}

/* Parse one record at *pp; returns cell count, cells decoded into scratch. */
static size_t parse_record(const char **pp, const char *end)
{
	const char *p = *pp;
	size_t n = 0, so = 0;
	size_t need = (size_t)(end - p) + 1;
	if (need > scratch_cap) {
		/* one record can't decode larger than what is left of the body */
		scratch_cap = need;
		scratch = xrealloc(scratch, scratch_cap);
	}
	for (;;) {
		if (n == cells_cap) {
			cells_cap = cells_cap ? cells_cap * 2 : 64;
			cells = xrealloc(cells, cells_cap * sizeof *cells);
		}
		struct cell *c = &cells[n++];
		c->off = so;
		c->quoted = 0;
		if (p < end && *p == '"') {
			c->quoted = 1;
			p++;
			for (;;) {
				if (p >= end)
					fail("unterminated quoted value%s", NULL);
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						scratch[so++] = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				scratch[so++] = *p++;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n') {
				if (*p == '"')
					fail("quote inside an unquoted value%s", NULL);
				if (*p == '\r' && (lenient && p + 1 < end && p[1] == '\n'))
					break;
				scratch[so++] = *p++;
			}
		}
		c->len = so - c->off;
		if (p < end && *p == '\r' && lenient)
			p++;
		if (p >= end) {
			if (!lenient)
				fail("body does not end with LF%s", NULL);
			break;
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n') {
			p++;
			break;
		}
		fail("garbage after a quoted value%s", NULL);
	}
	*pp = p;
	return n;
}

static void check_quoting(size_t n, char **names)
{
	if (lenient)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = &cells[i];
		int plain = 1;
		for (size_t k = 0; k < c->len; k++)
			if (!is_alnum[(unsigned char)scratch[c->off + k]]) {
				plain = 0;
				break;
			}
		const char *col = names ? names[i] : "(header)";
		if (c->len == 0 && c->quoted)
			fail("empty value written as \"\": column %s", col);
		if (c->len && plain == c->quoted)
			fail(plain ? "value quoted although [A-Za-z0-9] only: column %s"
				   : "value with punctuation left unquoted: column %s",
			     col);
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncol; i++)
		free(t->names[i]);
	free(t->names);
	free(t->mv_of);
	memset(t, 0, sizeof *t);
}

static void read_header(struct table *t, const char **pp, const char *end)
{
	table_free(t);
	size_t n = parse_record(pp, end);
	check_quoting(n, NULL);
	t->ncol = n;
	t->names = xrealloc(NULL, n * sizeof *t->names);
	t->mv_of = xrealloc(NULL, n * sizeof *t->mv_of);
	t->time_col = -1;
	for (size_t i = 0; i < n; i++) {
		t->names[i] = xrealloc(NULL, cells[i].len + 1);
		memcpy(t->names[i], scratch + cells[i].off, cells[i].len);
		t->names[i][cells[i].len] = 0;
		t->mv_of[i] = SIZE_MAX;
		if (!strcmp(t->names[i], "_time"))
			t->time_col = (int)i;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(t->names[i], t->names[j]))
				fail("duplicate column %s", t->names[i]);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(t->names[i], "__mv_", 5))
			continue;
		for (size_t j = 0; j < n; j++)
			if (!strcmp(t->names[j], t->names[i] + 5))
				t->mv_of[j] = i;
	}
	if (lenient || any_layout)
		return;
	/* splunkd layout: k plain names, then __mv_ of the same k names in order */
	if (n % 2)
		fail("odd column count: not plain + __mv_ pairs%s", NULL);
	size_t k = n / 2;
	for (size_t i = 0; i < k; i++)
		if (strncmp(t->names[k + i], "__mv_", 5) ||
		    strcmp(t->names[k + i] + 5, t->names[i]))
			fail("column layout is not all plain then all __mv_: %s", t->names[k + i]);
}

/* __mv_ cell must decode to the plain cell's LF-separated values */
static void check_mv(const struct cell *plain, const struct cell *mv, const char *col)
{
	const char *m = scratch + mv->off, *me = m + mv->len;
	const char *v = scratch + plain->off, *ve = v + plain->len;
	int items = 0;
	while (m < me) {
		if (*m++ != '$')
			fail("__mv_ cell item does not start with $: %s", col);
		if (items++) {
			if (v >= ve || *v++ != '\n')
				fail("plain cell has fewer values than __mv_: %s", col);
		}
		for (;;) {
			if (m >= me)
				fail("unterminated __mv_ item: %s", col);
			if (*m == '$') {
				if (m + 1 < me && m[1] == '$') {
					if (v >= ve || *v++ != '$')
						fail("__mv_ value differs from plain: %s", col);
					m += 2;
					continue;
				}
				m++;
				break;
			}
			if (v >= ve || *v++ != *m++)
				fail("__mv_ value differs from plain: %s", col);
		}
		if (m < me && *m++ != ';')
			fail("__mv_ items not separated by ;: %s", col);
	}
	if (v != ve)
		fail("plain cell has more than the __mv_ values: %s", col);
}

struct totals {
	uint64_t rows, chunks, frames, bytes, max_frame, max_body, max_rows, mv_cells;
	double last_time;
	int have_time;
	size_t max_cols;
};

static void check_body(const char *p, size_t n, struct totals *tt)
{
	const char *end = p + n;
	struct table t = {0};
	uint64_t rows = 0;
	if (n == 0)
		return;
	row_no = 0;
	read_header(&t, &p, end);
	if (t.ncol > tt->max_cols)
		tt->max_cols = t.ncol;
	while (p < end) {
		row_no = rows + 1;
		size_t nc = parse_record(&p, end);
		if (nc != t.ncol) {
			char msg[64];
			snprintf(msg, sizeof msg, "%zu cells, header has %zu", nc, t.ncol);
			fail("%s", msg);
		}
		check_quoting(nc, t.names);
		if (!lenient)
			for (size_t i = 0; i < nc; i++)
				if (t.mv_of[i] != SIZE_MAX && cells[t.mv_of[i]].len) {
					check_mv(&cells[i], &cells[t.mv_of[i]], t.names[i]);
					tt->mv_cells++;
				}
		if (order && t.time_col >= 0) {
			const struct cell *c = &cells[t.time_col];
			char buf[64];
			size_t l = c->len < 63 ? c->len : 63;
			memcpy(buf, scratch + c->off, l);
			buf[l] = 0;
			double tm = strtod(buf, NULL);
			if (tt->have_time && (order == 1 ? tm > tt->last_time : tm < tt->last_time))
				fail("_time out of order: %s", buf);
			tt->last_time = tm;
			tt->have_time = 1;
		}
		rows++;
	}
	tt->rows += rows;
	if (rows > tt->max_rows)
		tt->max_rows = rows;
	table_free(&t);
}

/* ------------------------------------------------------------- frames */

static int read_frame_header(FILE *f, size_t *ml, size_t *bl)
{
	char h[MAX_HEADER];
	size_t n = 0;
	int c;
	while ((c = fgetc(f)) != EOF) {
		if (n + 1 >= sizeof h)
			fail("frame header too long%s", NULL);
		h[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return 0;   /* clean EOF at a frame boundary */
	h[n] = 0;
	unsigned long long a, b;
	char nl;
	int used = 0;
	if (sscanf(h, "chunked 1.0,%llu,%llu%c%n", &a, &b, &nl, &used) != 3 || nl != '\n' ||
	    (size_t)used != n || strncmp(h, "chunked 1.0,", 12) || h[12] < '0' || h[12] > '9')
		fail("bad frame header: %s", h);
	if (a > MAX_META || b > MAX_BODY)
		fail("frame lengths over the checker's limits: %s", h);
	*ml = (size_t)a;
	*bl = (size_t)b;
	return 1;
}

static int run_stream(FILE *f, struct totals *tt)
{
	char *meta = NULL, *body = NULL;
	size_t body_cap = 0;
	int finished = 0;
	size_t ml, bl;
	while (read_frame_header(f, &ml, &bl)) {
		frame_no = tt->frames++;
		row_no = 0;
		if (finished && !lenient)
			fail("frame after finished:true%s", NULL);
		meta = xrealloc(meta, ml + 1);
		if (read_full(f, meta, ml) != ml)
			fail("EOF inside metadata%s", NULL);
		meta[ml] = 0;
		if (bl > body_cap) {
			body_cap = bl;
			body = xrealloc(body, body_cap);
		}
		if (read_full(f, body, bl) != bl)
			fail("EOF inside body%s", NULL);
		size_t total = ml + bl;
		tt->bytes += total;
		if (total > tt->max_frame)
			tt->max_frame = total;
		if (bl > tt->max_body)
			tt->max_body = bl;
		if (ml == 0 || meta[0] != '{' || meta[ml - 1] != '}')
			fail("metadata is not a JSON object: %s", meta);
		if (lenient) {
			if (strstr(meta, "\"finished\":true") || strstr(meta, "\"finished\": true"))
				finished = 1;
			if (tt->frames > 1)
				tt->chunks++;
			check_body(body, bl, tt);
			continue;
		}
		if (tt->frames == 1) {
			if (strncmp(meta, "{\"action\":\"getinfo\",", 20) || !strstr(meta, "\"searchinfo\":{"))
				fail("first frame is not a getinfo: %s", meta);
			if (bl)
				fail("getinfo carries a body%s", NULL);
			continue;
		}
		if (!strcmp(meta, "{\"action\":\"execute\",\"finished\":true}"))
			finished = 1;
		else if (strcmp(meta, "{\"action\":\"execute\",\"finished\":false}"))
			fail("unexpected execute metadata: %s", meta);
		tt->chunks++;
		check_body(body, bl, tt);
	}
	if (!lenient && !finished)
		fail("stream ends without finished:true%s", NULL);
	free(meta);
	free(body);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	for (int c = '0'; c <= '9'; c++)
		is_alnum[c] = 1;
	for (int c = 'A'; c <= 'Z'; c++)
		is_alnum[c] = 1;
	for (int c = 'a'; c <= 'z'; c++)
		is_alnum[c] = 1;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--csv"))
			csv_only = 1;
		else if (!strcmp(argv[a], "--lenient"))
			lenient = 1;
		else if (!strcmp(argv[a], "--any-layout"))
			any_layout = 1;
		else if (!strcmp(argv[a], "--order") && a + 1 < argc) {
			a++;
			order = !strcmp(argv[a], "desc") ? 1 : !strcmp(argv[a], "asc") ? 2 : -1;
			if (order < 0) {
				fputs("check_stream: --order is desc or asc\n", stderr);
				return 2;
			}
		} else if (argv[a][0] == '-' && argv[a][1]) {
			fputs("usage: check_stream [--csv] [--lenient] [--any-layout] [--order desc|asc] [FILE]\n",
			      stderr);
			return 2;
		} else
			path = argv[a];
	}
	FILE *f = stdin;
	if (path && strcmp(path, "-") && !(f = fopen(path, "rb"))) {
		fprintf(stderr, "check_stream: %s: %s\n", path, strerror(errno));
		return 2;
	}
	struct totals tt = {0};
	if (csv_only) {
		/* a CSV file is one body; read it whole (it is a test input, not a stream) */
		size_t cap = 1 << 20, n = 0;
		char *b = xrealloc(NULL, cap);
		size_t r;
		while ((r = fread(b + n, 1, cap - n, f)) > 0) {
			n += r;
			if (n == cap)
				b = xrealloc(b, cap *= 2);
		}
		tt.bytes = n;
		tt.max_body = n;
		check_body(b, n, &tt);
		free(b);
	} else {
		run_stream(f, &tt);
	}
	printf("frames=%" PRIu64 "\nexecute_chunks=%" PRIu64 "\nrows=%" PRIu64
	       "\nbytes=%" PRIu64 "\nmax_frame_bytes=%" PRIu64 "\nmax_body_bytes=%" PRIu64
	       "\nmax_chunk_rows=%" PRIu64 "\nmax_columns=%zu\nmv_cells=%" PRIu64 "\n",
	       tt.frames, tt.chunks, tt.rows, tt.bytes, tt.max_frame, tt.max_body, tt.max_rows,
	       tt.max_cols, tt.mv_cells);
	free(scratch);
	free(cells);
	return 0;
}
