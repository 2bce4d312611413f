/*
 * http.h: the types of HTTP/1.x messages, shared by the HTTP modules:
 * http_parse.h (validate and parse heads), http_write.h (regenerate heads,
 * error responses), http_body.h (body framing), http_cookie.h (cookie
 * lookups). A head is validated once, complete and bounded in size, then
 * parsed into pointers into the caller's buffer; the proxy never relays
 * head bytes as they came, it regenerates them. Bodies are forwarded
 * verbatim after their framing has been checked.
 */
#ifndef LB_HTTP_H
#define LB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lb_http_limits {
	size_t	max_uri_bytes;		/* request line target: 414 */
	size_t	max_header_bytes;	/* whole head: 431 */
	size_t	max_header_lines;	/* header field count: 431 */
	uint64_t max_body_bytes;	/* request body: 413 (0: no limit) */
	bool	trusted;		/* lbproxy wrote the head itself (HTTP/2 translation): */
					/* no second opinion from http-parser */
};

struct lb_http_hdr {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* leading/trailing OWS trimmed */
	size_t		 value_len;
	bool		 hop;		/* hop-by-hop: never forwarded as is */
};

enum lb_http_body_kind {
	LB_BODY_NONE,		/* no body (or HEAD/1xx/204/304 response) */
	LB_BODY_LENGTH,		/* Content-Length */
	LB_BODY_CHUNKED,	/* Transfer-Encoding: chunked */
	LB_BODY_CLOSE,		/* response delimited by connection close */
};

enum lb_http_method {
	LB_HTTP_OTHER,
	LB_HTTP_GET,
	LB_HTTP_HEAD,
	LB_HTTP_POST,
	LB_HTTP_PUT,
	LB_HTTP_DELETE,
	LB_HTTP_OPTIONS,
	LB_HTTP_TRACE,
	LB_HTTP_CONNECT,
	LB_HTTP_PATCH,
};

/* A parsed request or response head; pointers borrow the parse buffer. */
struct lb_http_msg {
	/* request */
	enum lb_http_method	 method;
	const char		*method_str;
	size_t			 method_len;
	const char		*uri;		/* the request-target as received */
	size_t			 uri_len;
	const char		*path;		/* the target to forward: origin-form, or "*" */
	size_t			 path_len;
	bool			 path_slash;	/* absolute-form without a path: "/" goes before path (the query) */
	/* response */
	int			 status;
	const char		*reason;
	size_t			 reason_len;

	int			 major;
	int			 minor;
	struct lb_http_hdr	*hdrs;		/* caller-provided array, hdr_cap entries */
	size_t			 hdr_cap;
	size_t			 n_hdrs;
	size_t			 head_len;	/* bytes of the head incl. final CRLF CRLF */

	enum lb_http_body_kind	 body;
	uint64_t		 content_length;
	bool			 keep_alive;	/* after version + Connection */
	bool			 expect_continue;	/* Expect: 100-continue */
	bool			 upgrade;	/* Connection: upgrade + Upgrade: (request) / 101 (response) */
	bool			 te_trailers;	/* TE: trailers was asked */
	const char		*host;		/* Host, or an absolute-form target's authority */
	size_t			 host_len;
};

#endif
