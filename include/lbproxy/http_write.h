/*
 * http_write.h: the heads lbproxy writes (http_write.c): regenerated request
 * and response heads, its own error responses, reason phrases.
 */
#ifndef LB_HTTP_WRITE_H
#define LB_HTTP_WRITE_H

#include "lbproxy/http.h"

struct evbuffer;

/* What lb_http_write_request adds to a forwarded request. */
struct lb_http_fwd {
	const char	*client_ip;	/* X-Forwarded-For value to append, or NULL */
	const char	*proto;		/* X-Forwarded-Proto value, or NULL */
	int		 port;		/* X-Forwarded-Port value, or 0 */
	const char	*default_host;	/* Host sent when the client sent none (1.0), or NULL */
	const char	*extra;		/* whole "Name: value\r\n" lines to add (X-SSL-*), or NULL; */
	size_t		 extra_len;	/* ... the client's own X-SSL-* fields are dropped then */
};

/*
 * Write the regenerated request head to out: request line with m->path
 * (origin-form) as HTTP/1.1 (HTTP/1.0 with Connection: keep-alive for a 1.0
 * client, so that the member never answers it chunked), Host (m->host when
 * the client sent no Host field), end-to-end headers only, X-Forwarded-* per fwd,
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

#endif
