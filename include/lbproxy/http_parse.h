/*
 * http_parse.h: strict validation and parsing of request and response heads
 * (http_parse.c, the only user of http_parser.h), and header lookup.
 */
#ifndef LB_HTTP_PARSE_H
#define LB_HTTP_PARSE_H

#include "lbproxy/http.h"

/* Outcome of lb_http_parse_request and lb_http_parse_response. */
enum lb_http_parse {
	LB_HTTP_OK,		/* a complete, valid head: m is filled, m->head_len set */
	LB_HTTP_PARTIAL,	/* not complete yet and no limit exceeded: call again with more */
	LB_HTTP_INVALID,	/* refused: the error says the status to answer and why */
};

/* Why a head was refused (set with LB_HTTP_INVALID only). */
struct lb_http_err {
	int		 status;	/* to answer: 400, 414, 431, 501, 505; 502 for a response */
	const char	*why;		/* static reason for logs, never NULL */
};

/*
 * Parse and validate a request head at buf (len bytes available). The
 * status in e for LB_HTTP_INVALID is 400 (ambiguous or malformed), 414,
 * 431, 501 (unsupported Transfer-Encoding or CONNECT) or 505 (version).
 * m->hdrs/hdr_cap must be set by the caller (hdr_cap >= limits->max_header_lines);
 * m's pointers borrow buf.
 */
enum lb_http_parse lb_http_parse_request(const char *buf, size_t len,
    const struct lb_http_limits *lim, struct lb_http_msg *m, struct lb_http_err *e);

/*
 * Same for a member's response to a request of method req_method; the
 * status of an invalid response is always 502.
 */
enum lb_http_parse lb_http_parse_response(const char *buf, size_t len,
    const struct lb_http_limits *lim, enum lb_http_method req_method, struct lb_http_msg *m,
    struct lb_http_err *e);

/* Case-insensitive lookup of the first header named name; NULL if absent. */
const struct lb_http_hdr *lb_http_find(const struct lb_http_msg *m, const char *name);
/*
 * Leave every header named name (case-insensitive) out of the regenerated
 * head (lbproxy sets its own instead); returns how many there were.
 */
unsigned lb_http_drop(struct lb_http_msg *m, const char *name);

#endif
