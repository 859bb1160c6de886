/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kube/split.h: the watch-stream splitter. A watch body is a sequence of
 * JSON objects (the API server writes one per line, but `pretty` output and
 * other servers need not); libcurl hands it over in chunks cut anywhere. The
 * splitter takes the bytes as they come and hands out each complete
 * top-level object, tracking strings and escapes so that braces inside
 * strings do not count.
 *
 * Ownership: the splitter owns the partial object it buffers; the object
 * handed to the callback is borrowed for the call.
 */
#ifndef SVCNFT_KUBE_SPLIT_H
#define SVCNFT_KUBE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sn.h"

/* One watch event larger than this is refused rather than buffered: the
 * largest Kubernetes objects (etcd's limit) are 1.5 MiB, so 16 MiB means a
 * broken or hostile stream, and memory must stay bounded. */
#define KUBE_SPLIT_MAX (16u << 20)

struct kube_split {
	struct sn_buf buf;	/* the object being assembled across chunks */
	size_t max;		/* largest object accepted */
	unsigned depth;		/* nesting of {} and [] inside the object; 0 = between objects */
	bool in_str, esc;
	char err[160];		/* why feed returned -1 */
};

/* Called with each complete object (from '{' to its '}'). A non-zero return
 * stops the feed, which returns that value. */
typedef int kube_split_fn(void *ctx, const char *obj, size_t len);

void kube_split_init(struct kube_split *s, size_t max);	/* max 0 = KUBE_SPLIT_MAX */
void kube_split_reset(struct kube_split *s);
void kube_split_free(struct kube_split *s);

/*
 * Feed len bytes. Whitespace between objects is skipped; anything else
 * outside an object, or an object over max bytes, is an error: returns -1
 * with s->err set, and the splitter must be reset before it is fed again.
 * Returns 0, or the callback's non-zero value.
 */
int kube_split_feed(struct kube_split *s, const char *data, size_t len, kube_split_fn *fn,
		    void *ctx);

/* Is an object half-read? (A stream that ends now was cut.) */
static inline bool kube_split_pending(const struct kube_split *s)
{
	return s->depth > 0;
}

#endif
