/*
 * libFuzzer round trip of the JSON writer (cli/common/json.c): arbitrary
 * strings (the input after its control byte, split at NUL bytes) are written
 * with the writer to a memory FILE (open_memstream); the output is parsed by a
 * small strict JSON parser below, and every string must come back
 * identical after unescaping, except that invalid UTF-8 is replaced by
 * U+FFFD (one per byte that does not start a well-formed sequence), as
 * json.h documents.
 *
 * Control byte: bit 0 object (pieces are key, value, key, value...) or
 * array; bit 1 wraps each value in a one-element array; bit 2 adds an
 * integer, an unsigned, a boolean and a null after each string (in the
 * wrapping array, which objects then always have); bit 3
 * nests the whole document deeper than JSON_MAX_DEPTH, which json_finish
 * must report (the output is then not checked).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "fuzz.h"

/* ---- the values written, in document order ---------------------------- */

enum tok_type {
	T_STR,
	T_INT,
	T_UINT,
	T_TRUE,
	T_FALSE,
	T_NULL
};

struct tok {
	enum tok_type type;
	char *s; /* T_STR: expected bytes, NUL-terminated */
	size_t len;
	long long i;
	uint64_t u;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static struct tok *tok_add(struct toks *t, enum tok_type type)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		CHECK(t->v != NULL);
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].type = type;
	return &t->v[t->n++];
}

static void toks_free(struct toks *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7), or
 * 0. Written from the table, independently of json.c. */
static size_t wellformed(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* What the writer promises to preserve: s with each byte that starts no
 * well-formed sequence replaced by U+FFFD. */
static void expect_string(struct toks *t, const unsigned char *s, size_t n)
{
	struct tok *k = tok_add(t, T_STR);
	size_t i = 0, o = 0, l;

	k->s = malloc(3 * n + 1);
	CHECK(k->s != NULL);
	while (i < n) {
		l = wellformed(s + i, n - i);
		if (l == 0) {
			memcpy(k->s + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(k->s + o, s + i, l);
			o += l;
			i += l;
		}
	}
	k->s[o] = '\0';
	k->len = o;
}

/* ---- a strict parser for the output ------------------------------------ */

struct parser {
	const char *p, *end;
	struct toks got;
	int depth;
};

static const char *doc_start;

static void bad(struct parser *ps, const char *why)
{
	fprintf(stderr, "bad JSON at offset %td: %s\n", ps->p - doc_start, why);
	abort();
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' ||
				   *ps->p == '\t' || *ps->p == '\r'))
		ps->p++;
}

static int peek(struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static void expect_ch(struct parser *ps, int ch)
{
	if (peek(ps) != ch)
		bad(ps, "unexpected character");
	ps->p++;
}

static unsigned hex4(struct parser *ps)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = peek(ps);

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			bad(ps, "bad \\u escape");
		ps->p++;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static void parse_string(struct parser *ps)
{
	struct tok *k = tok_add(&ps->got, T_STR);
	size_t o = 0, l;
	unsigned cp, lo;

	expect_ch(ps, '"');
	/* Unescaped text never grows. */
	k->s = malloc((size_t)(ps->end - ps->p) + 1);
	CHECK(k->s != NULL);
	for (;;) {
		int c = peek(ps);

		if (c == -1)
			bad(ps, "unterminated string");
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20)
			bad(ps, "raw control character in string");
		if (c != '\\') {
			l = wellformed((const unsigned char *)ps->p,
				       (size_t)(ps->end - ps->p));
			if (l == 0)
				bad(ps, "invalid UTF-8 in output");
			memcpy(k->s + o, ps->p, l);
			o += l;
			ps->p += l;
			continue;
		}
		ps->p++;
		c = peek(ps);
		ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			k->s[o++] = (char)c;
			break;
		case 'b':
			k->s[o++] = '\b';
			break;
		case 'f':
			k->s[o++] = '\f';
			break;
		case 'n':
			k->s[o++] = '\n';
			break;
		case 'r':
			k->s[o++] = '\r';
			break;
		case 't':
			k->s[o++] = '\t';
			break;
		case 'u':
			cp = hex4(ps);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				bad(ps, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				expect_ch(ps, '\\');
				expect_ch(ps, 'u');
				lo = hex4(ps);
				if (lo < 0xdc00 || lo > 0xdfff)
					bad(ps, "high surrogate without low");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			if (cp == 0)
				bad(ps, "\\u0000 cannot come from a C string");
			o += put_utf8(k->s + o, cp);
			break;
		default:
			bad(ps, "bad escape");
		}
	}
	k->s[o] = '\0';
	k->len = o;
}

static void parse_number(struct parser *ps)
{
	const char *s = ps->p;
	int neg = 0;
	uint64_t v = 0;
	struct tok *k;

	if (peek(ps) == '-') {
		neg = 1;
		ps->p++;
	}
	if (peek(ps) < '0' || peek(ps) > '9')
		bad(ps, "bad number");
	if (peek(ps) == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' &&
	    ps->p[1] <= '9')
		bad(ps, "leading zero");
	while (peek(ps) >= '0' && peek(ps) <= '9') {
		unsigned d = (unsigned)(*ps->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			bad(ps, "number out of range");
		v = v * 10 + d;
		ps->p++;
	}
	if (peek(ps) == '.' || peek(ps) == 'e' || peek(ps) == 'E')
		bad(ps, "the writer writes integers only");
	k = tok_add(&ps->got, neg ? T_INT : T_UINT);
	k->u = v;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			bad(ps, "number out of range");
		k->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		if (k->i == 0)
			bad(ps, "-0");
	}
	(void)s;
}

static void parse_word(struct parser *ps, const char *w, enum tok_type t)
{
	size_t n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		bad(ps, "unexpected word");
	ps->p += n;
	tok_add(&ps->got, t);
}

static void parse_value(struct parser *ps);

static void parse_container(struct parser *ps, int close, int object)
{
	if (++ps->depth > JSON_MAX_DEPTH)
		bad(ps, "nesting too deep");
	ps->p++;
	skip_ws(ps);
	if (peek(ps) == close) {
		ps->p++;
		ps->depth--;
		return;
	}
	for (;;) {
		skip_ws(ps);
		if (object) {
			parse_string(ps);
			skip_ws(ps);
			expect_ch(ps, ':');
			skip_ws(ps);
		}
		parse_value(ps);
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		expect_ch(ps, close);
		break;
	}
	ps->depth--;
}

static void parse_value(struct parser *ps)
{
	switch (peek(ps)) {
	case '[':
		parse_container(ps, ']', 0);
		break;
	case '{':
		parse_container(ps, '}', 1);
		break;
	case '"':
		parse_string(ps);
		break;
	case 't':
		parse_word(ps, "true", T_TRUE);
		break;
	case 'f':
		parse_word(ps, "false", T_FALSE);
		break;
	case 'n':
		parse_word(ps, "null", T_NULL);
		break;
	default:
		parse_number(ps);
		break;
	}
}

/* ---- the round trip ----------------------------------------------------- */

static void write_value(struct json_writer *w, struct toks *want, int ctl,
			const unsigned char *s, size_t n, size_t idx)
{
	if (ctl & 2)
		json_array_begin(w);
	json_string(w, (const char *)s);
	expect_string(want, s, n);
	if (ctl & 4) {
		long long i = (idx & 1 ? -1 : 1) * (long long)(n * 1000003u);
		uint64_t u = (uint64_t)n << (idx % 48);

		json_int(w, i);
		tok_add(want, i < 0 ? T_INT : T_UINT)->i = i;
		want->v[want->n - 1].u = (uint64_t)i;
		json_uint(w, u);
		tok_add(want, T_UINT)->u = u;
		json_bool(w, (int)(idx & 1));
		tok_add(want, idx & 1 ? T_TRUE : T_FALSE);
		json_null(w);
		tok_add(want, T_NULL);
	}
	if (ctl & 2)
		json_array_end(w);
}

static void compare(const struct toks *want, const struct toks *got)
{
	CHECK(want->n == got->n);
	for (size_t i = 0; i < want->n; i++) {
		const struct tok *a = &want->v[i], *b = &got->v[i];

		CHECK(a->type == b->type);
		if (a->type == T_STR) {
			if (a->len != b->len || memcmp(a->s, b->s, a->len)) {
				fprintf(stderr, "string %zu differs\n", i);
				abort();
			}
		} else if (a->type == T_INT) {
			CHECK(a->i == b->i);
		} else if (a->type == T_UINT) {
			CHECK(a->u == b->u);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_writer w;
	struct toks want = { 0 };
	struct parser ps;
	char *out = NULL, *buf, *p, *end;
	size_t outlen = 0, i, n, idx;
	int ctl, object, deep, r;
	FILE *fp;

	if (size < 1)
		return 0;
	ctl = data[0];
	object = ctl & 1;
	if (object && (ctl & 4))
		ctl |= 2; /* one value per key */
	deep = (ctl & 8) != 0;
	buf = malloc(size);
	CHECK(buf != NULL);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	end = buf + size - 1;
	fp = open_memstream(&out, &outlen);
	CHECK(fp != NULL);
	json_init(&w, fp);
	if (deep)
		for (i = 0; i <= JSON_MAX_DEPTH; i++)
			json_array_begin(&w);
	if (object)
		json_object_begin(&w);
	else
		json_array_begin(&w);
	/* The pieces between NUL bytes (one empty piece for no bytes). */
	for (p = buf, idx = 0;; idx++) {
		n = strlen(p);
		if (object && (idx & 1) == 0) {
			/* A key; a last one without a value is left out. */
			if (p + n >= end)
				break;
			json_key(&w, p);
			expect_string(&want, (const unsigned char *)p, n);
		} else {
			write_value(&w, &want, ctl, (const unsigned char *)p, n,
				    idx);
		}
		if (p + n >= end)
			break;
		p += n + 1;
	}
	if (object)
		json_object_end(&w);
	else
		json_array_end(&w);
	if (deep)
		for (i = 0; i <= JSON_MAX_DEPTH; i++)
			json_array_end(&w);
	r = json_finish(&w);
	CHECK(fclose(fp) == 0);
	if (deep) {
		CHECK(r == -1); /* too deep: reported, not silently wrong */
	} else {
		CHECK(r == 0);
		CHECK(outlen > 0 && out[outlen - 1] == '\n');
		memset(&ps, 0, sizeof(ps));
		ps.p = doc_start = out;
		ps.end = out + outlen;
		skip_ws(&ps);
		parse_value(&ps);
		skip_ws(&ps);
		if (ps.p != ps.end)
			bad(&ps, "trailing text");
		compare(&want, &ps.got);
		toks_free(&ps.got);
	}
	toks_free(&want);
	free(out);
	free(buf);
	return 0;
}
