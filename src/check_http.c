/*
 * check_http.c: HTTP and HTTPS checks. Connect (check_tcp.c), for HTTPS a
 * real TLS handshake (check_tls.c), send one request with "Connection:
 * close", and judge the status line against the monitor's expected codes.
 * Only the status line is read; the rest of the response is dropped with
 * the connection.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lbproxy/config.h"
#include "lbproxy/member.h"
#include "lbproxy/tls.h"

#include "check.h"

/* The longest status line we wait for. */
#define STATUS_LINE_MAX	4096

struct http_check {
	struct lb_check		 c;	/* first: the check is freed through it */
	struct lb_check_connect	 cc;
	struct lb_check_tls	 ct;	/* HTTPS: the handshake */
	const struct lb_hm_conf	*hm;	/* borrowed until done or cancel */
	SSL_CTX			*ctx;	/* HTTPS: referenced, or NULL: the shared one */
	struct bufferevent	*bev;	/* socket, or TLS over the socket */
	bool			 tls;
	char			 host[256];	/* Host header value */
};

void
lb_check_http_cleanup(void)
{
	lb_check_tls_cleanup();
}

/* Release hook: the bufferevent owns the descriptor and the SSL object. */
static void
http_release(struct lb_check *c)
{
	struct http_check *hc = (struct http_check *)c;
	SSL *ssl;

	lb_check_connect_release(&hc->cc);
	lb_check_tls_release(&hc->ct);
	if (hc->bev != NULL) {
		/* resume next time only after a check that got an HTTP answer */
		if (hc->tls && (ssl = bufferevent_openssl_get_ssl(hc->bev)) != NULL)
			lb_check_tls_done(ssl, hc->ct.key,
			    c->result.ok || c->result.status == LB_CHK_L7STS);
		bufferevent_free(hc->bev);
	}
	hc->bev = NULL;
	SSL_CTX_free(hc->ctx);
	hc->ctx = NULL;
}

/* The expected codes as configured, for messages. */
static const char *
expected_text(const struct lb_hm_conf *hm)
{
	return hm->expected_codes != NULL ? hm->expected_codes : "200";
}

/* Whether code is one of the monitor's expected codes (default 200). */
static bool
code_expected(const struct lb_hm_conf *hm, int code)
{
	if (hm->n_codes == 0)
		return code == 200;
	return lb_codes_match(hm->codes, hm->n_codes, code);
}

/*
 * Parse "HTTP/1.x NNN ..." from the first len bytes of p. Returns the status
 * code, 0 if more bytes are needed, -1 if this is not an HTTP/1 status line.
 */
static int
parse_status(const char *p, size_t len)
{
	static const char proto[] = "HTTP/1.";
	size_t plen = sizeof(proto) - 1, i;
	const char *eol;
	int code = 0;

	if (memcmp(p, proto, len < plen ? len : plen) != 0)
		return -1;
	eol = memchr(p, '\n', len);
	if (eol == NULL)
		return len >= STATUS_LINE_MAX ? -1 : 0;
	/* "HTTP/1.x NNN" then SP, CR or LF */
	if ((size_t)(eol - p) < plen + 5 || !isdigit((unsigned char)p[plen]) || p[plen + 1] != ' ')
		return -1;
	for (i = plen + 2; i < plen + 5; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		code = code * 10 + (p[i] - '0');
	}
	if (p[i] != ' ' && p[i] != '\r' && p[i] != '\n')
		return -1;
	if (code < 100)
		return -1;
	return code;
}

/* Response bytes arrived: judge the status line once it is complete. */
static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct http_check *hc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in);
	const char *p;
	int code;

	if (len > STATUS_LINE_MAX)
		len = STATUS_LINE_MAX;
	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
	if (p == NULL || len == 0)
		return;
	code = parse_status(p, len);
	if (code == 0)
		return;
	if (code == -1)
		lb_check_finish(&hc->c, false, LB_CHK_L7RSP, 0, "invalid HTTP response");
	else if (code_expected(hc->hm, code))
		lb_check_finish(&hc->c, true, LB_CHK_L7OK, code, "HTTP status %d", code);
	else
		lb_check_finish(&hc->c, false, LB_CHK_L7STS, code, "HTTP status %d, expected %s",
		    code, expected_text(hc->hm));
}

/* Queue the request and wait for the answer. */
static void
send_request(struct http_check *hc)
{
	const struct lb_hm_conf *hm = hc->hm;

	lb_check_phase(&hc->c, LB_CHK_L7TOUT, "HTTP response timeout");
	if (evbuffer_add_printf(bufferevent_get_output(hc->bev),
	    "%s %s HTTP/1.%d\r\nHost: %s\r\nUser-Agent: lbproxy-health\r\n"
	    "Connection: close\r\n\r\n",
	    hm->http_method != NULL ? hm->http_method : "GET",
	    hm->url_path != NULL ? hm->url_path : "/", hm->http_version == 10 ? 0 : 1,
	    hc->host) == -1) {
		lb_check_finish(&hc->c, false, LB_CHK_SOCKERR, 0, "out of memory");
		return;
	}
	bufferevent_setwatermark(hc->bev, EV_READ, 0, STATUS_LINE_MAX);
	bufferevent_enable(hc->bev, EV_READ | EV_WRITE);
}

/*
 * The most specific text for a failed TLS connection: OpenSSL's reason for
 * the first real error (libevent also queues bare SSL_ERROR_* codes, which
 * carry no library and are skipped). Returns that error, or 0.
 */
static unsigned long
tls_error(struct http_check *hc, char *buf, size_t size)
{
	unsigned long e, first = 0;
	const char *reason;

	while ((e = bufferevent_get_openssl_error(hc->bev)) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	while ((e = ERR_get_error()) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	if (first != 0 && (reason = ERR_reason_error_string(first)) != NULL)
		snprintf(buf, size, "%s", reason);
	else if (first != 0)
		ERR_error_string_n(first, buf, size);
	else if (EVUTIL_SOCKET_ERROR() != 0)
		snprintf(buf, size, "%s", strerror(EVUTIL_SOCKET_ERROR()));
	else
		snprintf(buf, size, "unexpected close");
	return first;
}

/* Connection events: handshake done, end of stream, errors. */
static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_check *hc = arg;
	char err[120];
	size_t len;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_EOF) {
		len = evbuffer_get_length(bufferevent_get_input(bev));
		if (len == 0)
			lb_check_finish(&hc->c, false, LB_CHK_L7RSP, 0,
			    "connection closed without response");
		else
			lb_check_finish(&hc->c, false, LB_CHK_L7RSP, 0,
			    "incomplete HTTP status line");
		return;
	}
	if (!hc->tls)
		snprintf(err, sizeof(err), "%s", strerror(EVUTIL_SOCKET_ERROR()));
	else if (ERR_GET_LIB(tls_error(hc, err, sizeof(err))) == ERR_LIB_SSL &&
	    evbuffer_get_length(bufferevent_get_input(bev)) == 0) {
		/* TLS 1.3: a member refusing our certificate says so after our Finished */
		lb_check_finish(&hc->c, false, LB_CHK_L6RSP, 0, "TLS alert: %s", err);
		return;
	}
	lb_check_finish(&hc->c, false, LB_CHK_L7RSP, 0, "read error: %s", err);
}

/* TLS is up (HTTPS): the request goes over it. */
static void
http_handshaken(struct lb_check *c, SSL *ssl, int fd)
{
	struct http_check *hc = (struct http_check *)c;

	/* from here on the bufferevent owns ssl (freed by libevent if this fails) and fd */
	hc->bev = bufferevent_openssl_socket_new(c->base, fd, ssl, BUFFEREVENT_SSL_OPEN,
	    BEV_OPT_CLOSE_ON_FREE);
	if (hc->bev == NULL) {
		close(fd);
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "cannot create TLS bufferevent");
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(hc->bev, 1);
	bufferevent_setcb(hc->bev, read_cb, NULL, event_cb, hc);
	send_request(hc);
}

/* TCP is up: start TLS or send the request. */
static void
http_connected(struct lb_check *c, int fd)
{
	struct http_check *hc = (struct http_check *)c;

	if (hc->tls) {
		lb_check_tls_handshake(c, &hc->ct, fd, hc->ctx, hc->ct.key, http_handshaken);
		return;
	}
	hc->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (hc->bev == NULL) {
		close(fd);
		lb_check_finish(c, false, LB_CHK_SOCKERR, 0, "cannot create bufferevent");
		return;
	}
	bufferevent_setcb(hc->bev, read_cb, NULL, event_cb, hc);
	send_request(hc);
}

/*
 * Host header value: the monitor's domain_name, else the address checked,
 * with the port unless it is the scheme's default.
 */
static void
host_header(const struct lb_member *m, const struct lb_hm_conf *hm, bool tls, char *buf,
    size_t size)
{
	char host[INET6_ADDRSTRLEN];
	const struct sockaddr *sa = (const struct sockaddr *)&m->check_addr;
	int port = lb_addr_port(sa);

	if (hm->domain_name != NULL) {
		snprintf(buf, size, "%s", hm->domain_name);
		return;
	}
	if (m->check_addrlen == 0) {
		snprintf(buf, size, "%s", m->address != NULL ? m->address : "");
		return;
	}
	if (port == (tls ? 443 : 80)) {
		lb_addr_host(sa, host, sizeof(host));
		if (sa->sa_family == AF_INET6)
			snprintf(buf, size, "[%s]", host);
		else
			snprintf(buf, size, "%s", host);
	} else
		lb_addr_fmt(sa, buf, size);
}

struct lb_check *
lb_check_http_start(struct event_base *base, const struct lb_member *m,
    const struct lb_hm_conf *hm, SSL_CTX *ctx, int timeout_ms, lb_check_done_cb done,
    void *arg)
{
	struct http_check *hc;

	hc = (struct http_check *)lb_check_new(sizeof(*hc), base, timeout_ms, http_release,
	    done, arg);
	if (hc == NULL)
		return NULL;
	hc->cc.fd = -1;
	hc->ct.fd = -1;
	hc->hm = hm;
	hc->tls = hm->type == LB_HM_HTTPS;
	hc->ct.key = lb_check_tls_key(m);
	if (hc->tls && ctx != NULL) {
		(void)SSL_CTX_up_ref(ctx);
		hc->ctx = ctx;
	}
	host_header(m, hm, hc->tls, hc->host, sizeof(hc->host));
	hc->cc.send_proxy = hm->send_proxy;
	lb_check_connect(&hc->c, &hc->cc, (const struct sockaddr *)&m->check_addr, m->check_addrlen,
	    http_connected);
	return &hc->c;
}
