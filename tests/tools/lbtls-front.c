/*
 * lbtls-front: a one-connection-at-a-time TLS front made of lbproxy's TLS
 * modules, standing where a terminating listener will, so end-to-end tests
 * can compare what they do with HAProxy before the listener is wired:
 *
 *	lbtls-front -l 127.0.0.1:PORT -c CERT.pem -a NONE|OPTIONAL|MANDATORY
 *	    [-A CA.pem] [-C CRL.pem] -b 127.0.0.1:PORT
 *
 * It terminates TLS with lb_tls_server_new + lb_tls_server_set_client_auth,
 * reads one request head, forwards it to the backend with the eight X-SSL-*
 * headers of Octavia's template (values from lb_tls_cert_values) and
 * "Connection: close", and relays the answer. SIGHUP rebuilds the context
 * from the files and keeps the ticket keys (the reload path). Each
 * connection logs one line to stderr: "handshake ok: resumed=N cert=N
 * verify=N" or "handshake failed: <lb_tls_error_text>".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lbproxy/config.h"
#include "lbproxy/diag.h"
#include "lbproxy/tls.h"
#include "lbproxy/tls_cert.h"
#include "lbproxy/util.h"

#define HEAD_MAX	(64 * 1024)
#define IO_TIMEOUT_S	5

static volatile sig_atomic_t	reload;

static struct lb_tls_conf		tc;
static struct lb_tls_auth_params	ap = { .jpath = "listener" };

static void
hup(int sig LB_UNUSED)
{
	reload = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: lbtls-front -l ADDR:PORT -c CERT -a NONE|OPTIONAL|MANDATORY "
	    "[-A CA] [-C CRL] -b ADDR:PORT\n");
	exit(2);
}

/* A new context from the files (old: keep its ticket keys), or NULL (reported). */
static SSL_CTX *
ctx_build(const SSL_CTX *old)
{
	struct lb_diag	 diag = { 0 };
	SSL_CTX		*ctx = lb_tls_server_new(&tc, &diag);

	if (ctx != NULL && lb_tls_server_set_client_auth(ctx, &ap, &diag) == -1) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	lb_diag_print(&diag, "lbtls-front", stderr);
	lb_diag_fini(&diag);
	if (ctx != NULL)
		lb_tls_keep_tickets(ctx, old);
	return ctx;
}

static void
timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The head as the backend gets it: the request line and the client's
 * fields but Connection, then the X-SSL-* fields and Connection: close.
 */
static size_t
head_rewrite(const char *in, size_t len, const SSL *ssl, char *out, size_t size)
{
	struct lb_tls_cert_values	 v;
	const char			*p = in, *eol, *end = in + len;
	size_t				 n = 0;
	int				 h, w;

	lb_tls_cert_values(ssl, &v);
	while (p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t l = (size_t)(eol - p) + 1;

		if (l <= 2)
			break;	/* the empty line */
		if (strncasecmp(p, "Connection:", 11) != 0 && n + l < size) {
			memcpy(out + n, p, l);
			n += l;
		}
		p = eol + 1;
	}
	for (h = 0; h < LB_TLS_HDR_MAX; h++) {
		w = snprintf(out + n, size - n, "%s: %s\r\n", lb_tls_hdr_names[h],
		    lb_tls_cert_value(&v, (enum lb_tls_hdr)h));
		if (w > 0 && (size_t)w < size - n)
			n += (size_t)w;
	}
	w = snprintf(out + n, size - n, "Connection: close\r\n\r\n");
	if (w > 0 && (size_t)w < size - n)
		n += (size_t)w;
	return n;
}

/* One client connection: handshake, one request forwarded, the answer relayed. */
static void
serve(SSL_CTX *ctx, int fd, const struct sockaddr_in *backend)
{
	static char		 head[HEAD_MAX], out[HEAD_MAX + 8192], buf[16384];
	struct lb_tls_error	 e;
	char			 why[160];
	size_t			 len = 0, n;
	SSL			*ssl = SSL_new(ctx);
	int			 r, bfd = -1, err;

	timeouts(fd);
	SSL_set_fd(ssl, fd);
	ERR_clear_error();
	errno = 0;
	if ((r = SSL_accept(ssl)) != 1) {
		err = errno;
		lb_tls_error_get(ssl, SSL_get_error(ssl, r), err, &e);
		fprintf(stderr, "handshake failed: %s\n", lb_tls_error_text(&e, why, sizeof(why)));
		goto out;
	}
	fprintf(stderr, "handshake ok: resumed=%d cert=%d verify=%ld\n",
	    SSL_session_reused(ssl) == 1, lb_tls_cert_used(ssl), lb_tls_cert_verify(ssl));
	while (len < sizeof(head) - 1 && (head[len] = '\0', strstr(head, "\r\n\r\n") == NULL)) {
		if ((r = SSL_read(ssl, head + len, (int)(sizeof(head) - 1 - len))) <= 0) {
			/* TLS 1.3: a refused certificate shows here, after the client's Finished */
			err = errno;
			lb_tls_error_get(ssl, SSL_get_error(ssl, r), err, &e);
			if (e.result != LB_TLS_CLOSED || len > 0)
				fprintf(stderr, "read failed: %s\n",
				    lb_tls_error_text(&e, why, sizeof(why)));
			goto out;
		}
		len += (size_t)r;
	}
	n = head_rewrite(head, len, ssl, out, sizeof(out));
	if ((bfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(bfd, (const struct sockaddr *)backend, sizeof(*backend)) == -1) {
		fprintf(stderr, "backend: %s\n", strerror(errno));
		goto out;
	}
	timeouts(bfd);
	if (write_all(bfd, out, n) == -1)
		goto out;
	while ((r = (int)read(bfd, buf, sizeof(buf))) > 0)
		if (SSL_write(ssl, buf, r) != r)
			break;
	(void)SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	if (bfd != -1)
		close(bfd);
	close(fd);
}

static int
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 lsin, bsin;
	struct sigaction	 sa;
	SSL_CTX			*ctx, *next;
	const char		*listen_at = NULL, *backend = NULL, *mode = "NONE";
	int			 ch, lfd, fd, one = 1, i;

	while ((ch = getopt(argc, argv, "A:a:b:C:c:l:")) != -1) {
		switch (ch) {
		case 'A':
			ap.ca_file = optarg;
			break;
		case 'a':
			mode = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'C':
			ap.crl_file = optarg;
			break;
		case 'c':
			tc.certificate_file = optarg;
			break;
		case 'l':
			listen_at = optarg;
			break;
		default:
			usage();
		}
	}
	for (i = 0; i <= LB_TLS_AUTH_MANDATORY; i++)
		if (strcasecmp(mode, lb_tls_client_auth_names[i]) == 0)
			ap.mode = (enum lb_tls_client_auth)i;
	if (listen_at == NULL || backend == NULL || tc.certificate_file == NULL ||
	    parse_addr(listen_at, &lsin) == -1 || parse_addr(backend, &bsin) == -1)
		usage();
	tc.min_version = TLS1_2_VERSION;
	if ((ctx = ctx_build(NULL)) == NULL)
		return 1;

	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hup;	/* no SA_RESTART: accept returns EINTR */
	sigaction(SIGHUP, &sa, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&lsin, sizeof(lsin)) == -1 ||
	    listen(lfd, 16) == -1) {
		perror("lbtls-front: listen");
		return 1;
	}
	fprintf(stderr, "listening on %s\n", listen_at);
	for (;;) {
		if (reload) {
			reload = 0;
			if ((next = ctx_build(ctx)) != NULL) {
				SSL_CTX_free(ctx);
				ctx = next;
				fprintf(stderr, "reloaded\n");
			}
		}
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			perror("lbtls-front: accept");
			return 1;
		}
		serve(ctx, fd, &bsin);
	}
}
