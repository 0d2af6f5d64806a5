/* A growable FIFO of bytes: the outgoing record queue and the buffer for
 * plaintext that arrives while a handshake is running. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tp_buf_append(struct tp_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->off + b->len + n > b->cap) {
		/* Compact first: most of the time that makes enough room. */
		if (b->off > 0) {
			memmove(b->data, b->data + b->off, b->len);
			b->off = 0;
		}
		if (b->len + n > b->cap) {
			size_t cap = b->cap ? b->cap : TP_RECORD_MAX;
			unsigned char *d;

			while (cap < b->len + n)
				cap *= 2;
			d = realloc(b->data, cap);
			if (d == NULL)
				return -1;
			b->data = d;
			b->cap = cap;
		}
	}
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
	return 0;
}

void tp_buf_consume(struct tp_buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = 0;
		b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

size_t tp_buf_take(struct tp_buf *b, void *out, size_t n)
{
	if (n > b->len)
		n = b->len;
	memcpy(out, b->data + b->off, n);
	tp_buf_consume(b, n);
	return n;
}

void tp_buf_free(struct tp_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
