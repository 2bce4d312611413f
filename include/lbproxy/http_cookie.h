/*
 * http_cookie.h: Cookie and Set-Cookie lookups in a parsed head
 * (http_cookie.c), for persistence.
 */
#ifndef LB_HTTP_COOKIE_H
#define LB_HTTP_COOKIE_H

#include "lbproxy/http.h"

/*
 * Find cookie name in the request's Cookie headers; returns 0 and points
 * *val and *len at the value, or -1.
 */
int lb_http_cookie_get(const struct lb_http_msg *m, const char *name, const char **val, size_t *len);
/* Same for a response's Set-Cookie headers (APP_COOKIE learning). */
int lb_http_setcookie_get(const struct lb_http_msg *m, const char *name, const char **val, size_t *len);

#endif
