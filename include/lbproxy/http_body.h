/*
 * http_body.h: body framing (http_body.c): which bytes belong to the current
 * message, so that bodies are forwarded verbatim and never buffered whole.
 */
#ifndef LB_HTTP_BODY_H
#define LB_HTTP_BODY_H

#include <stdbool.h>

#include "lbproxy/http.h"

/* Body framing scanner: tells which bytes belong to the current message. */
struct lb_http_body {
	enum lb_http_body_kind	kind;
	uint64_t		remaining;	/* LENGTH: bytes left; CHUNKED: of this chunk */
	int			state;		/* chunked parser state (private) */
	uint64_t		chunk_size;
	size_t			line_len;	/* bytes in the current size/trailer line */
	size_t			trailer_bytes;
	size_t			max_trailer_bytes;
	uint64_t		total;		/* body bytes announced so far: the length, or the chunk sizes read */
};

enum lb_body_result {
	LB_BODY_MORE,	/* all input belongs to the body, more to come */
	LB_BODY_DONE,	/* the message ended after *used bytes */
	LB_BODY_ERROR,	/* malformed framing (bad chunk size, missing CRLF, framing trailer) */
};

void lb_http_body_init(struct lb_http_body *b, enum lb_http_body_kind kind, uint64_t length,
    size_t max_trailer_bytes);
/* Scan len bytes; *used = how many belong to this message (forward them verbatim). */
enum lb_body_result lb_http_body_scan(struct lb_http_body *b, const char *data, size_t len, size_t *used);
/*
 * The same scan, for decoding (HTTP/2 DATA from an HTTP/1.1 body): *used
 * bytes are either payload (*payload) or framing (chunk sizes, CRLFs,
 * trailers), never both; call again on what follows.
 */
enum lb_body_result lb_http_body_step(struct lb_http_body *b, const char *data, size_t len,
    size_t *used, bool *payload);

#endif
