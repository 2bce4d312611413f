/*
 * http_parse.h: strict validation and parsing of request and response heads
 * (http_parse.c, the only user of http_parser.h), and header lookup.
 */
#ifndef LB_HTTP_PARSE_H
#define LB_HTTP_PARSE_H

#include "lbproxy/http.h"

/* Outcome of lb_http_parse_*: 0 complete, LB_HTTP_PARTIAL need more, else an HTTP error status. */
#define LB_HTTP_PARTIAL	(-1)

/*
 * Parse and validate a request head at buf (len bytes available). Returns 0
 * with m filled and m->head_len set; LB_HTTP_PARTIAL when the head is not
 * complete yet and no limit is exceeded; or the status to answer: 400
 * (ambiguous or malformed), 414, 431, 501 (unsupported Transfer-Encoding),
 * 505 (version). *why gets a static reason for logs. m->hdrs/hdr_cap must be
 * set by the caller (hdr_cap >= limits->max_header_lines).
 */
int lb_http_parse_request(const char *buf, size_t len, const struct lb_http_limits *lim,
    struct lb_http_msg *m, const char **why);

/*
 * Same for a member's response to a request of method req_method. Returns 0,
 * LB_HTTP_PARTIAL, or 502 when the response is invalid.
 */
int lb_http_parse_response(const char *buf, size_t len, const struct lb_http_limits *lim,
    enum lb_http_method req_method, struct lb_http_msg *m, const char **why);

/* Case-insensitive lookup of the first header named name; NULL if absent. */
const struct lb_http_hdr *lb_http_find(const struct lb_http_msg *m, const char *name);

#endif
