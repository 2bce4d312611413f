/*
 * http_body.c: body framing. Tells which bytes belong to the current
 * message (Content-Length, chunked, close-delimited) so that bodies are
 * forwarded verbatim and never buffered whole. The chunked scanner is
 * strict and resumable at any byte boundary: it never looks inside chunk
 * data, and refuses malformed sizes, missing CRLFs and trailers that would
 * change framing.
 */
#include "config.h"

#include <string.h>

#include "lbproxy/http_body.h"
#include "lbproxy/util.h"
#include "http_int.h"

/* Longest chunk-size line (size and extensions) the body scanner accepts. */
#define CHUNK_LINE_MAX	4096

/* Chunked scanner states (struct lb_http_body.state). */
enum cstate {
	CS_SIZE0,	/* first hex digit of a chunk size */
	CS_SIZE,	/* more hex digits, BWS, ';' or CR */
	CS_EXT_BWS,	/* BWS after the size or an extension: only ';' may follow */
	CS_EXT_NAME0,	/* after ';': BWS, then the first byte of an extension name */
	CS_EXT_NAME,
	CS_EXT_NAME_BWS, /* BWS after a name: '=' or the next ';' */
	CS_EXT_VAL0,	/* after '=': BWS, then token or quoted-string */
	CS_EXT_TOKEN,
	CS_EXT_QUOTED,
	CS_EXT_QPAIR,	/* after a backslash in a quoted-string */
	CS_EXT_QEND,	/* after the closing quote */
	CS_SIZE_LF,	/* LF ending the chunk-size line */
	CS_DATA,	/* chunk data: skipped, never inspected */
	CS_DATA_CR,	/* CR that must follow the data */
	CS_DATA_LF,
	CS_TR_START,	/* start of a trailer line or the final CRLF */
	CS_TR_NAME,
	CS_TR_VALUE,
	CS_TR_LF,
	CS_END_LF,	/* LF of the final CRLF */
	CS_DONE,
	CS_ERROR,
};

/* Trailer fields that would change framing or routing if merged: refused. */
static const struct {
	const char	*name;
	size_t		 len;
} trailer_forbidden[] = {
	{ "content-length", 14 },
	{ "transfer-encoding", 17 },
	{ "host", 4 },
};
#define TR_ALL	((1u << LB_ARRAY_SIZE(trailer_forbidden)) - 1)

void
lb_http_body_init(struct lb_http_body *b, enum lb_http_body_kind kind, uint64_t length,
    size_t max_trailer_bytes)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->remaining = kind == LB_BODY_LENGTH ? length : 0;
	b->total = b->remaining;
	b->state = CS_SIZE0;
	b->max_trailer_bytes = max_trailer_bytes;
}

/* Value of hex digit c. */
static unsigned
hexval(unsigned char c)
{
	if (c <= '9')
		return c - '0';
	return (unsigned)(lower(c) - 'a' + 10);
}

/*
 * Update the candidate mask (kept in chunk_size while in trailers) with byte
 * c at position b->line_len of the trailer field name.
 */
static void
trailer_name_byte(struct lb_http_body *b, unsigned char c)
{
	size_t	i;

	for (i = 0; i < LB_ARRAY_SIZE(trailer_forbidden); i++) {
		if ((b->chunk_size & (1u << i)) == 0)
			continue;
		if (b->line_len >= trailer_forbidden[i].len ||
		    lower(c) != (unsigned char)trailer_forbidden[i].name[b->line_len])
			b->chunk_size &= ~(uint64_t)(1u << i);
	}
	b->line_len++;
}

static bool
trailer_name_forbidden(const struct lb_http_body *b)
{
	size_t	i;

	for (i = 0; i < LB_ARRAY_SIZE(trailer_forbidden); i++) {
		if ((b->chunk_size & (1u << i)) != 0 && b->line_len == trailer_forbidden[i].len)
			return true;
	}
	return false;
}

/*
 * After a chunk size or an extension name or value: the next extension,
 * the end of the line, or BWS before the next ';'.
 */
static bool
ext_next(struct lb_http_body *b, unsigned char c)
{
	if (c == ';')
		b->state = CS_EXT_NAME0;
	else if (c == '\r')
		b->state = CS_SIZE_LF;
	else if (IS_OWS(c))
		b->state = CS_EXT_BWS;
	else
		return false;
	return true;
}

/*
 * One byte of a chunk-size line after its first digit (RFC 9112 7.1.1):
 * more hex digits (leading zeros included, as long as the size fits in 64
 * bits), then extensions `BWS ";" BWS name [BWS "=" BWS (token |
 * quoted-string)]`, then CR. Whitespace is accepted only where BWS is: not
 * before the size, nor before the CR. False if c does not fit.
 */
static bool
size_line_byte(struct lb_http_body *b, unsigned char c)
{
	switch (b->state) {
	case CS_SIZE:
		if (!IS(c, C_HEX))
			return ext_next(b, c);
		if ((b->chunk_size >> 60) != 0)
			return false;	/* one more digit would not fit */
		b->chunk_size = (b->chunk_size << 4) | hexval(c);
		return true;
	case CS_EXT_BWS:
		if (c == ';')
			b->state = CS_EXT_NAME0;
		return c == ';' || IS_OWS(c);
	case CS_EXT_NAME0:
		if (IS(c, C_TCHAR))
			b->state = CS_EXT_NAME;
		return IS(c, C_TCHAR) || IS_OWS(c);
	case CS_EXT_NAME:
		if (IS(c, C_TCHAR))
			return true;
		if (c == '=')
			b->state = CS_EXT_VAL0;
		else if (IS_OWS(c))
			b->state = CS_EXT_NAME_BWS;
		else
			return ext_next(b, c);
		return true;
	case CS_EXT_NAME_BWS:
		if (c == '=')
			b->state = CS_EXT_VAL0;
		else if (c == ';')
			b->state = CS_EXT_NAME0;
		else
			return IS_OWS(c);
		return true;
	case CS_EXT_VAL0:
		if (c == '"')
			b->state = CS_EXT_QUOTED;
		else if (IS(c, C_TCHAR))
			b->state = CS_EXT_TOKEN;
		else
			return IS_OWS(c);
		return true;
	case CS_EXT_TOKEN:
		return IS(c, C_TCHAR) || ext_next(b, c);
	case CS_EXT_QUOTED:
		if (c == '"')
			b->state = CS_EXT_QEND;
		else if (c == '\\')
			b->state = CS_EXT_QPAIR;
		else
			return IS(c, C_QDTEXT);
		return true;
	case CS_EXT_QPAIR:
		b->state = CS_EXT_QUOTED;
		return IS(c, C_VALUE);
	case CS_EXT_QEND:
		return ext_next(b, c);
	default:
		return false;
	}
}

/*
 * The chunked state machine (RFC 9112 7.1), strict: hex sizes that fit in
 * 64 bits, extensions ;token[=token|quoted] with BWS only where RFC 9112
 * 7.1.1 has it, a size line of at most CHUNK_LINE_MAX bytes, CRLF
 * everywhere, trailers bounded and not framing fields.
 */
static enum lb_body_result
chunked_scan(struct lb_http_body *b, const char *data, size_t len, size_t *used,
    bool framing_only)
{
	size_t		i = 0, n;
	unsigned char	c;

	while (i < len) {
		if (b->state == CS_DATA) {
			if (framing_only) {
				*used = i;	/* lb_http_body_step: the data goes separately */
				return LB_BODY_MORE;
			}
			n = len - i;
			if ((uint64_t)n > b->remaining)
				n = (size_t)b->remaining;
			i += n;
			b->remaining -= n;
			if (b->remaining == 0)
				b->state = CS_DATA_CR;
			continue;
		}
		c = (unsigned char)data[i];
		switch (b->state) {
		case CS_SIZE0:
			if (!IS(c, C_HEX))
				goto bad;
			b->chunk_size = hexval(c);
			b->line_len = 1;
			b->state = CS_SIZE;
			break;
		case CS_SIZE:
		case CS_EXT_BWS:
		case CS_EXT_NAME0:
		case CS_EXT_NAME:
		case CS_EXT_NAME_BWS:
		case CS_EXT_VAL0:
		case CS_EXT_TOKEN:
		case CS_EXT_QUOTED:
		case CS_EXT_QPAIR:
		case CS_EXT_QEND:
			if (++b->line_len > CHUNK_LINE_MAX || !size_line_byte(b, c))
				goto bad;
			break;
		case CS_SIZE_LF:
			if (c != '\n')
				goto bad;
			b->line_len = 0;
			if (b->chunk_size == 0) {
				b->chunk_size = TR_ALL;
				b->state = CS_TR_START;
			} else {
				b->remaining = b->chunk_size;
				b->total = b->total + b->chunk_size < b->total ? UINT64_MAX :
				    b->total + b->chunk_size;
				b->state = CS_DATA;
			}
			break;
		case CS_DATA_CR:
			if (c != '\r')
				goto bad;
			b->state = CS_DATA_LF;
			break;
		case CS_DATA_LF:
			if (c != '\n')
				goto bad;
			b->state = CS_SIZE0;
			break;
		case CS_TR_START:
			if (c == '\r') {
				b->state = CS_END_LF;
				break;
			}
			if (!IS(c, C_TCHAR))
				goto bad;	/* obs-fold, empty name, bare LF, CTL */
			b->chunk_size = TR_ALL;
			b->line_len = 0;
			trailer_name_byte(b, c);
			b->state = CS_TR_NAME;
			goto count;
		case CS_TR_NAME:
			if (c == ':') {
				if (trailer_name_forbidden(b))
					goto bad;
				b->state = CS_TR_VALUE;
			} else if (IS(c, C_TCHAR))
				trailer_name_byte(b, c);
			else
				goto bad;
			goto count;
		case CS_TR_VALUE:
			if (c == '\r')
				b->state = CS_TR_LF;
			else if (!IS(c, C_VALUE))
				goto bad;
			goto count;
		case CS_TR_LF:
			if (c != '\n')
				goto bad;
			b->state = CS_TR_START;
			goto count;
		case CS_END_LF:
			if (c != '\n')
				goto bad;
			b->state = CS_DONE;
			*used = i + 1;
			return LB_BODY_DONE;
		default:
			goto bad;
		}
		i++;
		continue;
count:
		if (++b->trailer_bytes > b->max_trailer_bytes)
			goto bad;
		i++;
	}
	*used = len;
	return LB_BODY_MORE;
bad:
	b->state = CS_ERROR;
	*used = i;
	return LB_BODY_ERROR;
}

enum lb_body_result
lb_http_body_scan(struct lb_http_body *b, const char *data, size_t len, size_t *used)
{
	uint64_t	n;

	switch (b->kind) {
	case LB_BODY_NONE:
		*used = 0;
		return LB_BODY_DONE;
	case LB_BODY_LENGTH:
		n = (uint64_t)len < b->remaining ? (uint64_t)len : b->remaining;
		b->remaining -= n;
		*used = (size_t)n;
		return b->remaining == 0 ? LB_BODY_DONE : LB_BODY_MORE;
	case LB_BODY_CLOSE:
		*used = len;
		return LB_BODY_MORE;
	case LB_BODY_CHUNKED:
		if (b->state == CS_DONE) {
			*used = 0;
			return LB_BODY_DONE;
		}
		if (b->state == CS_ERROR) {
			*used = 0;
			return LB_BODY_ERROR;
		}
		return chunked_scan(b, data, len, used, false);
	}
	*used = 0;
	return LB_BODY_ERROR;
}

enum lb_body_result
lb_http_body_step(struct lb_http_body *b, const char *data, size_t len, size_t *used,
    bool *payload)
{
	uint64_t	n;

	*payload = true;
	if (b->kind != LB_BODY_CHUNKED)
		return lb_http_body_scan(b, data, len, used);
	if (b->state == CS_DATA) {
		n = (uint64_t)len < b->remaining ? (uint64_t)len : b->remaining;
		if ((b->remaining -= n) == 0)
			b->state = CS_DATA_CR;
		*used = (size_t)n;
		return LB_BODY_MORE;
	}
	*payload = false;
	if (b->state == CS_DONE || b->state == CS_ERROR) {
		*used = 0;
		return b->state == CS_DONE ? LB_BODY_DONE : LB_BODY_ERROR;
	}
	return chunked_scan(b, data, len, used, true);
}
