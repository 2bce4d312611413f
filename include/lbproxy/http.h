/*
 * http.h: strict HTTP/1.x message heads and body framing (http_msg.c, the only
 * user of http_parser.h). A head is validated once, complete and bounded in
 * size, then parsed into pointers into the caller's buffer; the proxy never
 * relays head bytes as they came, it regenerates them with lb_http_write_*.
 * Bodies are forwarded verbatim after their framing has been checked.
 */
#ifndef LB_HTTP_H
#define LB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct evbuffer;

struct lb_http_limits {
	size_t	max_uri_bytes;		/* request line target: 414 */
	size_t	max_header_bytes;	/* whole head: 431 */
	size_t	max_header_lines;	/* header field count: 431 */
	uint64_t max_body_bytes;	/* request body: 413 (0: no limit) */
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
	const char		*uri;
	size_t			 uri_len;
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
	const char		*host;
	size_t			 host_len;
};

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

/*
 * Find cookie name in the request's Cookie headers; returns 0 and points
 * *val and *len at the value, or -1.
 */
int lb_http_cookie_get(const struct lb_http_msg *m, const char *name, const char **val, size_t *len);
/* Same for a response's Set-Cookie headers (APP_COOKIE learning). */
int lb_http_setcookie_get(const struct lb_http_msg *m, const char *name, const char **val, size_t *len);

/* What lb_http_write_request adds to a forwarded request. */
struct lb_http_fwd {
	const char	*client_ip;	/* X-Forwarded-For value to append, or NULL */
	const char	*proto;		/* X-Forwarded-Proto value, or NULL */
	int		 port;		/* X-Forwarded-Port value, or 0 */
	const char	*default_host;	/* Host sent when the client sent none (1.0), or NULL */
};

/*
 * Write the regenerated request head to out: request line as HTTP/1.1
 * (HTTP/1.0 with Connection: keep-alive for a 1.0 client, so that the member
 * never answers it chunked), end-to-end headers only, X-Forwarded-* per fwd,
 * exactly one framing header (Content-Length or Transfer-Encoding: chunked),
 * Connection: upgrade + Upgrade when m->upgrade. Returns 0 or -1.
 */
int lb_http_write_request(struct evbuffer *out, const struct lb_http_msg *m, const struct lb_http_fwd *fwd);

/*
 * Write the regenerated response head: status line with the client's
 * version (HTTP/1.1 or HTTP/1.0), end-to-end headers, one framing header,
 * "Connection: close" if !keep_alive (or keep-alive for a 1.0 client that
 * keeps it), extra (NULL or a full "Name: value\r\n" line set, e.g.
 * Set-Cookie) appended. Returns 0, or -1 (also for a chunked response to an
 * HTTP/1.0 client, which cannot read it: answer 502).
 */
int lb_http_write_response(struct evbuffer *out, const struct lb_http_msg *m, int client_minor,
    bool keep_alive, const char *extra);

/* Write a complete error response lbproxy generates itself (400..505). */
void lb_http_write_error(struct evbuffer *out, int status, bool close);
/* Reason phrase for status ("Bad Request"). */
const char *lb_http_reason(int status);

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

#endif
