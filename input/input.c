// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/input.c: paths to documents, documents to objects.
 *
 * Files and directories are read in a fixed order (directory entries sorted
 * by the bytes of their names), each document's kind and apiVersion pick
 * the reader, Lists are flattened, and an object whose kind, namespace and
 * name were already seen is refused, naming where the first one was.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/input.h"
#include "input/obj.h"

/* Directory trees deeper than this are refused (and symbolic links back to
 * an enclosing directory are skipped): manifests are never this deep. */
#define MAX_DIR_DEPTH 32
/* A List inside a List inside...: kubectl flattens them; so do we, this far. */
#define MAX_LIST_DEPTH 8

struct seen_ent {
	char *key;		/* "Kind\x1fnamespace\x1fname" in keys; NULL = free slot */
	uint64_t hash;
	struct sn_loc loc;
};

struct dir_id {
	dev_t dev;
	ino_t ino;
};

struct input_ctx {
	struct svc_world *w;
	struct sn_diag *d;
	struct seen_ent *seen;	/* open addressing, power-of-two size */
	size_t nseen, seen_size;
	struct input_arena keys;	/* the seen keys: no malloc per object */
	struct dir_id dirs[MAX_DIR_DEPTH];	/* directories being read, outermost first */
	unsigned ndirs;
	bool no_dups;			/* one API object: the caller replaces by name */

	/* The file being read, when it is mapped: pages before released are
	 * given back as the reader moves on (see consumed). */
	const char *map, *map_released;

	/* Objects in w when the file being read began (see renumber). */
	unsigned file_nsvcs, file_nslices, file_nnodes;

	/* A top-level List whose items are being read one at a time. */
	bool stream_sure;		/* its kind is known to be a List */
	const struct kind_info *item_kind;	/* a typed list's (ServiceList...), or NULL */
};

struct kind_info {
	const char *kind;
	const char *api_version;	/* the one version read */
	size_t group_len;		/* bytes of api_version before '/' (0: core group) */
	enum input_name_rule name_rule;
	const char *name_what;
	bool namespaced;
	input_read_fn *read;
};

static const struct kind_info kinds[] = {
	{
		.kind = "Service",
		.api_version = "v1",
		.name_rule = INPUT_NAME_DNS1035_LABEL,
		.name_what = "Service name",
		.namespaced = true,
		.read = input_read_service,
	},
	{
		.kind = "EndpointSlice",
		.api_version = "discovery.k8s.io/v1",
		.group_len = sizeof("discovery.k8s.io") - 1,
		.name_rule = INPUT_NAME_DNS_SUBDOMAIN,
		.name_what = "EndpointSlice name",
		.namespaced = true,
		.read = input_read_slice,
	},
	{
		.kind = "Endpoints",
		.api_version = "v1",
		.name_rule = INPUT_NAME_DNS_SUBDOMAIN,
		.name_what = "Endpoints name",
		.namespaced = true,
		.read = input_read_endpoints,
	},
	{
		.kind = "Node",
		.api_version = "v1",
		.name_rule = INPUT_NAME_DNS_SUBDOMAIN,
		.name_what = "Node name",
		.namespaced = false,
		.read = input_read_node,
	},
};

/* A kind or apiVersion as is when it is plain, else quoted and escaped. */
static const char *text(char *buf, size_t size, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && len <= 64; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '/'))
			break;
	}
	if (len > 0 && i == len)
		return s;
	return input_quote(buf, size, s, len);
}

static const struct kind_info *find_kind(const char *kind, size_t len)
{
	size_t i;

	for (i = 0; i < SN_ARRAY_SIZE(kinds); i++) {
		if (strlen(kinds[i].kind) == len && !memcmp(kinds[i].kind, kind, len))
			return &kinds[i];
	}
	return NULL;
}

static size_t group_len(const char *api_version)
{
	const char *slash = strchr(api_version, '/');

	return slash ? (size_t)(slash - api_version) : 0;
}

static bool same_group(const struct kind_info *ki, const char *api_version)
{
	size_t gl = group_len(api_version);

	return gl == ki->group_len && !memcmp(api_version, ki->api_version, gl);
}

/* ---- objects already seen ---- */

static void seen_insert(struct input_ctx *c, const struct seen_ent *e)
{
	size_t i, mask = c->seen_size - 1;

	for (i = e->hash & mask; c->seen[i].key; i = (i + 1) & mask)
		;
	c->seen[i] = *e;
	c->nseen++;
}

static void seen_grow(struct input_ctx *c)
{
	struct seen_ent *old = c->seen;
	size_t oldsize = c->seen_size, i;

	c->seen_size = oldsize ? oldsize * 2 : 256;
	/* malloc and memset rather than calloc: fresh pages from calloc are
	 * read first (as zero pages) then written, two faults each. */
	c->seen = sn_malloc(c->seen_size * sizeof(*c->seen));
	memset(c->seen, 0, c->seen_size * sizeof(*c->seen));
	c->nseen = 0;
	/* keys are distinct already: no comparisons, hashes kept */
	for (i = 0; i < oldsize; i++) {
		if (old[i].key)
			seen_insert(c, &old[i]);
	}
	free(old);
}

/* Record kind/ns/name at loc. If it was there already, return the first. */
static const struct seen_ent *seen_add(struct input_ctx *c, const char *kind, const char *ns,
				       const char *name, const struct sn_loc *loc)
{
	size_t kl = strlen(kind), nl = ns ? strlen(ns) : 0, ml = strlen(name);
	size_t i, mask, len = kl + 1 + nl + 1 + ml;
	char buf[512], *key = len < sizeof(buf) ? buf : sn_malloc(len + 1);
	struct seen_ent e;

	memcpy(key, kind, kl);
	key[kl] = '\x1f';
	if (nl)
		memcpy(key + kl + 1, ns, nl);
	key[kl + 1 + nl] = '\x1f';
	memcpy(key + kl + 2 + nl, name, ml);
	key[len] = '\0';
	e.hash = sn_hash64(key, len, SN_HASH_SEED);

	if ((c->nseen + 1) * 2 > c->seen_size)
		seen_grow(c);
	mask = c->seen_size - 1;
	for (i = e.hash & mask; c->seen[i].key; i = (i + 1) & mask) {
		if (c->seen[i].hash == e.hash && !strcmp(c->seen[i].key, key)) {
			if (key != buf)
				free(key);
			return &c->seen[i];
		}
	}
	e.key = input_arena_strndup(&c->keys, key, len);
	e.loc = *loc;
	c->seen[i] = e;
	c->nseen++;
	if (key != buf)
		free(key);
	return NULL;
}

/* Objects loaded by earlier calls count as seen (kind, namespace, name). */
static void seed_seen(struct input_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->w->nsvcs; i++) {
		const struct svc_service *s = &c->w->svcs[i];

		if (s->name)
			seen_add(c, "Service", s->ns, s->name, &s->loc);
	}
	for (i = 0; i < c->w->nslices; i++) {
		const struct svc_slice *s = &c->w->slices[i];

		if (s->name)
			seen_add(c, s->from_endpoints ? "Endpoints" : "EndpointSlice", s->ns,
				 s->name, &s->loc);
	}
	for (i = 0; i < c->w->nnodes; i++) {
		const struct svc_node *n = &c->w->nodes[i];

		if (n->name)
			seen_add(c, "Node", NULL, n->name, &n->loc);
	}
}

static void ctx_init(struct input_ctx *c, struct svc_world *w, struct sn_diag *d)
{
	memset(c, 0, sizeof(*c));
	input_arena_init(&c->keys);
	c->w = w;
	c->d = d;
	seed_seen(c);
}

static void ctx_free(struct input_ctx *c)
{
	input_arena_free(&c->keys);
	free(c->seen);
}

/* ---- one object ---- */

/* Every field of ObjectMeta and of a List, for unknown-field warnings. */
static const char *const meta_fields[] = {
	"annotations", "creationTimestamp", "deletionGracePeriodSeconds", "deletionTimestamp",
	"finalizers", "generateName", "generation", "labels", "managedFields", "name",
	"namespace", "ownerReferences", "resourceVersion", "selfLink", "uid", NULL,
};

static const char *const list_fields[] = { "apiVersion", "items", "kind", "metadata", NULL };

/* metadata: the object's name for messages first (from whatever is there),
 * then the checks. */
static void read_meta(struct input_obj *o, const struct input_node *m,
		      const struct kind_info *ki, struct input_meta *meta)
{
	const struct input_node *md, *raw_md, *raw_name, *raw_ns, *name, *ns, *gen;
	bool ok = true;
	size_t mark;
	int r;

	memset(meta, 0, sizeof(*meta));
	raw_md = input_map_get(m, "metadata");
	raw_name = input_map_get(raw_md, "name");
	raw_ns = input_map_get(raw_md, "namespace");
	if (raw_name && (raw_name->kind != INPUT_SCALAR || raw_name->len == 0))
		raw_name = NULL;
	if (raw_ns && (raw_ns->kind != INPUT_SCALAR || raw_ns->len == 0))
		raw_ns = NULL;
	input_obj_set_name(o, ki->kind,
			   !ki->namespaced ? NULL : raw_ns ? raw_ns->s : "default",
			   raw_ns ? raw_ns->len : strlen("default"), raw_name ? raw_name->s : NULL,
			   raw_name ? raw_name->len : 0);

	if (input_get_map(o, m, "metadata", &md) == INPUT_BAD)
		return;
	mark = input_obj_push(o, "metadata");
	input_check_fields(o, md, meta_fields);
	r = input_get_str(o, md, "name", &name);
	if (r == INPUT_SET && name->len > 0) {
		ok = input_check_name(o, name, "name", ki->name_rule, ki->name_what);
		meta->name = name->s;
	} else if (r != INPUT_BAD) {
		gen = input_map_get(md, "generateName");
		input_obj_err(o, md, "name", "missing (required: every object needs a name%s)",
			      gen ? "; generateName is not supported, a manifest must name its objects" : "");
		ok = false;
	} else {
		ok = false;
	}
	if (ki->namespaced) {
		meta->ns = "default";
		r = input_get_str(o, md, "namespace", &ns);
		if (r == INPUT_SET && ns->len > 0) {
			if (!input_check_name(o, ns, "namespace", INPUT_NAME_DNS_LABEL, "namespace"))
				ok = false;
			meta->ns = ns->s;
		} else if (r == INPUT_BAD) {
			ok = false;
		}
	}
	input_get_map(o, md, "labels", &meta->labels);
	input_get_map(o, md, "annotations", &meta->annotations);
	input_obj_pop(o, mark);
	meta->valid = ok && meta->name;
}

static void load_object(struct input_ctx *c, const struct input_doc *doc,
			const struct input_node *m, const struct kind_info *dflt,
			unsigned depth, const char *where);

static void load_list(struct input_ctx *c, const struct input_doc *doc, struct input_obj *o,
		      const struct input_node *m, const struct kind_info *item_kind,
		      unsigned depth)
{
	const struct input_node *seq, *it;
	char where[INPUT_PATH_MAX + 32];
	unsigned i;

	if (depth >= MAX_LIST_DEPTH) {
		input_obj_err(o, m, NULL, "Lists nested more than %d deep (flatten them)",
			      MAX_LIST_DEPTH);
		return;
	}
	input_check_fields(o, m, list_fields);
	if (input_get_seq(o, m, "items", &seq) != INPUT_SET)
		return;	/* absent or null: an empty List */
	/* the first seq->skipped items were read as they came (stream_item) */
	for (i = seq->skipped, it = seq->child; it; it = it->next, i++) {
		snprintf(where, sizeof(where), "%s%sitems[%u]", o->path, o->plen ? "." : "", i);
		load_object(c, doc, input_deref(it), item_kind, depth + 1, where);
	}
}

static void load_object(struct input_ctx *c, const struct input_doc *doc,
			const struct input_node *m, const struct kind_info *dflt,
			unsigned depth, const char *where)
{
	const struct kind_info *ki;
	const struct input_node *kn, *an, *items;
	struct input_meta meta;
	struct input_obj o;
	const char *kind, *api;
	const struct seen_ent *first;
	char q[INPUT_QUOTE_MAX], q2[INPUT_QUOTE_MAX];
	size_t klen;
	int rk, ra;

	input_obj_init(&o, c->d, doc->file, doc->loc_doc, m);
	if (where)
		input_obj_push(&o, where);
	if (!m || m->kind != INPUT_MAP) {
		char got[INPUT_QUOTE_MAX + 32];

		input_obj_err(&o, m, NULL, "expected a Kubernetes object (a map), got %s",
			      input_describe(got, sizeof(got), m));
		return;
	}
	rk = input_get_str(&o, m, "kind", &kn);
	ra = input_get_str(&o, m, "apiVersion", &an);
	if (rk == INPUT_BAD || ra == INPUT_BAD)
		return;
	if (rk == INPUT_SET && kn->len > 0) {
		kind = kn->s;
	} else if (dflt) {
		kind = dflt->kind;
	} else {
		input_obj_err(&o, m, "kind", "missing (required: the object's kind, e.g. Service)");
		return;
	}
	api = ra == INPUT_SET && an->len > 0 ? an->s : dflt ? dflt->api_version : NULL;
	klen = strlen(kind);

	/* kind: List, and typed lists (ServiceList...) as the API returns them */
	if (!strcmp(kind, "List")) {
		if (!api || strcmp(api, "v1")) {
			input_obj_err(&o, an ? an : m, "apiVersion",
				      api ? "%s is not the apiVersion of a List (allowed: v1)"
					  : "missing (required: v1 for a List)%s",
				      api ? input_quote(q, sizeof(q), api, strlen(api)) : "");
			return;
		}
		load_list(c, doc, &o, m, NULL, depth);
		return;
	}
	if (klen > 4 && !strcmp(kind + klen - 4, "List") &&
	    (ki = find_kind(kind, klen - 4)) && api && !strcmp(api, ki->api_version)) {
		load_list(c, doc, &o, m, ki, depth);
		return;
	}

	items = depth == 0 ? input_map_get(m, "items") : NULL;
	if (items && items->kind == INPUT_SEQ && items->skipped)
		input_obj_err(&o, items, "items",
			      "%u items were read as a List's before kind said %s (a List's kind must come before its items)",
			      items->skipped, text(q, sizeof(q), kind, klen));

	ki = find_kind(kind, klen);
	if (!ki || (api && !same_group(ki, api))) {
		if (api && ki)
			input_obj_note(&o, m, NULL, "skipped: kind %s of apiVersion %s is not read by svcnft",
				       ki->kind, text(q2, sizeof(q2), api, strlen(api)));
		else
			input_obj_note(&o, m, NULL, "skipped: kind %s is not read by svcnft",
				       text(q, sizeof(q), kind, klen));
		return;
	}
	if (!api) {
		input_obj_err(&o, m, "apiVersion", "missing (required: %s for %s)", ki->api_version,
			      ki->kind);
		return;
	}
	if (strcmp(api, ki->api_version)) {
		input_obj_err(&o, an, "apiVersion", "%s is not read for %s (allowed: %s)",
			      input_quote(q, sizeof(q), api, strlen(api)), ki->kind, ki->api_version);
		return;
	}

	input_obj_pop(&o, 0);
	read_meta(&o, m, ki, &meta);
	if (meta.valid && !c->no_dups) {
		first = seen_add(c, ki->kind, ki->namespaced ? meta.ns : NULL, meta.name, &o.loc);
		if (first) {
			if (first->loc.file)
				input_obj_err(&o, m, NULL, "duplicate %s (first defined at %s:%u:%u)",
					      o.name, first->loc.file, first->loc.line,
					      first->loc.col);
			else
				input_obj_err(&o, m, NULL, "duplicate %s (first defined earlier)",
					      o.name);
			input_obj_finish(&o);
			return;
		}
	}
	ki->read(c->w, &o, m, &meta);
	input_obj_finish(&o);
}

static void load_doc(void *ctx, const struct input_doc *doc)
{
	load_object(ctx, doc, doc->root, NULL, 0, NULL);
}

/* A non-empty string scalar, or NULL. */
static const struct input_node *str_field(const struct input_node *m, const char *key)
{
	const struct input_node *n = input_map_get(m, key);

	return n && n->kind == INPUT_SCALAR && n->type == INPUT_STR && n->len ? n : NULL;
}

/*
 * A document's root map reached its "items": read them one at a time when
 * the root is surely a List (kind List or a typed list of its apiVersion),
 * or when its kind is not known yet but its apiVersion is v1, as in
 * `kubectl get -o json` (keys sorted: apiVersion, items, kind, metadata):
 * then each item that names its own kind is read at once, and the first one
 * that does not is kept, with the rest, until kind is known. Anything else
 * is read as a whole tree, as before.
 */
static bool stream_items_begin(void *ctx, const struct input_doc *head)
{
	struct input_ctx *c = ctx;
	const struct input_node *kn = str_field(head->root, "kind");
	const struct input_node *an = str_field(head->root, "apiVersion");
	const struct kind_info *ki;

	c->stream_sure = false;
	c->item_kind = NULL;
	if (!kn)
		return an && !strcmp(an->s, "v1");
	if (!an)
		return false;
	if (!strcmp(kn->s, "List")) {
		c->stream_sure = !strcmp(an->s, "v1");
		return c->stream_sure;
	}
	if (kn->len > 4 && !strcmp(kn->s + kn->len - 4, "List") &&
	    (ki = find_kind(kn->s, kn->len - 4)) && !strcmp(an->s, ki->api_version)) {
		c->stream_sure = true;
		c->item_kind = ki;
		return true;
	}
	return false;
}

static bool stream_item(void *ctx, const struct input_doc *doc, unsigned idx,
			const struct input_node *item)
{
	struct input_ctx *c = ctx;
	char where[32];

	item = input_deref(item);
	if (!c->stream_sure && !(item && item->kind == INPUT_MAP && str_field(item, "kind")))
		return true;	/* keep it (and the rest) until the List's kind is read */
	snprintf(where, sizeof(where), "items[%u]", idx);
	load_object(c, doc, item, c->item_kind, 1, where);
	return false;
}

/* A JSON file turned out to hold several values: the objects read from
 * its first one are in document 1. */
static void renumber(void *ctx, const char *file)
{
	struct input_ctx *c = ctx;
	unsigned i;

	for (i = c->file_nsvcs; i < c->w->nsvcs; i++) {
		struct svc_service *s = &c->w->svcs[i];
		unsigned j;

		if (s->loc.file != file || s->loc.doc)
			continue;
		s->loc.doc = 1;
		for (j = 0; j < s->nports; j++)
			s->ports[j].loc.doc = 1;
	}
	for (i = c->file_nslices; i < c->w->nslices; i++)
		if (c->w->slices[i].loc.file == file && !c->w->slices[i].loc.doc)
			c->w->slices[i].loc.doc = 1;
	for (i = c->file_nnodes; i < c->w->nnodes; i++)
		if (c->w->nodes[i].loc.file == file && !c->w->nodes[i].loc.doc)
			c->w->nodes[i].loc.doc = 1;
}

/* Give back the mapped pages of a List's items already read, 4 MiB at a
 * time (fewer system calls), so that a 60 MB List file is not all resident
 * at the end. They are clean pages of a private file mapping: touched
 * again (an error's line:col counted from the start), they are read back
 * from the page cache. */
#define RELEASE_STEP (4u << 20)

static void consumed(void *ctx, const char *upto)
{
	struct input_ctx *c = ctx;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	const char *to;

	if (!c->map || upto < c->map_released + RELEASE_STEP)
		return;
	to = (const char *)((uintptr_t)upto & ~(page - 1));
	madvise((void *)(uintptr_t)c->map_released, (size_t)(to - c->map_released), MADV_DONTNEED);
	c->map_released = to;
}

static const struct input_stream_ops stream_ops = {
	.doc = load_doc,
	.items_begin = stream_items_begin,
	.item = stream_item,
	.renumber = renumber,
	.consumed = consumed,
};

/* ---- files and directories ---- */

static void load_buffer(struct input_ctx *c, const char *name, const char *buf, size_t len)
{
	const char *file = sn_diag_file(c->d, name);

	c->file_nsvcs = c->w->nsvcs;
	c->file_nslices = c->w->nslices;
	c->file_nnodes = c->w->nnodes;
	if (input_is_json(name, buf, len))
		input_json_stream(c->d, file, buf, len, &stream_ops, c);
	else
		input_yaml_stream(c->d, file, buf, len, &stream_ops, c);
}

/*
 * Map a manifest file rather than read() it: a 60 MB List read into a fresh
 * buffer costs a copy and a page fault per page of that buffer, which
 * profiles showed as a quarter of `compile`; mapped, the page cache is
 * read in place. The readers copy what they keep, so the mapping lives only
 * while the file is parsed.
 *
 * A mapped file that someone truncates while it is read (an editor or
 * `cat >` rewriting a manifest in place under `svcnft run -f DIR`) makes
 * the next access past the new end raise SIGBUS, which would kill a node
 * agent. So while a file is mapped, a SIGBUS handler puts zero-filled
 * anonymous pages over the rest of the mapping and notes it: the readers
 * then meet NUL bytes (never valid in YAML or JSON) and stop with an error,
 * and load_file reports the file as changed while it was read. The caller
 * refuses the input as for any bad file; the agent reads it again later.
 */
static struct {
	uintptr_t start, end;		/* the mapping being read, page-aligned end */
	uintptr_t page;
	volatile sig_atomic_t hit;	/* the file shrank under us */
} bus;

static void on_sigbus(int signo, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr, from;

	(void)uc;
	if (a >= bus.start && a < bus.end) {
		from = a & ~(bus.page - 1);
		/* mmap is a plain system call here: safe in a handler */
		if (mmap((void *)from, bus.end - from, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
			bus.hit = 1;
			return;
		}
	}
	/* not a fault of ours: die of it as we would have */
	signal(signo, SIG_DFL);
	raise(signo);
}

static void load_mapped(struct input_ctx *c, const char *path, void *map, size_t len)
{
	struct sn_loc loc = { .file = sn_diag_file(c->d, path) };
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO }, old;

	bus.page = (uintptr_t)sysconf(_SC_PAGESIZE);
	bus.start = (uintptr_t)map;
	bus.end = ((uintptr_t)map + len + bus.page - 1) & ~(bus.page - 1);
	bus.hit = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	c->map = c->map_released = map;
	load_buffer(c, path, map, len);
	c->map = c->map_released = NULL;
	sigaction(SIGBUS, &old, NULL);
	bus.start = bus.end = 0;
	if (bus.hit)
		sn_diag_add(c->d, SN_ERROR, &loc, NULL, NULL,
			    "was truncated while it was read (%zu bytes when opened): "
			    "read it again once it is written", len);
}

static void load_file(struct input_ctx *c, const char *path)
{
	struct sn_loc loc = { .file = sn_diag_file(c->d, path) };
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sn_diag_add(c->d, SN_ERROR, &loc, NULL, NULL, "cannot open: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0) {
		sn_diag_add(c->d, SN_ERROR, &loc, NULL, NULL, "cannot stat: %s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		sn_diag_add(c->d, SN_ERROR, &loc, NULL, NULL, "is not a regular file");
		goto out_close;
	}
	if ((uint64_t)st.st_size > INPUT_MAX_FILE_SIZE) {
		sn_diag_add(c->d, SN_ERROR, &loc, NULL, NULL,
			    "is %llu bytes (allowed: at most %u MiB per file; split it)",
			    (unsigned long long)st.st_size, INPUT_MAX_FILE_SIZE >> 20);
		goto out_close;
	}
	if (st.st_size == 0) {
		load_buffer(c, path, "", 0);
		goto out_close;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		/* a file system that cannot map: read it */
		size_t len;
		char *buf = input_read_file(c->d, path, &len);

		if (buf)
			load_buffer(c, path, buf, len);
		free(buf);
		goto out_close;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	load_mapped(c, path, map, (size_t)st.st_size);
	munmap(map, (size_t)st.st_size);
out_close:
	close(fd);
}

static bool manifest_name(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && (!strcmp(name + n - 5, ".yaml") || !strcmp(name + n - 5, ".json"))) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void path_error(struct input_ctx *c, const char *path, const char *fmt, ...)
	SN_PRINTF(3, 4);
static void path_error(struct input_ctx *c, const char *path, const char *fmt, ...)
{
	struct sn_loc loc = { .file = sn_diag_file(c->d, path) };
	va_list ap;

	va_start(ap, fmt);
	sn_diag_vadd(c->d, SN_ERROR, &loc, NULL, NULL, fmt, ap);
	va_end(ap);
}

static void load_dir(struct input_ctx *c, const char *path, const struct stat *st)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	unsigned k;
	DIR *dir;

	for (k = 0; k < c->ndirs; k++) {
		if (c->dirs[k].dev == st->st_dev && c->dirs[k].ino == st->st_ino) {
			struct sn_loc loc = { .file = sn_diag_file(c->d, path) };

			sn_diag_add(c->d, SN_WARNING, &loc, NULL, NULL,
				    "skipped: a link back to an enclosing directory");
			return;
		}
	}
	if (c->ndirs >= MAX_DIR_DEPTH) {
		path_error(c, path, "directories nested deeper than %d (allowed: at most %d)",
			   MAX_DIR_DEPTH, MAX_DIR_DEPTH);
		return;
	}
	dir = opendir(path);
	if (!dir) {
		path_error(c, path, "cannot read directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		/* ".", "..", hidden files, and the "..data" links of mounted
		 * ConfigMaps (which would read every file twice) */
		if (de->d_name[0] == '.')
			continue;
		sn_grow(&names, &cap, n + 1, sizeof(*names));
		names[n++] = sn_strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), name_cmp);

	c->dirs[c->ndirs].dev = st->st_dev;
	c->dirs[c->ndirs++].ino = st->st_ino;
	for (i = 0; i < n; i++) {
		size_t pl = strlen(path);
		char *full = sn_asprintf("%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/",
					 names[i]);
		struct stat est;

		if (stat(full, &est) < 0) {
			if (manifest_name(names[i]))
				path_error(c, full, "cannot read: %s", strerror(errno));
		} else if (S_ISDIR(est.st_mode)) {
			load_dir(c, full, &est);
		} else if (S_ISREG(est.st_mode) && manifest_name(names[i])) {
			load_file(c, full);
		}
		free(full);
		free(names[i]);
	}
	c->ndirs--;
	free(names);
}

/* "-": the standard input, as kubectl -f - reads it. */
static void load_stdin(struct input_ctx *c)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t r;

	for (;;) {
		if (len == cap) {
			if (cap >= INPUT_MAX_FILE_SIZE) {
				path_error(c, INPUT_STDIN_NAME,
					   "more than %u MiB (allowed: at most %u MiB per file)",
					   INPUT_MAX_FILE_SIZE >> 20, INPUT_MAX_FILE_SIZE >> 20);
				free(buf);
				return;
			}
			cap = cap ? cap * 2 : 64 << 10;
			buf = sn_realloc(buf, cap + 1);
		}
		r = read(STDIN_FILENO, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			path_error(c, INPUT_STDIN_NAME, "cannot read: %s", strerror(errno));
			free(buf);
			return;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	load_buffer(c, INPUT_STDIN_NAME, buf ? buf : "", len);
	free(buf);
}

static void load_path(struct input_ctx *c, const char *path)
{
	struct stat st;

	if (!strcmp(path, "-")) {
		load_stdin(c);
		return;
	}

	if (stat(path, &st) < 0) {
		path_error(c, path, "cannot read: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		load_dir(c, path, &st);
	else if (S_ISREG(st.st_mode))
		load_file(c, path);	/* a file named on purpose is read whatever its name */
	else
		path_error(c, path,
			   "is neither a file nor a directory (allowed: manifest files and directories of them)");
}

int input_load(const char *const *paths, unsigned npaths, struct svc_world *w,
	       struct sn_diag *d)
{
	size_t before = d->errors;
	struct input_ctx c;
	unsigned i;

	ctx_init(&c, w, d);
	for (i = 0; i < npaths; i++)
		load_path(&c, paths[i]);
	ctx_free(&c);
	return (int)(d->errors - before);
}

int input_load_buffer(const char *name, const char *buf, size_t len, struct svc_world *w,
		      struct sn_diag *d)
{
	size_t before = d->errors;
	struct input_ctx c;

	ctx_init(&c, w, d);
	load_buffer(&c, name, buf, len);
	ctx_free(&c);
	return (int)(d->errors - before);
}

int input_decode_object(const char *source, const char *kind, const char *buf, size_t len,
			struct svc_world *w, struct sn_diag *d)
{
	size_t before = d->errors;
	const struct input_node *root;
	const struct kind_info *ki = NULL;
	struct input_arena arena;
	struct input_ctx c;

	/* Not ctx_init: seeding the duplicate table from w would cost the
	 * whole world per object; the caller replaces objects by name. */
	memset(&c, 0, sizeof(c));
	input_arena_init(&c.keys);
	c.w = w;
	c.d = d;
	c.no_dups = true;
	source = sn_diag_file(d, source);
	if (kind && !(ki = find_kind(kind, strlen(kind)))) {
		struct sn_loc loc = { .file = source };
		char q[INPUT_QUOTE_MAX];

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "kind %s is not read by svcnft",
			    text(q, sizeof(q), kind, strlen(kind)));
		return (int)(d->errors - before);
	}
	input_arena_init(&arena);
	root = input_json_value(d, source, buf, len, &arena);
	if (root) {
		struct input_doc doc = { .file = source, .index = 1, .root = root };

		load_object(&c, &doc, root, ki, 0, NULL);
	}
	input_arena_free(&arena);
	ctx_free(&c);
	return (int)(d->errors - before);
}
