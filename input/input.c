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
	char *key;		/* "Kind\x1fnamespace\x1fname"; NULL = free slot */
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
	struct dir_id dirs[MAX_DIR_DEPTH];	/* directories being read, outermost first */
	unsigned ndirs;
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

static void seen_put(struct input_ctx *c, char *key, const struct sn_loc *loc);

static void seen_grow(struct input_ctx *c)
{
	struct seen_ent *old = c->seen;
	size_t oldsize = c->seen_size, i;

	c->seen_size = oldsize ? oldsize * 2 : 256;
	c->seen = sn_calloc(c->seen_size, sizeof(*c->seen));
	c->nseen = 0;
	for (i = 0; i < oldsize; i++) {
		if (old[i].key)
			seen_put(c, old[i].key, &old[i].loc);
	}
	free(old);
}

/* Takes key. If it was there already, frees key and returns the first. */
static const struct seen_ent *seen_add(struct input_ctx *c, char *key, const struct sn_loc *loc)
{
	size_t i, mask;

	if ((c->nseen + 1) * 2 > c->seen_size)
		seen_grow(c);
	mask = c->seen_size - 1;
	for (i = sn_hash_str(key, SN_HASH_SEED) & mask; c->seen[i].key; i = (i + 1) & mask) {
		if (!strcmp(c->seen[i].key, key)) {
			free(key);
			return &c->seen[i];
		}
	}
	c->seen[i].key = key;
	c->seen[i].loc = *loc;
	c->nseen++;
	return NULL;
}

static void seen_put(struct input_ctx *c, char *key, const struct sn_loc *loc)
{
	seen_add(c, key, loc);
}

static char *seen_key(const char *kind, const char *ns, const char *name)
{
	return sn_asprintf("%s\x1f%s\x1f%s", kind, ns ? ns : "", name);
}

/* Objects loaded by earlier calls count as seen (kind, namespace, name). */
static void seed_seen(struct input_ctx *c)
{
	unsigned i;

	for (i = 0; i < c->w->nsvcs; i++) {
		const struct svc_service *s = &c->w->svcs[i];

		if (s->name)
			seen_put(c, seen_key("Service", s->ns, s->name), &s->loc);
	}
	for (i = 0; i < c->w->nslices; i++) {
		const struct svc_slice *s = &c->w->slices[i];

		if (s->name)
			seen_put(c, seen_key(s->from_endpoints ? "Endpoints" : "EndpointSlice", s->ns,
					     s->name),
				 &s->loc);
	}
	for (i = 0; i < c->w->nnodes; i++) {
		const struct svc_node *n = &c->w->nodes[i];

		if (n->name)
			seen_put(c, seen_key("Node", NULL, n->name), &n->loc);
	}
}

static void ctx_init(struct input_ctx *c, struct svc_world *w, struct sn_diag *d)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->d = d;
	seed_seen(c);
}

static void ctx_free(struct input_ctx *c)
{
	size_t i;

	for (i = 0; i < c->seen_size; i++)
		free(c->seen[i].key);
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
	for (i = 0, it = seq->child; it; it = it->next, i++) {
		snprintf(where, sizeof(where), "%s%sitems[%u]", o->path, o->plen ? "." : "", i);
		load_object(c, doc, input_deref(it), item_kind, depth + 1, where);
	}
}

static void load_object(struct input_ctx *c, const struct input_doc *doc,
			const struct input_node *m, const struct kind_info *dflt,
			unsigned depth, const char *where)
{
	const struct kind_info *ki;
	const struct input_node *kn, *an;
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
	if (meta.valid) {
		first = seen_add(c, seen_key(ki->kind, ki->namespaced ? meta.ns : NULL, meta.name),
				 &o.loc);
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

/* ---- files and directories ---- */

static void load_buffer(struct input_ctx *c, const char *name, const char *buf, size_t len)
{
	const char *file = sn_diag_file(c->d, name);

	if (input_is_json(name, buf, len))
		input_json_parse(c->d, file, buf, len, load_doc, c);
	else
		input_yaml_parse(c->d, file, buf, len, load_doc, c);
}

static void load_file(struct input_ctx *c, const char *path)
{
	size_t len;
	char *buf = input_read_file(c->d, path, &len);

	if (!buf)
		return;
	load_buffer(c, path, buf, len);
	free(buf);
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
