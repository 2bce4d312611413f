/*
 * fuzz_proxy.c: libFuzzer harness for the PROXY protocol parser
 * (src/proxy_proto.c). Besides memory safety it checks what a caller
 * reading from a socket relies on, for every input:
 *  - the result is one of the three, INVALID always says why, and OK never
 *    consumes more than it was given nor more than LB_PP_HEADER_MAX;
 *  - the answer does not depend on how the bytes arrive: every proper
 *    prefix of an accepted header is PARTIAL, the header alone is accepted
 *    again identically, and bytes after it change nothing;
 *  - a PARTIAL input never exceeds LB_PP_HEADER_MAX bytes;
 *  - an accepted header, rebuilt by the writers from what was parsed
 *    (addresses, ALPN, authority, SSL TLV), parses back to the same values.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -Ibuild \
 *       tests/fuzz/fuzz_proxy.c src/proxy_proto.c
 *   ./a.out -max_total_time=60 corpus/
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lbproxy/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Everything the parser reports, reason aside. */
static bool
same_info(const struct lb_pp_info *a, const struct lb_pp_info *b)
{
	return a->version == b->version && a->local == b->local &&
	    same_addr(&a->src, &b->src) && same_addr(&a->dst, &b->dst) &&
	    strcmp(a->alpn, b->alpn) == 0 && strcmp(a->authority, b->authority) == 0 &&
	    a->has_ssl == b->has_ssl && a->has_crc32c == b->has_crc32c &&
	    memcmp(&a->ssl, &b->ssl, sizeof(a->ssl)) == 0;
}

/* Rebuild the header from info with the writers and parse it again. */
static void
rebuild(const struct lb_pp_info *info)
{
	const struct sockaddr *src = NULL, *dst = NULL;
	struct lb_pp_tlvs t;
	struct lb_pp_info again;
	uint8_t buf[LB_PP_HEADER_MAX];
	size_t used;
	int n;

	if (info->src.ss_family != AF_UNSPEC) {
		src = (const struct sockaddr *)&info->src;
		dst = (const struct sockaddr *)&info->dst;
	}
	if (info->version == 1) {
		n = lb_proxy_proto_v1_build((char *)buf, sizeof(buf), src, dst);
		check(n > 0);
		check(lb_proxy_proto_parse(buf, (size_t)n, &again, &used) == LB_PP_OK);
		check(used == (size_t)n && same_addr(&again.src, &info->src) &&
		    same_addr(&again.dst, &info->dst));
		return;
	}
	memset(&t, 0, sizeof(t));
	t.alpn = info->alpn[0] != '\0' ? info->alpn : NULL;
	t.authority = info->authority[0] != '\0' ? info->authority : NULL;
	t.crc32c = info->has_crc32c;
	if (info->has_ssl) {
		t.ssl = 1;
		t.ssl_client = info->ssl.client;
		t.ssl_verify = info->ssl.verify;
		t.ssl_version = info->ssl.version[0] != '\0' ? info->ssl.version : NULL;
		t.ssl_cn = info->ssl.cn[0] != '\0' ? info->ssl.cn : NULL;
		t.ssl_cipher = info->ssl.cipher[0] != '\0' ? info->ssl.cipher : NULL;
		t.ssl_sig_alg = info->ssl.sig_alg[0] != '\0' ? info->ssl.sig_alg : NULL;
		t.ssl_key_alg = info->ssl.key_alg[0] != '\0' ? info->ssl.key_alg : NULL;
	}
	n = lb_proxy_proto_v2_build(buf, sizeof(buf), src, dst, &t);
	/* the original may have carried padding or ignored TLVs that made room */
	if (n == -1)
		return;
	check(lb_proxy_proto_parse(buf, (size_t)n, &again, &used) == LB_PP_OK);
	check(used == (size_t)n);
	/* PROXY UNSPEC is rebuilt as LOCAL (no address either way) */
	if (src == NULL)
		again.local = info->local;
	check(same_info(&again, info));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_pp_info info, again;
	size_t used, used2, i;
	enum lb_pp_result r;
	uint8_t *copy;

	r = lb_proxy_proto_parse(data, size, &info, &used);
	check(r == LB_PP_OK || r == LB_PP_PARTIAL || r == LB_PP_INVALID);
	if (r == LB_PP_INVALID)
		check(info.reason != NULL && used == 0);
	if (r == LB_PP_PARTIAL)
		check(size < LB_PP_HEADER_MAX && used == 0);
	if (r != LB_PP_OK)
		return 0;
	check(used > 0 && used <= size && used <= LB_PP_HEADER_MAX);

	/* the header alone, in a buffer of its own size (ASan sees any over-read) */
	copy = malloc(used);
	check(copy != NULL);
	memcpy(copy, data, used);
	check(lb_proxy_proto_parse(copy, used, &again, &used2) == LB_PP_OK);
	check(used2 == used && same_info(&info, &again));
	for (i = 0; i < used; i++)
		check(lb_proxy_proto_parse(copy, i, &again, &used2) == LB_PP_PARTIAL);
	free(copy);
	rebuild(&info);
	return 0;
}
