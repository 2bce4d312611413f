/* diag.h: accumulate every configuration error instead of stopping at the first. */
#ifndef LB_DIAG_H
#define LB_DIAG_H

#include <stdio.h>
#include "lbproxy/util.h"

struct lb_diag {
	char	**msgs;
	size_t	  n;
	size_t	  nwarn;
	char	**warns;
};

/* Record one error; the text should be "json.path: reason". */
void lb_diag_err(struct lb_diag *d, const char *fmt, ...) LB_PRINTF(2, 3);
/* Record a warning (does not make the config invalid). */
void lb_diag_warn(struct lb_diag *d, const char *fmt, ...) LB_PRINTF(2, 3);
/* Print "file: msg" for each error (and "file: warning: msg"), one per line. */
void lb_diag_print(const struct lb_diag *d, const char *file, FILE *fp);
void lb_diag_fini(struct lb_diag *d);

#endif
