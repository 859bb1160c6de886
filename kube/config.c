// SPDX-License-Identifier: GPL-2.0-or-later
/* kube/config.c: kubeconfig, in-cluster and --master. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/tree.h"
#include "kube/config.h"

/* A kubeconfig is a few KB; a CA bundle inside one at most a few hundred. */
#define KUBE_CONFIG_MAX (16u << 20)

struct kc_ctx {
	struct kube_config *c;
	struct sn_diag *d;
	const char *file;	/* interned */
	char *dir;		/* the kubeconfig's folder, for relative paths */
	unsigned docs;
	int err;
};

static void kc_error(struct kc_ctx *k, const struct input_node *n, const char *field,
		     const char *fmt, ...) SN_PRINTF(4, 5);
static void kc_error(struct kc_ctx *k, const struct input_node *n, const char *field,
		     const char *fmt, ...)
{
	struct sn_loc loc = { .file = k->file };
	va_list ap;

	if (n) {
		loc.line = n->line;
		loc.col = n->col;
	}
	va_start(ap, fmt);
	sn_diag_vadd(k->d, SN_ERROR, &loc, NULL, field, fmt, ap);
	va_end(ap);
	k->err = -1;
}

static char *read_file(const char *path, size_t max, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	struct sn_buf b;
	char tmp[8192];
	size_t n;

	*err = 0;
	if (!f) {
		*err = errno;
		return NULL;
	}
	sn_buf_init(&b);
	sn_buf_addn(&b, "", 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (b.len + n > max) {
			*err = EFBIG;
			break;
		}
		sn_buf_addn(&b, tmp, n);
	}
	if (!*err && ferror(f))
		*err = errno ? errno : EIO;
	fclose(f);
	if (*err) {
		sn_buf_free(&b);
		return NULL;
	}
	if (!b.s)
		sn_buf_addn(&b, "", 0);
	*len = b.len;
	return sn_buf_steal(&b);
}

static const char b64dig[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *kube_base64_decode(const char *s, size_t len, size_t *out_len)
{
	char *out = sn_malloc(len / 4 * 3 + 4);
	uint32_t acc = 0;
	unsigned bits = 0, pad = 0;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		const char *p;
		char ch = s[i];

		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			continue;
		}
		p = ch ? strchr(b64dig, ch) : NULL;
		if (!p || pad)	/* no data after padding */
			goto bad;
		acc = acc << 6 | (uint32_t)(p - b64dig);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	/* 6 leftover bits cannot encode anything: a truncated input. */
	if (bits >= 6 || pad > 2)
		goto bad;
	out[o] = '\0';
	*out_len = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* The string value of key in map m, or NULL (absent or null); a list or
 * map is an error. Every field svcnft reads is a string in client-go's
 * types, and sigs.k8s.io/yaml keeps a plain scalar's text for a string
 * field: a context named y or 0123 is a string, not a boolean or number. */
static const char *get_str(struct kc_ctx *k, const struct input_node *m, const char *key,
			   const char *path)
{
	const struct input_node *v = input_deref(input_map_get(m, key));
	char desc[INPUT_QUOTE_MAX + 32];
	char field[256];

	if (!v)
		return NULL;
	if (v->kind != INPUT_SCALAR) {
		snprintf(field, sizeof(field), "%s%s%s", path, *path ? "." : "", key);
		kc_error(k, v, field, "must be a string, not %s",
			 input_describe(desc, sizeof(desc), v));
		return NULL;
	}
	return v->s;
}

/* The item of list key whose "name" is name: its `inner` map (cluster,
 * user, context). Sets *path to "clusters[2].cluster". */
static const struct input_node *find_named(struct kc_ctx *k, const struct input_node *root,
					   const char *list, const char *inner, const char *name,
					   char *path, size_t psize)
{
	const struct input_node *l = input_deref(input_map_get(root, list));
	const struct input_node *it, *v;
	unsigned i = 0;

	if (!l)
		return NULL;
	if (l->kind != INPUT_SEQ) {
		kc_error(k, l, list, "must be a list");
		return NULL;
	}
	for (it = l->child; it; it = it->next, i++) {
		const struct input_node *item = input_deref(it);
		const struct input_node *nm = input_deref(input_map_get(item, "name"));

		if (!nm || nm->kind != INPUT_SCALAR || strcmp(nm->s, name) != 0)
			continue;
		snprintf(path, psize, "%s[%u].%s", list, i, inner);
		v = input_deref(input_map_get(item, inner));
		if (!v || v->kind != INPUT_MAP) {
			kc_error(k, item, path, "missing (must be a map)");
			return NULL;
		}
		return v;
	}
	return NULL;
}

static char *resolve_path(struct kc_ctx *k, const char *p)
{
	if (p[0] == '/' || !k->dir)
		return sn_strdup(p);
	return sn_asprintf("%s/%s", k->dir, p);
}

/* file-or-data pair: "<key>" (a path) and "<key>-data" (base64 PEM). */
static void get_pem(struct kc_ctx *k, const struct input_node *m, const char *path,
		    const char *key, struct kube_pem *pem)
{
	char dkey[64], field[256];
	const char *file = get_str(k, m, key, path);
	const char *data;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	data = get_str(k, m, dkey, path);
	if (data && *data) {
		const struct input_node *n = input_deref(input_map_get(m, dkey));

		snprintf(field, sizeof(field), "%s.%s", path, dkey);
		pem->data = kube_base64_decode(data, strlen(data), &pem->len);
		if (!pem->data)
			kc_error(k, n, field, "is not valid base64");
		/* client-go: the data wins over the file when both are set. */
		return;
	}
	if (file && *file)
		pem->file = resolve_path(k, file);
}

static int check_server(struct kube_config *c, const char *server, struct sn_diag *d,
			const struct sn_loc *loc, const char *field)
{
	size_t n;

	if (!*server) {
		sn_diag_add(d, SN_ERROR, loc, NULL, field, "is empty");
		return -1;
	}
	if (strncmp(server, "http://", 7) == 0) {
		sn_diag_add(d, SN_ERROR, loc, NULL, field,
			    "%s: plain http is refused: svcnft talks to the API server over "
			    "verified TLS only (use https://)", server);
		return -1;
	}
	if (strstr(server, "://") && strncmp(server, "https://", 8) != 0) {
		sn_diag_add(d, SN_ERROR, loc, NULL, field, "%s: only https:// servers are supported",
			    server);
		return -1;
	}
	free(c->server);
	/* client-go takes a bare host:port as https. */
	c->server = strncmp(server, "https://", 8) == 0 ? sn_strdup(server) :
							 sn_asprintf("https://%s", server);
	n = strlen(c->server);
	while (n > 8 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	return 0;
}

int kube_config_set_server(struct kube_config *c, const char *server, const char *what,
			   struct sn_diag *d)
{
	return check_server(c, server, d, NULL, what);
}

static void read_cluster(struct kc_ctx *k, const struct input_node *cl, const char *path)
{
	struct kube_config *c = k->c;
	const struct input_node *v;
	char field[256];
	const char *s;

	snprintf(field, sizeof(field), "%s.server", path);
	s = get_str(k, cl, "server", path);
	if (!s) {
		if (!input_map_get(cl, "server"))
			kc_error(k, cl, field, "missing: the API server's https:// address");
	} else {
		struct sn_loc loc = { .file = k->file };

		v = input_deref(input_map_get(cl, "server"));
		loc.line = v->line;
		loc.col = v->col;
		if (check_server(c, s, k->d, &loc, field) < 0)
			k->err = -1;
	}
	v = input_deref(input_map_get(cl, "insecure-skip-tls-verify"));
	if (v && v->kind == INPUT_SCALAR && v->type == INPUT_BOOL && input_node_bool(v)) {
		snprintf(field, sizeof(field), "%s.insecure-skip-tls-verify", path);
		kc_error(k, v, field,
			 "refused: svcnft always verifies the API server's certificate "
			 "(give certificate-authority or certificate-authority-data)");
	}
	if ((s = get_str(k, cl, "tls-server-name", path)) && *s)
		c->tls_server_name = sn_strdup(s);
	if ((v = input_deref(input_map_get(cl, "proxy-url")))) {
		snprintf(field, sizeof(field), "%s.proxy-url", path);
		kc_error(k, v, field, "is not supported");
	}
	get_pem(k, cl, path, "certificate-authority", &c->ca);
}

static void read_user(struct kc_ctx *k, const struct input_node *u, const char *path)
{
	static const char *const refused[] = { "exec", "auth-provider" };
	static const char *const unsupported[] = { "username", "password", "as", "as-groups",
						   "as-uid", "as-user-extra" };
	struct kube_config *c = k->c;
	const struct input_node *v;
	char field[256];
	const char *s;
	unsigned i;

	for (i = 0; i < SN_ARRAY_SIZE(refused); i++) {
		if ((v = input_deref(input_map_get(u, refused[i])))) {
			snprintf(field, sizeof(field), "%s.%s", path, refused[i]);
			kc_error(k, v, field,
				 "refused: svcnft runs no credential plugins; use a token, "
				 "tokenFile or a client certificate");
		}
	}
	for (i = 0; i < SN_ARRAY_SIZE(unsupported); i++) {
		if ((v = input_deref(input_map_get(u, unsupported[i])))) {
			snprintf(field, sizeof(field), "%s.%s", path, unsupported[i]);
			kc_error(k, v, field, "is not supported");
		}
	}
	get_pem(k, u, path, "client-certificate", &c->cert);
	get_pem(k, u, path, "client-key", &c->key);
	if (!c->cert.file != !c->key.file || !c->cert.data != !c->key.data) {
		snprintf(field, sizeof(field), "%s.%s", path,
			 c->cert.file || c->cert.data ? "client-key" : "client-certificate");
		kc_error(k, u, field, "missing: a client certificate and its key go together");
	}
	if ((s = get_str(k, u, "token", path)) && *s)
		c->token = sn_strdup(s);
	/* "If both Token and TokenFile are present, Token takes precedence." */
	if ((s = get_str(k, u, "tokenFile", path)) && *s && !c->token)
		c->token_file = resolve_path(k, s);
}

static void kc_doc(void *ctx, const struct input_doc *doc)
{
	struct kc_ctx *k = ctx;
	const struct input_node *root = input_deref(doc->root), *ctxm, *cl, *u;
	char cpath[128], upath[128], xpath[128];
	const char *cur, *cname, *uname;

	if (k->docs++) {
		kc_error(k, root, NULL, "a kubeconfig is one document");
		return;
	}
	if (root->kind != INPUT_MAP) {
		kc_error(k, root, NULL, "a kubeconfig is a map");
		return;
	}
	cur = get_str(k, root, "current-context", "");
	if (!cur || !*cur) {
		kc_error(k, root, "current-context",
			 "missing: svcnft uses the kubeconfig's current context");
		return;
	}
	ctxm = find_named(k, root, "contexts", "context", cur, xpath, sizeof(xpath));
	if (!ctxm) {
		if (!k->err)
			kc_error(k, input_map_get(root, "current-context"), "current-context",
				 "no context named \"%s\" in contexts", cur);
		return;
	}
	cname = get_str(k, ctxm, "cluster", xpath);
	uname = get_str(k, ctxm, "user", xpath);
	if (!cname || !*cname) {
		char f[160];

		snprintf(f, sizeof(f), "%s.cluster", xpath);
		kc_error(k, ctxm, f, "missing");
		return;
	}
	cl = find_named(k, root, "clusters", "cluster", cname, cpath, sizeof(cpath));
	if (!cl) {
		char f[160];

		snprintf(f, sizeof(f), "%s.cluster", xpath);
		if (!k->err)
			kc_error(k, input_map_get(ctxm, "cluster"), f,
				 "no cluster named \"%s\" in clusters", cname);
		return;
	}
	read_cluster(k, cl, cpath);
	if (uname && *uname) {
		u = find_named(k, root, "users", "user", uname, upath, sizeof(upath));
		if (u) {
			read_user(k, u, upath);
		} else if (!k->err) {
			char f[160];

			snprintf(f, sizeof(f), "%s.user", xpath);
			kc_error(k, input_map_get(ctxm, "user"), f, "no user named \"%s\" in users",
				 uname);
		}
	}
}

int kube_config_parse(struct kube_config *c, const char *name, const char *buf, size_t len,
		      struct sn_diag *d)
{
	struct kc_ctx k = { .c = c, .d = d };
	const char *slash;
	size_t errors = d->errors;

	memset(c, 0, sizeof(*c));
	k.file = sn_diag_file(d, name);
	slash = strrchr(name, '/');
	k.dir = slash ? sn_strndup(name, (size_t)(slash - name) + (slash == name)) : sn_strdup(".");
	c->source = sn_strdup(name);
	if (input_is_json(name, buf, len))
		input_json_parse(d, k.file, buf, len, kc_doc, &k);
	else
		input_yaml_parse(d, k.file, buf, len, kc_doc, &k);
	free(k.dir);
	if (!k.docs && d->errors == errors) {
		struct sn_loc loc = { .file = k.file };

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "empty kubeconfig");
	}
	if (d->errors != errors || k.err) {
		kube_config_free(c);
		return -1;
	}
	return 0;
}

int kube_config_load(struct kube_config *c, const char *path, struct sn_diag *d)
{
	size_t len;
	int err, rc;
	char *buf = read_file(path, KUBE_CONFIG_MAX, &len, &err);

	memset(c, 0, sizeof(*c));
	if (!buf) {
		struct sn_loc loc = { .file = sn_diag_file(d, path) };

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "cannot read the kubeconfig: %s",
			    err == EFBIG ? "larger than 16 MiB" : strerror(err));
		return -1;
	}
	rc = kube_config_parse(c, path, buf, len, d);
	free(buf);
	return rc;
}

int kube_config_in_cluster(struct kube_config *c, const char *sa_dir, struct sn_diag *d)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (!host || !*host || !port || !*port) {
		sn_diag_add(d, SN_ERROR, NULL, NULL, NULL,
			    "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
			    "must both be set (or give --kubeconfig)");
		return -1;
	}
	if (!sa_dir)
		sa_dir = KUBE_SA_DIR;
	c->source = sn_strdup("in-cluster");
	/* net.JoinHostPort: an IPv6 literal gets brackets. */
	c->server = strchr(host, ':') ? sn_asprintf("https://[%s]:%s", host, port) :
					sn_asprintf("https://%s:%s", host, port);
	c->token_file = sn_asprintf("%s/token", sa_dir);
	c->ca.file = sn_asprintf("%s/ca.crt", sa_dir);
	if (stat(c->token_file, &st) < 0 || stat(c->ca.file, &st) < 0) {
		struct sn_loc loc = {
			.file = sn_diag_file(d, stat(c->token_file, &st) < 0 ? c->token_file :
									     c->ca.file),
		};

		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "in-cluster: %s", strerror(errno));
		kube_config_free(c);
		return -1;
	}
	return 0;
}

static void pem_free(struct kube_pem *p)
{
	free(p->file);
	free(p->data);
}

void kube_config_free(struct kube_config *c)
{
	free(c->source);
	free(c->server);
	free(c->tls_server_name);
	pem_free(&c->ca);
	pem_free(&c->cert);
	pem_free(&c->key);
	free(c->token);
	free(c->token_file);
	memset(c, 0, sizeof(*c));
}
