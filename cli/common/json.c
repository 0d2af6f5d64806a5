/* Tiny JSON writer; see common.h. */
#include <inttypes.h>
#include <string.h>

#include "common.h"

void json_init(struct json_writer *w, FILE *fp)
{
	memset(w, 0, sizeof(*w));
	w->fp = fp;
}

static void indent(struct json_writer *w)
{
	int i;

	if (w->compact)
		return;
	fputc('\n', w->fp);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->fp);
}

/* Separator and indentation before any value or key. */
static void before_value(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (w->count[w->depth - 1] > 0)
		fputc(',', w->fp);
	if (w->count[w->depth - 1] < 255)
		w->count[w->depth - 1]++;
	indent(w);
}

static void open_nest(struct json_writer *w, int ch)
{
	before_value(w);
	fputc(ch, w->fp);
	if (w->depth >= JSON_MAX_DEPTH) {
		w->err = 1;
		return;
	}
	w->count[w->depth++] = 0;
}

static void close_nest(struct json_writer *w, int ch)
{
	if (w->depth == 0 || w->after_key) {
		w->err = 1;
		return;
	}
	w->depth--;
	if (w->count[w->depth] > 0)
		indent(w);
	fputc(ch, w->fp);
}

void json_object_begin(struct json_writer *w)
{
	open_nest(w, '{');
}

void json_object_end(struct json_writer *w)
{
	close_nest(w, '}');
}

void json_array_begin(struct json_writer *w)
{
	open_nest(w, '[');
}

void json_array_end(struct json_writer *w)
{
	close_nest(w, ']');
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->after_key)
		w->err = 1;
	before_value(w);
	json_write_escaped(w->fp, key);
	fputs(": ", w->fp);
	w->after_key = 1;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static int utf8_seq_len(const unsigned char *s)
{
	int n, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static void write_control(FILE *fp, unsigned char c)
{
	switch (c) {
	case '\b':
		fputs("\\b", fp);
		break;
	case '\f':
		fputs("\\f", fp);
		break;
	case '\n':
		fputs("\\n", fp);
		break;
	case '\r':
		fputs("\\r", fp);
		break;
	case '\t':
		fputs("\\t", fp);
		break;
	default:
		fprintf(fp, "\\u%04x", c);
		break;
	}
}

void json_write_escaped(FILE *fp, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', fp);
	while (*s != '\0') {
		if (*s == '"' || *s == '\\') {
			fputc('\\', fp);
			fputc(*s++, fp);
		} else if (*s < 0x20 || *s == 0x7f) {
			write_control(fp, *s++);
		} else if ((n = utf8_seq_len(s)) == 0) {
			fputs("\\ufffd", fp);
			s++;
		} else {
			fwrite(s, 1, (size_t)n, fp);
			s += n;
		}
	}
	fputc('"', fp);
}

void json_string(struct json_writer *w, const char *s)
{
	before_value(w);
	if (s == NULL)
		fputs("null", w->fp);
	else
		json_write_escaped(w->fp, s);
}

void json_int(struct json_writer *w, long long v)
{
	before_value(w);
	fprintf(w->fp, "%lld", v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	before_value(w);
	fprintf(w->fp, "%" PRIu64, v);
}

void json_fixed3(struct json_writer *w, double v)
{
	before_value(w);
	fprintf(w->fp, "%.3f", v);
}

void json_bool(struct json_writer *w, int v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->fp);
}

void json_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->fp);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, long long v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, int v)
{
	json_key(w, key);
	json_bool(w, v);
}

int json_finish(struct json_writer *w)
{
	if (w->depth != 0 || w->after_key)
		w->err = 1;
	fputc('\n', w->fp);
	if (fflush(w->fp) == EOF || ferror(w->fp))
		w->err = 1;
	return w->err ? -1 : 0;
}
