/*
 * lbtest-ppsend: connect to HOST:PORT, send a PROXY protocol header built
 * by lbproxy's own writers (src/proxy_proto.c) followed by standard input,
 * half-close, and copy the reply to standard output until EOF (5 s at
 * most). Tests use it to show that a real receiver (HAProxy's accept-proxy)
 * takes the headers lbproxy sends to pool members.
 *
 *   printf 'GET / HTTP/1.0\r\n\r\n' |
 *       lbtest-ppsend -2 -s 192.0.2.1:4000 -d 198.51.100.2:80 127.0.0.1:8080
 *
 * With -p it prints the header in hex instead (nothing is sent), to compare
 * with the bytes another sender (HAProxy's send-proxy-v2) produced.
 *
 * Exit status: 0 when the reply was read to EOF, 1 on a usage or connect
 * error, 2 when the peer reset the connection (what came is still printed).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbproxy/proxy_proto.h"
#include "lbproxy/util.h"

#define REQ_MAX		8192
#define TIMEOUT_S	5

static void
usage(void)
{
	fprintf(stderr, "usage: lbtest-ppsend [-1|-2] [-L] [-C] [-x] [-p] "
	    "[-a ALPN] [-A AUTHORITY]\n"
	    "                     [-S CLIENT:VERIFY [-V VERSION] [-N CN] "
	    "[-K KEYALG] [-G SIGALG]\n"
	    "                     [-c CIPHER]] [-s SRC] [-d DST] "
	    "[HOST:PORT]\n"
	    "  -1, -2   PROXY protocol version (default 2)\n"
	    "  -s, -d   the client and VIP the header names (ADDR:PORT, "
	    "[ADDR6]:PORT);\n"
	    "           either missing: v1 UNKNOWN, v2 LOCAL\n"
	    "  -L       a v2 LOCAL header (lb_proxy_proto_v2_local)\n"
	    "  -C       v2: add a CRC32C TLV;  -x: flip the header's last bit\n"
	    "  -p       print the header in hex, send nothing\n"
	    "  -a, -A   v2: ALPN and authority TLVs\n"
	    "  -S       v2: an SSL TLV with these client bits and verify "
	    "result,\n"
	    "           and the sub-TLVs -V, -N, -K, -G, -c\n");
	exit(1);
}

/* "ADDR:PORT" or "[ADDR6]:PORT"; -1 if it is neither. */
static int
parse_addr(const char *arg, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hlen;
	long port;
	char *end;

	if (arg[0] == '[') {
		if ((colon = strstr(arg, "]:")) == NULL)
			return -1;
		hlen = (size_t)(colon - arg - 1);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, arg + 1, hlen);
		colon++;
	} else {
		if ((colon = strrchr(arg, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - arg);
		if (hlen >= sizeof(host))
			return -1;
		memcpy(host, arg, hlen);
	}
	host[hlen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		return -1;
	return lb_addr_parse(host, (int)port, ss, len);
}

/* Write all of buf; -1 on error. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage src, dst, to;
	struct lb_pp_tlvs t;
	struct timeval tv = { TIMEOUT_S, 0 };
	static char req[REQ_MAX];
	unsigned char hdr[LB_PP_HEADER_MAX];
	static char buf[LB_PP_HEADER_MAX + REQ_MAX];
	int version = 2, local = 0, corrupt = 0, have_src = 0, have_dst = 0;
	int print = 0, ch, fd, n, i;
	unsigned client, verify;
	size_t reqlen = 0;
	socklen_t len;
	ssize_t r;

	memset(&t, 0, sizeof(t));
	while ((ch = getopt(argc, argv, "12a:A:c:Cd:G:K:LN:ps:S:V:x")) != -1) {
		switch (ch) {
		case '1':
		case '2':
			version = ch - '0';
			break;
		case 'a':
			t.alpn = optarg;
			break;
		case 'A':
			t.authority = optarg;
			break;
		case 'c':
			t.ssl_cipher = optarg;
			break;
		case 'C':
			t.crc32c = 1;
			break;
		case 'G':
			t.ssl_sig_alg = optarg;
			break;
		case 'K':
			t.ssl_key_alg = optarg;
			break;
		case 'p':
			print = 1;
			break;
		case 'V':
			t.ssl_version = optarg;
			break;
		case 'd':
			if (parse_addr(optarg, &dst, &len) == -1)
				usage();
			have_dst = 1;
			break;
		case 'L':
			local = 1;
			break;
		case 'N':
			t.ssl_cn = optarg;
			break;
		case 's':
			if (parse_addr(optarg, &src, &len) == -1)
				usage();
			have_src = 1;
			break;
		case 'S':
			if (sscanf(optarg, "%u:%u", &client, &verify) != 2 ||
			    client > 255)
				usage();
			t.ssl = 1;
			t.ssl_client = (uint8_t)client;
			t.ssl_verify = verify;
			break;
		case 'x':
			corrupt = 1;
			break;
		default:
			usage();
		}
	}
	if (print ? optind != argc : (optind + 1 != argc ||
	    parse_addr(argv[optind], &to, &len) == -1))
		usage();

	if (local)
		n = lb_proxy_proto_v2_local(hdr, sizeof(hdr));
	else if (version == 1)
		n = lb_proxy_proto_v1_build((char *)hdr, sizeof(hdr),
		    have_src ? (struct sockaddr *)&src : NULL,
		    have_dst ? (struct sockaddr *)&dst : NULL);
	else
		n = lb_proxy_proto_v2_build(hdr, sizeof(hdr),
		    have_src ? (struct sockaddr *)&src : NULL,
		    have_dst ? (struct sockaddr *)&dst : NULL, &t);
	if (n == -1) {
		fprintf(stderr, "lbtest-ppsend: header does not fit\n");
		return 1;
	}
	if (corrupt)
		hdr[n - 1] ^= 1;
	if (print) {
		for (i = 0; i < n; i++)
			printf("%02x", hdr[i]);
		printf("\n");
		return 0;
	}
	while (reqlen < sizeof(req) &&
	    (r = read(STDIN_FILENO, req + reqlen, sizeof(req) - reqlen)) > 0)
		reqlen += (size_t)r;

	if ((fd = socket(to.ss_family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&to, len) == -1) {
		fprintf(stderr, "lbtest-ppsend: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	/* the header and the request in one write, as a proxy sends them */
	memcpy(buf, hdr, (size_t)n);
	memcpy(buf + n, req, reqlen);
	if (write_all(fd, buf, (size_t)n + reqlen) == -1) {
		fprintf(stderr, "lbtest-ppsend: write: %s\n", strerror(errno));
		return 2;
	}
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)r, stdout);
	fflush(stdout);
	if (r == -1) {
		fprintf(stderr, "lbtest-ppsend: read: %s\n", strerror(errno));
		return 2;
	}
	close(fd);
	return 0;
}
