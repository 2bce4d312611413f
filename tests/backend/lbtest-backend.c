/*
 * lbtest-backend: the pool member used by lbproxy's README demo, end-to-end
 * tests and benchmark.
 *
 * One process, one thread, one event_base. In TCP mode it greets, echoes and
 * reports what it received when the client half-closes; in HTTP mode it is a
 * small HTTP/1.1 server (keep-alive, pipelining, Content-Length and chunked
 * request bodies, 100-continue) whose paths make it misbehave on purpose, so
 * tests can drive lbproxy through every failure a real member can produce.
 *
 * Memory per connection is bounded: request heads are limited to HEAD_MAX,
 * reading stops when the input or output buffer is full, and generated
 * bodies (/bytes/N) are queued by reference from one static buffer a slice
 * at a time.
 *
 * Every HTTP response carries X-Backend: NAME, X-Conn-Id (connection number
 * in this process) and X-Conn-Req (request number on that connection), and
 * X-Body-Bytes when the request had a body. Paths (query string ignored):
 *
 *   (anything else)   200, "NAME\n"
 *   /echo             200, body = the request head exactly as received,
 *                     with X-Body-Bytes and X-Peer: ADDR:PORT
 *   /echobody         200, body = the decoded request body (first 1 MiB)
 *   /status/NNN       NNN (200..599), body "NNN NAME\n" (none: 204, 304)
 *   /delay/MS         the default answer after MS ms (at most 1 h)
 *   /hang             no answer; closes when the client does
 *   /close            close without answering
 *   /reset            Content-Length: 100000 and 10 bytes, then RST once
 *                     the peer acked them
 *   /invalid          "HTTP/1.1 2x0 Broken" ..., then close
 *   /invalid2         Content-Length and Transfer-Encoding, then close
 *   /chunked          "NAME\n" in several chunks (close-delimited to 1.0)
 *   /bytes/N          N bytes: lines of "abc...xyzabc...k\n" (64 bytes)
 *   /setcookie/N=V    the default answer plus Set-Cookie: N=V; Path=/
 *   /upgrade          with Upgrade: websocket, 101 then echo; else 426
 *   /switch           101 then echo, even unasked (a member gone wrong)
 *   /close-delimited  no Content-Length, "NAME\n", close
 *   /health           with -H FILE: the status in FILE, "hang", "close";
 *                     200 when FILE is absent (re-read every time)
 *   /stats            counters, "key value" lines
 *
 * With --proxy (-P) every connection must start with a PROXY protocol v1 or
 * v2 header (parsed by lbproxy's own lb_proxy_proto_parse): a malformed one
 * closes the connection unanswered, with the reason in the log. Responses
 * then also carry what the header said: X-Proxy-Version: 1|2, X-Proxy-Src
 * and X-Proxy-Dst (ADDR:PORT, "LOCAL" for a v2 LOCAL header, "UNKNOWN" for
 * v1 UNKNOWN or v2 UNSPEC), and when sent X-Proxy-Alpn, X-Proxy-Authority,
 * X-Proxy-Crc32c: ok and X-Proxy-Ssl: client=N verify=N version=..
 * cn=.. cipher=.. sig_alg=.. key_alg=..; in TCP mode the greeting becomes
 * "hello NAME proxy SRC DST". Each header is logged with its bytes in hex
 * ("PROXY v2 SRC -> DST hdr 0d0a0d0a...").
 *
 * Bad requests (malformed lines, both Content-Length and Transfer-Encoding,
 * bad chunk sizes, heads over 64 KiB) get 400/431/501/505 and a close.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "lbproxy/proxy_proto.h"

#define HEAD_MAX	(64 * 1024)	/* request line + headers */
#define LINE_MAX_CHUNK	1024		/* chunk-size and trailer lines */
#define TRAILER_MAX	(16 * 1024)
#define IN_HIGH		(256 * 1024)	/* read watermark: stop reading */
#define OUT_HIGH	(1024 * 1024)	/* stop reading/parsing above this */
#define OUT_LOW		(256 * 1024)	/* ... and resume below this */
#define GEN_SLICE	(64 * 1024)	/* /bytes/N: one reference */
#define GEN_FILL	(1024 * 1024)	/* /bytes/N: queued at most */
#define ECHOBODY_MAX	(1024 * 1024)	/* /echobody: kept at most */
#define DELAY_MAX_MS	(3600 * 1000)
#define BYTES_MAX	(UINT64_C(1) << 40)
#define LISTEN_MAX	16
#define PROXY_HDRS_MAX	2048		/* X-Proxy-* lines of one connection */

/* Append a string literal to an evbuffer. */
#define ADD_LITERAL(buf, lit)	evbuffer_add((buf), (lit), sizeof(lit) - 1)
#define NAME_MAX_LEN	64
#define RESET_POLL_MS	2
#define RESET_POLLS	500		/* give up waiting for acks after 1 s */

enum mode {
	MODE_TCP,
	MODE_HTTP,
};

/* Where a connection is; the parse states come first. */
enum conn_state {
	CONN_HEAD,		/* waiting for a request head */
	CONN_BODY,		/* reading a Content-Length body */
	CONN_CHUNK_SIZE,	/* chunked body: size line */
	CONN_CHUNK_DATA,	/* chunked body: data */
	CONN_CHUNK_CRLF,	/* chunked body: CRLF after data */
	CONN_TRAILER,		/* chunked body: trailer section */
	CONN_DELAY,		/* /delay: response timer armed */
	CONN_HANG,		/* /hang: never answer */
	CONN_SEND,		/* /bytes: queuing a generated body */
	CONN_TUNNEL,		/* TCP mode or after a 101: echo */
	CONN_RESET,		/* /reset: waiting for acks, then RST */
	CONN_CLOSING,		/* flush the output, then close */
};

enum step {
	STEP_NEXT,		/* state advanced, keep going */
	STEP_AGAIN,		/* need more input */
};

enum action {
	ACT_DEFAULT,
	ACT_ECHO,
	ACT_ECHOBODY,
	ACT_STATUS,
	ACT_DELAY,
	ACT_HANG,
	ACT_CLOSE,
	ACT_RESET,
	ACT_INVALID,
	ACT_INVALID2,
	ACT_CHUNKED,
	ACT_BYTES,
	ACT_SETCOOKIE,
	ACT_UPGRADE,
	ACT_SWITCH,
	ACT_CLOSEDELIM,
	ACT_HEALTH,
	ACT_STATS,
};

/* The request being read or answered. */
struct req {
	int		 minor;		/* HTTP/1.x */
	int		 keepalive;
	int		 is_head;	/* HEAD: no response body */
	int		 expect100;
	int		 upgrade_ws;
	int		 has_body;
	int		 chunked;
	int		 have_cl;
	uint64_t	 cl;
	uint64_t	 left;		/* of the body or the current chunk */
	uint64_t	 body_bytes;
	size_t		 trailer_bytes;
	enum action	 action;
	uint64_t	 arg;		/* status, delay in ms or byte count */
	const char	*cookie;	/* into conn->head */
	size_t		 cookielen;
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	struct bufferevent	*bev;
	struct event		*timer;		/* /delay and /reset */
	char			 peer[INET6_ADDRSTRLEN + 8];
	enum conn_state		 state;
	int			 peer_eof;	/* client sent FIN */
	int			 blocked;	/* output full: paused */
	const char		*reason;	/* why it closed, for the log */
	unsigned		 requests;
	uint64_t		 bytes_in;	/* echoed (TCP mode, tunnel) */
	unsigned		 reset_polls;

	char			*head;		/* copy of the request head */
	size_t			 headlen;
	size_t			 headsize;
	size_t			 scan;		/* input searched for the end */
	struct req		 req;
	uint64_t		 gen_left;	/* /bytes: left to queue */
	struct evbuffer		*body;		/* /echobody: captured body */
	int			 need_proxy;	/* --proxy: header not read yet */
	char			*proxy_hdrs;	/* X-Proxy-* lines, or NULL */
	char			 proxy_src[INET6_ADDRSTRLEN + 8];
	char			 proxy_dst[INET6_ADDRSTRLEN + 8];
};
TAILQ_HEAD(conns, conn);

struct listener {
	struct evconnlistener	*lev;
	struct event		*retry;		/* re-enable after EMFILE */
	char			 addr[INET6_ADDRSTRLEN + 8];
};

static struct event_base	*base;
static struct conns		 conns = TAILQ_HEAD_INITIALIZER(conns);
static struct listener		 listeners[LISTEN_MAX];
static int			 nlisteners;
static enum mode		 mode = MODE_HTTP;
static const char		*name = "backend";
static const char		*healthfile;
static const char		*pidfile;
static int			 quiet;
static int			 reuseport;
static int			 proxy_mode;
static char			 pattern[GEN_SLICE];

static struct {
	uint64_t	conns_total;
	uint64_t	conns_active;
	uint64_t	requests;
	uint64_t	health_requests;
	uint64_t	proxy_ok;	/* PROXY headers with addresses */
	uint64_t	proxy_local;	/* ... LOCAL, UNKNOWN or UNSPEC */
	uint64_t	proxy_invalid;	/* refused */
} stats;

static void	conn_close(struct conn *, const char *);
static void	http_process(struct conn *);
static void	timer_cb(evutil_socket_t, short, void *);

static void logmsg(const char *, ...) __attribute__((format(printf, 1, 2)));
static void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void usage(int) __attribute__((noreturn));

/* Log one line to stderr unless -q. */
static void
logmsg(const char *fmt, ...)
{
	va_list	ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "lbtest-backend %s: ", name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Print one line and exit 1; only before the event loop runs. */
static void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "lbtest-backend: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* Print the usage (and with -h the paths) and exit. */
static void
usage(int help)
{
	FILE	*f = help ? stdout : stderr;

	fprintf(f,
	    "usage: lbtest-backend [-l ADDR:PORT]... [-n NAME] [-m tcp|http] "
	    "[-H HEALTHFILE]\n"
	    "                      [-p PIDFILE] [-q] [-R] [-P|--proxy]\n");
	if (!help)
		exit(1);
	fprintf(f, "\n"
	    "  -l ADDR:PORT  listen (IPv4 or [IPv6]:PORT, port 0 = any; "
	    "repeatable;\n"
	    "                default 127.0.0.1:8080); prints "
	    "\"listening ADDR:PORT\"\n"
	    "  -n NAME       name in replies (default backend)\n"
	    "  -m MODE       tcp: \"hello NAME\", echo, \"bye NAME N\" after "
	    "EOF; http (default)\n"
	    "  -H FILE       /health answers what FILE says: a status, hang "
	    "or close\n"
	    "  -p FILE       write the pid to FILE once listening\n"
	    "  -q            no log line per connection\n"
	    "  -R            SO_REUSEPORT: several instances share a port\n"
	    "  -P, --proxy   expect a PROXY v1/v2 header first; report it in "
	    "X-Proxy-*\n"
	    "\nHTTP paths (query strings ignored; anything else: 200 "
	    "\"NAME\\n\"):\n"
	    "  /echo /echobody /status/NNN /delay/MS /hang /close /reset "
	    "/invalid\n"
	    "  /invalid2 /chunked /bytes/N /setcookie/NAME=VALUE /upgrade\n"
	    "  /close-delimited /health /stats\n");
	exit(0);
}

static const char *
status_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Status";
}

/* Parse a decimal number of at most max; -1 if it is not one. */
static int
parse_u64(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Case-insensitive comparison of a counted string with a C string. */
static int
token_is(const char *p, size_t len, const char *what)
{
	return strlen(what) == len && strncasecmp(p, what, len) == 0;
}

/* Case-insensitive search for what in a counted string. */
static int
token_contains(const char *p, size_t len, const char *what)
{
	size_t	wlen = strlen(what), i;

	for (i = 0; i + wlen <= len; i++) {
		if (strncasecmp(p + i, what, wlen) == 0)
			return 1;
	}
	return 0;
}

/* Format a socket address as ADDR:PORT or [ADDR6]:PORT. */
static void
addr_string(const struct sockaddr *sa, char *buf, size_t size)
{
	char	host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
	} else
		snprintf(buf, size, "unknown");
}

/* Parse ADDR:PORT, [ADDR6]:PORT or PORT (127.0.0.1) into ss. */
static int
addr_parse(const char *arg, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*port, *end;
	uint64_t		 p;
	size_t			 len;

	memset(ss, 0, sizeof *ss);
	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL || end[1] != ':')
			return -1;
		len = (size_t)(end - arg - 1);
		port = end + 2;
	} else if ((end = strrchr(arg, ':')) != NULL) {
		len = (size_t)(end - arg);
		port = end + 1;
	} else {
		len = 0;
		port = arg;
	}
	if (len >= sizeof host)
		return -1;
	if (parse_u64(port, strlen(port), 65535, &p) == -1)
		return -1;
	memcpy(host, arg[0] == '[' ? arg + 1 : arg, len);
	host[len] = '\0';
	if (len == 0)
		snprintf(host, sizeof host, "127.0.0.1");

	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sslen = sizeof *sin;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof *sin6;
		return 0;
	}
	return -1;
}

/* --- connections ------------------------------------------------------ */

/* Free a connection now: fd, buffers, timer. */
static void
conn_free(struct conn *c, int log)
{
	if (log && mode == MODE_HTTP) {
		logmsg("conn %" PRIu64 " %s closed (%s): %u requests", c->id,
		    c->peer, c->reason != NULL ? c->reason : "done",
		    c->requests);
	} else if (log) {
		logmsg("conn %" PRIu64 " %s closed (%s): %" PRIu64 " bytes "
		    "received", c->id, c->peer,
		    c->reason != NULL ? c->reason : "done", c->bytes_in);
	}
	TAILQ_REMOVE(&conns, c, entry);
	stats.conns_active--;
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->body != NULL)
		evbuffer_free(c->body);
	free(c->head);
	free(c->proxy_hdrs);
	free(c);
}

/* Free the connection if it is closing and its output is written. */
static void
conn_maybe_free(struct conn *c)
{
	if (c->state != CONN_CLOSING)
		return;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) != 0)
		return;
	conn_free(c, 1);
}

/* Stop reading; the connection is freed once its output is written. */
static void
conn_close(struct conn *c, const char *reason)
{
	if (c->reason == NULL)
		c->reason = reason;
	c->state = CONN_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
}

/* Arm the connection timer (timer_cb) for ms milliseconds. */
static void
conn_timer(struct conn *c, uint64_t ms)
{
	struct timeval	tv;

	if (c->timer == NULL && (c->timer = evtimer_new(base, timer_cb, c)) ==
	    NULL)
		abort();
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* Move everything read to the output; pause reading while it is full. */
static void
echo(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	c->bytes_in += evbuffer_get_length(in);
	evbuffer_add_buffer(out, in);
	if (evbuffer_get_length(out) > OUT_HIGH) {
		bufferevent_disable(c->bev, EV_READ);
		c->blocked = 1;
	}
}

/* --- HTTP responses --------------------------------------------------- */

/* A response is complete: next request, or close. */
static void
resp_done(struct conn *c)
{
	if (c->req.keepalive)
		c->state = CONN_HEAD;
	else
		conn_close(c, "Connection: close");
}

/* Queue the status line and the headers every response carries. */
static void
resp_head(struct conn *c, int status)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	struct req	*r = &c->req;

	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nX-Backend: %s\r\n"
	    "X-Conn-Id: %" PRIu64 "\r\nX-Conn-Req: %u\r\n", status,
	    status_reason(status), name, c->id, c->requests);
	if (r->has_body || r->action == ACT_ECHO || r->action == ACT_ECHOBODY)
		evbuffer_add_printf(out, "X-Body-Bytes: %" PRIu64 "\r\n",
		    r->body_bytes);
	if (c->proxy_hdrs != NULL)
		evbuffer_add(out, c->proxy_hdrs, strlen(c->proxy_hdrs));
	if (!r->keepalive)
		ADD_LITERAL(out, "Connection: close\r\n");
	else if (r->minor == 0)
		ADD_LITERAL(out, "Connection: keep-alive\r\n");
}

/*
 * Queue a whole response: status, extra header lines hdrs (each ending in
 * CRLF, or NULL) and a body of len bytes, none for HEAD, 204 and 304.
 */
static void
resp_simple(struct conn *c, int status, const char *hdrs, const void *body,
    size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	resp_head(c, status);
	if (hdrs != NULL)
		evbuffer_add(out, hdrs, strlen(hdrs));
	if (status == 204 || status == 304) {
		ADD_LITERAL(out, "\r\n");
		resp_done(c);
		return;
	}
	evbuffer_add_printf(out, "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	if (!c->req.is_head)
		evbuffer_add(out, body, len);
	resp_done(c);
}

/* The default answer: 200, body "NAME\n". */
static void
resp_default(struct conn *c, int status, const char *hdrs)
{
	char	body[NAME_MAX_LEN + 2];
	size_t	len;

	len = (size_t)snprintf(body, sizeof body, "%s\n", name);
	resp_simple(c, status, hdrs, body, len);
}

/* Answer with an error status and close: the stream cannot be trusted. */
static void
resp_error(struct conn *c, int status, const char *why)
{
	char	body[128];
	size_t	len;

	c->req.keepalive = 0;
	len = (size_t)snprintf(body, sizeof body, "%d %s\n", status, why);
	resp_simple(c, status, NULL, body, len);
	c->reason = why;
}

/* /status/NNN: that status, body "NNN NAME\n". */
static void
resp_status(struct conn *c, int status)
{
	char	body[NAME_MAX_LEN + 8];
	size_t	len;

	len = (size_t)snprintf(body, sizeof body, "%d %s\n", status, name);
	resp_simple(c, status, NULL, body, len);
}

/* /echo: the request head exactly as received. */
static void
resp_echo(struct conn *c)
{
	char	hdr[sizeof c->peer + 16];

	snprintf(hdr, sizeof hdr, "X-Peer: %s\r\n", c->peer);
	resp_simple(c, 200, hdr, c->head, c->headlen);
}

/* /echobody: the (decoded) request body, up to ECHOBODY_MAX bytes. */
static void
resp_echobody(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 len = c->body != NULL ? evbuffer_get_length(c->body) : 0;

	resp_head(c, 200);
	evbuffer_add_printf(out, "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	if (c->body != NULL) {
		if (!c->req.is_head)
			evbuffer_add_buffer(out, c->body);
		evbuffer_free(c->body);
		c->body = NULL;
	}
	resp_done(c);
}

/* /chunked: "NAME\n" in several chunks (close-delimited for HTTP/1.0). */
static void
resp_chunked(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 len = strlen(name), third = len / 3 + 1, off, n;

	if (c->req.minor == 0)
		c->req.keepalive = 0;
	resp_head(c, 200);
	if (c->req.minor == 0) {
		ADD_LITERAL(out, "Content-Type: text/plain\r\n\r\n");
		if (!c->req.is_head)
			evbuffer_add_printf(out, "%s\n", name);
		resp_done(c);
		return;
	}
	ADD_LITERAL(out, "Content-Type: text/plain\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	if (c->req.is_head) {
		resp_done(c);
		return;
	}
	for (off = 0; off < len; off += n) {
		n = len - off < third ? len - off : third;
		evbuffer_add_printf(out, "%zx\r\n%.*s\r\n", n, (int)n,
		    name + off);
	}
	ADD_LITERAL(out, "1;last=yes\r\n\n\r\n0\r\n\r\n");
	resp_done(c);
}

/* Queue more of a /bytes body; finish the response when it is all queued. */
static void
gen_fill(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 n;

	while (c->gen_left > 0 && evbuffer_get_length(out) < GEN_FILL) {
		n = c->gen_left < GEN_SLICE ? (size_t)c->gen_left : GEN_SLICE;
		evbuffer_add_reference(out, pattern, n, NULL, NULL);
		c->gen_left -= n;
	}
	if (c->gen_left == 0)
		resp_done(c);
}

/* /bytes/N: N bytes of the pattern, with Content-Length. */
static void
resp_bytes(struct conn *c, uint64_t n)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	resp_head(c, 200);
	evbuffer_add_printf(out, "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %" PRIu64 "\r\n\r\n", n);
	c->gen_left = c->req.is_head ? 0 : n;
	c->state = CONN_SEND;
	gen_fill(c);
}

/* /reset: promise 100000 bytes, send 10, then abort once they are acked. */
static void
resp_reset(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	resp_head(c, 200);
	ADD_LITERAL(out, "Content-Type: text/plain\r\n"
	    "Content-Length: 100000\r\n\r\n0123456789");
	c->state = CONN_RESET;
	c->reason = "/reset";
}

/* /upgrade: 101 and echo, if the client asked for websocket. */
static void
resp_upgrade(struct conn *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (!c->req.upgrade_ws) {
		resp_default(c, 426, "Upgrade: websocket\r\n");
		return;
	}
	evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Connection: Upgrade\r\nUpgrade: websocket\r\nX-Backend: %s\r\n"
	    "X-Conn-Id: %" PRIu64 "\r\nX-Conn-Req: %u\r\n\r\n", name, c->id,
	    c->requests);
	c->state = CONN_TUNNEL;
	echo(c);
}

/* /health with -H: the file says the status, "hang" or "close". */
static void
resp_health(struct conn *c)
{
	char		 buf[64];
	ssize_t		 n;
	size_t		 len;
	uint64_t	 status;
	int		 fd;

	stats.health_requests++;
	if (healthfile == NULL ||
	    (fd = open(healthfile, O_RDONLY|O_CLOEXEC)) == -1) {
		resp_default(c, 200, NULL);
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	if (token_is(buf, len, "hang")) {
		c->state = CONN_HANG;
		return;
	}
	if (token_is(buf, len, "close")) {
		conn_close(c, "health file says close");
		return;
	}
	if (parse_u64(buf, len, 599, &status) == -1 || status < 200)
		status = 500;
	resp_status(c, (int)status);
}

/* /stats: counters as "key value" lines. */
static void
resp_stats(struct conn *c)
{
	char	body[512];
	int	len;

	len = snprintf(body, sizeof body, "name %s\nmode %s\npid %ld\n"
	    "conns_active %" PRIu64 "\nconns_total %" PRIu64 "\n"
	    "requests %" PRIu64 "\nhealth_requests %" PRIu64 "\n"
	    "proxy_ok %" PRIu64 "\nproxy_local %" PRIu64 "\n"
	    "proxy_invalid %" PRIu64 "\n", name,
	    mode == MODE_TCP ? "tcp" : "http", (long)getpid(),
	    stats.conns_active, stats.conns_total, stats.requests,
	    stats.health_requests, stats.proxy_ok, stats.proxy_local,
	    stats.proxy_invalid);
	resp_simple(c, 200, NULL, body, (size_t)len);
}

/* /reset: abort (RST) once the peer acked what was sent, or after 1 s. */
static void
reset_poll(struct conn *c)
{
	struct linger	 l = { .l_onoff = 1, .l_linger = 0 };
	int		 s = bufferevent_getfd(c->bev), queued = 0;

#ifdef SIOCOUTQ
	if (ioctl(s, SIOCOUTQ, &queued) == -1)
		queued = 0;
#endif
	if (queued > 0 && ++c->reset_polls < RESET_POLLS) {
		conn_timer(c, RESET_POLL_MS);
		return;
	}
	setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	conn_free(c, 1);
}

/* The connection timer: /delay is over, or /reset polls. */
static void
timer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;

	if (c->state == CONN_RESET) {
		reset_poll(c);
		return;
	}
	if (c->state != CONN_DELAY)
		return;
	resp_default(c, 200, NULL);
	http_process(c);
	conn_maybe_free(c);
}

/* Act on a complete request (head and body read). */
static void
http_respond(struct conn *c)
{
	struct req	*r = &c->req;
	char		 hdr[1100];

	switch (r->action) {
	case ACT_DEFAULT:
		resp_default(c, 200, NULL);
		break;
	case ACT_ECHO:
		resp_echo(c);
		break;
	case ACT_ECHOBODY:
		resp_echobody(c);
		break;
	case ACT_STATUS:
		resp_status(c, (int)r->arg);
		break;
	case ACT_DELAY:
		c->state = CONN_DELAY;
		conn_timer(c, r->arg);
		break;
	case ACT_HANG:
		c->state = CONN_HANG;
		break;
	case ACT_CLOSE:
		conn_close(c, "/close");
		break;
	case ACT_RESET:
		resp_reset(c);
		break;
	case ACT_INVALID:
		ADD_LITERAL(bufferevent_get_output(c->bev),
		    "HTTP/1.1 2x0 Broken\r\nContent-Length: 3\r\n\r\nabc");
		conn_close(c, "/invalid");
		break;
	case ACT_INVALID2:
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "HTTP/1.1 200 OK\r\nX-Backend: %s\r\nContent-Length: 3\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		    name);
		conn_close(c, "/invalid2");
		break;
	case ACT_CHUNKED:
		resp_chunked(c);
		break;
	case ACT_BYTES:
		resp_bytes(c, r->arg);
		break;
	case ACT_SETCOOKIE:
		snprintf(hdr, sizeof hdr, "Set-Cookie: %.*s; Path=/\r\n",
		    (int)r->cookielen, r->cookie);
		resp_default(c, 200, hdr);
		break;
	case ACT_SWITCH:
		c->req.upgrade_ws = 1;
		/* FALLTHROUGH */
	case ACT_UPGRADE:
		resp_upgrade(c);
		break;
	case ACT_CLOSEDELIM:
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "HTTP/1.1 200 OK\r\nX-Backend: %s\r\nConnection: close\r\n"
		    "Content-Type: text/plain\r\n\r\n%s\n", name,
		    r->is_head ? "" : name);
		conn_close(c, "/close-delimited");
		break;
	case ACT_HEALTH:
		resp_health(c);
		break;
	case ACT_STATS:
		resp_stats(c);
		break;
	}
}

/* --- HTTP requests ---------------------------------------------------- */

/* If path is prefix followed by something, return that something. */
static const char *
path_arg(const char *path, size_t len, const char *prefix, size_t *arglen)
{
	size_t	plen = strlen(prefix);

	if (len <= plen || memcmp(path, prefix, plen) != 0)
		return NULL;
	*arglen = len - plen;
	return path + plen;
}

/* Choose what to do from the request target; an HTTP status on error. */
static int
http_route(struct req *r, const char *target, size_t len)
{
	const char	*path = target, *q, *arg;
	size_t		 plen, alen, i;

	/* absolute-form: drop scheme and authority. */
	if ((len > 7 && strncasecmp(target, "http://", 7) == 0) ||
	    (len > 8 && strncasecmp(target, "https://", 8) == 0)) {
		q = memchr(target, ':', len) + 3;
		path = memchr(q, '/', len - (size_t)(q - target));
		if (path == NULL)
			path = target + len;
	}
	plen = len - (size_t)(path - target);
	if ((q = memchr(path, '?', plen)) != NULL)
		plen = (size_t)(q - path);

	r->action = ACT_DEFAULT;
	if (plen == 5 && memcmp(path, "/echo", 5) == 0)
		r->action = ACT_ECHO;
	else if (plen == 9 && memcmp(path, "/echobody", 9) == 0)
		r->action = ACT_ECHOBODY;
	else if (plen == 5 && memcmp(path, "/hang", 5) == 0)
		r->action = ACT_HANG;
	else if (plen == 6 && memcmp(path, "/close", 6) == 0)
		r->action = ACT_CLOSE;
	else if (plen == 6 && memcmp(path, "/reset", 6) == 0)
		r->action = ACT_RESET;
	else if (plen == 8 && memcmp(path, "/invalid", 8) == 0)
		r->action = ACT_INVALID;
	else if (plen == 9 && memcmp(path, "/invalid2", 9) == 0)
		r->action = ACT_INVALID2;
	else if (plen == 8 && memcmp(path, "/chunked", 8) == 0)
		r->action = ACT_CHUNKED;
	else if (plen == 8 && memcmp(path, "/upgrade", 8) == 0)
		r->action = ACT_UPGRADE;
	else if (plen == 7 && memcmp(path, "/switch", 7) == 0)
		r->action = ACT_SWITCH;
	else if (plen == 16 && memcmp(path, "/close-delimited", 16) == 0)
		r->action = ACT_CLOSEDELIM;
	else if (plen == 7 && memcmp(path, "/health", 7) == 0)
		r->action = ACT_HEALTH;
	else if (plen == 6 && memcmp(path, "/stats", 6) == 0)
		r->action = ACT_STATS;
	else if ((arg = path_arg(path, plen, "/status/", &alen)) != NULL) {
		if (parse_u64(arg, alen, 599, &r->arg) == -1 || r->arg < 200)
			return 400;
		r->action = ACT_STATUS;
	} else if ((arg = path_arg(path, plen, "/delay/", &alen)) != NULL) {
		if (parse_u64(arg, alen, DELAY_MAX_MS, &r->arg) == -1)
			return 400;
		r->action = ACT_DELAY;
	} else if ((arg = path_arg(path, plen, "/bytes/", &alen)) != NULL) {
		if (parse_u64(arg, alen, BYTES_MAX, &r->arg) == -1)
			return 400;
		r->action = ACT_BYTES;
	} else if ((arg = path_arg(path, plen, "/setcookie/", &alen)) != NULL) {
		if (alen > 1024 || memchr(arg, '=', alen) == NULL)
			return 400;
		for (i = 0; i < alen; i++) {
			if (arg[i] <= ' ' || arg[i] >= 0x7f || arg[i] == ';')
				return 400;
		}
		r->cookie = arg;
		r->cookielen = alen;
		r->action = ACT_SETCOOKIE;
	}
	return 0;
}

/* Note what one header means for framing and connection handling. */
static int
http_header(struct req *r, const char *n, size_t nlen, const char *v,
    size_t vlen, int *conn_close_, int *conn_keepalive, int *te_other)
{
	uint64_t	 cl;
	const char	*tok, *end = v + vlen, *comma;
	size_t		 tlen;

	if (token_is(n, nlen, "content-length")) {
		if (parse_u64(v, vlen, UINT64_C(1) << 62, &cl) == -1)
			return 400;
		if (r->have_cl && cl != r->cl)
			return 400;
		r->have_cl = 1;
		r->cl = cl;
	} else if (token_is(n, nlen, "transfer-encoding")) {
		if (token_is(v, vlen, "chunked") && !r->chunked)
			r->chunked = 1;
		else
			*te_other = 1;
	} else if (token_is(n, nlen, "connection")) {
		for (tok = v; tok < end; tok = comma + 1) {
			if ((comma = memchr(tok, ',', (size_t)(end - tok))) == NULL)
				comma = end;
			while (tok < comma && (*tok == ' ' || *tok == '\t'))
				tok++;
			tlen = (size_t)(comma - tok);
			while (tlen > 0 && (tok[tlen - 1] == ' ' ||
			    tok[tlen - 1] == '\t'))
				tlen--;
			if (token_is(tok, tlen, "close"))
				*conn_close_ = 1;
			else if (token_is(tok, tlen, "keep-alive"))
				*conn_keepalive = 1;
		}
	} else if (token_is(n, nlen, "expect")) {
		if (token_is(v, vlen, "100-continue"))
			r->expect100 = 1;
	} else if (token_is(n, nlen, "upgrade")) {
		if (token_contains(v, vlen, "websocket"))
			r->upgrade_ws = 1;
	}
	return 0;
}

/*
 * Parse the head in c->head into c->req; 0, or an HTTP error status with
 * *why saying what is wrong.
 */
static int
http_parse(struct conn *c, const char **why)
{
	struct req	*r = &c->req;
	char		*p = c->head, *end = c->head + c->headlen;
	char		*eol, *le, *sp1, *sp2, *colon, *v, *ve;
	int		 conn_close_ = 0, conn_keepalive = 0, te_other = 0;
	int		 status;

	memset(r, 0, sizeof *r);
	r->keepalive = 1;

	/* Request line: METHOD SP target SP HTTP/1.x */
	eol = memchr(p, '\n', (size_t)(end - p));
	le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
	*why = "bad request line";
	if ((sp1 = memchr(p, ' ', (size_t)(le - p))) == NULL || sp1 == p)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return 400;
	if (le - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)sp2[6]) || sp2[7] != '.' ||
	    !isdigit((unsigned char)sp2[8]))
		return 400;
	*why = "HTTP version not supported";
	if (sp2[6] != '1')
		return 505;
	r->minor = sp2[8] - '0';
	r->is_head = sp1 - p == 4 && memcmp(p, "HEAD", 4) == 0;

	/* Header fields, up to the empty line. */
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (le == p)
			break;
		*why = "bad header line";
		if ((colon = memchr(p, ':', (size_t)(le - p))) == NULL ||
		    colon == p || colon[-1] == ' ' || colon[-1] == '\t' ||
		    *p == ' ' || *p == '\t')
			return 400;
		for (v = colon + 1; v < le && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = le; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		*why = "bad or conflicting Content-Length";
		status = http_header(r, p, (size_t)(colon - p), v,
		    (size_t)(ve - v), &conn_close_, &conn_keepalive, &te_other);
		if (status != 0)
			return status;
	}
	*why = "Transfer-Encoding other than one chunked";
	if (te_other)
		return 501;
	*why = "both Content-Length and Transfer-Encoding";
	if (r->chunked && r->have_cl)
		return 400;
	r->has_body = r->chunked || r->cl > 0;
	r->left = r->cl;
	if (conn_close_)
		r->keepalive = 0;
	else if (r->minor == 0)
		r->keepalive = conn_keepalive;

	*why = "bad parameter in path";
	return http_route(r, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

/* Wait for a whole request head, copy it, parse it and act on it. */
static enum step
http_head(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	struct req	*r = &c->req;
	const char	*p, *why;
	char		 ch;
	size_t		 len, n, i, end = 0;
	int		 status;

	/* RFC 9112 2.2: ignore empty lines before a request line. */
	while ((len = evbuffer_get_length(in)) > 0 && c->scan == 0) {
		evbuffer_copyout(in, &ch, 1);
		if (ch != '\r' && ch != '\n')
			break;
		evbuffer_drain(in, 1);
	}
	if (len == 0)
		return STEP_AGAIN;

	/* The head ends at the first empty line (CRLF or bare LF). */
	n = len < HEAD_MAX ? len : HEAD_MAX;
	p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
	for (i = c->scan; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 == n)
			break;
		if (p[i + 1] == '\n') {
			end = i + 2;
			break;
		}
		if (p[i + 1] != '\r')
			continue;
		if (i + 2 == n)
			break;
		if (p[i + 2] == '\n') {
			end = i + 3;
			break;
		}
	}
	if (end == 0) {
		if (n >= HEAD_MAX) {
			memset(r, 0, sizeof *r);
			resp_error(c, 431, "request head too large");
			return STEP_NEXT;
		}
		c->scan = i;
		return STEP_AGAIN;
	}

	if (c->headsize < end + 1) {
		c->headsize = end + 1 < 1024 ? 1024 : end + 1;
		free(c->head);
		if ((c->head = malloc(c->headsize)) == NULL)
			abort();
	}
	memcpy(c->head, p, end);
	c->head[end] = '\0';
	c->headlen = end;
	c->scan = 0;
	evbuffer_drain(in, end);

	if ((status = http_parse(c, &why)) != 0) {
		resp_error(c, status, why);
		return STEP_NEXT;
	}
	c->requests++;
	stats.requests++;

	if (r->expect100 && r->has_body && r->minor >= 1)
		ADD_LITERAL(out, "HTTP/1.1 100 Continue\r\n\r\n");
	if (r->action == ACT_ECHOBODY && r->has_body &&
	    (c->body = evbuffer_new()) == NULL)
		abort();
	if (r->chunked)
		c->state = CONN_CHUNK_SIZE;
	else if (r->left > 0)
		c->state = CONN_BODY;
	else
		http_respond(c);
	return STEP_NEXT;
}

/* Consume up to want body bytes; keep them for /echobody. */
static size_t
body_take(struct conn *c, uint64_t want)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 n = evbuffer_get_length(in), keep;

	if (n > want)
		n = (size_t)want;
	keep = 0;
	if (c->body != NULL && evbuffer_get_length(c->body) < ECHOBODY_MAX) {
		keep = ECHOBODY_MAX - evbuffer_get_length(c->body);
		if (keep > n)
			keep = n;
		evbuffer_remove_buffer(in, c->body, keep);
	}
	evbuffer_drain(in, n - keep);
	c->req.body_bytes += n;
	return n;
}

/* Content-Length body. */
static enum step
http_body(struct conn *c)
{
	struct req	*r = &c->req;

	r->left -= body_take(c, r->left);
	if (r->left > 0)
		return STEP_AGAIN;
	http_respond(c);
	return STEP_NEXT;
}

/*
 * Read one CRLF- or LF-terminated line of at most LINE_MAX_CHUNK bytes
 * into buf (NUL-terminated, without the EOL); 1 if there is none yet, -1
 * if it is too long.
 */
static int
read_line(struct conn *c, char *buf, size_t *len)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr	 pos;
	size_t			 eol_len;

	pos = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (pos.pos < 0) {
		if (evbuffer_get_length(in) > LINE_MAX_CHUNK)
			return -1;
		return 1;
	}
	if ((size_t)pos.pos > LINE_MAX_CHUNK)
		return -1;
	evbuffer_remove(in, buf, (size_t)pos.pos);
	buf[pos.pos] = '\0';
	evbuffer_drain(in, eol_len);
	*len = (size_t)pos.pos;
	return 0;
}

/* Chunked body: a chunk-size line (extensions ignored). */
static enum step
http_chunk_size(struct conn *c)
{
	struct req	*r = &c->req;
	char		 line[LINE_MAX_CHUNK + 1], *p;
	size_t		 len;
	uint64_t	 size = 0;
	int		 rv, digits = 0;

	if ((rv = read_line(c, line, &len)) == 1)
		return STEP_AGAIN;
	if (rv == -1) {
		resp_error(c, 400, "chunk size line too long");
		return STEP_NEXT;
	}
	for (p = line; isxdigit((unsigned char)*p); p++, digits++) {
		if (size >> 56)
			break;
		size = size * 16 + (uint64_t)(isdigit((unsigned char)*p) ?
		    *p - '0' : (tolower((unsigned char)*p) - 'a' + 10));
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (digits == 0 || (*p != '\0' && *p != ';')) {
		resp_error(c, 400, "bad chunk size");
		return STEP_NEXT;
	}
	r->left = size;
	c->state = size == 0 ? CONN_TRAILER : CONN_CHUNK_DATA;
	return STEP_NEXT;
}

/* Chunked body: chunk data. */
static enum step
http_chunk_data(struct conn *c)
{
	struct req	*r = &c->req;

	r->left -= body_take(c, r->left);
	if (r->left > 0)
		return STEP_AGAIN;
	c->state = CONN_CHUNK_CRLF;
	return STEP_NEXT;
}

/* Chunked body: the CRLF that ends chunk data. */
static enum step
http_chunk_crlf(struct conn *c)
{
	char	line[LINE_MAX_CHUNK + 1];
	size_t	len;
	int	rv;

	if ((rv = read_line(c, line, &len)) == 1)
		return STEP_AGAIN;
	if (rv == -1 || len != 0) {
		resp_error(c, 400, "chunk data not followed by CRLF");
		return STEP_NEXT;
	}
	c->state = CONN_CHUNK_SIZE;
	return STEP_NEXT;
}

/* Chunked body: trailer fields up to the empty line. */
static enum step
http_trailer(struct conn *c)
{
	struct req	*r = &c->req;
	char		 line[LINE_MAX_CHUNK + 1];
	size_t		 len;
	int		 rv;

	for (;;) {
		if ((rv = read_line(c, line, &len)) == 1)
			return STEP_AGAIN;
		r->trailer_bytes += len + 2;
		if (rv == -1 || r->trailer_bytes > TRAILER_MAX) {
			resp_error(c, 431, "trailers too large");
			return STEP_NEXT;
		}
		if (len == 0)
			break;
	}
	http_respond(c);
	return STEP_NEXT;
}

/* Parse and answer whatever complete requests the input holds. */
static void
http_process(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	enum step	 s;

	for (;;) {
		if (c->blocked || evbuffer_get_length(out) > OUT_HIGH) {
			c->blocked = 1;
			return;
		}
		switch (c->state) {
		case CONN_HEAD:
			s = http_head(c);
			break;
		case CONN_BODY:
			s = http_body(c);
			break;
		case CONN_CHUNK_SIZE:
			s = http_chunk_size(c);
			break;
		case CONN_CHUNK_DATA:
			s = http_chunk_data(c);
			break;
		case CONN_CHUNK_CRLF:
			s = http_chunk_crlf(c);
			break;
		case CONN_TRAILER:
			s = http_trailer(c);
			break;
		case CONN_HANG:
			evbuffer_drain(in, evbuffer_get_length(in));
			if (c->peer_eof)
				conn_close(c, "peer closed while hanging");
			return;
		case CONN_TUNNEL:
			echo(c);
			if (c->peer_eof)
				conn_close(c, "peer closed tunnel");
			return;
		default:
			return;
		}
		if (s == STEP_AGAIN) {
			if (c->peer_eof) {
				conn_close(c, c->state == CONN_HEAD &&
				    evbuffer_get_length(in) == 0 ?
				    "peer closed" : "peer closed mid-request");
			}
			return;
		}
	}
}

/* --- PROXY protocol (--proxy) ----------------------------------------- */

/* "ADDR:PORT" of a header's address, or what stands for none. */
static void
proxy_addr(const struct lb_pp_info *pp, const struct sockaddr_storage *ss,
    char *buf, size_t size)
{
	if (ss->ss_family != AF_UNSPEC)
		addr_string((const struct sockaddr *)ss, buf, size);
	else
		snprintf(buf, size, "%s", pp->local ? "LOCAL" : "UNKNOWN");
}

/* The X-Proxy-* header lines for what pp says. */
static char *
proxy_headers(const struct conn *c, const struct lb_pp_info *pp)
{
	const struct lb_pp_ssl *ssl = &pp->ssl;
	char *h;
	int n;

	if ((h = malloc(PROXY_HDRS_MAX)) == NULL)
		abort();
	n = snprintf(h, PROXY_HDRS_MAX, "X-Proxy-Version: %d\r\n"
	    "X-Proxy-Src: %s\r\nX-Proxy-Dst: %s\r\n", pp->version,
	    c->proxy_src, c->proxy_dst);
	if (pp->alpn[0] != '\0')
		n += snprintf(h + n, PROXY_HDRS_MAX - (size_t)n,
		    "X-Proxy-Alpn: %s\r\n", pp->alpn);
	if (pp->authority[0] != '\0')
		n += snprintf(h + n, PROXY_HDRS_MAX - (size_t)n,
		    "X-Proxy-Authority: %s\r\n", pp->authority);
	if (pp->has_crc32c)
		n += snprintf(h + n, PROXY_HDRS_MAX - (size_t)n,
		    "X-Proxy-Crc32c: ok\r\n");
	if (pp->has_ssl)
		snprintf(h + n, PROXY_HDRS_MAX - (size_t)n, "X-Proxy-Ssl: "
		    "client=%u verify=%u version=%s cn=%s cipher=%s sig_alg=%s "
		    "key_alg=%s\r\n", ssl->client, (unsigned)ssl->verify,
		    ssl->version, ssl->cn, ssl->cipher, ssl->sig_alg,
		    ssl->key_alg);
	return h;
}

/*
 * Read the PROXY header at the start of the input: 0 once it is read (and
 * drained), 1 while more bytes are needed, -1 if it was refused (the
 * connection is closing).
 */
static int
proxy_read(struct conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct lb_pp_info	 pp;
	size_t			 len = evbuffer_get_length(in), used, i;
	const unsigned char	*p;
	enum lb_pp_result	 r;
	char			 hex[2 * LB_PP_HEADER_MAX + 1] = "";

	if (len > LB_PP_HEADER_MAX)
		len = LB_PP_HEADER_MAX;
	p = evbuffer_pullup(in, (ev_ssize_t)len);
	r = lb_proxy_proto_parse(p, len, &pp, &used);
	if (r == LB_PP_PARTIAL && !c->peer_eof)
		return 1;
	if (r != LB_PP_OK) {
		stats.proxy_invalid++;
		logmsg("conn %" PRIu64 " %s: PROXY header refused: %s", c->id,
		    c->peer, r == LB_PP_PARTIAL ? "truncated (peer closed)" :
		    pp.reason);
		evbuffer_drain(in, evbuffer_get_length(in));
		conn_close(c, "bad PROXY header");
		return -1;
	}
	for (i = 0; i < used; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	evbuffer_drain(in, used);
	c->need_proxy = 0;
	proxy_addr(&pp, &pp.src, c->proxy_src, sizeof c->proxy_src);
	proxy_addr(&pp, &pp.dst, c->proxy_dst, sizeof c->proxy_dst);
	if (pp.src.ss_family == AF_UNSPEC)
		stats.proxy_local++;
	else
		stats.proxy_ok++;
	logmsg("conn %" PRIu64 " %s: PROXY v%d %s -> %s hdr %s", c->id,
	    c->peer, pp.version, c->proxy_src, c->proxy_dst, hex);
	c->proxy_hdrs = proxy_headers(c, &pp);
	if (mode == MODE_TCP)
		evbuffer_add_printf(bufferevent_get_output(c->bev),
		    "hello %s proxy %s %s\n", name, c->proxy_src, c->proxy_dst);
	return 0;
}

/* --- libevent callbacks ------------------------------------------------ */

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	if (c->need_proxy && proxy_read(c) != 0) {
		conn_maybe_free(c);
		return;
	}
	if (mode == MODE_TCP)
		echo(c);
	else
		http_process(c);
	conn_maybe_free(c);
}

/* Output drained to OUT_LOW or below: refill, unblock, or finish. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	size_t		 len = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->state == CONN_SEND)
		gen_fill(c);
	if (c->blocked && len <= OUT_LOW) {
		c->blocked = 0;
		if (c->state == CONN_TUNNEL && !c->peer_eof)
			bufferevent_enable(bev, EV_READ);
	}
	if (c->state == CONN_RESET && len == 0 &&
	    (c->timer == NULL || !evtimer_pending(c->timer, NULL)))
		conn_timer(c, 0);
	if (mode == MODE_HTTP && !c->blocked && !c->need_proxy)
		http_process(c);
	conn_maybe_free(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(bev);

	if (what & BEV_EVENT_ERROR) {
		c->reason = strerror(EVUTIL_SOCKET_ERROR());
		conn_free(c, 1);
		return;
	}
	if (!(what & BEV_EVENT_EOF))
		return;
	c->peer_eof = 1;
	if (c->need_proxy && proxy_read(c) != 0) {
		conn_maybe_free(c);
		return;
	}
	if (mode == MODE_TCP) {
		echo(c);
		evbuffer_add_printf(out, "bye %s %" PRIu64 "\n", name,
		    c->bytes_in);
		conn_close(c, "peer closed");
	} else
		http_process(c);
	conn_maybe_free(c);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct conn	*c;
	int		 one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((c = calloc(1, sizeof *c)) == NULL) {
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->id = ++stats.conns_total;
	stats.conns_active++;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	addr_string(sa, c->peer, sizeof c->peer);

	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, IN_HIGH);
	bufferevent_setwatermark(c->bev, EV_WRITE, OUT_LOW, 0);
	bufferevent_set_max_single_read(c->bev, IN_HIGH);
	bufferevent_set_max_single_write(c->bev, GEN_FILL);
	bufferevent_enable(c->bev, EV_READ|EV_WRITE);
	c->need_proxy = proxy_mode;
	if (mode == MODE_TCP) {
		c->state = CONN_TUNNEL;
		if (!proxy_mode)
			evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "hello %s\n", name);
	}
}

/* Accepting failed again later; try again. */
static void
listener_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listener	*l = arg;

	evconnlistener_enable(l->lev);
}

/* accept() failed: out of descriptors pauses accepting for 100 ms. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 0, 100 * 1000 };
	int		 e = EVUTIL_SOCKET_ERROR();

	logmsg("accept on %s: %s", l->addr, strerror(e));
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		evconnlistener_disable(lev);
		evtimer_add(l->retry, &tv);
	}
}

static void
signal_cb(evutil_socket_t sig, short events, void *arg)
{
	event_base_loopbreak(base);
}

/* --- startup ------------------------------------------------------------ */

/* Bind and listen on arg, print "listening ADDR:PORT". */
static void
listen_on(const char *arg)
{
	struct listener		*l;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, one = 1;

	if (nlisteners == LISTEN_MAX)
		fatal("too many -l (at most %d)", LISTEN_MAX);
	if (addr_parse(arg, &ss, &sslen) == -1)
		fatal("-l %s: expected ADDR:PORT or [ADDR6]:PORT", arg);
	l = &listeners[nlisteners++];

	fd = socket(ss.ss_family, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket for %s: %s", arg, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == -1)
		fatal("SO_REUSEPORT on %s: %s", arg, strerror(errno));
#endif
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		fatal("bind %s: %s", arg, strerror(errno));
	if (listen(fd, 4096) == -1)
		fatal("listen %s: %s", arg, strerror(errno));
	sslen = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		fatal("getsockname %s: %s", arg, strerror(errno));
	addr_string((struct sockaddr *)&ss, l->addr, sizeof l->addr);

	/* Already listening (backlog 0); both callbacks get l. */
	l->lev = evconnlistener_new(base, accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE|LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->lev == NULL)
		fatal("evconnlistener_new %s", arg);
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	if ((l->retry = evtimer_new(base, listener_retry_cb, l)) == NULL)
		fatal("evtimer_new failed");
}

/* Write the pidfile atomically (temporary file, then rename). */
static void
pidfile_write(void)
{
	char	tmp[4096];
	FILE	*f;

	if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", pidfile,
	    (long)getpid()) >= (int)sizeof tmp)
		fatal("-p %s: path too long", pidfile);
	if ((f = fopen(tmp, "w")) == NULL)
		fatal("%s: %s", tmp, strerror(errno));
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) == EOF || rename(tmp, pidfile) == -1)
		fatal("%s: %s", pidfile, strerror(errno));
}

/* Thousands of connections need more than the default 1024 descriptors. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The /bytes body: 63-character lines "abc...xyzabc...k\n", repeated. */
static void
pattern_init(void)
{
	size_t	i;

	for (i = 0; i < sizeof pattern; i++) {
		if (i % 64 == 63)
			pattern[i] = '\n';
		else
			pattern[i] = (char)('a' + (i % 64) % 26);
	}
}

int
main(int argc, char **argv)
{
	struct event	*sigterm, *sigint;
	struct conn	*c;
	const char	*addrs[LISTEN_MAX];
	int		 naddrs = 0, ch, i;
	size_t		 j;

	static const struct option longopts[] = {
		{ "proxy", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "H:hl:m:n:p:PqR", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'P':
			proxy_mode = 1;
			break;
		case 'H':
			healthfile = optarg;
			break;
		case 'l':
			if (naddrs == LISTEN_MAX)
				fatal("too many -l (at most %d)", LISTEN_MAX);
			addrs[naddrs++] = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "tcp") == 0)
				mode = MODE_TCP;
			else if (strcmp(optarg, "http") == 0)
				mode = MODE_HTTP;
			else
				fatal("-m %s: expected tcp or http", optarg);
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'R':
			reuseport = 1;
			break;
		case 'h':
			usage(1);
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if (*name == '\0' || strlen(name) > NAME_MAX_LEN)
		fatal("-n: name must be 1..%d characters", NAME_MAX_LEN);
	for (j = 0; name[j] != '\0'; j++) {
		if (name[j] <= ' ' || name[j] >= 0x7f)
			fatal("-n: name must be printable ASCII, no spaces");
	}
	if (naddrs == 0)
		addrs[naddrs++] = "127.0.0.1:8080";

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	pattern_init();
	if ((base = event_base_new()) == NULL)
		fatal("event_base_new failed");

	for (i = 0; i < naddrs; i++)
		listen_on(addrs[i]);
	for (i = 0; i < nlisteners; i++)
		printf("listening %s\n", listeners[i].addr);
	fflush(stdout);
	if (pidfile != NULL)
		pidfile_write();

	sigterm = evsignal_new(base, SIGTERM, signal_cb, NULL);
	sigint = evsignal_new(base, SIGINT, signal_cb, NULL);
	if (sigterm == NULL || sigint == NULL ||
	    evsignal_add(sigterm, NULL) == -1 || evsignal_add(sigint, NULL) == -1)
		fatal("cannot install signal handlers");
	logmsg("%s mode, pid %ld", mode == MODE_TCP ? "tcp" : "http",
	    (long)getpid());

	event_base_dispatch(base);

	logmsg("exiting");
	if (pidfile != NULL)
		unlink(pidfile);
	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_free(c, 0);
	for (i = 0; i < nlisteners; i++) {
		evconnlistener_free(listeners[i].lev);
		event_free(listeners[i].retry);
	}
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	libevent_global_shutdown();
	return 0;
}
