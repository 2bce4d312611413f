/*
 * http_write.c: the heads lbproxy sends. Request and response heads are
 * regenerated from a parsed message (never relayed as they came): hop-by-hop
 * fields dropped, exactly one framing header, X-Forwarded-* added; error
 * responses and reason phrases for the statuses lbproxy answers itself.
 * A head is sized first and written once into space reserved in the output
 * evbuffer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/buffer.h>

#include "lbproxy/http_write.h"
#include "http_int.h"

/* A head being written into space reserved in the output evbuffer. */
struct wbuf {
	char	*p;
	char	*end;
};

static void
put(struct wbuf *w, const void *s, size_t n)
{
	if (n > (size_t)(w->end - w->p))
		abort();	/* the size computation is wrong: a broken invariant */
	memcpy(w->p, s, n);
	w->p += n;
}

/* lit must be a string literal: "" lit refuses anything else at compile time. */
#define PUTS(w, lit)	put((w), "" lit, sizeof("" lit) - 1)

static void
put_u64(struct wbuf *w, uint64_t v)
{
	char	tmp[20];
	size_t	i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, tmp + i, sizeof(tmp) - i);
}

static void
put_hdr(struct wbuf *w, const struct lb_http_hdr *h)
{
	put(w, h->name, h->name_len);
	PUTS(w, ": ");
	put(w, h->value, h->value_len);
	PUTS(w, "\r\n");
}

/* Bytes put_hdr writes. */
static size_t
hdr_size(const struct lb_http_hdr *h)
{
	return h->name_len + h->value_len + 4;
}

/* Reserve size contiguous bytes at the end of out. */
static int
wbuf_reserve(struct evbuffer *out, size_t size, struct evbuffer_iovec *vec, struct wbuf *w)
{
	if (evbuffer_reserve_space(out, (ev_ssize_t)size, vec, 1) != 1 || vec->iov_len < size)
		return -1;
	w->p = vec->iov_base;
	w->end = w->p + size;
	return 0;
}

static int
wbuf_commit(struct evbuffer *out, struct evbuffer_iovec *vec, const struct wbuf *w)
{
	vec->iov_len = (size_t)(w->p - (char *)vec->iov_base);
	return evbuffer_commit_space(out, vec, 1) == 0 ? 0 : -1;
}

static bool
is_upgrade(const struct lb_http_hdr *h)
{
	return h->name_len == 7 && ci_eq(h->name, 7, "upgrade");
}

/* The Upgrade fields of m, written again after Connection: upgrade (11 bytes more each). */
static void
put_upgrade(struct wbuf *w, const struct lb_http_msg *m)
{
	size_t	i;

	for (i = 0; i < m->n_hdrs; i++) {
		if (is_upgrade(&m->hdrs[i])) {
			PUTS(w, "Upgrade: ");
			put(w, m->hdrs[i].value, m->hdrs[i].value_len);
			PUTS(w, "\r\n");
		}
	}
}

/* The one framing header of m's body: Transfer-Encoding: chunked or Content-Length. */
static void
put_framing(struct wbuf *w, const struct lb_http_msg *m)
{
	if (m->body == LB_BODY_CHUNKED)
		PUTS(w, "Transfer-Encoding: chunked\r\n");
	else if (m->body == LB_BODY_LENGTH) {
		PUTS(w, "Content-Length: ");
		put_u64(w, m->content_length);
		PUTS(w, "\r\n");
	}
}

/* Fields of the request that X-Forwarded-* settings replace or extend. */
static bool
fwd_skip(const struct lb_http_hdr *h, const struct lb_http_fwd *fwd)
{
	if (fwd == NULL)
		return false;
	/* a client cannot pass its own certificate headers for lbproxy's */
	if (fwd->extra != NULL && h->name_len > 6 && ci_eq(h->name, 6, "x-ssl-"))
		return true;
	switch (h->name_len) {
	case 15:
		return fwd->client_ip != NULL && ci_eq(h->name, 15, "x-forwarded-for");
	case 16:
		return fwd->port != 0 && ci_eq(h->name, 16, "x-forwarded-port");
	case 17:
		return fwd->proto != NULL && ci_eq(h->name, 17, "x-forwarded-proto");
	}
	return false;
}

int
lb_http_write_request(struct evbuffer *out, const struct lb_http_msg *m,
    const struct lb_http_fwd *fwd)
{
	struct evbuffer_iovec	 vec;
	struct wbuf		 w;
	const struct lb_http_hdr *h;
	const char		*dflt_host = NULL;
	size_t			 i, size, dflt_len = 0;
	bool			 host = false;

	size = m->method_len + m->path_len + 17;
	for (i = 0; i < m->n_hdrs; i++) {
		h = &m->hdrs[i];
		if (h->hop && m->upgrade && is_upgrade(h))
			size += h->value_len + 11;
		if (h->hop)
			continue;
		if (h->name_len == 4 && ci_eq(h->name, 4, "host"))
			host = true;
		if (fwd != NULL && fwd->client_ip != NULL && h->name_len == 15 &&
		    ci_eq(h->name, 15, "x-forwarded-for"))
			size += h->value_len + 2;
		else if (!fwd_skip(h, fwd))
			size += hdr_size(h);
	}
	size += 128;	/* Connection, TE, framing (20 digits) */
	if (fwd != NULL) {
		if (fwd->client_ip != NULL)
			size += strlen(fwd->client_ip) + 21;
		if (fwd->proto != NULL)
			size += strlen(fwd->proto) + 21;
		if (fwd->port != 0)
			size += 32;
		size += fwd->extra_len;
	}
	/* no Host field: an absolute-form target's authority, or fwd's */
	if (!host && m->host != NULL) {
		dflt_host = m->host;
		dflt_len = m->host_len;
	} else if (!host && fwd != NULL && fwd->default_host != NULL) {
		dflt_host = fwd->default_host;
		dflt_len = strlen(dflt_host);
	}
	size += dflt_len + 8;
	size += 2;

	if (wbuf_reserve(out, size, &vec, &w) == -1)
		return -1;
	put(&w, m->method_str, m->method_len);
	PUTS(&w, " ");
	if (m->path_slash)
		PUTS(&w, "/");
	put(&w, m->path, m->path_len);
	/*
	 * An HTTP/1.0 client's request stays HTTP/1.0 so that the member does
	 * not answer chunked, which such a client cannot read (RFC 9112 6.1).
	 */
	if (m->minor == 0)
		PUTS(&w, " HTTP/1.0\r\n");
	else
		PUTS(&w, " HTTP/1.1\r\n");
	if (dflt_host != NULL) {
		PUTS(&w, "Host: ");
		put(&w, dflt_host, dflt_len);
		PUTS(&w, "\r\n");
	}
	for (i = 0; i < m->n_hdrs; i++) {
		h = &m->hdrs[i];
		if (!h->hop && !fwd_skip(h, fwd))
			put_hdr(&w, h);
	}
	if (m->minor == 0 || m->upgrade || m->te_trailers) {
		/* the member connection is kept alive for 1.0 clients too */
		PUTS(&w, "Connection: ");
		if (m->minor == 0)
			PUTS(&w, "keep-alive, ");
		if (m->upgrade)
			PUTS(&w, "upgrade, ");
		if (m->te_trailers)
			PUTS(&w, "te, ");
		w.p -= 2;	/* the last ", " */
		PUTS(&w, "\r\n");
	}
	if (m->te_trailers)
		PUTS(&w, "TE: trailers\r\n");
	if (m->upgrade)
		put_upgrade(&w, m);
	put_framing(&w, m);
	if (fwd != NULL && fwd->client_ip != NULL) {
		PUTS(&w, "X-Forwarded-For: ");
		for (i = 0; i < m->n_hdrs; i++) {
			h = &m->hdrs[i];
			if (h->hop || h->value_len == 0 || h->name_len != 15 ||
			    !ci_eq(h->name, 15, "x-forwarded-for"))
				continue;
			put(&w, h->value, h->value_len);
			PUTS(&w, ", ");
		}
		put(&w, fwd->client_ip, strlen(fwd->client_ip));
		PUTS(&w, "\r\n");
	}
	if (fwd != NULL && fwd->proto != NULL) {
		PUTS(&w, "X-Forwarded-Proto: ");
		put(&w, fwd->proto, strlen(fwd->proto));
		PUTS(&w, "\r\n");
	}
	if (fwd != NULL && fwd->port != 0) {
		PUTS(&w, "X-Forwarded-Port: ");
		put_u64(&w, (uint64_t)(unsigned)fwd->port);
		PUTS(&w, "\r\n");
	}
	if (fwd != NULL && fwd->extra != NULL)
		put(&w, fwd->extra, fwd->extra_len);
	PUTS(&w, "\r\n");
	return wbuf_commit(out, &vec, &w);
}

int
lb_http_write_response(struct evbuffer *out, const struct lb_http_msg *m, int client_minor,
    bool keep_alive, const char *extra)
{
	struct evbuffer_iovec	 vec;
	struct wbuf		 w;
	const struct lb_http_hdr *h;
	const char		*reason = m->reason;
	size_t			 i, size, reason_len = m->reason_len, extra_len;
	bool			 informational = m->status < 200;

	/* An HTTP/1.0 client cannot read chunked: the caller answers 502. */
	if (client_minor == 0 && m->body == LB_BODY_CHUNKED)
		return -1;
	if (reason_len == 0) {
		reason = lb_http_reason(m->status);
		reason_len = strlen(reason);
	}
	extra_len = extra != NULL ? strlen(extra) : 0;
	size = reason_len + 48 + extra_len + 128 + 2;
	for (i = 0; i < m->n_hdrs; i++) {
		h = &m->hdrs[i];
		if (!h->hop)
			size += hdr_size(h);
		else if (m->upgrade && is_upgrade(h))
			size += h->value_len + 11;
	}

	if (wbuf_reserve(out, size, &vec, &w) == -1)
		return -1;
	PUTS(&w, "HTTP/1.");
	put_u64(&w, client_minor >= 1 ? 1 : 0);
	PUTS(&w, " ");
	put_u64(&w, (uint64_t)m->status);
	PUTS(&w, " ");
	put(&w, reason, reason_len);
	PUTS(&w, "\r\n");
	for (i = 0; i < m->n_hdrs; i++) {
		if (!m->hdrs[i].hop)
			put_hdr(&w, &m->hdrs[i]);
	}
	if (m->upgrade) {
		PUTS(&w, "Connection: upgrade\r\n");
		put_upgrade(&w, m);
	} else if (!informational) {
		put_framing(&w, m);
		if (!keep_alive)
			PUTS(&w, "Connection: close\r\n");
		else if (client_minor == 0)
			PUTS(&w, "Connection: keep-alive\r\n");
	}
	if (extra != NULL)
		put(&w, extra, extra_len);
	PUTS(&w, "\r\n");
	return wbuf_commit(out, &vec, &w);
}

void
lb_http_write_error(struct evbuffer *out, int status, bool close)
{
	char		 buf[512], body[256];
	const char	*reason = lb_http_reason(status);
	int		 blen, n;

	blen = snprintf(body, sizeof(body),
	    "<html><body><h1>%d %s</h1></body></html>\n", status, reason);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return;
	n = snprintf(buf, sizeof(buf),
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/html\r\n"
	    "Cache-Control: no-cache\r\n"
	    "Content-Length: %d\r\n"
	    "%s"
	    "\r\n"
	    "%s",
	    status, reason, blen, close ? "Connection: close\r\n" : "", body);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	evbuffer_add(out, buf, (size_t)n);
}

const char *
lb_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 102: return "Processing";
	case 103: return "Early Hints";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 203: return "Non-Authoritative Information";
	case 204: return "No Content";
	case 205: return "Reset Content";
	case 206: return "Partial Content";
	case 300: return "Multiple Choices";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}
