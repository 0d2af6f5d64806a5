/*
 * The printable form of bytes a peer controls (certificate names, ALPN,
 * STARTTLS replies): a name like "ESC ] 0 ; title BEL" or "ESC [ 2K" would
 * otherwise retitle the terminal or erase the lines printed before it, and
 * "localhost\0evil.example" would print as "localhost". Escaped as "\xHH":
 * C0 controls, DEL, C1 controls (U+0080..U+009F, which some terminals obey
 * in UTF-8 too), the invisible characters that reorder or hide text (bidi
 * overrides and isolates such as U+202E, which shows "exe.txt" for
 * "txt.exe", and zero-width ones, which make "local<ZWSP>host" look like
 * "localhost") and every byte that is not part of valid UTF-8. Other valid
 * UTF-8 text passes unchanged, so names in other scripts stay readable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsprobe.h"

/* Invisible format characters that reorder or hide what follows: the
 * Arabic letter mark, zero-width and directional marks, bidi embeddings,
 * overrides and isolates, word joiner and invisible operators, BOM. */
static int hides_text(unsigned int cp)
{
	return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* Length of the valid UTF-8 sequence at s (at most left bytes) that is
 * not a C1 control nor hides text, or 0. */
static size_t utf8_printable_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0xa0 ||
	    hides_text(cp))
		return 0;
	return n;
}

/* How many bytes of s (left of them) go out as they are: 0 to escape. */
static size_t pass_len(const unsigned char *s, size_t left, int flags)
{
	if (*s == '\\')
		return (flags & TP_ESC_TEXT) ? 1 : 0;
	if ((*s == '\n' || *s == '\t') && (flags & TP_ESC_TEXT))
		return 1;
	if (*s >= 0x20 && *s < 0x7f)
		return 1;
	if (*s < 0x80)
		return 0;
	return utf8_printable_len(s, left);
}

/* Appends piece when it fits whole (with room for the NUL); once one
 * does not, nothing more is written, so the output ends at a whole
 * character. *o counts what the whole output needs. */
static void put(char *out, size_t outlen, size_t *o, size_t *written,
		const void *piece, size_t n)
{
	if (*written == *o && *o + n < outlen) {
		memcpy(out + *o, piece, n);
		*written += n;
	}
	*o += n;
}

size_t tp_escape(char *out, size_t outlen, const void *in, size_t inlen,
		 int flags)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = in;
	size_t o = 0, written = 0, i = 0, n;
	char esc[4] = { '\\', 'x', 0, 0 };

	while (i < inlen) {
		n = pass_len(s + i, inlen - i, flags);
		if (n > 0) {
			put(out, outlen, &o, &written, s + i, n);
			i += n;
		} else if (s[i] == '\\') {
			put(out, outlen, &o, &written, "\\\\", 2);
			i++;
		} else {
			esc[2] = hex[s[i] >> 4];
			esc[3] = hex[s[i] & 15];
			put(out, outlen, &o, &written, esc, 4);
			i++;
		}
	}
	if (outlen > 0)
		out[written] = '\0';
	return o;
}

char *tp_escape_dup(const void *in, size_t inlen)
{
	size_t need = tp_escape(NULL, 0, in, inlen, 0) + 1;
	char *out = malloc(need);

	if (out != NULL)
		tp_escape(out, need, in, inlen, 0);
	return out;
}
