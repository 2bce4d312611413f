/*
 * http_parse.c: strict HTTP/1.x request and response heads.
 *
 * Debian's http-parser 2.9 is lenient (obs-fold, bare LF, whitespace before
 * the colon, HTTP/0.9, any version), so a head is validated here first, in
 * one pass over the complete and bounded head, into the caller's header
 * array. Every head that passes is then run through http_parser_execute as
 * a second opinion: if it errors or reads the framing differently, the head
 * is refused. Bodies are framed by http_body.c, never by http-parser, which
 * accepts chunk data without the CRLF that must follow it.
 *
 * This is the only file that includes http_parser.h.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <http_parser.h>

#include "lbproxy/http_parse.h"
#include "lbproxy/util.h"
#include "http_int.h"

/* Generated from RFC 9110 / 3986 grammar; rows are 16 bytes from 0x00. */
const uint8_t lb_http_cclass[256] = {
	/* 00 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 10 */ 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 20 */ 0x22, 0x2f, 0x06, 0x27, 0x2f, 0x2f, 0x2f, 0x2f, 0x2e, 0x2e, 0x2f, 0x2f, 0x26, 0x2f, 0x2f, 0x26,
	/* 30 */ 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x26, 0x2e, 0x26, 0x2e, 0x26, 0x26,
	/* 40 */ 0x26, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f,
	/* 50 */ 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x26, 0x06, 0x26, 0x27, 0x2f,
	/* 60 */ 0x27, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f,
	/* 70 */ 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x2f, 0x26, 0x27, 0x26, 0x2f, 0x00,
	/* 80 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* 90 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* a0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* b0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* c0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* d0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* e0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	/* f0 */ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};

/* Content-Length values above this are refused (fits off_t and int64_t). */
#define CL_MAX		((uint64_t)INT64_MAX)

/* Headers with a meaning for framing or the connection. */
enum hname {
	H_OTHER,
	H_HOST,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_CONNECTION,
	H_KEEP_ALIVE,
	H_PROXY_CONNECTION,
	H_TE,
	H_UPGRADE,
	H_EXPECT,
};

/* What the semantic pass learns from the header array. */
struct hinfo {
	int			 hosts;
	struct lb_http_hdr	*host;		/* the first Host field */
	int			 cls;
	uint64_t		 cl;
	int			 tes;
	const struct lb_http_hdr *te;
	bool			 conn_close;
	bool			 conn_keep_alive;
	bool			 conn_upgrade;
	bool			 conn_other;	/* Connection names other fields */
	bool			 upgrade_hdr;
	bool			 expect_100;
	bool			 te_trailers;
};

static int	hp_headers_cb(http_parser *);

static const http_parser_settings hp_settings = {
	.on_headers_complete = hp_headers_cb,
};
static pthread_once_t hp_once = PTHREAD_ONCE_INIT;

/* Our methods as http-parser numbers them (LB_HTTP_OTHER is never looked up). */
static const int hp_methods[] = {
	[LB_HTTP_GET] = HTTP_GET,
	[LB_HTTP_HEAD] = HTTP_HEAD,
	[LB_HTTP_POST] = HTTP_POST,
	[LB_HTTP_PUT] = HTTP_PUT,
	[LB_HTTP_DELETE] = HTTP_DELETE,
	[LB_HTTP_OPTIONS] = HTTP_OPTIONS,
	[LB_HTTP_TRACE] = HTTP_TRACE,
	[LB_HTTP_CONNECT] = HTTP_CONNECT,
	[LB_HTTP_PATCH] = HTTP_PATCH,
};

static const struct {
	const char		*name;
	size_t			 len;
	enum lb_http_method	 method;
} methods[] = {
	{ "GET", 3, LB_HTTP_GET },
	{ "HEAD", 4, LB_HTTP_HEAD },
	{ "POST", 4, LB_HTTP_POST },
	{ "PUT", 3, LB_HTTP_PUT },
	{ "DELETE", 6, LB_HTTP_DELETE },
	{ "OPTIONS", 7, LB_HTTP_OPTIONS },
	{ "TRACE", 5, LB_HTTP_TRACE },
	{ "CONNECT", 7, LB_HTTP_CONNECT },
	{ "PATCH", 5, LB_HTTP_PATCH },
};

static bool
all_tchar(const char *s, size_t n)
{
	size_t	i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (!IS(s[i], C_TCHAR))
			return false;
	}
	return true;
}

/*
 * Next element of a comma-separated list in [*pp, end), trimmed of OWS;
 * empty elements are skipped (RFC 9110 5.6.1). Returns false at the end.
 */
static bool
list_next(const char **pp, const char *end, const char **s, size_t *n)
{
	const char	*p = *pp, *e;

	while (p < end && (*p == ',' || IS_OWS(*p)))
		p++;
	if (p == end) {
		*pp = p;
		return false;
	}
	*s = p;
	while (p < end && *p != ',')
		p++;
	for (e = p; e > *s && IS_OWS(e[-1]); e--)
		;
	*n = (size_t)(e - *s);
	*pp = p;
	return true;
}

static enum hname
hname_lookup(const char *n, size_t len)
{
	switch (len) {
	case 2:
		return ci_eq(n, len, "te") ? H_TE : H_OTHER;
	case 4:
		return ci_eq(n, len, "host") ? H_HOST : H_OTHER;
	case 6:
		return ci_eq(n, len, "expect") ? H_EXPECT : H_OTHER;
	case 7:
		return ci_eq(n, len, "upgrade") ? H_UPGRADE : H_OTHER;
	case 10:
		if (ci_eq(n, len, "connection"))
			return H_CONNECTION;
		return ci_eq(n, len, "keep-alive") ? H_KEEP_ALIVE : H_OTHER;
	case 14:
		return ci_eq(n, len, "content-length") ? H_CONTENT_LENGTH : H_OTHER;
	case 16:
		return ci_eq(n, len, "proxy-connection") ? H_PROXY_CONNECTION : H_OTHER;
	case 17:
		return ci_eq(n, len, "transfer-encoding") ? H_TRANSFER_ENCODING : H_OTHER;
	}
	return H_OTHER;
}

static enum lb_http_method
method_lookup(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < LB_ARRAY_SIZE(methods); i++) {
		if (methods[i].len == n && memcmp(methods[i].name, s, n) == 0)
			return methods[i].method;
	}
	return LB_HTTP_OTHER;
}

/* Refuse the head: the status to answer and a static reason for logs. */
static enum lb_http_parse
refuse(struct lb_http_err *e, int status, const char *why)
{
	e->status = status;
	e->why = why;
	return LB_HTTP_INVALID;
}

/* The head is not complete within the scan window: wait, unless it is already too large. */
static enum lb_http_parse
need_more(size_t len, const struct lb_http_limits *lim, struct lb_http_err *e)
{
	if (len > lim->max_header_bytes)
		return refuse(e, 431, "header section too large");
	return LB_HTTP_PARTIAL;
}

/* "HTTP/" DIGIT "." DIGIT at *pp (400 if malformed). */
static enum lb_http_parse
scan_version(const char **pp, const char *end, int *major, int *minor, struct lb_http_err *e)
{
	static const char	 proto[] = "HTTP/";
	const char		*p = *pp;
	size_t			 i;

	for (i = 0; i < sizeof(proto) - 1; i++, p++) {
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (*p != proto[i])
			goto bad;
	}
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (!IS(*p, C_DIGIT))
		goto bad;
	*major = *p++ - '0';
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p++ != '.')
		goto bad;
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (!IS(*p, C_DIGIT))
		goto bad;
	*minor = *p++ - '0';
	*pp = p;
	return LB_HTTP_OK;
bad:
	return refuse(e, 400, "malformed HTTP version");
}

/* CRLF at *pp (400 for a bare CR, a bare LF, or what: anything else). */
static enum lb_http_parse
scan_crlf(const char **pp, const char *end, const char *what, struct lb_http_err *e)
{
	const char	*p = *pp;

	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != '\r')
		return refuse(e, 400, *p == '\n' ? "bare LF" : what);
	if (p + 1 == end)
		return LB_HTTP_PARTIAL;
	if (p[1] != '\n')
		return refuse(e, 400, "bare CR");
	*pp = p + 2;
	return LB_HTTP_OK;
}

/* Origin-form, asterisk-form (OPTIONS) or absolute-form http(s) target. */
static bool
target_ok(const char *u, size_t n, enum lb_http_method method)
{
	if (u[0] == '/')
		return true;
	if (n == 1 && u[0] == '*')
		return method == LB_HTTP_OPTIONS;
	if (n > 7 && ci_eq(u, 7, "http://"))
		return true;
	return n > 8 && ci_eq(u, 8, "https://");
}

/*
 * Request line: METHOD SP target SP HTTP/x.y CRLF. The target limit (414) is
 * checked while scanning so that it fires before the line is complete.
 */
static enum lb_http_parse
scan_request_line(const char **pp, const char *end, const struct lb_http_limits *lim,
    struct lb_http_msg *m, struct lb_http_err *e)
{
	const char		*p = *pp, *s;
	enum lb_http_parse	 rc;

	for (s = p; p < end && IS(*p, C_TCHAR); p++)
		;
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != ' ' || p == s)
		return refuse(e, 400, "malformed method");
	m->method_str = s;
	m->method_len = (size_t)(p - s);
	m->method = method_lookup(s, m->method_len);
	if (m->method == LB_HTTP_CONNECT)
		return refuse(e, 501, "CONNECT is not supported");

	for (s = ++p; p < end && IS(*p, C_TARGET); p++) {
		if ((size_t)(p - s) >= lim->max_uri_bytes)
			return refuse(e, 414, "request target too long");
	}
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != ' ') {
		if (*p == '\r' || *p == '\n')
			return refuse(e, 400, "HTTP/0.9 request (no version)");
		return refuse(e, 400, "invalid character in request target");
	}
	if (p == s)
		return refuse(e, 400, "empty request target");
	m->uri = s;
	m->uri_len = (size_t)(p - s);
	if (!target_ok(m->uri, m->uri_len, m->method))
		return refuse(e, 400, "unsupported request target form");
	p++;
	if ((rc = scan_version(&p, end, &m->major, &m->minor, e)) != LB_HTTP_OK)
		return rc;
	if ((rc = scan_crlf(&p, end, "junk after HTTP version", e)) != LB_HTTP_OK)
		return rc;
	if (m->major != 1)
		return refuse(e, 505, "HTTP major version is not 1");
	*pp = p;
	return LB_HTTP_OK;
}

/* Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF (400 if malformed). */
static enum lb_http_parse
scan_status_line(const char **pp, const char *end, struct lb_http_msg *m, struct lb_http_err *e)
{
	const char		*p = *pp, *s;
	enum lb_http_parse	 rc;
	int			 i;

	if ((rc = scan_version(&p, end, &m->major, &m->minor, e)) != LB_HTTP_OK)
		return rc;
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p++ != ' ')
		goto bad;
	m->status = 0;
	for (i = 0; i < 3; i++, p++) {
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (!IS(*p, C_DIGIT))
			goto bad;
		m->status = m->status * 10 + (*p - '0');
	}
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p == ' ')
		p++;
	else if (*p != '\r')
		goto bad;
	for (s = p; p < end && IS(*p, C_VALUE); p++)
		;
	m->reason = s;
	m->reason_len = (size_t)(p - s);
	if ((rc = scan_crlf(&p, end, "control character in reason phrase", e)) != LB_HTTP_OK)
		return rc;
	if (m->major != 1)
		return refuse(e, 505, "HTTP major version is not 1");
	if (m->status < 100 || m->status > 599)
		return refuse(e, 400, "status code out of range");
	*pp = p;
	return LB_HTTP_OK;
bad:
	return refuse(e, 400, "malformed status line");
}

/*
 * Header field lines up to and including the empty line, into m->hdrs.
 * One pass; names are tokens glued to the colon, values HT/SP/VCHAR/obs-text.
 */
static enum lb_http_parse
scan_fields(const char **pp, const char *end, size_t max_lines, struct lb_http_msg *m,
    struct lb_http_err *e)
{
	const char		*p = *pp, *name, *v, *ve;
	struct lb_http_hdr	*h;
	enum lb_http_parse	 rc;

	for (;;) {
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (*p == '\r' || *p == '\n') {
			if ((rc = scan_crlf(&p, end, "", e)) != LB_HTTP_OK)
				return rc;
			*pp = p;
			return LB_HTTP_OK;
		}
		if (IS_OWS(*p))
			return refuse(e, 400, "obs-fold or whitespace at start of line");
		if (m->n_hdrs >= max_lines)
			return refuse(e, 431, "too many header lines");
		for (name = p; p < end && IS(*p, C_TCHAR); p++)
			;
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (*p != ':') {
			if (IS_OWS(*p))
				return refuse(e, 400, "whitespace before colon");
			if (*p == '\r' || *p == '\n')
				return refuse(e, 400, "header line without colon");
			return refuse(e, 400, "invalid character in field name");
		}
		if (p == name)
			return refuse(e, 400, "empty field name");
		h = &m->hdrs[m->n_hdrs];
		h->name = name;
		h->name_len = (size_t)(p - name);
		for (p++; p < end && IS_OWS(*p); p++)
			;
		for (v = p; p < end && IS(*p, C_VALUE); p++)
			;
		for (ve = p; ve > v && IS_OWS(ve[-1]); ve--)
			;
		if ((rc = scan_crlf(&p, end, "control character in field value", e)) != LB_HTTP_OK)
			return rc;
		h->value = v;
		h->value_len = (size_t)(ve - v);
		h->hop = false;
		m->n_hdrs++;
	}
}

/*
 * The head from the start line to the empty line, bounded by the limits.
 * Leading empty lines (CRLF) before a request line are skipped (RFC 9112
 * 2.2) and counted in head_len.
 */
static enum lb_http_parse
scan_head(const char *buf, size_t len, const struct lb_http_limits *lim, bool request,
    struct lb_http_msg *m, struct lb_http_err *e)
{
	const char		*p = buf, *end;
	size_t			 max_lines;
	enum lb_http_parse	 rc = LB_HTTP_OK;

	end = buf + (len < lim->max_header_bytes ? len : lim->max_header_bytes);
	max_lines = lim->max_header_lines < m->hdr_cap ? lim->max_header_lines : m->hdr_cap;

	if (request) {
		while (rc == LB_HTTP_OK && p < end && (*p == '\r' || *p == '\n'))
			rc = scan_crlf(&p, end, "", e);
		if (rc == LB_HTTP_OK)
			rc = scan_request_line(&p, end, lim, m, e);
	} else
		rc = scan_status_line(&p, end, m, e);
	if (rc == LB_HTTP_OK)
		rc = scan_fields(&p, end, max_lines, m, e);
	if (rc == LB_HTTP_PARTIAL)
		return need_more(len, lim, e);
	if (rc == LB_HTTP_OK)
		m->head_len = (size_t)(p - buf);
	return rc;
}

/* Content-Length: 1*DIGIT, at most CL_MAX. */
static int
parse_content_length(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!IS(s[i], C_DIGIT))
			return -1;
		if (v > (CL_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * A Transfer-Encoding value other than exactly "chunked": 400 when it is
 * malformed or could never frame a request (chunked twice or not last), 501
 * when it is a valid coding list we do not implement.
 */
static enum lb_http_parse
te_refuse(const char *v, size_t n, struct lb_http_err *e)
{
	const char	*p = v, *end = v + n, *s, *t, *semi;
	bool		 chunked = false, last_chunked = false;

	if (n == 0)
		goto bad;
	for (;;) {
		for (s = p; p < end && *p != ','; p++)
			;
		for (; s < p && IS_OWS(*s); s++)
			;
		for (t = p; t > s && IS_OWS(t[-1]); t--)
			;
		semi = memchr(s, ';', (size_t)(t - s));
		if (semi != NULL)
			for (t = semi; t > s && IS_OWS(t[-1]); t--)
				;
		if (!all_tchar(s, (size_t)(t - s)))
			goto bad;
		last_chunked = ci_eq(s, (size_t)(t - s), "chunked");
		if (last_chunked) {
			if (chunked)
				return refuse(e, 400, "chunked applied twice");
			chunked = true;
		}
		if (p == end)
			break;
		p++;
	}
	if (chunked && !last_chunked)
		return refuse(e, 400, "chunked is not the final transfer coding");
	return refuse(e, 501, "unsupported transfer coding");
bad:
	return refuse(e, 400, "malformed Transfer-Encoding");
}

/* Host: IP-literal or reg-name, optional ":" port (RFC 9110 7.2); ',' refused. */
static bool
host_ok(const char *s, size_t n)
{
	size_t	i = 0, digits;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++) {
			if (!IS(s[i], C_HOST) && s[i] != ':')
				return false;
		}
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			if (!IS(s[i], C_HOST))
				return false;
			if (s[i] == '%') {
				if (i + 2 >= n || !IS(s[i + 1], C_HEX) || !IS(s[i + 2], C_HEX))
					return false;
				i += 2;
			}
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (s[i++] != ':')
		return false;
	for (digits = 0; i < n; i++, digits++) {
		if (!IS(s[i], C_DIGIT) || digits == 5)
			return false;
	}
	return true;
}

/*
 * The target to forward, in m->path. A fragment is refused: it is never
 * sent (RFC 9110 4.2.5) and could be read differently behind us. An
 * absolute-form target (RFC 9112 3.2.2) is forwarded in origin-form and
 * its authority replaces Host; a Host field that differs from it
 * (case-insensitively, port as written) is refused.
 */
static enum lb_http_parse
set_target(struct lb_http_msg *m, struct lb_http_hdr *host, struct lb_http_err *e)
{
	const char	*u = m->uri, *end = u + m->uri_len, *a, *p;
	size_t		 alen;

	if (memchr(u, '#', m->uri_len) != NULL)
		return refuse(e, 400, "fragment in request target");
	m->path = u;
	m->path_len = m->uri_len;
	if (u[0] == '/' || u[0] == '*')
		return LB_HTTP_OK;
	/* "http://" or "https://" (target_ok) */
	a = u + (u[4] == ':' ? 7 : 8);
	for (p = a; p < end && *p != '/' && *p != '?'; p++)
		;
	alen = (size_t)(p - a);
	if (!host_ok(a, alen))
		return refuse(e, 400, "invalid authority in request target");
	if (host != NULL) {
		if (host->value_len != alen || !ci_eq2(host->value, a, alen))
			return refuse(e, 400, "Host differs from the request target's authority");
		host->value = a;
	}
	m->host = a;
	m->host_len = alen;
	m->path = p;
	m->path_len = (size_t)(end - p);
	if (p == end && m->method == LB_HTTP_OPTIONS) {
		/* the whole server, not its root (RFC 9112 3.2.4) */
		m->path = "*";
		m->path_len = 1;
	} else if (p == end || *p == '?')
		m->path_slash = true;
	return LB_HTTP_OK;
}

/* Connection tokens: close, keep-alive, upgrade, or names of other fields. */
static enum lb_http_parse
parse_connection(const struct lb_http_hdr *h, struct hinfo *x, struct lb_http_err *e)
{
	const char	*p = h->value, *end = h->value + h->value_len, *s;
	size_t		 n;

	while (list_next(&p, end, &s, &n)) {
		if (!all_tchar(s, n))
			return refuse(e, 400, "malformed Connection");
		if (ci_eq(s, n, "close"))
			x->conn_close = true;
		else if (ci_eq(s, n, "keep-alive"))
			x->conn_keep_alive = true;
		else if (ci_eq(s, n, "upgrade"))
			x->conn_upgrade = true;
		else
			x->conn_other = true;
	}
	return LB_HTTP_OK;
}

/* TE: does the list carry the "trailers" member? */
static bool
te_has_trailers(const struct lb_http_hdr *h)
{
	const char	*p = h->value, *end = h->value + h->value_len, *s;
	size_t		 n;

	while (list_next(&p, end, &s, &n)) {
		if (ci_eq(s, n, "trailers"))
			return true;
	}
	return false;
}

/*
 * Mark as hop-by-hop every field named by a Connection token (RFC 9110
 * 7.6.1). Host is never removed that way: a client must not be able to make
 * the forwarded request lose it.
 */
static void
mark_connection_named(struct lb_http_msg *m)
{
	const char		*p, *end, *s;
	size_t			 i, j, n;
	struct lb_http_hdr	*h;

	for (i = 0; i < m->n_hdrs; i++) {
		if (hname_lookup(m->hdrs[i].name, m->hdrs[i].name_len) != H_CONNECTION)
			continue;
		p = m->hdrs[i].value;
		end = p + m->hdrs[i].value_len;
		while (list_next(&p, end, &s, &n)) {
			for (j = 0; j < m->n_hdrs; j++) {
				h = &m->hdrs[j];
				if (h->name_len == n && !h->hop && ci_eq2(h->name, s, n) &&
				    hname_lookup(h->name, h->name_len) != H_HOST)
					h->hop = true;
			}
		}
	}
}

/* The semantic pass over the parsed fields, shared by requests and responses. */
static enum lb_http_parse
classify(struct lb_http_msg *m, struct hinfo *x, struct lb_http_err *e)
{
	struct lb_http_hdr	*h;
	size_t			 i;
	enum lb_http_parse	 rc;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < m->n_hdrs; i++) {
		h = &m->hdrs[i];
		switch (hname_lookup(h->name, h->name_len)) {
		case H_OTHER:
			break;
		case H_HOST:
			if (x->hosts++ == 0)
				x->host = h;
			break;
		case H_CONTENT_LENGTH:
			h->hop = true;
			if (x->cls++ > 0)
				return refuse(e, 400, "repeated Content-Length");
			if (parse_content_length(h->value, h->value_len, &x->cl) == -1)
				return refuse(e, 400, "malformed Content-Length");
			break;
		case H_TRANSFER_ENCODING:
			h->hop = true;
			if (x->tes++ > 0)
				return refuse(e, 400, "repeated Transfer-Encoding");
			x->te = h;
			break;
		case H_CONNECTION:
			h->hop = true;
			if ((rc = parse_connection(h, x, e)) != LB_HTTP_OK)
				return rc;
			break;
		case H_KEEP_ALIVE:
		case H_PROXY_CONNECTION:
			h->hop = true;
			break;
		case H_TE:
			h->hop = true;
			if (te_has_trailers(h))
				x->te_trailers = true;
			break;
		case H_UPGRADE:
			h->hop = true;
			x->upgrade_hdr = true;
			break;
		case H_EXPECT:
			if (ci_eq(h->value, h->value_len, "100-continue"))
				x->expect_100 = true;
			break;
		}
	}
	if (x->cls > 0 && x->tes > 0)
		return refuse(e, 400, "both Content-Length and Transfer-Encoding");
	if (x->conn_other)
		mark_connection_named(m);
	return LB_HTTP_OK;
}

static void
hp_setup(void)
{
	/* Our own limits bound the head; http-parser's 80 KiB default must not. */
	http_parser_set_max_header_size(UINT32_MAX);
}

static int
hp_headers_cb(http_parser *hp)
{
	http_parser_pause(hp, 1);
	return 0;
}

/*
 * Second opinion: http-parser must read the validated head to its end with
 * the same version, method or status, and framing. Methods it does not know
 * are shown to it as GET with the same target and fields.
 */
static int
second_opinion(const char *buf, bool request, const struct lb_http_msg *m,
    const struct hinfo *x, bool chunked)
{
	http_parser	hp;
	size_t		n, want, off;

	pthread_once(&hp_once, hp_setup);
	http_parser_init(&hp, request ? HTTP_REQUEST : HTTP_RESPONSE);
	if (request && m->method == LB_HTTP_OTHER) {
		off = (size_t)(m->uri - buf);
		if (http_parser_execute(&hp, &hp_settings, "GET ", 4) != 4)
			return -1;
		n = http_parser_execute(&hp, &hp_settings, m->uri, m->head_len - off);
		want = m->head_len - off - 1;
	} else {
		n = http_parser_execute(&hp, &hp_settings, buf, m->head_len);
		want = m->head_len - 1;
	}
	if (HTTP_PARSER_ERRNO(&hp) != HPE_PAUSED || n != want)
		return -1;
	if (hp.http_major != m->major || hp.http_minor != m->minor)
		return -1;
	if (request && m->method != LB_HTTP_OTHER && (int)hp.method != hp_methods[m->method])
		return -1;
	if (!request && (int)hp.status_code != m->status)
		return -1;
	if (((hp.flags & F_CHUNKED) != 0) != chunked)
		return -1;
	if (((hp.flags & F_CONTENTLENGTH) != 0) != (x->cls > 0))
		return -1;
	if (x->cls > 0 && hp.content_length != x->cl)
		return -1;
	return 0;
}

/* Reset what a parse fills in, keeping the caller's header array. */
static void
msg_reset(struct lb_http_msg *m)
{
	struct lb_http_hdr	*hdrs = m->hdrs;
	size_t			 cap = m->hdr_cap;

	memset(m, 0, sizeof(*m));
	m->hdrs = hdrs;
	m->hdr_cap = cap;
}

/* The steps both parsers share: a fresh m, the head scanned, the fields classified. */
static enum lb_http_parse
parse_head(const char *buf, size_t len, const struct lb_http_limits *lim, bool request,
    struct lb_http_msg *m, struct hinfo *x, struct lb_http_err *e)
{
	enum lb_http_parse rc;

	e->status = 0;
	e->why = NULL;
	msg_reset(m);
	if ((rc = scan_head(buf, len, lim, request, m, e)) != LB_HTTP_OK)
		return rc;
	return classify(m, x, e);
}

/* Persistent connection after this message (RFC 9112 9.3), framing aside. */
static bool
msg_keep_alive(const struct lb_http_msg *m, const struct hinfo *x)
{
	return !x->conn_close && (m->minor >= 1 || x->conn_keep_alive);
}

enum lb_http_parse
lb_http_parse_request(const char *buf, size_t len, const struct lb_http_limits *lim,
    struct lb_http_msg *m, struct lb_http_err *e)
{
	struct hinfo		 x;
	bool			 chunked = false;
	enum lb_http_parse	 rc;

	if ((rc = parse_head(buf, len, lim, true, m, &x, e)) != LB_HTTP_OK)
		return rc;

	if (x.tes > 0) {
		if (m->minor == 0)
			return refuse(e, 400, "Transfer-Encoding in an HTTP/1.0 request");
		if (!ci_eq(x.te->value, x.te->value_len, "chunked"))
			return te_refuse(x.te->value, x.te->value_len, e);
		chunked = true;
	}
	if (x.hosts > 1 || (x.hosts == 0 && m->minor >= 1))
		return refuse(e, 400, x.hosts ? "more than one Host" : "HTTP/1.1 request without Host");
	if (x.host != NULL && !host_ok(x.host->value, x.host->value_len))
		return refuse(e, 400, "invalid Host");
	if (!lim->trusted && second_opinion(buf, true, m, &x, chunked) == -1)
		return refuse(e, 400, "http-parser disagrees");
	if ((rc = set_target(m, x.host, e)) != LB_HTTP_OK)
		return rc;

	/* A minor version above 1 is processed as HTTP/1.1 (RFC 9110 2.5). */
	if (m->minor > 1)
		m->minor = 1;
	if (chunked)
		m->body = LB_BODY_CHUNKED;
	else if (x.cls > 0) {
		m->body = LB_BODY_LENGTH;
		m->content_length = x.cl;
	} else
		m->body = LB_BODY_NONE;
	m->keep_alive = msg_keep_alive(m, &x);
	m->expect_continue = x.expect_100 && m->minor >= 1;
	m->upgrade = x.conn_upgrade && x.upgrade_hdr && m->method == LB_HTTP_GET &&
	    m->minor >= 1 && (m->body == LB_BODY_NONE ||
	    (m->body == LB_BODY_LENGTH && m->content_length == 0));
	m->te_trailers = x.te_trailers;
	if (x.host != NULL) {
		m->host = x.host->value;
		m->host_len = x.host->value_len;
	}
	return LB_HTTP_OK;
}

enum lb_http_parse
lb_http_parse_response(const char *buf, size_t len, const struct lb_http_limits *lim,
    enum lb_http_method req_method, struct lb_http_msg *m, struct lb_http_err *e)
{
	struct hinfo		 x;
	size_t			 i;
	bool			 chunked = false;
	enum lb_http_parse	 rc;

	/* whatever the head's fault, the client gets 502 */
	if ((rc = parse_head(buf, len, lim, false, m, &x, e)) != LB_HTTP_OK) {
		if (rc == LB_HTTP_INVALID)
			e->status = 502;
		return rc;
	}
	if (x.tes > 0) {
		/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing. */
		if (m->minor == 0)
			return refuse(e, 502, "Transfer-Encoding in an HTTP/1.0 response");
		if (!ci_eq(x.te->value, x.te->value_len, "chunked"))
			return refuse(e, 502, "Transfer-Encoding other than chunked");
		chunked = true;
	}
	if (m->status == 101 && !x.upgrade_hdr)
		return refuse(e, 502, "101 without Upgrade");
	if (!lim->trusted && second_opinion(buf, false, m, &x, chunked) == -1)
		return refuse(e, 502, "http-parser disagrees");

	if (m->minor > 1)
		m->minor = 1;
	if (x.cls > 0)
		m->content_length = x.cl;
	if (req_method == LB_HTTP_HEAD || m->status < 200 || m->status == 204 ||
	    m->status == 304) {
		m->body = LB_BODY_NONE;
		/* HEAD and 304 keep their Content-Length: it describes the entity. */
		if (m->status >= 200 && m->status != 204) {
			for (i = 0; i < m->n_hdrs; i++) {
				if (hname_lookup(m->hdrs[i].name, m->hdrs[i].name_len) ==
				    H_CONTENT_LENGTH)
					m->hdrs[i].hop = false;
			}
		}
	} else if (chunked)
		m->body = LB_BODY_CHUNKED;
	else if (x.cls > 0)
		m->body = LB_BODY_LENGTH;
	else
		m->body = LB_BODY_CLOSE;
	m->keep_alive = msg_keep_alive(m, &x);
	if (m->body == LB_BODY_CLOSE)
		m->keep_alive = false;
	m->upgrade = m->status == 101;
	return LB_HTTP_OK;
}

const struct lb_http_hdr *
lb_http_find(const struct lb_http_msg *m, const char *name)
{
	size_t	i, n = strlen(name);

	for (i = 0; i < m->n_hdrs; i++) {
		if (m->hdrs[i].name_len == n && ci_eq2(m->hdrs[i].name, name, n))
			return &m->hdrs[i];
	}
	return NULL;
}

unsigned
lb_http_drop(struct lb_http_msg *m, const char *name)
{
	size_t		i, n = strlen(name);
	unsigned	k = 0;

	for (i = 0; i < m->n_hdrs; i++) {
		if (m->hdrs[i].name_len == n && ci_eq2(m->hdrs[i].name, name, n)) {
			m->hdrs[i].hop = true;
			k++;
		}
	}
	return k;
}
