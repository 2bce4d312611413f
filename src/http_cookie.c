/*
 * http_cookie.c: Cookie and Set-Cookie lookups in a parsed head, for
 * persistence (HTTP_COOKIE's SRV, APP_COOKIE learning). Values point into
 * the head's buffer; nothing is copied.
 */
#include "config.h"

#include <string.h>

#include "lbproxy/http_cookie.h"
#include "http_int.h"

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
