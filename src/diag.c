/* diag.c: accumulate configuration errors and warnings. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lbproxy/diag.h"

static void
push(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	*v = lb_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

void
lb_diag_err(struct lb_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&d->msgs, &d->n, fmt, ap);
	va_end(ap);
}

void
lb_diag_warn(struct lb_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&d->warns, &d->nwarn, fmt, ap);
	va_end(ap);
}

void
lb_diag_print(const struct lb_diag *d, const char *file, FILE *fp)
{
	size_t i;

	for (i = 0; i < d->nwarn; i++)
		fprintf(fp, "%s: warning: %s\n", file, d->warns[i]);
	for (i = 0; i < d->n; i++)
		fprintf(fp, "%s: %s\n", file, d->msgs[i]);
}

void
lb_diag_fini(struct lb_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	for (i = 0; i < d->nwarn; i++)
		free(d->warns[i]);
	free(d->msgs);
	free(d->warns);
	d->msgs = d->warns = NULL;
	d->n = d->nwarn = 0;
}
