/*
 * http_int.h: what the HTTP modules (http_parse.c, http_write.c,
 * http_body.c, http_cookie.c) share and nobody else uses: the RFC 9110 /
 * 3986 character classes and ASCII comparisons that ignore the locale.
 */
#ifndef LB_HTTP_INT_H
#define LB_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Character classes, one bit each, for lb_http_cclass. */
#define C_TCHAR		0x01	/* token: field names, methods, codings */
#define C_VALUE		0x02	/* field-value / reason: HT SP VCHAR obs-text */
#define C_TARGET	0x04	/* request-target: VCHAR */
#define C_HOST		0x08	/* reg-name: unreserved sub-delims (not ',') '%' */
#define C_HEX		0x10
#define C_QDTEXT	0x20	/* quoted-string text (chunk extensions) */
#define C_DIGIT		0x40

/* The class bits of every byte (defined in http_parse.c, with the grammar). */
extern const uint8_t lb_http_cclass[256];

#define IS(c, cl)	((lb_http_cclass[(unsigned char)(c)] & (cl)) != 0)
#define IS_OWS(c)	((c) == ' ' || (c) == '\t')

/* ASCII lowercase, independent of the locale. */
static inline unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive equality of s (n bytes) and lowercase literal lit. */
static inline bool
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
static inline bool
ci_eq2(const char *a, const char *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (lower(a[i]) != lower(b[i]))
			return false;
	}
	return true;
}

#endif
