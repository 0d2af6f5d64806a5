/*
 * A tiny streaming JSON writer: objects, arrays, strings (escaped, invalid
 * UTF-8 replaced by U+FFFD), integers, booleans, null. Commas and
 * indentation are handled by the writer; the caller only nests calls
 * correctly. Errors (write failures, nesting too deep) are sticky and
 * reported by json_finish.
 */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *fp; /* not owned */
	int depth;
	int err;
	int after_key; /* a key was written; the value follows */
	int compact; /* one line, no indentation (JSON Lines) */
	unsigned char count[JSON_MAX_DEPTH]; /* values so far, saturating */
};

void json_init(struct json_writer *w, FILE *fp);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* Inside an object: the key of the next value. */
void json_key(struct json_writer *w, const char *key);
/* s == NULL writes null. */
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, long long v);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, int v);
/* A number with three decimals (milliseconds to the microsecond). */
void json_fixed3(struct json_writer *w, double v);
void json_null(struct json_writer *w);

/* key + value shorthands */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, long long v);
void json_kv_bool(struct json_writer *w, const char *key, int v);

/* Ends the document with a newline. Returns 0, or -1 if anything failed
 * (unbalanced nesting included). Does not close fp. */
int json_finish(struct json_writer *w);

/* Writes s as a JSON string literal (quotes included) to fp. */
void json_write_escaped(FILE *fp, const char *s);

#endif
