/* frontend.c: frontends (listeners) and backends (pools) with their counters. */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "lbproxy/frontend.h"
#include "lbproxy/util.h"

struct lb_frontend *
lb_frontend_new(const char *id, int iid)
{
	struct lb_frontend *f = lb_xcalloc(1, sizeof(*f));

	f->id = lb_xstrdup(id);
	f->iid = iid;
	atomic_init(&f->refcnt, 1);
	return f;
}

void
lb_frontend_ref(struct lb_frontend *f)
{
	atomic_fetch_add_explicit(&f->refcnt, 1, memory_order_relaxed);
}

void
lb_frontend_unref(struct lb_frontend *f)
{
	if (f == NULL || atomic_fetch_sub_explicit(&f->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	free(f->id);
	free(f);
}

struct lb_backend *
lb_backend_new(const char *id, int iid)
{
	struct lb_backend *b = lb_xcalloc(1, sizeof(*b));

	b->id = lb_xstrdup(id);
	b->iid = iid;
	atomic_init(&b->refcnt, 1);
	return b;
}

void
lb_backend_ref(struct lb_backend *b)
{
	atomic_fetch_add_explicit(&b->refcnt, 1, memory_order_relaxed);
}

void
lb_backend_unref(struct lb_backend *b)
{
	if (b == NULL || atomic_fetch_sub_explicit(&b->refcnt, 1, memory_order_acq_rel) != 1)
		return;
	free(b->id);
	free(b);
}

void
lb_counters_fold(struct lb_counters *to, struct lb_counters *from)
{
	_Atomic uint64_t *d = &to->stot, *f = &from->stot;
	size_t i, n = (offsetof(struct lb_counters, smax) - offsetof(struct lb_counters, stot)) /
	    sizeof(uint64_t);

	for (i = 0; i < n; i++)
		atomic_fetch_add(&d[i], atomic_load(&f[i]));
}
