/*
 * test_proxy_proto.c: unit tests for src/proxy_proto.c: v1 and v2 headers
 * built and parsed back (IPv4, IPv6, mixed families, LOCAL, TLVs), the exact
 * bytes of known headers, every truncation PARTIAL, and each class of
 * malformed header INVALID.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "lbproxy/proxy_proto.h"
#include "lbproxy/util.h"

#define SIG "\r\n\r\n\0\r\nQUIT\n"

static struct sockaddr_storage
sa(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;

	assert_int_equal(lb_addr_parse(host, port, &ss, &len), 0);
	return ss;
}

/* "host:port" of ss, or "-" when it has no address. */
static const char *
fmt(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	if (ss->ss_family == AF_UNSPEC) {
		snprintf(buf, size, "-");
		return buf;
	}
	return lb_addr_fmt((const struct sockaddr *)ss, buf, size);
}

/* Parse len bytes of p: the result, and on OK the addresses as text. */
static enum lb_pp_result
parse(const void *p, size_t len, struct lb_pp_info *info, size_t *used, char *src, char *dst)
{
	enum lb_pp_result r = lb_proxy_proto_parse(p, len, info, used);

	if (r == LB_PP_OK) {
		fmt(&info->src, src, 64);
		fmt(&info->dst, dst, 64);
	}
	return r;
}

/* Every proper prefix of a valid header of len bytes is PARTIAL. */
static void
assert_prefixes_partial(const void *p, size_t len)
{
	struct lb_pp_info info;
	size_t i, used;

	for (i = 0; i < len; i++) {
		enum lb_pp_result r = lb_proxy_proto_parse(p, i, &info, &used);

		if (r != LB_PP_PARTIAL)
			fail_msg("prefix of %zu/%zu bytes: %s (%s)", i, len, lb_pp_result_names[r],
			    info.reason != NULL ? info.reason : "");
		assert_int_equal(used, 0);
	}
}

static void
assert_invalid(const void *p, size_t len, const char *why)
{
	struct lb_pp_info info;
	size_t used = 99;
	enum lb_pp_result r = lb_proxy_proto_parse(p, len, &info, &used);

	if (r != LB_PP_INVALID)
		fail_msg("%s: got %s, want INVALID", why, lb_pp_result_names[r]);
	assert_non_null(info.reason);
	assert_int_equal(used, 0);
}

#define INVALID_STR(s)	assert_invalid((s), sizeof(s) - 1, (s))

/* --- v1 ------------------------------------------------------------------ */

/* Build from src to dst, compare with want, parse back to the same addresses. */
static void
v1_round_trip(const char *src, int sport, const char *dst, int dport, const char *want,
    const char *want_src, const char *want_dst)
{
	struct sockaddr_storage s = sa(src, sport), d = sa(dst, dport);
	char buf[LB_PP_V1_MAX + 1], in[256], a[64], b[64];
	struct lb_pp_info info;
	size_t used;
	int n;

	n = lb_proxy_proto_v1_build(buf, sizeof(buf), (struct sockaddr *)&s,
	    (struct sockaddr *)&d);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
	assert_prefixes_partial(buf, (size_t)n);
	/* the client's first bytes follow the header in the same read */
	snprintf(in, sizeof(in), "%sGET / HTTP/1.1\r\n", buf);
	assert_int_equal(parse(in, strlen(in), &info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, (size_t)n);
	assert_int_equal(info.version, 1);
	assert_false(info.local);
	assert_string_equal(a, want_src);
	assert_string_equal(b, want_dst);
}

/* TCP4, TCP6, and mixed families (TCP6, the IPv4 side mapped, read back as IPv4). */
static void
v1_families(void **state LB_UNUSED)
{
	static const struct {
		const char	*src, *dst;
		int		 sport, dport;
		const char	*line, *want_src, *want_dst;
	} c[] = {
		{ "192.0.2.1", "198.51.100.2", 56324, 443,
		    "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n",
		    "192.0.2.1:56324", "198.51.100.2:443" },
		{ "0.0.0.0", "255.255.255.255", 0, 65535,
		    "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
		    "0.0.0.0:0", "255.255.255.255:65535" },
		{ "2001:db8::1", "2001:db8::2:3", 1, 8443,
		    "PROXY TCP6 2001:db8::1 2001:db8::2:3 1 8443\r\n",
		    "[2001:db8::1]:1", "[2001:db8::2:3]:8443" },
		{ "192.0.2.1", "2001:db8::2", 4000, 80,
		    "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 4000 80\r\n",
		    "192.0.2.1:4000", "[2001:db8::2]:80" },
		{ "2001:db8::1", "10.0.0.1", 4000, 80,
		    "PROXY TCP6 2001:db8::1 ::ffff:10.0.0.1 4000 80\r\n",
		    "[2001:db8::1]:4000", "10.0.0.1:80" },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		v1_round_trip(c[i].src, c[i].sport, c[i].dst, c[i].dport, c[i].line,
		    c[i].want_src, c[i].want_dst);
}

static void
v1_unknown(void **state LB_UNUSED)
{
	struct sockaddr_storage d = sa("10.0.0.1", 80), u;
	char buf[64], a[64], b[64];
	struct lb_pp_info info;
	size_t used;
	char line[LB_PP_V1_MAX + 8];

	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_int_equal(lb_proxy_proto_v1_build(buf, sizeof(buf), NULL, NULL), 15);
	assert_string_equal(buf, "PROXY UNKNOWN\r\n");
	assert_int_equal(lb_proxy_proto_v1_build(buf, sizeof(buf), (struct sockaddr *)&u,
	    (struct sockaddr *)&d), 15);
	assert_string_equal(buf, "PROXY UNKNOWN\r\n");
	assert_int_equal(parse(buf, 15, &info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, 15);
	assert_string_equal(a, "-");
	assert_string_equal(b, "-");
	assert_prefixes_partial(buf, 15);

	/* whatever follows UNKNOWN up to the CRLF is ignored, up to 107 bytes in all */
	assert_int_equal(parse("PROXY UNKNOWN ffff::1 x y z\r\n", 29, &info, &used, a, b),
	    LB_PP_OK);
	assert_int_equal(used, 29);
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + LB_PP_V1_MAX - 2, "\r\n", 2);
	assert_int_equal(parse(line, LB_PP_V1_MAX, &info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, LB_PP_V1_MAX);
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + LB_PP_V1_MAX - 1, "\r\n", 2);
	assert_invalid(line, LB_PP_V1_MAX + 1, "108 bytes");
	/* no CR in the first 106 bytes: the CRLF cannot fit, refused without waiting */
	assert_invalid(line, LB_PP_V1_MAX - 1, "106 bytes, no CR");
	assert_int_equal(lb_proxy_proto_parse(line, LB_PP_V1_MAX - 2, &info, &used),
	    LB_PP_PARTIAL);
}

/* The longest v1 line there is (104 bytes) fits. */
static void
v1_longest(void **state LB_UNUSED)
{
	static const char l[] = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe 65535 65535\r\n";
	struct sockaddr_storage s = sa("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	struct sockaddr_storage d = sa("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	char buf[LB_PP_V1_MAX + 1], a[64], b[64];
	struct lb_pp_info info;
	size_t used;

	assert_int_equal(lb_proxy_proto_v1_build(buf, sizeof(buf), (struct sockaddr *)&s,
	    (struct sockaddr *)&d), (int)sizeof(l) - 1);
	assert_string_equal(buf, l);
	assert_int_equal(parse(l, sizeof(l) - 1, &info, &used, a, b), LB_PP_OK);
	/* too small a buffer: -1, never a cut line */
	assert_int_equal(lb_proxy_proto_v1_build(buf, sizeof(l) - 1, (struct sockaddr *)&s,
	    (struct sockaddr *)&d), -1);
	assert_int_equal(lb_proxy_proto_v1_build(buf, 15, NULL, NULL), -1);
}

static void
v1_malformed(void **state LB_UNUSED)
{
	INVALID_STR("GET / HTTP/1.1\r\n");
	INVALID_STR("PROXZ");
	INVALID_STR("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY\r\n");
	INVALID_STR("PROXY \r\n");
	INVALID_STR("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n");
	INVALID_STR("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY UNKNOWNX\r\n");
	/* line endings */
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\0\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 \x80\r\n");
	/* addresses of the wrong family, or not addresses */
	INVALID_STR("PROXY TCP4 ::1 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 ::1 1 2\r\n");
	INVALID_STR("PROXY TCP6 1.2.3.4 ::1 1 2\r\n");
	INVALID_STR("PROXY TCP6 ::1 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP4 localhost 5.6.7.8 1 2\r\n");
	INVALID_STR("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n");
	INVALID_STR("PROXY TCP6 [::1] ::1 1 2\r\n");
	/* ports */
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 0x10 2\r\n");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2a\r\n");
}

/* A bad byte is refused as soon as it arrives, not when the CRLF does. */
static void
v1_early_reject(void **state LB_UNUSED)
{
	INVALID_STR("PROXY TCP4 1.2.3.4\n");
	INVALID_STR("PROXY TCP4 1.2.3.4\x01");
	INVALID_STR("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r ");
	INVALID_STR("PRO\r\n");
}

/* --- v2 ------------------------------------------------------------------ */

/* Build a v2 header from src to dst with tlvs, parse it back, check addresses. */
static int
v2_round_trip(uint8_t *buf, size_t cap, const char *src, int sport, const char *dst, int dport,
    const struct lb_pp_tlvs *t, struct lb_pp_info *info, const char *want_src,
    const char *want_dst)
{
	struct sockaddr_storage s = sa(src, sport), d = sa(dst, dport);
	char a[64], b[64];
	size_t used;
	int n;

	n = lb_proxy_proto_v2_build(buf, cap, (struct sockaddr *)&s, (struct sockaddr *)&d, t);
	assert_true(n > 16);
	assert_memory_equal(buf, SIG, 12);
	assert_int_equal(buf[14] << 8 | buf[15], n - 16);
	assert_prefixes_partial(buf, (size_t)n);
	memcpy(buf + n, "client bytes", 12);
	assert_int_equal(parse(buf, (size_t)n + 12, info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, (size_t)n);
	assert_int_equal(info->version, 2);
	assert_false(info->local);
	assert_string_equal(a, want_src);
	assert_string_equal(b, want_dst);
	return n;
}

static void
v2_tcp4(void **state LB_UNUSED)
{
	static const uint8_t want[] = SIG "\x21\x11\x00\x0c"
	    "\xc0\x00\x02\x01" "\xc6\x33\x64\x02" "\xdc\x04" "\x01\xbb";
	uint8_t buf[LB_PP_HEADER_MAX + 16];
	struct lb_pp_info info;
	int n;

	n = v2_round_trip(buf, sizeof(buf), "192.0.2.1", 56324, "198.51.100.2", 443, NULL,
	    &info, "192.0.2.1:56324", "198.51.100.2:443");
	assert_int_equal(n, 28);
	assert_memory_equal(buf, want, 28);
	assert_int_equal(info.alpn[0], '\0');
	assert_false(info.has_ssl);
}

static void
v2_tcp6(void **state LB_UNUSED)
{
	uint8_t buf[LB_PP_HEADER_MAX + 16];
	struct lb_pp_info info;
	int n;

	n = v2_round_trip(buf, sizeof(buf), "2001:db8::1", 1, "2001:db8::2", 65535, NULL,
	    &info, "[2001:db8::1]:1", "[2001:db8::2]:65535");
	assert_int_equal(n, 52);
	assert_int_equal(buf[12], 0x21);
	assert_int_equal(buf[13], 0x21);
	assert_int_equal(buf[48] << 8 | buf[49], 1);
	assert_int_equal(buf[50] << 8 | buf[51], 65535);
}

static void
v2_mixed(void **state LB_UNUSED)
{
	static const uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	uint8_t buf[LB_PP_HEADER_MAX + 16];
	struct lb_pp_info info;
	int n;

	n = v2_round_trip(buf, sizeof(buf), "192.0.2.1", 4000, "2001:db8::2", 80, NULL,
	    &info, "192.0.2.1:4000", "[2001:db8::2]:80");
	assert_int_equal(n, 52);
	assert_int_equal(buf[13], 0x21);
	assert_memory_equal(buf + 16, mapped, 16);
	v2_round_trip(buf, sizeof(buf), "2001:db8::1", 4000, "192.0.2.1", 80, NULL,
	    &info, "[2001:db8::1]:4000", "192.0.2.1:80");
	assert_memory_equal(buf + 32, mapped, 16);
}

static void
v2_local(void **state LB_UNUSED)
{
	static const uint8_t want[] = SIG "\x20\x00\x00\x00";
	struct sockaddr_storage u, d = sa("10.0.0.1", 80);
	uint8_t buf[64];
	struct lb_pp_info info;
	char a[64], b[64];
	size_t used;

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(lb_proxy_proto_v2_local(buf, sizeof(buf)), 16);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(buf[16], 0xaa);
	assert_int_equal(lb_proxy_proto_v2_local(buf, 15), -1);
	assert_prefixes_partial(buf, 16);
	assert_int_equal(parse(buf, 16, &info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, 16);
	assert_true(info.local);
	assert_string_equal(a, "-");
	assert_string_equal(b, "-");

	/* no usable address: LOCAL too (as HAProxy) */
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	assert_int_equal(lb_proxy_proto_v2_build(buf, sizeof(buf), NULL, NULL, NULL), 16);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(lb_proxy_proto_v2_build(buf, sizeof(buf), (struct sockaddr *)&u,
	    (struct sockaddr *)&d, NULL), 16);
	assert_memory_equal(buf, want, 16);

	/* LOCAL ignores the family and its address block */
	assert_int_equal(parse(SIG "\x20\x11\x00\x0c" "abcdefghijkl", 28, &info, &used, a, b),
	    LB_PP_OK);
	assert_true(info.local);
	assert_string_equal(a, "-");
	assert_int_equal(parse(SIG "\x20\x45\x00\x03" "\x01\x00\x09", 19, &info, &used, a, b),
	    LB_PP_OK);
	assert_int_equal(parse(SIG "\x20\x31\x00\x04" "\x00\x00\x00\x00", 20, &info, &used,
	    a, b), LB_PP_OK);
	/* ... but TLVs after an UNSPEC block are read (HAProxy's checks send some) */
	assert_int_equal(parse(SIG "\x20\x00\x00\x05" "\x01\x00\x02h2", 21, &info, &used, a, b),
	    LB_PP_OK);
	assert_string_equal(info.alpn, "h2");
	assert_invalid(SIG "\x20\x00\x00\x05" "\x01\x00\x09h2", 21, "LOCAL, TLV overrun");

	/* PROXY with UNSPEC: accepted, no address (the connection's own apply) */
	assert_int_equal(parse(SIG "\x21\x00\x00\x00", 16, &info, &used, a, b), LB_PP_OK);
	assert_false(info.local);
	assert_string_equal(a, "-");
}

/* Every TLV the writer knows, parsed back, and the SSL TLV's bytes. */
static void
v2_tlvs(void **state LB_UNUSED)
{
	struct lb_pp_tlvs t = {
		.alpn = "h2",
		.authority = "www.example.com",
		.ssl = 1,
		.ssl_client = LB_PP_CLIENT_SSL | LB_PP_CLIENT_CERT_CONN | LB_PP_CLIENT_CERT_SESS,
		.ssl_verify = 0,
		.ssl_version = "TLSv1.3",
		.ssl_cn = "client.example.com",
		.ssl_key_alg = "RSA2048",
		.ssl_sig_alg = "RSA-SHA256",
		.ssl_cipher = "TLS_AES_256_GCM_SHA384",
		.crc32c = 1,
	};
	static const uint8_t ssl_head[] = "\x20\x00\x54\x07\x00\x00\x00\x00"
	    "\x21\x00\x07TLSv1.3" "\x22\x00\x12" "client.example.com"
	    "\x25\x00\x07RSA2048" "\x24\x00\x0aRSA-SHA256"
	    "\x23\x00\x16TLS_AES_256_GCM_SHA384";
	uint8_t buf[LB_PP_HEADER_MAX + 16];
	struct lb_pp_info info;
	size_t off = 28;
	int n;

	n = v2_round_trip(buf, sizeof(buf), "192.0.2.1", 1234, "198.51.100.2", 443, &t, &info,
	    "192.0.2.1:1234", "198.51.100.2:443");
	/* CRC32C first, then ALPN, authority, SSL: HAProxy's order */
	assert_int_equal(buf[off], 0x03);
	assert_int_equal(buf[off + 2], 4);
	off += 7;
	assert_memory_equal(buf + off, "\x01\x00\x02h2", 5);
	off += 5;
	assert_memory_equal(buf + off, "\x02\x00\x0fwww.example.com", 18);
	off += 18;
	assert_memory_equal(buf + off, ssl_head, sizeof(ssl_head) - 1);
	assert_int_equal(off + sizeof(ssl_head) - 1, (size_t)n);

	assert_true(info.has_crc32c);
	assert_string_equal(info.alpn, "h2");
	assert_string_equal(info.authority, "www.example.com");
	assert_true(info.has_ssl);
	assert_int_equal(info.ssl.client, 7);
	assert_int_equal(info.ssl.verify, 0);
	assert_string_equal(info.ssl.version, "TLSv1.3");
	assert_string_equal(info.ssl.cn, "client.example.com");
	assert_string_equal(info.ssl.cipher, "TLS_AES_256_GCM_SHA384");
	assert_string_equal(info.ssl.sig_alg, "RSA-SHA256");
	assert_string_equal(info.ssl.key_alg, "RSA2048");

	/* any bit changed after the CRC32C was computed: refused */
	buf[n - 1] ^= 1;
	assert_invalid(buf, (size_t)n, "CRC32C mismatch");

	/* a plain client: the 5-byte SSL TLV only, verify as given */
	memset(&t, 0, sizeof(t));
	t.ssl = 1;
	t.ssl_verify = 20;
	n = v2_round_trip(buf, sizeof(buf), "::1", 1, "::1", 2, &t, &info, "[::1]:1", "[::1]:2");
	assert_int_equal(n, 52 + 8);
	assert_memory_equal(buf + 52, "\x20\x00\x05\x00\x00\x00\x00\x14", 8);
	assert_true(info.has_ssl);
	assert_int_equal(info.ssl.client, 0);
	assert_int_equal(info.ssl.verify, 20);
	assert_string_equal(info.ssl.version, "");
}

/* A header with a CRC32C computed elsewhere (Python's crc32c of these bytes). */
static void
v2_crc32c_vector(void **state LB_UNUSED)
{
	static const uint8_t h[] = SIG "\x21\x11\x00\x13"
	    "\x7f\x00\x00\x01" "\x7f\x00\x00\x02" "\x30\x39" "\x00\x50"
	    "\x03\x00\x04" "\x85\xd3\x09\xff";
	struct lb_pp_info info;
	char a[64], b[64];
	size_t used;

	assert_int_equal(parse(h, sizeof(h) - 1, &info, &used, a, b), LB_PP_OK);
	assert_true(info.has_crc32c);
	assert_string_equal(a, "127.0.0.1:12345");
	assert_string_equal(b, "127.0.0.2:80");
}

/* Unknown and ignorable TLVs are skipped, NOOP padding included. */
static void
v2_ignored_tlvs(void **state LB_UNUSED)
{
	static const uint8_t h[] = SIG "\x21\x11\x00\x2e"
	    "\x7f\x00\x00\x01" "\x7f\x00\x00\x02" "\x30\x39" "\x00\x50"
	    "\x04\x00\x00" "\x04\x00\x02zz" "\xe0\x00\x01x" "\x30\x00\x02ns"
	    "\x05\x00\x03uid" "\x20\x00\x08\x01\x00\x00\x00\x00\x26\x00\x00";
	struct lb_pp_info info;
	char a[64], b[64];
	size_t used;

	assert_int_equal(parse(h, sizeof(h) - 1, &info, &used, a, b), LB_PP_OK);
	assert_int_equal(used, sizeof(h) - 1);
	assert_true(info.has_ssl);
	assert_int_equal(info.ssl.client, 1);
}

/* A v2 header with fixed part ver_cmd/fam/len and len bytes of body. */
static size_t
v2_hdr(uint8_t *buf, uint8_t vc, uint8_t fam, const void *body, size_t len)
{
	memcpy(buf, SIG, 12);
	buf[12] = vc;
	buf[13] = fam;
	buf[14] = (uint8_t)(len >> 8);
	buf[15] = (uint8_t)len;
	memcpy(buf + 16, body, len);
	return 16 + len;
}

static void
v2_malformed(void **state LB_UNUSED)
{
	static const uint8_t a4[12] = { 127, 0, 0, 1, 127, 0, 0, 1, 0, 1, 0, 2 };
	uint8_t buf[2048], body[1100];
	size_t i, n;

	/* a wrong signature byte is refused as soon as it arrives */
	for (i = 0; i < 12; i++) {
		n = v2_hdr(buf, 0x21, 0x11, a4, sizeof(a4));
		buf[i] ^= 0x40;
		if (i == 0)
			buf[0] = 'X';
		assert_invalid(buf, i + 1, "bad signature byte");
		assert_invalid(buf, n, "bad signature byte, whole header");
	}
	n = v2_hdr(buf, 0x11, 0x11, a4, sizeof(a4));
	assert_invalid(buf, 13, "version 1 in a v2 header");
	n = v2_hdr(buf, 0x31, 0x11, a4, sizeof(a4));
	assert_invalid(buf, n, "version 3");
	n = v2_hdr(buf, 0x22, 0x11, a4, sizeof(a4));
	assert_invalid(buf, 13, "command 2");
	n = v2_hdr(buf, 0x2f, 0x11, a4, sizeof(a4));
	assert_invalid(buf, n, "command 15");
	/* families a TCP proxy does not forward */
	n = v2_hdr(buf, 0x21, 0x12, a4, sizeof(a4));
	assert_invalid(buf, 14, "UDP4");
	memset(body, 0, sizeof(body));
	n = v2_hdr(buf, 0x21, 0x22, body, 36);
	assert_invalid(buf, n, "UDP6");
	n = v2_hdr(buf, 0x21, 0x31, body, 216);
	assert_invalid(buf, n, "UNIX");
	n = v2_hdr(buf, 0x21, 0x10, a4, sizeof(a4));
	assert_invalid(buf, n, "INET, transport UNSPEC");
	n = v2_hdr(buf, 0x21, 0x41, a4, sizeof(a4));
	assert_invalid(buf, n, "family 4");
	/* lengths */
	n = v2_hdr(buf, 0x21, 0x11, a4, 11);
	assert_invalid(buf, 16, "TCP4 in 11 bytes");
	n = v2_hdr(buf, 0x21, 0x21, body, 35);
	assert_invalid(buf, 16, "TCP6 in 35 bytes");
	n = v2_hdr(buf, 0x21, 0x11, body, LB_PP_V2_LEN_MAX + 1);
	assert_invalid(buf, 16, "over the length limit, refused before the body arrives");
	buf[14] = buf[15] = 0xff;
	assert_invalid(buf, 16, "65535 bytes announced");
	memcpy(body, a4, sizeof(a4));
	n = v2_hdr(buf, 0x21, 0x11, body, LB_PP_V2_LEN_MAX);
	{
		/* ... while exactly the limit is fine (NOOP padding) */
		struct lb_pp_info info;
		size_t used;

		buf[28] = 0x04;
		buf[29] = (uint8_t)((LB_PP_V2_LEN_MAX - 12 - 3) >> 8);
		buf[30] = (uint8_t)(LB_PP_V2_LEN_MAX - 12 - 3);
		assert_int_equal(lb_proxy_proto_parse(buf, n, &info, &used), LB_PP_OK);
		assert_int_equal(used, LB_PP_HEADER_MAX);
	}
}

/* TLVs that do not end exactly where the header does, or break a rule. */
static void
v2_bad_tlvs(void **state LB_UNUSED)
{
	static const struct {
		const char	*tlvs;
		size_t		 len;
		const char	*why;
	} cases[] = {
#define C(s, why)	{ s, sizeof(s) - 1, why }
		C("\x01", "one byte of a TLV"),
		C("\x01\x00", "two bytes of a TLV"),
		C("\x01\x00\x03h2", "ALPN overruns by one"),
		C("\x04\xff\xff", "NOOP announcing 65535 bytes"),
		C("\x01\x00\x00", "empty ALPN"),
		C("\x01\x00\x02h\0", "NUL in ALPN"),
		C("\x01\x00\x02h2\x01\x00\x02h2", "duplicate ALPN"),
		C("\x02\x00\x01x\x02\x00\x01y", "duplicate authority"),
		C("\x02\x00\x03" "a\0b", "NUL in authority"),
		C("\x03\x00\x03\x00\x00\x00", "CRC32C of 3 bytes"),
		C("\x03\x00\x04\x00\x00\x00\x00", "CRC32C wrong"),
		C("\x20\x00\x04\x01\x00\x00\x00", "SSL TLV of 4 bytes"),
		C("\x20\x00\x07\x01\x00\x00\x00\x00\x21\x00", "SSL sub-TLV header cut"),
		C("\x20\x00\x09\x01\x00\x00\x00\x00\x21\x00\x02v", "SSL sub-TLV overrun"),
		C("\x20\x00\x0e\x01\x00\x00\x00\x00\x22\x00\x01x\x22\x00\x01y", "duplicate CN"),
		C("\x20\x00\x0a\x01\x00\x00\x00\x00\x23\x00\x02\0x", "NUL in cipher"),
		C("\x20\x00\x05\x01\x00\x00\x00\x00\x20\x00\x05\x01\x00\x00\x00\x00",
		    "duplicate SSL"),
#undef C
	};
	uint8_t buf[1024], body[512];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(body, "\x7f\x00\x00\x01\x7f\x00\x00\x01\x00\x01\x00\x02", 12);
		memcpy(body + 12, cases[i].tlvs, cases[i].len);
		n = v2_hdr(buf, 0x21, 0x11, body, 12 + cases[i].len);
		assert_invalid(buf, n, cases[i].why);
	}
	/* strings longer than their buffers */
	memset(body, 'a', sizeof(body));
	memcpy(body, "\x7f\x00\x00\x01\x7f\x00\x00\x01\x00\x01\x00\x02\x02\x01\x00", 15);
	n = v2_hdr(buf, 0x21, 0x11, body, 15 + 256);
	assert_invalid(buf, n, "authority of 256 bytes");
	memcpy(body + 12, "\x05\x00\x81", 3);
	n = v2_hdr(buf, 0x21, 0x11, body, 15 + 129);
	assert_invalid(buf, n, "unique ID of 129 bytes");
}

/* The writer never writes past cap and refuses what the parser would. */
static void
v2_writer_limits(void **state LB_UNUSED)
{
	struct sockaddr_storage s = sa("192.0.2.1", 1), d = sa("2001:db8::1", 2);
	struct lb_pp_tlvs t = { .alpn = "http/1.1", .authority = "a.example", .ssl = 1,
	    .ssl_version = "TLSv1.2", .ssl_cipher = "ECDHE-RSA-AES128-GCM-SHA256", .crc32c = 1 };
	static char big[LB_PP_V2_LEN_MAX];
	uint8_t buf[LB_PP_HEADER_MAX + 64];
	size_t cap;
	int full;

	full = lb_proxy_proto_v2_build(buf, sizeof(buf), (struct sockaddr *)&s,
	    (struct sockaddr *)&d, &t);
	assert_true(full > 52);
	for (cap = 0; cap < (size_t)full; cap++) {
		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(lb_proxy_proto_v2_build(buf, cap, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, &t), -1);
		assert_int_equal(buf[cap], 0xaa);
	}
	memset(big, 'x', sizeof(big) - 1);
	t.authority = big;
	assert_int_equal(lb_proxy_proto_v2_build(buf, sizeof(buf), (struct sockaddr *)&s,
	    (struct sockaddr *)&d, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v1_families),
		cmocka_unit_test(v1_unknown),
		cmocka_unit_test(v1_longest),
		cmocka_unit_test(v1_malformed),
		cmocka_unit_test(v1_early_reject),
		cmocka_unit_test(v2_tcp4),
		cmocka_unit_test(v2_tcp6),
		cmocka_unit_test(v2_mixed),
		cmocka_unit_test(v2_local),
		cmocka_unit_test(v2_tlvs),
		cmocka_unit_test(v2_crc32c_vector),
		cmocka_unit_test(v2_ignored_tlvs),
		cmocka_unit_test(v2_malformed),
		cmocka_unit_test(v2_bad_tlvs),
		cmocka_unit_test(v2_writer_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
