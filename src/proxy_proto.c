/*
 * proxy_proto.c: PROXY protocol v1 and v2 headers, parsed and built
 * (HAProxy's doc/proxy-protocol.txt). The parser decides from the bytes it
 * has: a prefix that can still become a valid header is PARTIAL, anything
 * else is INVALID at once, so a caller reading from a socket never waits
 * for more bytes of a header it will refuse anyway.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lbproxy/proxy_proto.h"

#define V2_FIXED	16		/* signature, ver_cmd, fam, len */
#define V2_SIG_LEN	12
#define V2_VERSION	0x20
#define V2_CMD_LOCAL	0x00
#define V2_CMD_PROXY	0x01

/* fam byte: address family (high nibble) and transport (low nibble). */
#define V2_FAM_UNSPEC	0x00
#define V2_FAM_TCP4	0x11
#define V2_FAM_UDP4	0x12
#define V2_FAM_TCP6	0x21
#define V2_FAM_UDP6	0x22
#define V2_FAM_UNIX	0x31
#define V2_FAM_UNIXDG	0x32

#define V2_ADDR_INET	12		/* 2 x 4-byte address, 2 x port */
#define V2_ADDR_INET6	36		/* 2 x 16-byte address, 2 x port */
#define V2_ADDR_UNIX	216		/* 2 x 108-byte path */

/* TLV types and the SSL sub-types. */
enum {
	PP2_TYPE_ALPN = 0x01,
	PP2_TYPE_AUTHORITY = 0x02,
	PP2_TYPE_CRC32C = 0x03,
	PP2_TYPE_NOOP = 0x04,
	PP2_TYPE_UNIQUE_ID = 0x05,
	PP2_TYPE_SSL = 0x20,
	PP2_SUBTYPE_SSL_VERSION = 0x21,
	PP2_SUBTYPE_SSL_CN = 0x22,
	PP2_SUBTYPE_SSL_CIPHER = 0x23,
	PP2_SUBTYPE_SSL_SIG_ALG = 0x24,
	PP2_SUBTYPE_SSL_KEY_ALG = 0x25,
	PP2_TYPE_NETNS = 0x30,
};
#define TLV_HDR			3	/* type, length (big endian) */
#define SSL_TLV_FIXED		5	/* client (1), verify (4) */
#define UNIQUE_ID_MAX		128	/* the spec's limit */

static const uint8_t v2_sig[V2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1_sig[] = "PROXY ";

const char *const lb_pp_result_names[] = {
	[LB_PP_OK] = "OK",
	[LB_PP_PARTIAL] = "PARTIAL",
	[LB_PP_INVALID] = "INVALID",
};

/* CRC-32C (Castagnoli, reflected 0x82f63b78), continued from crc (start ~0). */
static uint32_t
crc32c_update(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc;
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Two bytes as they are (a port kept in network byte order). */
static uint16_t
get_raw16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static enum lb_pp_result
invalid(struct lb_pp_info *out, const char *why)
{
	out->reason = why;
	return LB_PP_INVALID;
}

/*
 * Store an address from a header; an IPv4-mapped IPv6 address becomes plain
 * IPv4, so a mixed-family connection written as TCP6 reads back as it was.
 * port is in network byte order.
 */
static void
set_addr(struct sockaddr_storage *ss, int af, const void *addr, uint16_t port_be)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
		af = AF_INET;
		addr = (const uint8_t *)addr + sizeof(mapped);
	}
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sin->sin_port = port_be;
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_port = port_be;
	}
}

/* --- v1 ------------------------------------------------------------------ */

/* A decimal port 0..65535 without leading zeros; -1 if not. */
static int
v1_port(const char *s, uint16_t *port_be)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port_be = htons((uint16_t)v);
	return 0;
}

/* An address of family af (inet_pton: no leading zeros, no zone, no host names). */
static int
v1_addr(const char *s, int af, uint8_t addr[16])
{
	return strlen(s) < INET6_ADDRSTRLEN && inet_pton(af, s, addr) == 1 ? 0 : -1;
}

/* The fields after "PROXY " (line is NUL-terminated, without CRLF). */
static enum lb_pp_result
v1_fields(char *line, struct lb_pp_info *out)
{
	char *f[5], *p = line;
	uint8_t sa[16], da[16];
	uint16_t sp, dp;
	int af, n;

	if (strncmp(line, "UNKNOWN", 7) == 0 && (line[7] == '\0' || line[7] == ' '))
		return LB_PP_OK;	/* the rest is ignored, as the spec says */
	/* exactly five fields, single spaces: split in place */
	for (n = 0; n < 5; n++) {
		f[n] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (n != 4)
		return invalid(out, "v1: not 5 fields after PROXY");
	for (n = 0; n < 5; n++)
		if (*f[n] == '\0')
			return invalid(out, "v1: empty field (two spaces)");
	if (strcmp(f[0], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(f[0], "TCP6") == 0)
		af = AF_INET6;
	else
		return invalid(out, "v1: protocol not TCP4, TCP6 or UNKNOWN");
	if (v1_addr(f[1], af, sa) == -1 || v1_addr(f[2], af, da) == -1)
		return invalid(out, "v1: address not of the declared family");
	if (v1_port(f[3], &sp) == -1 || v1_port(f[4], &dp) == -1)
		return invalid(out, "v1: bad port");
	set_addr(&out->src, af, sa, sp);
	set_addr(&out->dst, af, da, dp);
	return LB_PP_OK;
}

static enum lb_pp_result
v1_parse(const uint8_t *p, size_t len, struct lb_pp_info *out, size_t *consumed)
{
	size_t n = len < LB_PP_V1_MAX ? len : LB_PP_V1_MAX, sig = sizeof(v1_sig) - 1, i;
	char line[LB_PP_V1_MAX + 1];
	enum lb_pp_result r;

	out->version = 1;
	if (memcmp(p, v1_sig, len < sig ? len : sig) != 0)
		return invalid(out, "v1: does not start with \"PROXY \"");
	for (i = 0; i < n && p[i] != '\r'; i++) {
		if (p[i] == '\n')
			return invalid(out, "v1: LF without CR");
		if (p[i] < 0x20 || p[i] > 0x7e)
			return invalid(out, "v1: control or non-ASCII byte");
	}
	/* the CR at i, its LF at i + 1 must both be within the 107 bytes */
	if (i + 1 >= LB_PP_V1_MAX)
		return invalid(out, "v1: no CRLF within 107 bytes");
	if (i + 1 >= len)
		return LB_PP_PARTIAL;
	if (p[i + 1] != '\n')
		return invalid(out, "v1: CR without LF");
	if (i < sig)
		return invalid(out, "v1: does not start with \"PROXY \"");
	memcpy(line, p + sig, i - sig);
	line[i - sig] = '\0';
	if ((r = v1_fields(line, out)) == LB_PP_OK)
		*consumed = i + 2;
	return r;
}

/* --- v2 ------------------------------------------------------------------ */

/* TLVs seen once already (bit = type & 0x3f for the known ones). */
#define SEEN(t)		(UINT64_C(1) << ((t) & 0x3f))

/* Copy a string TLV into dst (size bytes): no NUL inside, it must fit. */
static int
tlv_str(char *dst, size_t size, const uint8_t *v, size_t vlen)
{
	if (vlen >= size || memchr(v, '\0', vlen) != NULL)
		return -1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
	return 0;
}

/* The SSL TLV's value: client, verify, then sub-TLVs. */
static enum lb_pp_result
v2_ssl(const uint8_t *v, size_t vlen, struct lb_pp_info *out)
{
	struct lb_pp_ssl *ssl = &out->ssl;
	uint64_t seen = 0;
	size_t off = SSL_TLV_FIXED;
	char *dst;

	if (vlen < SSL_TLV_FIXED)
		return invalid(out, "v2: SSL TLV shorter than 5 bytes");
	out->has_ssl = 1;
	ssl->client = v[0];
	ssl->verify = get_be32(v + 1);
	while (off < vlen) {
		uint8_t type;
		size_t sublen;

		if (vlen - off < TLV_HDR)
			return invalid(out, "v2: truncated SSL sub-TLV");
		type = v[off];
		sublen = get_be16(v + off + 1);
		if (sublen > vlen - off - TLV_HDR)
			return invalid(out, "v2: SSL sub-TLV overruns the SSL TLV");
		switch (type) {
		case PP2_SUBTYPE_SSL_VERSION: dst = ssl->version; break;
		case PP2_SUBTYPE_SSL_CN: dst = ssl->cn; break;
		case PP2_SUBTYPE_SSL_CIPHER: dst = ssl->cipher; break;
		case PP2_SUBTYPE_SSL_SIG_ALG: dst = ssl->sig_alg; break;
		case PP2_SUBTYPE_SSL_KEY_ALG: dst = ssl->key_alg; break;
		default: dst = NULL; break;	/* newer sub-types: ignored */
		}
		if (dst != NULL) {
			if (seen & SEEN(type))
				return invalid(out, "v2: duplicate SSL sub-TLV");
			seen |= SEEN(type);
			if (tlv_str(dst, LB_PP_SSL_STR_MAX, v + off + TLV_HDR, sublen) == -1)
				return invalid(out, "v2: SSL sub-TLV too long or with a NUL");
		}
		off += TLV_HDR + sublen;
	}
	return LB_PP_OK;
}

/* CRC32C of the header hdr (total bytes) with the checksum at crc_off read as zero. */
static uint32_t
v2_crc(const uint8_t *hdr, size_t total, size_t crc_off)
{
	static const uint8_t zero[4];
	uint32_t crc = ~0u;

	crc = crc32c_update(crc, hdr, crc_off);
	crc = crc32c_update(crc, zero, sizeof(zero));
	crc = crc32c_update(crc, hdr + crc_off + 4, total - crc_off - 4);
	return ~crc;
}

/* Walk the TLVs in hdr[off, total). */
static enum lb_pp_result
v2_tlvs(const uint8_t *hdr, size_t off, size_t total, struct lb_pp_info *out)
{
	uint64_t seen = 0;

	while (off < total) {
		const uint8_t *v;
		uint8_t type;
		size_t vlen;
		enum lb_pp_result r = LB_PP_OK;

		if (total - off < TLV_HDR)
			return invalid(out, "v2: truncated TLV");
		type = hdr[off];
		vlen = get_be16(hdr + off + 1);
		v = hdr + off + TLV_HDR;
		if (vlen > total - off - TLV_HDR)
			return invalid(out, "v2: TLV overruns the header");
		if (type == PP2_TYPE_ALPN || type == PP2_TYPE_AUTHORITY ||
		    type == PP2_TYPE_CRC32C || type == PP2_TYPE_UNIQUE_ID ||
		    type == PP2_TYPE_SSL || type == PP2_TYPE_NETNS) {
			if (seen & SEEN(type))
				return invalid(out, "v2: duplicate TLV");
			seen |= SEEN(type);
		}
		switch (type) {
		case PP2_TYPE_ALPN:
			if (vlen == 0 || tlv_str(out->alpn, sizeof(out->alpn), v, vlen) == -1)
				r = invalid(out, "v2: ALPN TLV empty, too long or with a NUL");
			break;
		case PP2_TYPE_AUTHORITY:
			if (tlv_str(out->authority, sizeof(out->authority), v, vlen) == -1)
				r = invalid(out, "v2: authority TLV too long or with a NUL");
			break;
		case PP2_TYPE_CRC32C:
			if (vlen != 4)
				r = invalid(out, "v2: CRC32C TLV not 4 bytes");
			else if (get_be32(v) != v2_crc(hdr, total, off + TLV_HDR))
				r = invalid(out, "v2: CRC32C mismatch");
			else
				out->has_crc32c = 1;
			break;
		case PP2_TYPE_UNIQUE_ID:
			if (vlen > UNIQUE_ID_MAX)
				r = invalid(out, "v2: unique ID TLV over 128 bytes");
			break;
		case PP2_TYPE_SSL:
			r = v2_ssl(v, vlen, out);
			break;
		default:	/* NOOP, NETNS, custom and future types: ignored */
			break;
		}
		if (r != LB_PP_OK)
			return r;
		off += TLV_HDR + vlen;
	}
	return LB_PP_OK;
}

/* Bytes of the address block of fam, or -1 for an unknown family. */
static int
v2_addr_len(uint8_t fam)
{
	switch (fam) {
	case V2_FAM_UNSPEC:
		return 0;
	case V2_FAM_TCP4:
	case V2_FAM_UDP4:
		return V2_ADDR_INET;
	case V2_FAM_TCP6:
	case V2_FAM_UDP6:
		return V2_ADDR_INET6;
	case V2_FAM_UNIX:
	case V2_FAM_UNIXDG:
		return V2_ADDR_UNIX;
	default:
		return -1;
	}
}

static enum lb_pp_result
v2_parse(const uint8_t *p, size_t len, struct lb_pp_info *out, size_t *consumed)
{
	size_t hlen, total;
	uint8_t cmd, fam;
	int alen;

	out->version = 2;
	if (memcmp(p, v2_sig, len < V2_SIG_LEN ? len : V2_SIG_LEN) != 0)
		return invalid(out, "v2: bad signature");
	if (len <= V2_SIG_LEN)
		return LB_PP_PARTIAL;
	if ((p[12] & 0xf0) != V2_VERSION)
		return invalid(out, "v2: version is not 2");
	cmd = p[12] & 0x0f;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
		return invalid(out, "v2: command neither LOCAL nor PROXY");
	if (len <= 13)
		return LB_PP_PARTIAL;
	fam = p[13];
	alen = v2_addr_len(fam);
	/* PROXY: TCP over IPv4 or IPv6, or UNSPEC; LOCAL ignores the family */
	if (cmd == V2_CMD_PROXY && fam != V2_FAM_TCP4 && fam != V2_FAM_TCP6 &&
	    fam != V2_FAM_UNSPEC)
		return invalid(out, "v2: PROXY for a family other than TCP4, TCP6, UNSPEC");
	if (len < V2_FIXED)
		return LB_PP_PARTIAL;
	hlen = get_be16(p + 14);
	if (hlen > LB_PP_V2_LEN_MAX)
		return invalid(out, "v2: header longer than 1024 bytes after the fixed part");
	if (cmd == V2_CMD_PROXY && hlen < (size_t)alen)
		return invalid(out, "v2: length too short for the address family");
	total = V2_FIXED + hlen;
	if (len < total)
		return LB_PP_PARTIAL;

	out->local = cmd == V2_CMD_LOCAL;
	if (cmd == V2_CMD_PROXY && (fam == V2_FAM_TCP4 || fam == V2_FAM_TCP6)) {
		int af = fam == V2_FAM_TCP4 ? AF_INET : AF_INET6;
		size_t a = af == AF_INET ? 4 : 16;	/* src, dst, src port, dst port */

		set_addr(&out->src, af, p + V2_FIXED, get_raw16(p + V2_FIXED + 2 * a));
		set_addr(&out->dst, af, p + V2_FIXED + a, get_raw16(p + V2_FIXED + 2 * a + 2));
	}
	/* LOCAL with an unknown family or a short block: nothing to walk */
	if (alen >= 0 && hlen >= (size_t)alen) {
		enum lb_pp_result r = v2_tlvs(p, V2_FIXED + (size_t)alen, total, out);

		if (r != LB_PP_OK)
			return r;
	}
	*consumed = total;
	return LB_PP_OK;
}

enum lb_pp_result
lb_proxy_proto_parse(const void *buf, size_t len, struct lb_pp_info *out, size_t *consumed)
{
	const uint8_t *p = buf;

	memset(out, 0, sizeof(*out));
	out->src.ss_family = AF_UNSPEC;
	out->dst.ss_family = AF_UNSPEC;
	*consumed = 0;
	if (len == 0)
		return LB_PP_PARTIAL;
	if (p[0] == v1_sig[0])
		return v1_parse(p, len, out, consumed);
	if (p[0] == v2_sig[0])
		return v2_parse(p, len, out, consumed);
	return invalid(out, "not a PROXY protocol header");
}

/* --- writers ------------------------------------------------------------- */

/* An IPv4 or IPv6 endpoint, IPv4 also as IPv4-mapped IPv6. */
struct endpoint {
	int		 af;
	uint8_t		 a4[4];
	uint8_t		 a6[16];
	uint16_t	 port_be;
};

/* Fill e from sa; -1 if sa is NULL or neither IPv4 nor IPv6. */
static int
endpoint(const struct sockaddr *sa, struct endpoint *e)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	memset(e, 0, sizeof(*e));
	if (sa == NULL)
		return -1;
	e->af = sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(e->a4, &sin->sin_addr, 4);
		e->a6[10] = e->a6[11] = 0xff;
		memcpy(e->a6 + 12, e->a4, 4);
		e->port_be = sin->sin_port;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(e->a6, &sin6->sin6_addr, 16);
		e->port_be = sin6->sin6_port;
		return 0;
	}
	return -1;
}

/*
 * Mixed families (an IPv4 client on an IPv6 VIP, or the reverse) are sent as
 * TCP6 with the IPv4 side IPv4-mapped (::ffff:a.b.c.d), as HAProxy does in
 * both versions: the member still learns the real client, where v1's
 * UNKNOWN or v2's LOCAL would hide it.
 */
int
lb_proxy_proto_v1_build(char *buf, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN];
	struct endpoint s, d;
	int n, v4;

	if (endpoint(src, &s) == -1 || endpoint(dst, &d) == -1) {
		n = snprintf(buf, cap, "PROXY UNKNOWN\r\n");
	} else {
		v4 = s.af == AF_INET && d.af == AF_INET;
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (void *)s.a4 : (void *)s.a6, sa, sizeof(sa));
		inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? (void *)d.a4 : (void *)d.a6, da, sizeof(da));
		n = snprintf(buf, cap, "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6", sa, da,
		    ntohs(s.port_be), ntohs(d.port_be));
	}
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* Append one TLV at *off; -1 if it does not fit cap or LB_PP_V2_LEN_MAX. */
static int
put_tlv(uint8_t *b, size_t cap, size_t *off, uint8_t type, const void *v, size_t vlen)
{
	if (*off + TLV_HDR + vlen > cap || *off + TLV_HDR + vlen > LB_PP_HEADER_MAX)
		return -1;
	b[*off] = type;
	put_be16(b + *off + 1, vlen);
	if (vlen > 0)
		memcpy(b + *off + TLV_HDR, v, vlen);
	*off += TLV_HDR + vlen;
	return 0;
}

/* A string TLV, left out when s is NULL. */
static int
put_str(uint8_t *b, size_t cap, size_t *off, uint8_t type, const char *s)
{
	return s == NULL ? 0 : put_tlv(b, cap, off, type, s, strlen(s));
}

/* PP2_TYPE_SSL with its sub-TLVs, in the order HAProxy 2.6 sends them. */
static int
put_ssl(uint8_t *b, size_t cap, size_t *off, const struct lb_pp_tlvs *t)
{
	size_t start = *off, o;

	if (*off + TLV_HDR + SSL_TLV_FIXED > cap)
		return -1;
	b[start] = PP2_TYPE_SSL;
	b[start + TLV_HDR] = t->ssl_client;
	put_be32(b + start + TLV_HDR + 1, t->ssl_verify);
	o = start + TLV_HDR + SSL_TLV_FIXED;
	if (put_str(b, cap, &o, PP2_SUBTYPE_SSL_VERSION, t->ssl_version) == -1 ||
	    put_str(b, cap, &o, PP2_SUBTYPE_SSL_CN, t->ssl_cn) == -1 ||
	    put_str(b, cap, &o, PP2_SUBTYPE_SSL_KEY_ALG, t->ssl_key_alg) == -1 ||
	    put_str(b, cap, &o, PP2_SUBTYPE_SSL_SIG_ALG, t->ssl_sig_alg) == -1 ||
	    put_str(b, cap, &o, PP2_SUBTYPE_SSL_CIPHER, t->ssl_cipher) == -1)
		return -1;
	put_be16(b + start + 1, o - start - TLV_HDR);
	*off = o;
	return 0;
}

/* The 16-byte fixed part (length filled in later). */
static int
put_fixed(uint8_t *b, size_t cap, uint8_t cmd, uint8_t fam)
{
	if (cap < V2_FIXED)
		return -1;
	memcpy(b, v2_sig, V2_SIG_LEN);
	b[12] = V2_VERSION | cmd;
	b[13] = fam;
	put_be16(b + 14, 0);
	return 0;
}

/* The fixed part and the addresses: TCP4 when both are IPv4, else TCP6 (mapped). */
static int
put_addrs(uint8_t *b, size_t cap, const struct endpoint *s, const struct endpoint *d,
    size_t *off)
{
	int v4 = s->af == AF_INET && d->af == AF_INET;
	size_t alen = v4 ? 4 : 16;

	if (put_fixed(b, cap, V2_CMD_PROXY, v4 ? V2_FAM_TCP4 : V2_FAM_TCP6) == -1 ||
	    cap < V2_FIXED + 2 * alen + 4)
		return -1;
	memcpy(b + V2_FIXED, v4 ? s->a4 : s->a6, alen);
	memcpy(b + V2_FIXED + alen, v4 ? d->a4 : d->a6, alen);
	memcpy(b + V2_FIXED + 2 * alen, &s->port_be, 2);
	memcpy(b + V2_FIXED + 2 * alen + 2, &d->port_be, 2);
	*off = V2_FIXED + 2 * alen + 4;
	return 0;
}

int
lb_proxy_proto_v2_build(void *buf, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_pp_tlvs *t)
{
	uint8_t *b = buf;
	struct endpoint s, d;
	size_t off = V2_FIXED, crc_off = 0;
	static const uint8_t zero[4];

	if (endpoint(src, &s) == -1 || endpoint(dst, &d) == -1) {
		if (put_fixed(b, cap, V2_CMD_LOCAL, V2_FAM_UNSPEC) == -1)
			return -1;
	} else if (put_addrs(b, cap, &s, &d, &off) == -1)
		return -1;
	if (t != NULL) {
		/* HAProxy's order: CRC32C, ALPN, authority, SSL */
		if (t->crc32c) {
			crc_off = off + TLV_HDR;
			if (put_tlv(b, cap, &off, PP2_TYPE_CRC32C, zero, sizeof(zero)) == -1)
				return -1;
		}
		if (put_str(b, cap, &off, PP2_TYPE_ALPN, t->alpn) == -1 ||
		    put_str(b, cap, &off, PP2_TYPE_AUTHORITY, t->authority) == -1 ||
		    (t->ssl && put_ssl(b, cap, &off, t) == -1))
			return -1;
	}
	if (off > LB_PP_HEADER_MAX)
		return -1;
	put_be16(b + 14, off - V2_FIXED);
	if (crc_off != 0)
		put_be32(b + crc_off, v2_crc(b, off, crc_off));
	return (int)off;
}

int
lb_proxy_proto_v2_local(void *buf, size_t cap)
{
	return put_fixed(buf, cap, V2_CMD_LOCAL, V2_FAM_UNSPEC) == -1 ? -1 : V2_FIXED;
}
