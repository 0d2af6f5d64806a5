/*
 * probe reneg --targets FILE --jobs N: one probe per target line, N at a
 * time on worker threads, one JSON object per target (JSON Lines) on
 * stdout or --json FILE in the order of the file, and a one-line progress
 * on stderr when it is a terminal. A target that cannot be probed gets a line
 * with its error; the others go on. Everything is read and checked before the
 * first probe, so a typo on line 900 is not found after an hour.
 *
 * Probes share nothing mutable: each has its own copy of the options and
 * its own result, and probe_run prints nothing. The batch's own state is
 * under b->m.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

struct target {
	struct probe_opts o; /* the common options, the line's on top */
	char *line; /* owns the strings o.conn points to */
	char *request; /* the line's own --request, decoded */
	int lineno;
	/* set by the worker, under b->m */
	char *json; /* the JSON line, newline included */
	size_t json_len;
	int done, failed;
	unsigned hits; /* --fail-on bits that held */
};

struct batch {
	struct target *t;
	size_t n;
	pthread_mutex_t m;
	pthread_cond_t cv; /* a target is done */
	size_t next; /* the next target a worker takes */
	size_t finished, failed;
	int progress; /* stderr is a terminal */
	int64_t start_ms;
	FILE *out; /* the JSON Lines: stdout, or --json FILE */
};

/* ---- the targets file ---- */

/* One line of the file while it is read. */
struct line {
	char *pos; /* what is left to read */
	const char *path;
	int lineno;
	int bad_quote; /* a quote was not closed */
};

static int line_error(const struct line *l, const char *what, const char *arg)
{
	fprintf(stderr, "tlsprobe probe: %s:%d: %s%s%s%s\n", l->path, l->lineno,
		what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return -1;
}

/*
 * The next word of the line, unquoted in place: blanks separate words,
 * '...' and "..." keep blanks (a --request has them), and a word that
 * starts with '#' starts a comment. NULL at the end of the line.
 */
static char *next_word(struct line *l)
{
	char *r = l->pos + strspn(l->pos, " \t\r\n"), *w = r, *start = r;
	char quote = 0;

	if (*r == '\0' || *r == '#')
		return NULL;
	for (; *r != '\0'; r++) {
		if (quote != 0 && *r == quote)
			quote = 0;
		else if (quote != 0)
			*w++ = *r;
		else if (*r == '\'' || *r == '"')
			quote = *r;
		else if (strchr(" \t\r\n", *r) != NULL)
			break;
		else
			*w++ = *r;
	}
	l->bad_quote |= quote != 0;
	l->pos = *r != '\0' ? r + 1 : r;
	*w = '\0'; /* w <= r: the rest of the line is untouched */
	return start;
}

/* "--name VALUE" or "--name=VALUE": the value, or NULL when word is not
 * --name (*missing set when the value is). */
static const char *opt_value(struct line *l, const char *word, const char *name,
			     int *missing)
{
	size_t n = strlen(name);
	const char *v;

	if (strncmp(word, name, n) != 0)
		return NULL;
	if (word[n] == '=')
		return word + n + 1;
	if (word[n] != '\0')
		return NULL;
	v = next_word(l);
	*missing = v == NULL;
	return v;
}

/* The request of this target alone (HTTP here, SMTP there). */
static int line_request(struct target *t, struct line *l, const char *v)
{
	free(t->request);
	t->request = NULL;
	if (probe_decode_request(v, &t->request, &t->o.request_len) < 0)
		return line_error(l, "bad --request", v);
	t->o.request = t->request;
	return 0;
}

/*
 * The options a line may add after HOST[:PORT]: what differs from one
 * server to the next in a fleet (names, STARTTLS, the request to send).
 * Everything else is common to the batch, from the command line.
 */
static int line_option(struct target *t, struct line *l, const char *word)
{
	struct cli_options *c = &t->o.conn;
	const char *v;
	int missing = 0;

	if (strcmp(word, "--noservername") == 0) {
		c->no_servername = 1;
		c->servername = NULL;
	} else if ((v = opt_value(l, word, "--servername", &missing)) != NULL) {
		c->servername = v;
		c->no_servername = 0;
	} else if ((v = opt_value(l, word, "--starttls", &missing)) != NULL) {
		if (cli_starttls_parse(v, &c->starttls) < 0)
			return line_error(l, "bad --starttls", v);
	} else if ((v = opt_value(l, word, "--request", &missing)) != NULL) {
		return line_request(t, l, v);
	} else {
		return line_error(l,
				  missing ? "option needs a value" :
					    "unknown option (--servername, "
					    "--noservername, --starttls, "
					    "--request)",
				  word);
	}
	return 0;
}

/* The rest of a target's line, after its first word. Returns -1 after
 * printing the error. */
static int parse_target(struct target *t, struct line *l, const char *first)
{
	struct cli_options *c = &t->o.conn;
	char err[160];
	const char *word;

	if (l->bad_quote)
		return line_error(l, "unterminated quote", NULL);
	if (cli_parse_hostport(first, &c->target, err, sizeof(err)) < 0)
		return line_error(l, err, NULL);
	while ((word = next_word(l)) != NULL)
		if (line_option(t, l, word) < 0)
			return -1;
	if (l->bad_quote)
		return line_error(l, "unterminated quote", NULL);
	if (cli_options_check_conn(c, err, sizeof(err)) < 0)
		return line_error(l, err, NULL);
	return 0;
}

static struct target *new_target(struct batch *b, size_t *cap)
{
	if (b->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct target *nt = realloc(b->t, ncap * sizeof(*nt));

		if (nt == NULL)
			return NULL;
		b->t = nt;
		*cap = ncap;
	}
	memset(&b->t[b->n], 0, sizeof(b->t[b->n]));
	return &b->t[b->n++];
}

/* A line of the file: a target, or nothing (blank, comment). */
static int add_line(struct batch *b, size_t *cap, const struct probe_opts *o,
		    struct line *l, const char *text)
{
	char *copy = strdup(text), *first;
	struct target *t;

	if (copy == NULL)
		return line_error(l, "out of memory", NULL);
	l->pos = copy;
	if ((first = next_word(l)) == NULL && !l->bad_quote) {
		free(copy);
		return 0;
	}
	if ((t = new_target(b, cap)) == NULL) {
		free(copy);
		return line_error(l, "out of memory", NULL);
	}
	t->o = *o; /* the request, unless the line has its own, is shared */
	t->line = copy;
	t->lineno = l->lineno;
	return parse_target(t, l, first != NULL ? first : "");
}

static int read_targets(struct batch *b, const struct probe_opts *o,
			const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	struct line l = { .path = path };
	char *text = NULL;
	size_t len = 0, cap = 0;
	int r = 0;

	if (fp == NULL) {
		fprintf(stderr, "tlsprobe probe: --targets %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (r == 0 && getline(&text, &len, fp) != -1) {
		text[strcspn(text, "\r\n")] = '\0';
		l.lineno++;
		l.bad_quote = 0;
		r = add_line(b, &cap, o, &l, text);
	}
	if (r == 0 && ferror(fp))
		r = line_error(&l, "read error", NULL);
	free(text);
	if (fp != stdin)
		fclose(fp);
	return r;
}

static void free_targets(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->t[i].line);
		free(b->t[i].request);
		free(b->t[i].json);
	}
	free(b->t);
}

/* ---- the probes ---- */

/* The target's JSON line, and what it means for the exit status. */
static void probe_target(struct target *t)
{
	struct probe_result pr;
	char err[400];
	FILE *mem = open_memstream(&t->json, &t->json_len);
	enum cli_status st;

	st = probe_run(&t->o, &pr, err, sizeof(err));
	t->failed = st != CLI_OK;
	if (!t->failed)
		t->hits = probe_verdict_bits(&pr) & t->o.fail_on;
	if (mem != NULL) {
		if (t->failed)
			probe_report_json_error(mem, &pr, st, err, 1);
		else
			probe_report_json(mem, &pr,
					  t->hits ? CLI_EOTHER : CLI_OK, 1);
		fclose(mem);
	}
	probe_result_free(&pr);
}

static void *worker_main(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		pthread_mutex_lock(&b->m);
		size_t i = b->next < b->n ? b->next++ : b->n;
		pthread_mutex_unlock(&b->m);
		if (i == b->n)
			return NULL;
		probe_target(&b->t[i]);
		pthread_mutex_lock(&b->m);
		b->t[i].done = 1;
		b->finished++;
		b->failed += (size_t)b->t[i].failed;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->m);
	}
}

/* ---- output ---- */

/* "\r12/300 done, 1 failed, 8 running, 4.2 targets/s": overwritten in
 * place; b->m held. */
static void show_progress(const struct batch *b, int last)
{
	double secs = (double)(cli_now_ms() - b->start_ms) / 1e3;

	if (!b->progress)
		return;
	fprintf(stderr,
		"\rtlsprobe probe: %zu/%zu done, %zu failed, %zu running, "
		"%.1f targets/s\033[K%s",
		b->finished, b->n, b->failed, b->next - b->finished,
		secs > 0 ? (double)b->finished / secs : 0.0, last ? "\n" : "");
	fflush(stderr);
}

/* One target's line, whole and flushed (a reader may follow the file). */
static int write_line(struct batch *b, const struct target *t)
{
	/* On a terminal shared with stdout, the line must not start where
	 * the progress line ends: clear it, the next wait redraws it. */
	if (b->progress)
		fputs("\r\033[K", stderr);
	if (t->json == NULL ||
	    fwrite(t->json, 1, t->json_len, b->out) != t->json_len ||
	    fflush(b->out) != 0)
		return -1;
	return 0;
}

/* Writes the lines in the file's order as they complete; returns -1 when
 * the output fails (the probes still run to the end). */
static int print_in_order(struct batch *b)
{
	int r = 0;

	pthread_mutex_lock(&b->m);
	for (size_t i = 0; i < b->n; i++) {
		while (!b->t[i].done) {
			show_progress(b, 0);
			pthread_cond_wait(&b->cv, &b->m);
		}
		/* The line is the worker's no more: write it unlocked. */
		pthread_mutex_unlock(&b->m);
		if (write_line(b, &b->t[i]) < 0)
			r = -1;
		/* Only lines waiting for an earlier, slower one stay held. */
		free(b->t[i].json);
		b->t[i].json = NULL;
		pthread_mutex_lock(&b->m);
	}
	show_progress(b, 1);
	pthread_mutex_unlock(&b->m);
	return r;
}

/* As a single probe does, names each --fail-on verdict that held: here
 * with how many targets, for the log of a CI job. */
static void report_hits(const struct batch *b, unsigned hits)
{
	for (unsigned bit = 1; bit != 0 && bit <= hits; bit <<= 1) {
		size_t n = 0;

		if (!(hits & bit))
			continue;
		for (size_t i = 0; i < b->n; i++)
			n += (b->t[i].hits & bit) != 0;
		fprintf(stderr,
			"tlsprobe probe: --fail-on %s matched for %zu of %zu "
			"targets\n",
			probe_fail_on_name(bit), n, b->n);
	}
}

/* 1 when a --fail-on verdict held anywhere, else 8 when a target could
 * not be probed, else 0 (see tlsprobe-probe(1)). */
static int batch_status(const struct batch *b, int out_failed)
{
	unsigned hits = 0;

	for (size_t i = 0; i < b->n; i++)
		hits |= b->t[i].hits;
	report_hits(b, hits);
	if (hits || out_failed)
		return CLI_EOTHER;
	return b->failed ? PROBE_EXIT_UNPROBED : CLI_OK;
}

/* stdout, or the --json file (checked, then opened before any probe
 * runs; lines are written as targets finish, so not via a temporary file
 * as a single report is, but never through a link either). */
static FILE *open_output(const struct probe_opts *o)
{
	FILE *fp = NULL;
	int fd;

	if (o->json_path == NULL || strcmp(o->json_path, "-") == 0)
		return stdout;
	fd = open(o->json_path,
		  O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0 && (fp = fdopen(fd, "w")) == NULL)
		close(fd);
	if (fp == NULL)
		fprintf(stderr, "tlsprobe probe: --json '%s': %s\n",
			o->json_path, strerror(errno));
	return fp;
}

int probe_batch(const struct probe_opts *o, const char *path, int jobs)
{
	struct batch b;
	pthread_t th[PROBE_MAX_JOBS];
	int started = 0, r;

	memset(&b, 0, sizeof(b));
	if (read_targets(&b, o, path) < 0) {
		free_targets(&b);
		return CLI_EUSAGE;
	}
	if ((b.out = open_output(o)) == NULL) {
		free_targets(&b);
		return CLI_EOTHER;
	}
	pthread_mutex_init(&b.m, NULL);
	pthread_cond_init(&b.cv, NULL);
	b.progress = isatty(STDERR_FILENO);
	b.start_ms = cli_now_ms();
	for (int i = 0; i < jobs && (size_t)i < b.n; i++)
		if (pthread_create(&th[started], NULL, worker_main, &b) == 0)
			started++;
	if (started == 0 && b.n > 0) {
		fprintf(stderr, "tlsprobe probe: cannot start a thread\n");
		r = CLI_EOTHER;
	} else {
		r = print_in_order(&b) < 0;
		if (r)
			fprintf(stderr, "tlsprobe probe: cannot write the "
					"report\n");
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (started > 0 || b.n == 0)
		r = batch_status(&b, r);
	if (b.out != stdout && fclose(b.out) != 0 && r == CLI_OK)
		r = CLI_EOTHER;
	pthread_cond_destroy(&b.cv);
	pthread_mutex_destroy(&b.m);
	free_targets(&b);
	return r;
}
