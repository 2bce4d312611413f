/*
 * http_msg.c: strict HTTP/1.x heads, regenerated heads and body framing.
 *
 * Debian's http-parser 2.9 is lenient (obs-fold, bare LF, whitespace before
 * the colon, HTTP/0.9, any version, chunk data not followed by CRLF, any
 * bytes in chunk extensions), so a head is validated here first, in one pass
 * over the complete and bounded head, into the caller's header array. Every
 * head that passes is then run through http_parser_execute as a second
 * opinion: if it errors or reads the framing differently, the head is
 * refused. Bodies are framed by our own strict scanner, which is resumable at
 * any byte boundary; http-parser is not used for bodies because it accepts
 * chunk data without the CRLF that must follow it.
 *
 * This is the only file that includes http_parser.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/buffer.h>
#include <http_parser.h>

#include "lbproxy/http.h"
#include "lbproxy/util.h"

/* Character classes, one bit each, for the table below. */
#define C_TCHAR		0x01	/* token: field names, methods, codings */
#define C_VALUE		0x02	/* field-value / reason: HT SP VCHAR obs-text */
#define C_TARGET	0x04	/* request-target: VCHAR */
#define C_HOST		0x08	/* reg-name: unreserved sub-delims (not ',') '%' */
#define C_HEX		0x10
#define C_QDTEXT	0x20	/* quoted-string text (chunk extensions) */
#define C_DIGIT		0x40

/* Generated from RFC 9110 / 3986 grammar; rows are 16 bytes from 0x00. */
static const uint8_t cclass[256] = {
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

#define IS(c, cl)	((cclass[(unsigned char)(c)] & (cl)) != 0)
#define IS_OWS(c)	((c) == ' ' || (c) == '\t')

/* Longest chunk-size line (size and extensions) the body scanner accepts. */
#define CHUNK_LINE_MAX	4096
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
	const struct lb_http_hdr *host;
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

/* ASCII lowercase, independent of the locale. */
static inline unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of s (n bytes) and lowercase literal lit. */
static bool
ci_eq(const char *s, size_t n, const char *lit)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (lit[i] == '\0' || lower(s[i]) != (unsigned char)lit[i])
			return false;
	}
	return lit[n] == '\0';
}

/* Case-insensitive equality of two byte strings of length n. */
static bool
ci_eq2(const char *a, const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
	}
	return true;
}

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

/* Status to return when the head is not complete within the scan window. */
static int
need_more(size_t len, const struct lb_http_limits *lim, const char **why)
{
	if (len > lim->max_header_bytes) {
		*why = "header section too large";
		return 431;
	}
	return LB_HTTP_PARTIAL;
}

/* "HTTP/" DIGIT "." DIGIT at *pp; returns 0, LB_HTTP_PARTIAL or 400. */
static int
scan_version(const char **pp, const char *end, int *major, int *minor, const char **why)
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
	return 0;
bad:
	*why = "malformed HTTP version";
	return 400;
}

/* CRLF at *pp; returns 0, LB_HTTP_PARTIAL or 400 (bare CR, bare LF, junk). */
static int
scan_crlf(const char **pp, const char *end, const char *what, const char **why)
{
	const char	*p = *pp;

	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != '\r') {
		*why = *p == '\n' ? "bare LF" : what;
		return 400;
	}
	if (p + 1 == end)
		return LB_HTTP_PARTIAL;
	if (p[1] != '\n') {
		*why = "bare CR";
		return 400;
	}
	*pp = p + 2;
	return 0;
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
static int
scan_request_line(const char **pp, const char *end, const struct lb_http_limits *lim,
    struct lb_http_msg *m, const char **why)
{
	const char	*p = *pp, *s;
	int		 rc;

	for (s = p; p < end && IS(*p, C_TCHAR); p++)
		;
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != ' ' || p == s) {
		*why = "malformed method";
		return 400;
	}
	m->method_str = s;
	m->method_len = (size_t)(p - s);
	m->method = method_lookup(s, m->method_len);
	if (m->method == LB_HTTP_CONNECT) {
		*why = "CONNECT is not supported";
		return 501;
	}

	for (s = ++p; p < end && IS(*p, C_TARGET); p++) {
		if ((size_t)(p - s) >= lim->max_uri_bytes) {
			*why = "request target too long";
			return 414;
		}
	}
	if (p == end)
		return LB_HTTP_PARTIAL;
	if (*p != ' ') {
		if (*p == '\r' || *p == '\n')
			*why = "HTTP/0.9 request (no version)";
		else
			*why = "invalid character in request target";
		return 400;
	}
	if (p == s) {
		*why = "empty request target";
		return 400;
	}
	m->uri = s;
	m->uri_len = (size_t)(p - s);
	if (!target_ok(m->uri, m->uri_len, m->method)) {
		*why = "unsupported request target form";
		return 400;
	}
	p++;
	if ((rc = scan_version(&p, end, &m->major, &m->minor, why)) != 0)
		return rc;
	if ((rc = scan_crlf(&p, end, "junk after HTTP version", why)) != 0)
		return rc;
	if (m->major != 1) {
		*why = "HTTP major version is not 1";
		return 505;
	}
	*pp = p;
	return 0;
}

/* Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF; 400 means invalid. */
static int
scan_status_line(const char **pp, const char *end, struct lb_http_msg *m, const char **why)
{
	const char	*p = *pp, *s;
	int		 rc, i;

	if ((rc = scan_version(&p, end, &m->major, &m->minor, why)) != 0)
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
	if ((rc = scan_crlf(&p, end, "control character in reason phrase", why)) != 0)
		return rc;
	if (m->major != 1) {
		*why = "HTTP major version is not 1";
		return 505;
	}
	if (m->status < 100 || m->status > 599) {
		*why = "status code out of range";
		return 400;
	}
	*pp = p;
	return 0;
bad:
	*why = "malformed status line";
	return 400;
}

/*
 * Header field lines up to and including the empty line, into m->hdrs.
 * One pass; names are tokens glued to the colon, values HT/SP/VCHAR/obs-text.
 */
static int
scan_fields(const char **pp, const char *end, size_t max_lines, struct lb_http_msg *m,
    const char **why)
{
	const char		*p = *pp, *name, *v, *ve;
	struct lb_http_hdr	*h;
	int			 rc;

	for (;;) {
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (*p == '\r' || *p == '\n') {
			if ((rc = scan_crlf(&p, end, "", why)) != 0)
				return rc;
			*pp = p;
			return 0;
		}
		if (IS_OWS(*p)) {
			*why = "obs-fold or whitespace at start of line";
			return 400;
		}
		if (m->n_hdrs >= max_lines) {
			*why = "too many header lines";
			return 431;
		}
		for (name = p; p < end && IS(*p, C_TCHAR); p++)
			;
		if (p == end)
			return LB_HTTP_PARTIAL;
		if (*p != ':') {
			if (IS_OWS(*p))
				*why = "whitespace before colon";
			else if (*p == '\r' || *p == '\n')
				*why = "header line without colon";
			else
				*why = "invalid character in field name";
			return 400;
		}
		if (p == name) {
			*why = "empty field name";
			return 400;
		}
		h = &m->hdrs[m->n_hdrs];
		h->name = name;
		h->name_len = (size_t)(p - name);
		for (p++; p < end && IS_OWS(*p); p++)
			;
		for (v = p; p < end && IS(*p, C_VALUE); p++)
			;
		for (ve = p; ve > v && IS_OWS(ve[-1]); ve--)
			;
		if ((rc = scan_crlf(&p, end, "control character in field value", why)) != 0)
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
static int
scan_head(const char *buf, size_t len, const struct lb_http_limits *lim, bool request,
    struct lb_http_msg *m, const char **why)
{
	const char	*p = buf, *end;
	size_t		 max_lines;
	int		 rc;

	end = buf + (len < lim->max_header_bytes ? len : lim->max_header_bytes);
	max_lines = lim->max_header_lines < m->hdr_cap ? lim->max_header_lines : m->hdr_cap;

	if (request) {
		while (p < end && (*p == '\r' || *p == '\n')) {
			if ((rc = scan_crlf(&p, end, "", why)) != 0)
				goto out;
		}
		rc = scan_request_line(&p, end, lim, m, why);
	} else
		rc = scan_status_line(&p, end, m, why);
	if (rc == 0)
		rc = scan_fields(&p, end, max_lines, m, why);
out:
	if (rc == LB_HTTP_PARTIAL)
		return need_more(len, lim, why);
	if (rc == 0)
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
static int
te_refuse(const char *v, size_t n, const char **why)
{
	const char	*p = v, *end = v + n, *s, *e, *semi;
	bool		 chunked = false, last_chunked = false;

	if (n == 0)
		goto bad;
	for (;;) {
		for (s = p; p < end && *p != ','; p++)
			;
		for (; s < p && IS_OWS(*s); s++)
			;
		for (e = p; e > s && IS_OWS(e[-1]); e--)
			;
		semi = memchr(s, ';', (size_t)(e - s));
		if (semi != NULL)
			for (e = semi; e > s && IS_OWS(e[-1]); e--)
				;
		if (!all_tchar(s, (size_t)(e - s)))
			goto bad;
		last_chunked = ci_eq(s, (size_t)(e - s), "chunked");
		if (last_chunked) {
			if (chunked) {
				*why = "chunked applied twice";
				return 400;
			}
			chunked = true;
		}
		if (p == end)
			break;
		p++;
	}
	if (chunked && !last_chunked) {
		*why = "chunked is not the final transfer coding";
		return 400;
	}
	*why = "unsupported transfer coding";
	return 501;
bad:
	*why = "malformed Transfer-Encoding";
	return 400;
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

/* Connection tokens: close, keep-alive, upgrade, or names of other fields. */
static int
parse_connection(const struct lb_http_hdr *h, struct hinfo *x, const char **why)
{
	const char	*p = h->value, *end = h->value + h->value_len, *s;
	size_t		 n;

	while (list_next(&p, end, &s, &n)) {
		if (!all_tchar(s, n)) {
			*why = "malformed Connection";
			return 400;
		}
		if (ci_eq(s, n, "close"))
			x->conn_close = true;
		else if (ci_eq(s, n, "keep-alive"))
			x->conn_keep_alive = true;
		else if (ci_eq(s, n, "upgrade"))
			x->conn_upgrade = true;
		else
			x->conn_other = true;
	}
	return 0;
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
static int
classify(struct lb_http_msg *m, struct hinfo *x, const char **why)
{
	struct lb_http_hdr	*h;
	size_t			 i;
	int			 rc;

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
			if (x->cls++ > 0) {
				*why = "repeated Content-Length";
				return 400;
			}
			if (parse_content_length(h->value, h->value_len, &x->cl) == -1) {
				*why = "malformed Content-Length";
				return 400;
			}
			break;
		case H_TRANSFER_ENCODING:
			h->hop = true;
			if (x->tes++ > 0) {
				*why = "repeated Transfer-Encoding";
				return 400;
			}
			x->te = h;
			break;
		case H_CONNECTION:
			h->hop = true;
			if ((rc = parse_connection(h, x, why)) != 0)
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
	if (x->cls > 0 && x->tes > 0) {
		*why = "both Content-Length and Transfer-Encoding";
		return 400;
	}
	if (x->conn_other)
		mark_connection_named(m);
	return 0;
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
static int
parse_head(const char *buf, size_t len, const struct lb_http_limits *lim, bool request,
    struct lb_http_msg *m, struct hinfo *x, const char **why)
{
	int rc;

	*why = NULL;
	msg_reset(m);
	if ((rc = scan_head(buf, len, lim, request, m, why)) != 0)
		return rc;
	return classify(m, x, why);
}

/* Persistent connection after this message (RFC 9112 9.3), framing aside. */
static bool
msg_keep_alive(const struct lb_http_msg *m, const struct hinfo *x)
{
	return !x->conn_close && (m->minor >= 1 || x->conn_keep_alive);
}

int
lb_http_parse_request(const char *buf, size_t len, const struct lb_http_limits *lim,
    struct lb_http_msg *m, const char **why)
{
	struct hinfo	 x;
	const char	*dummy;
	bool		 chunked = false;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	if ((rc = parse_head(buf, len, lim, true, m, &x, why)) != 0)
		return rc;

	if (x.tes > 0) {
		if (m->minor == 0) {
			*why = "Transfer-Encoding in an HTTP/1.0 request";
			return 400;
		}
		if (!ci_eq(x.te->value, x.te->value_len, "chunked"))
			return te_refuse(x.te->value, x.te->value_len, why);
		chunked = true;
	}
	if (x.hosts > 1 || (x.hosts == 0 && m->minor >= 1)) {
		*why = x.hosts ? "more than one Host" : "HTTP/1.1 request without Host";
		return 400;
	}
	if (x.host != NULL && !host_ok(x.host->value, x.host->value_len)) {
		*why = "invalid Host";
		return 400;
	}
	if (second_opinion(buf, true, m, &x, chunked) == -1) {
		*why = "http-parser disagrees";
		return 400;
	}

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
	return 0;
}

int
lb_http_parse_response(const char *buf, size_t len, const struct lb_http_limits *lim,
    enum lb_http_method req_method, struct lb_http_msg *m, const char **why)
{
	struct hinfo	 x;
	const char	*dummy;
	size_t		 i;
	bool		 chunked = false;
	int		 rc;

	if (why == NULL)
		why = &dummy;
	if ((rc = parse_head(buf, len, lim, false, m, &x, why)) != 0)
		return rc == LB_HTTP_PARTIAL ? rc : 502;
	if (x.tes > 0) {
		/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing. */
		if (m->minor == 0) {
			*why = "Transfer-Encoding in an HTTP/1.0 response";
			return 502;
		}
		if (!ci_eq(x.te->value, x.te->value_len, "chunked")) {
			*why = "Transfer-Encoding other than chunked";
			return 502;
		}
		chunked = true;
	}
	if (m->status == 101 && !x.upgrade_hdr) {
		*why = "101 without Upgrade";
		return 502;
	}
	if (second_opinion(buf, false, m, &x, chunked) == -1) {
		*why = "http-parser disagrees";
		return 502;
	}

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
	return 0;
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

/* Strip one pair of surrounding DQUOTEs from a cookie value. */
static void
cookie_unquote(const char **v, size_t *n)
{
	if (*n >= 2 && (*v)[0] == '"' && (*v)[*n - 1] == '"') {
		(*v)++;
		*n -= 2;
	}
}

/* Trim OWS on both ends of [*s, *s + *n). */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && IS_OWS((*s)[0])) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && IS_OWS((*s)[*n - 1]))
		(*n)--;
}

/*
 * If the cookie pair [s, semi) is "name=value" (OWS trimmed, one pair of
 * quotes removed), point *v and *vn at the value and return true.
 */
static bool
cookie_pair(const char *s, const char *semi, const char *name, size_t nlen,
    const char **v, size_t *vn)
{
	const char *eq = memchr(s, '=', (size_t)(semi - s)), *k = s;
	size_t kn;

	if (eq == NULL)
		return false;
	kn = (size_t)(eq - s);
	trim(&k, &kn);
	if (kn != nlen || memcmp(k, name, nlen) != 0)
		return false;
	*v = eq + 1;
	*vn = (size_t)(semi - *v);
	trim(v, vn);
	cookie_unquote(v, vn);
	return true;
}

/* End of the cookie pair starting at s: the next ';' or end. */
static const char *
pair_end(const char *s, const char *end)
{
	const char *semi = memchr(s, ';', (size_t)(end - s));

	return semi != NULL ? semi : end;
}

int
lb_http_cookie_get(const struct lb_http_msg *m, const char *name, const char **val, size_t *len)
{
	const char	*p, *end, *semi;
	size_t		 i, nlen = strlen(name);

	for (i = 0; i < m->n_hdrs; i++) {
		if (m->hdrs[i].name_len != 6 || !ci_eq(m->hdrs[i].name, 6, "cookie"))
			continue;
		p = m->hdrs[i].value;
		end = p + m->hdrs[i].value_len;
		for (; p < end; p = semi < end ? semi + 1 : end) {
			semi = pair_end(p, end);
			if (cookie_pair(p, semi, name, nlen, val, len))
				return 0;
		}
	}
	return -1;
}

int
lb_http_setcookie_get(const struct lb_http_msg *m, const char *name, const char **val,
    size_t *len)
{
	const char	*s, *end;
	size_t		 i, nlen = strlen(name);
	int		 rc = -1;

	/* The last Set-Cookie for the name wins, as in a user agent. */
	for (i = 0; i < m->n_hdrs; i++) {
		if (m->hdrs[i].name_len != 10 || !ci_eq(m->hdrs[i].name, 10, "set-cookie"))
			continue;
		s = m->hdrs[i].value;
		end = s + m->hdrs[i].value_len;
		if (cookie_pair(s, pair_end(s, end), name, nlen, val, len))
			rc = 0;
	}
	return rc;
}

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

/* Fields of the request that X-Forwarded-* settings replace or extend. */
static bool
fwd_skip(const struct lb_http_hdr *h, const struct lb_http_fwd *fwd)
{
	if (fwd == NULL)
		return false;
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
	size_t			 i, size;
	bool			 host = false;

	size = m->method_len + m->uri_len + 16;
	for (i = 0; i < m->n_hdrs; i++) {
		h = &m->hdrs[i];
		if (h->hop && m->upgrade && h->name_len == 7 && ci_eq(h->name, 7, "upgrade"))
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
		if (!host && fwd->default_host != NULL)
			size += strlen(fwd->default_host) + 8;
	}
	size += 2;

	if (wbuf_reserve(out, size, &vec, &w) == -1)
		return -1;
	put(&w, m->method_str, m->method_len);
	PUTS(&w, " ");
	put(&w, m->uri, m->uri_len);
	/*
	 * An HTTP/1.0 client's request stays HTTP/1.0 so that the member does
	 * not answer chunked, which such a client cannot read (RFC 9112 6.1).
	 */
	if (m->minor == 0)
		PUTS(&w, " HTTP/1.0\r\n");
	else
		PUTS(&w, " HTTP/1.1\r\n");
	if (!host && fwd != NULL && fwd->default_host != NULL) {
		PUTS(&w, "Host: ");
		put(&w, fwd->default_host, strlen(fwd->default_host));
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
	if (m->upgrade) {
		for (i = 0; i < m->n_hdrs; i++) {
			h = &m->hdrs[i];
			if (h->name_len == 7 && ci_eq(h->name, 7, "upgrade")) {
				PUTS(&w, "Upgrade: ");
				put(&w, h->value, h->value_len);
				PUTS(&w, "\r\n");
			}
		}
	}
	if (m->body == LB_BODY_CHUNKED)
		PUTS(&w, "Transfer-Encoding: chunked\r\n");
	else if (m->body == LB_BODY_LENGTH) {
		PUTS(&w, "Content-Length: ");
		put_u64(&w, m->content_length);
		PUTS(&w, "\r\n");
	}
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
		else if (m->upgrade && h->name_len == 7 && ci_eq(h->name, 7, "upgrade"))
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
		for (i = 0; i < m->n_hdrs; i++) {
			h = &m->hdrs[i];
			if (h->name_len == 7 && ci_eq(h->name, 7, "upgrade")) {
				PUTS(&w, "Upgrade: ");
				put(&w, h->value, h->value_len);
				PUTS(&w, "\r\n");
			}
		}
	} else if (!informational) {
		if (m->body == LB_BODY_CHUNKED)
			PUTS(&w, "Transfer-Encoding: chunked\r\n");
		else if (m->body == LB_BODY_LENGTH) {
			PUTS(&w, "Content-Length: ");
			put_u64(&w, m->content_length);
			PUTS(&w, "\r\n");
		}
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

/* Chunked scanner states (struct lb_http_body.state). */
enum cstate {
	CS_SIZE0,	/* first hex digit of a chunk size */
	CS_SIZE,	/* more hex digits, ';' or CR */
	CS_EXT_NAME0,	/* first byte of an extension name */
	CS_EXT_NAME,
	CS_EXT_VAL0,	/* after '=': token or quoted-string */
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
 * The chunked state machine (RFC 9112 7.1), strict: hex sizes of at most 16
 * digits, no whitespace in the size line, extensions ;token[=token|quoted],
 * CRLF everywhere, trailers bounded and not framing fields.
 */
static enum lb_body_result
chunked_scan(struct lb_http_body *b, const char *data, size_t len, size_t *used)
{
	size_t		i = 0, n;
	unsigned char	c;

	while (i < len) {
		if (b->state == CS_DATA) {
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
			if (IS(c, C_HEX)) {
				if (b->line_len++ == 16)
					goto bad;
				b->chunk_size = (b->chunk_size << 4) | hexval(c);
			} else if (c == ';') {
				b->line_len++;
				b->state = CS_EXT_NAME0;
			} else if (c == '\r')
				b->state = CS_SIZE_LF;
			else
				goto bad;
			break;
		case CS_EXT_NAME0:
		case CS_EXT_VAL0:
		case CS_EXT_NAME:
		case CS_EXT_TOKEN:
		case CS_EXT_QUOTED:
		case CS_EXT_QPAIR:
		case CS_EXT_QEND:
			if (++b->line_len > CHUNK_LINE_MAX)
				goto bad;
			switch (b->state) {
			case CS_EXT_NAME0:
				if (!IS(c, C_TCHAR))
					goto bad;
				b->state = CS_EXT_NAME;
				break;
			case CS_EXT_VAL0:
				if (c == '"')
					b->state = CS_EXT_QUOTED;
				else if (IS(c, C_TCHAR))
					b->state = CS_EXT_TOKEN;
				else
					goto bad;
				break;
			case CS_EXT_QUOTED:
				if (c == '"')
					b->state = CS_EXT_QEND;
				else if (c == '\\')
					b->state = CS_EXT_QPAIR;
				else if (!IS(c, C_QDTEXT))
					goto bad;
				break;
			case CS_EXT_QPAIR:
				if (!IS(c, C_VALUE))
					goto bad;
				b->state = CS_EXT_QUOTED;
				break;
			default:	/* NAME, TOKEN, QEND */
				if (c == ';')
					b->state = CS_EXT_NAME0;
				else if (c == '=' && b->state == CS_EXT_NAME)
					b->state = CS_EXT_VAL0;
				else if (c == '\r')
					b->state = CS_SIZE_LF;
				else if (b->state == CS_EXT_QEND || !IS(c, C_TCHAR))
					goto bad;
				break;
			}
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
		return chunked_scan(b, data, len, used);
	}
	*used = 0;
	return LB_BODY_ERROR;
}
