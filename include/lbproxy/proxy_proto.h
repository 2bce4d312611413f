/*
 * proxy_proto.h: the PROXY protocol (HAProxy's doc/proxy-protocol.txt),
 * version 1 (text) and 2 (binary, with TLVs): a parser for headers received
 * from a trusted upstream and writers for headers sent to pool members.
 * Pure functions over caller buffers: no I/O, no allocation, no libevent or
 * OpenSSL, safe on any thread.
 */
#ifndef LB_PROXY_PROTO_H
#define LB_PROXY_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* v1: "PROXY ... \r\n" is at most 107 bytes (the spec's limit). */
#define LB_PP_V1_MAX		107
/* v2: 16-byte fixed part, then this many bytes at most (addresses + TLVs). */
#define LB_PP_V2_LEN_MAX	1024
/* The longest header the parser accepts: read up to this much before parsing. */
#define LB_PP_HEADER_MAX	(16 + LB_PP_V2_LEN_MAX)

/* Buffer sizes of the strings copied out of TLVs (NUL included). */
#define LB_PP_ALPN_MAX		256	/* RFC 7301: a protocol id is 1..255 bytes */
#define LB_PP_AUTHORITY_MAX	256	/* a host name is at most 255 bytes */
#define LB_PP_SSL_STR_MAX	256

/* PP2_TYPE_SSL client bits. */
#define LB_PP_CLIENT_SSL	0x01	/* the client connected over TLS */
#define LB_PP_CLIENT_CERT_CONN	0x02	/* it sent a certificate on this connection */
#define LB_PP_CLIENT_CERT_SESS	0x04	/* ... at least once in this TLS session */

enum lb_pp_result {
	LB_PP_OK,		/* a whole valid header: *consumed bytes */
	LB_PP_PARTIAL,		/* a valid beginning: read more and call again */
	LB_PP_INVALID,		/* not a PROXY header, or a malformed one: close */
};
extern const char *const lb_pp_result_names[];	/* [LB_PP_PARTIAL] = "PARTIAL" */

/* The PP2_TYPE_SSL TLV as received (strings empty when their sub-TLV is absent). */
struct lb_pp_ssl {
	uint8_t		 client;	/* LB_PP_CLIENT_* */
	uint32_t	 verify;	/* 0: a certificate was presented and verified */
	char		 version[LB_PP_SSL_STR_MAX];	/* "TLSv1.3" */
	char		 cn[LB_PP_SSL_STR_MAX];		/* client certificate's CN */
	char		 cipher[LB_PP_SSL_STR_MAX];	/* "TLS_AES_256_GCM_SHA384" */
	char		 sig_alg[LB_PP_SSL_STR_MAX];	/* "RSA-SHA256" */
	char		 key_alg[LB_PP_SSL_STR_MAX];	/* "RSA2048" */
};

/* What a header said. Every string is a NUL-terminated copy (no pointer into buf). */
struct lb_pp_info {
	int			 version;	/* 1 or 2 */
	int			 local;		/* v2 LOCAL (a health check of the upstream) */
	/*
	 * The client (src) and the address it connected to (dst). ss_family is
	 * AF_UNSPEC when the header carries none (v1 UNKNOWN, v2 LOCAL or
	 * UNSPEC): then the connection's own addresses apply.
	 */
	struct sockaddr_storage	 src;
	struct sockaddr_storage	 dst;
	char			 alpn[LB_PP_ALPN_MAX];		/* "" when absent */
	char			 authority[LB_PP_AUTHORITY_MAX];	/* SNI, "" when absent */
	int			 has_ssl;	/* PP2_TYPE_SSL present: ssl is set */
	struct lb_pp_ssl	 ssl;
	int			 has_crc32c;	/* PP2_TYPE_CRC32C present (and it matched) */
	const char		*reason;	/* INVALID: why, for the log (static string) */
};

/*
 * Parse a PROXY header (v1 or v2, told apart by the first byte) at the start
 * of buf. OK: out is filled and *consumed is the header's length (the
 * client's own bytes start there). PARTIAL: every byte so far fits a valid
 * header, more are needed (never past LB_PP_HEADER_MAX). INVALID: out->reason
 * says why. Strict on purpose: v1 needs single spaces, CRLF, addresses of the
 * declared family and decimal ports without leading zeros; v2 needs version
 * 2, a LOCAL or PROXY command, TCP over IPv4/IPv6 or UNSPEC (any family for
 * LOCAL), a length within LB_PP_V2_LEN_MAX, TLVs that end exactly at the
 * header's end, no duplicate known TLV, no NUL in a string TLV, a matching
 * CRC32C when one is sent, and strings that fit their buffers.
 */
enum lb_pp_result lb_proxy_proto_parse(const void *buf, size_t len, struct lb_pp_info *out,
    size_t *consumed);

/*
 * TLVs a v2 header carries, HAProxy's send-proxy-v2 / -v2-ssl / -v2-ssl-cn
 * options: every pointer may be NULL (that TLV or sub-TLV is left out).
 * Borrowed: read during the call only.
 */
struct lb_pp_tlvs {
	const char	*alpn;		/* the client's negotiated ALPN ("h2") */
	const char	*authority;	/* the client's SNI */
	int		 ssl;		/* send PP2_TYPE_SSL with the fields below */
	uint8_t		 ssl_client;	/* LB_PP_CLIENT_*; 0 for a plain client */
	uint32_t	 ssl_verify;	/* X509_V_OK (0) or the verify error */
	const char	*ssl_version;	/* sub-TLVs, in HAProxy's order: version, */
	const char	*ssl_cn;	/* CN, */
	const char	*ssl_key_alg;	/* key algorithm, */
	const char	*ssl_sig_alg;	/* signature algorithm, */
	const char	*ssl_cipher;	/* cipher */
	int		 crc32c;	/* add a PP2_TYPE_CRC32C checksum */
};

/*
 * The v1 line for a connection from src to dst into buf (NUL-terminated;
 * the NUL is not counted). Returns its length, or -1 if cap is too small.
 * Like HAProxy: src or dst NULL or not IPv4/IPv6 gives "PROXY UNKNOWN\r\n";
 * mixed families (an IPv4 client on an IPv6 VIP or the reverse) give TCP6
 * with the IPv4 address as IPv4-mapped IPv6 (::ffff:a.b.c.d).
 */
int lb_proxy_proto_v1_build(char *buf, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst);
/*
 * The v2 header for a connection from src to dst, with tlvs (may be NULL).
 * Returns its length, or -1 if cap is too small or a TLV is too long for
 * LB_PP_V2_LEN_MAX (what this parser, and so lbproxy, would accept).
 * Families as in v1: TCP4 when both are IPv4, TCP6 (IPv4-mapped) when
 * either is IPv6; src or dst NULL or of another family: a LOCAL header.
 */
int lb_proxy_proto_v2_build(void *buf, size_t cap, const struct sockaddr *src,
    const struct sockaddr *dst, const struct lb_pp_tlvs *tlvs);
/* A v2 LOCAL header (16 bytes, no address) for health checks; 16 or -1. */
int lb_proxy_proto_v2_local(void *buf, size_t cap);

#endif
