// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/obj.c: the object context, typed getters and Kubernetes value
 * checks shared by every kind's reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/obj.h"

/* ---- object context ---- */

void input_obj_init(struct input_obj *o, struct sn_diag *d, const char *file, unsigned doc,
		    const struct input_node *at)
{
	memset(o, 0, sizeof(*o));
	o->d = d;
	o->loc.file = file;
	o->loc.doc = doc;
	if (at) {
		o->loc.line = at->line;
		o->loc.col = at->col;
	}
}

/* Is this name text plain enough to print unquoted? */
static bool printable_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static void name_part(char *buf, size_t size, const char *s, size_t len)
{
	if (!s)
		snprintf(buf, size, "(no name)");
	else if (printable_name(s, len))
		snprintf(buf, size, "%.*s", (int)len, s);
	else
		input_quote(buf, size, s, len);
}

void input_obj_set_name(struct input_obj *o, const char *kind, const char *ns, size_t nslen,
			const char *name, size_t namelen)
{
	char n[INPUT_QUOTE_MAX], s[INPUT_QUOTE_MAX];

	name_part(n, sizeof(n), name, namelen);
	if (ns) {
		name_part(s, sizeof(s), ns, nslen);
		snprintf(o->name, sizeof(o->name), "%s %s/%s", kind, s, n);
	} else {
		snprintf(o->name, sizeof(o->name), "%s %s", kind, n);
	}
}

/* Append n bytes of s to the path, cut as snprintf would cut it. The path
 * is pushed and popped for every field and list item read (a million
 * times for 10,000 Services), so no printf here. */
static void path_cat(struct input_obj *o, const char *s, size_t n)
{
	size_t room = sizeof(o->path) - 1 - o->plen;

	if (n > room)
		n = room;
	memcpy(o->path + o->plen, s, n);
	o->plen += n;
	o->path[o->plen] = '\0';
}

size_t input_obj_push(struct input_obj *o, const char *key)
{
	size_t mark = o->plen;

	if (o->plen)
		path_cat(o, ".", 1);
	path_cat(o, key, strlen(key));
	return mark;
}

size_t input_obj_push_idx(struct input_obj *o, unsigned i)
{
	char s[16], *p = s + sizeof(s);
	size_t mark = o->plen;

	*--p = ']';
	do {
		*--p = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	*--p = '[';
	path_cat(o, p, (size_t)(s + sizeof(s) - p));
	return mark;
}

size_t input_obj_push_bracket(struct input_obj *o, const char *key)
{
	size_t mark = o->plen;

	path_cat(o, "[", 1);
	path_cat(o, key, strlen(key));
	path_cat(o, "]", 1);
	return mark;
}

void input_obj_pop(struct input_obj *o, size_t mark)
{
	o->plen = mark;
	o->path[mark] = '\0';
}

static void obj_vreport(struct input_obj *o, enum sn_severity sev, const struct input_node *at,
			const char *key, const char *fmt, va_list ap) SN_PRINTF(5, 0);
static void obj_vreport(struct input_obj *o, enum sn_severity sev, const struct input_node *at,
			const char *key, const char *fmt, va_list ap)
{
	struct sn_loc loc = o->loc;
	size_t mark = o->plen;

	if (sev == SN_ERROR && ++o->nerr > INPUT_MAX_OBJ_ERRORS) {
		o->suppressed++;
		return;
	}
	if (at) {
		loc.line = at->line;
		loc.col = at->col;
	}
	if (key)
		input_obj_push(o, key);
	sn_diag_vadd(o->d, sev, &loc, o->name[0] ? o->name : NULL, o->plen ? o->path : NULL, fmt,
		     ap);
	input_obj_pop(o, mark);
}

void input_obj_err(struct input_obj *o, const struct input_node *at, const char *key,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	obj_vreport(o, SN_ERROR, at, key, fmt, ap);
	va_end(ap);
}

void input_obj_warn(struct input_obj *o, const struct input_node *at, const char *key,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	obj_vreport(o, SN_WARNING, at, key, fmt, ap);
	va_end(ap);
}

void input_obj_note(struct input_obj *o, const struct input_node *at, const char *key,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	obj_vreport(o, SN_NOTE, at, key, fmt, ap);
	va_end(ap);
}

bool input_obj_finish(struct input_obj *o)
{
	if (o->suppressed) {
		size_t mark = o->plen;

		input_obj_pop(o, 0);
		sn_diag_add(o->d, SN_NOTE, &o->loc, o->name[0] ? o->name : NULL, NULL,
			    "%u more errors in this object not shown", o->suppressed);
		input_obj_pop(o, mark);
		o->suppressed = 0;
	}
	return o->nerr == 0;
}

/* ---- typed getters ---- */

/* m.key, or m itself when key is NULL; NULL when absent or null. */
static const struct input_node *field(const struct input_node *m, const char *key)
{
	if (key)
		return input_map_get(m, key);
	return input_is_null(m) ? NULL : input_deref(m);
}

static void wrong_type(struct input_obj *o, const struct input_node *n, const char *key,
		       const char *expected)
{
	char got[INPUT_QUOTE_MAX + 32];

	input_obj_err(o, n, key, "expected %s, got %s", expected,
		      input_describe(got, sizeof(got), n));
}

int input_want_str(struct input_obj *o, const struct input_node *n, const char *key)
{
	uint32_t i;

	n = input_deref(n);
	if (input_is_null(n))
		return INPUT_ABSENT;
	if (n->kind == INPUT_SCALAR && n->type != INPUT_STR && !n->quoted) {
		char got[INPUT_QUOTE_MAX + 32], q[INPUT_QUOTE_MAX];

		/* YAML read a bare 80, no, on or 1.0 as a number or a boolean */
		input_obj_err(o, n, key, "expected a string, got %s (write %s in quotes for a string)",
			      input_describe(got, sizeof(got), n),
			      input_quote(q, sizeof(q), n->s, n->len));
		return INPUT_BAD;
	}
	if (n->kind != INPUT_SCALAR || n->type != INPUT_STR) {
		wrong_type(o, n, key, "a string");
		return INPUT_BAD;
	}
	for (i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->s[i];

		if (c < 0x20 || c == 0x7f) {
			char q[INPUT_QUOTE_MAX];

			input_obj_err(o, n, key,
				      "%s contains a control character (byte 0x%02x at offset %u; not allowed in any field svcnft reads)",
				      input_quote(q, sizeof(q), n->s, n->len), c, i);
			return INPUT_BAD;
		}
	}
	return INPUT_SET;
}

int input_get_str(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out)
{
	const struct input_node *n = field(m, key);
	int r = input_want_str(o, n, key);

	*out = r == INPUT_SET ? input_deref(n) : NULL;
	return r;
}

int input_get_int(struct input_obj *o, const struct input_node *m, const char *key, int64_t *v,
		  const struct input_node **out)
{
	const struct input_node *n = field(m, key);

	if (out)
		*out = n;
	if (!n)
		return INPUT_ABSENT;
	if (n->kind != INPUT_SCALAR || input_node_int(n, v) < 0) {
		wrong_type(o, n, key, "an integer");
		return INPUT_BAD;
	}
	return INPUT_SET;
}

int input_get_bool(struct input_obj *o, const struct input_node *m, const char *key, bool *v)
{
	const struct input_node *n = field(m, key);

	if (!n)
		return INPUT_ABSENT;
	if (n->kind != INPUT_SCALAR || n->type != INPUT_BOOL) {
		wrong_type(o, n, key, "a boolean (true or false)");
		return INPUT_BAD;
	}
	*v = input_node_bool(n);
	return INPUT_SET;
}

int input_get_seq(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out)
{
	const struct input_node *n = field(m, key);

	*out = NULL;
	if (!n)
		return INPUT_ABSENT;
	if (n->kind != INPUT_SEQ) {
		wrong_type(o, n, key, "a list");
		return INPUT_BAD;
	}
	*out = n;
	return INPUT_SET;
}

int input_get_map(struct input_obj *o, const struct input_node *m, const char *key,
		  const struct input_node **out)
{
	const struct input_node *n = field(m, key);

	*out = NULL;
	if (!n)
		return INPUT_ABSENT;
	if (n->kind != INPUT_MAP) {
		wrong_type(o, n, key, "a map");
		return INPUT_BAD;
	}
	*out = n;
	return INPUT_SET;
}

bool input_want_map(struct input_obj *o, const struct input_node *n, const char *key)
{
	n = input_deref(n);
	if (n && n->kind == INPUT_MAP)
		return true;
	wrong_type(o, n, key, "a map");
	return false;
}

const struct input_enum input_protocols[] = {
	{ .name = "TCP", .value = IPPROTO_TCP },
	{ .name = "UDP", .value = IPPROTO_UDP },
	{ .name = "SCTP", .value = IPPROTO_SCTP },
	{ .name = NULL },
};

const struct input_enum input_families[] = {
	{ .name = "IPv4", .value = SN_AF_INET },
	{ .name = "IPv6", .value = SN_AF_INET6 },
	{ .name = NULL },
};

const char *input_proto_name(uint8_t proto)
{
	const struct input_enum *e;

	for (e = input_protocols; e->name; e++) {
		if (e->value == proto)
			return e->name;
	}
	return "?";
}

int input_get_enum(struct input_obj *o, const struct input_node *m, const char *key,
		   const char *what, const struct input_enum *tab, int *out,
		   const struct input_node **at)
{
	const struct input_node *n;
	const struct input_enum *e;
	char q[INPUT_QUOTE_MAX], allowed[256];
	size_t al = 0;
	int r = input_get_str(o, m, key, &n);

	if (at)
		*at = n;
	if (r != INPUT_SET)
		return r;
	for (e = tab; e->name; e++) {
		if (strlen(e->name) == n->len && !memcmp(e->name, n->s, n->len)) {
			*out = e->value;
			return INPUT_SET;
		}
	}
	allowed[0] = '\0';
	for (e = tab; e->name; e++) {
		if (!e->hidden && al < sizeof(allowed))
			al += (size_t)snprintf(allowed + al, sizeof(allowed) - al, "%s%s",
					       al ? ", " : "", e->name);
	}
	input_obj_err(o, n, key, "%s is not %s (allowed: %s)", input_quote(q, sizeof(q), n->s, n->len),
		      what, allowed);
	return INPUT_BAD;
}

/* ---- unknown fields ---- */

/* Keys longer than this are never near a Kubernetes field name. */
#define FIELD_NAME_MAX 64

/* Edit distance (insert, delete, substitute; a change of case costs 1). */
static unsigned edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	unsigned row[FIELD_NAME_MAX + 1], i, j, diag, tmp;

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned sub = diag + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			row[j] = sub;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			diag = tmp;
		}
	}
	return row[lb];
}

static bool plain_key(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > FIELD_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '/'))
			return false;
	}
	return true;
}

void input_check_fields(struct input_obj *o, const struct input_node *m,
			const char *const *known)
{
	const struct input_node *k;
	const char *const *f;

	m = input_deref(m);
	if (!m || m->kind != INPUT_MAP)
		return;
	for (k = m->child; k && k->next; k = k->next->next) {
		const struct input_node *key = input_deref(k);
		const char *best = NULL;
		unsigned best_d = 3;
		char q[INPUT_QUOTE_MAX];
		bool found = false;

		if (!key->quoted && key->len == 2 && !memcmp(key->s, "<<", 2))
			continue;	/* a YAML merge */
		for (f = known; *f && !found; f++)
			found = key->len && (*f)[0] == key->s[0] && strlen(*f) == key->len &&
				!memcmp(*f, key->s, key->len);
		if (found)
			continue;
		/* only for the rare unknown key: the nearest known one */
		for (f = known; *f && key->len <= FIELD_NAME_MAX; f++) {
			size_t fl = strlen(*f);
			unsigned dist;

			if (fl > FIELD_NAME_MAX)
				continue;
			dist = edit_distance(key->s, key->len, *f, fl);
			if (dist < best_d && dist < fl / 2) {
				best_d = dist;
				best = *f;
			}
		}
		if (best)
			input_obj_warn(o, k, plain_key(key->s, key->len) ? key->s
						: input_quote(q, sizeof(q), key->s, key->len),
				       "unknown field, ignored (did you mean %s?)", best);
		else
			input_obj_warn(o, k, plain_key(key->s, key->len) ? key->s
						: input_quote(q, sizeof(q), key->s, key->len),
				       "unknown field, ignored");
	}
}

/* ---- names ---- */

static bool label_value_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return true;
	if (n > 63)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.')))
			return false;
	}
	return true;
}

bool input_name_ok(enum input_name_rule rule, const char *s)
{
	switch (rule) {
	case INPUT_NAME_DNS1035_LABEL:
		return svc_valid_dns1035_label(s);
	case INPUT_NAME_DNS_LABEL:
		return svc_valid_dns_label(s);
	case INPUT_NAME_DNS_SUBDOMAIN:
		return svc_valid_dns_subdomain(s);
	case INPUT_NAME_IANA_SVC:
		return svc_valid_port_name(s);
	case INPUT_NAME_LABEL_VALUE:
		return s[0] && label_value_ok(s);
	}
	return false;
}

static const char *const name_rule_text[] = {
	[INPUT_NAME_DNS1035_LABEL] =
		"RFC 1035 label: lowercase letters, digits and '-', starting with a letter, at most 63",
	[INPUT_NAME_DNS_LABEL] =
		"RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63",
	[INPUT_NAME_DNS_SUBDOMAIN] =
		"RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253",
	[INPUT_NAME_IANA_SVC] =
		"IANA service name: lowercase letters, digits and '-', with at least one letter, no '--', at most 15",
	[INPUT_NAME_LABEL_VALUE] =
		"label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63",
};

bool input_check_name(struct input_obj *o, const struct input_node *n, const char *key,
		      enum input_name_rule rule, const char *what)
{
	char q[INPUT_QUOTE_MAX];

	n = input_deref(n);
	if (input_name_ok(rule, n->s))
		return true;
	input_obj_err(o, n, key, "%s is not a valid %s (%s)", input_quote(q, sizeof(q), n->s, n->len),
		      what, name_rule_text[rule]);
	return false;
}

/* ---- numbers and addresses ---- */

int input_get_port(struct input_obj *o, const struct input_node *m, const char *key,
		   uint16_t *port, bool zero_ok)
{
	const struct input_node *n;
	int64_t v;
	int r = input_get_int(o, m, key, &v, &n);

	if (r != INPUT_SET)
		return r;
	if (v == 0 && zero_ok) {
		*port = 0;
		return INPUT_ABSENT;
	}
	if (v < 1 || v > 65535) {
		char num[INPUT_NUM_TEXT_MAX];

		input_obj_err(o, n, key, "%s is not a port (allowed: 1-65535)",
			      input_num_text(num, sizeof(num), n));
		return INPUT_BAD;
	}
	*port = (uint16_t)v;
	return INPUT_SET;
}

/* An address is at most 45 characters ("ffff:...:255.255.255.255"); 64 is
 * safe for any text inet_pton could take. */
#define ADDR_TEXT_MAX 64

int input_parse_ip(const struct input_node *n, struct sn_addr *a)
{
	n = input_deref(n);
	if (!n || n->kind != INPUT_SCALAR || n->len >= ADDR_TEXT_MAX || strlen(n->s) != n->len)
		return -1;
	/* as the API server and kube-proxy read it (ParseIPSloppy) */
	return sn_addr_parse_sloppy(a, n->s);
}

int input_parse_cidr(const char *s, size_t len, bool trim, struct sn_addr *p)
{
	char buf[ADDR_TEXT_MAX + 8];
	unsigned i;

	if (trim) {
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
	}
	if (len == 0 || len >= sizeof(buf) || !memchr(s, '/', len) || memchr(s, '\0', len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sn_prefix_parse_sloppy(p, buf) < 0)
		return -1;
	/* Clear host bits: "10.0.0.1/8" means 10.0.0.0/8 to Kubernetes. */
	for (i = p->plen; i < 128; i++)
		p->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

const char *input_endpoint_ip_problem(const struct sn_addr *a)
{
	static const uint8_t zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *v4 = NULL;

	/* ValidateNonSpecialIP, on Go's net.IP: an IPv4-mapped IPv6 address
	 * is judged as the IPv4 address it maps. */
	if (a->family == SN_AF_INET)
		v4 = a->a;
	else if (!memcmp(a->a, mapped, sizeof(mapped)))
		v4 = a->a + 12;
	if (v4) {
		if (!memcmp(v4, zero, 4))
			return "the unspecified address";
		if (v4[0] == 127)
			return "in the loopback range (127.0.0.0/8)";
		if (v4[0] == 169 && v4[1] == 254)
			return "in the link-local range (169.254.0.0/16)";
		if (v4[0] == 224 && v4[1] == 0 && v4[2] == 0)
			return "in the link-local multicast range (224.0.0.0/24)";
		return NULL;
	}
	if (!memcmp(a->a, zero, 16))
		return "the unspecified address";
	if (!memcmp(a->a, zero, 15) && a->a[15] == 1)
		return "the loopback address (::1)";
	if (a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80)
		return "in the link-local range (fe80::/10)";
	/* any multicast address of link-local scope: ff02::, ff12::, ff32::... */
	if (a->a[0] == 0xff && (a->a[1] & 0x0f) == 0x02)
		return "a link-local multicast address (scope 2)";
	return NULL;
}

/* ---- duplicates ---- */

struct dups_sort {
	int (*cmp)(void *ctx, unsigned i, unsigned j);
	void *ctx;
};

static int dups_cmp(const void *x, const void *y, void *arg)
{
	const struct dups_sort *s = arg;
	unsigned i = *(const unsigned *)x, j = *(const unsigned *)y;
	int c = s->cmp(s->ctx, i, j);

	if (c)
		return c;
	return i < j ? -1 : i > j;
}

/* Up to this many items pairwise comparison is cheaper than sorting. */
#define DUPS_PAIRWISE 16

void input_find_dups(unsigned n, int (*cmp)(void *ctx, unsigned i, unsigned j),
		     void (*dup)(void *ctx, unsigned first, unsigned second), void *ctx)
{
	struct dups_sort s = { cmp, ctx };
	unsigned i, j, *idx, *first;

	if (n <= DUPS_PAIRWISE) {
		for (j = 1; j < n; j++) {
			for (i = 0; i < j; i++) {
				if (!cmp(ctx, i, j)) {
					dup(ctx, i, j);
					break;
				}
			}
		}
		return;
	}
	idx = sn_malloc(n * sizeof(*idx));
	first = sn_malloc(n * sizeof(*first));
	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), dups_cmp, &s);
	/* first[k] = the earliest item equal to item k, or k itself */
	for (i = 0; i < n; i++)
		first[idx[i]] = (i > 0 && !cmp(ctx, idx[i - 1], idx[i])) ? first[idx[i - 1]] : idx[i];
	/* report in the items' order, as the pairwise walk does */
	for (j = 0; j < n; j++) {
		if (first[j] != j)
			dup(ctx, first[j], j);
	}
	free(first);
	free(idx);
}

/* ---- labels ---- */

int input_get_label(struct input_obj *o, const struct input_meta *meta, const char *key,
		    const struct input_node **out)
{
	const struct input_node *n = input_map_find(meta->labels, key);
	size_t mark;
	int r;

	*out = NULL;
	if (!n)
		return INPUT_ABSENT;
	if (input_is_null(n)) {
		/* a null label value reads as "" */
		*out = n;
		return INPUT_SET;
	}
	mark = input_obj_push(o, "metadata.labels");
	input_obj_push_bracket(o, key);
	r = input_want_str(o, n, NULL);
	input_obj_pop(o, mark);
	if (r == INPUT_SET)
		*out = input_deref(n);
	return r == INPUT_SET ? INPUT_SET : INPUT_BAD;
}

bool input_has_label(const struct input_meta *meta, const char *key)
{
	return input_map_find(meta->labels, key) != NULL;
}

/* ---- files ---- */

char *input_read_file(struct sn_diag *d, const char *path, size_t *len)
{
	struct sn_loc loc = { .file = sn_diag_file(d, path) };
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "cannot stat: %s", strerror(errno));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "is not a regular file");
		goto err_close;
	}
	if ((uint64_t)st.st_size > INPUT_MAX_FILE_SIZE) {
		sn_diag_add(d, SN_ERROR, &loc, NULL, NULL,
			    "is %llu bytes (allowed: at most %u MiB per file; split it)",
			    (unsigned long long)st.st_size, INPUT_MAX_FILE_SIZE >> 20);
		goto err_close;
	}
	buf = sn_malloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sn_diag_add(d, SN_ERROR, &loc, NULL, NULL, "cannot read: %s",
				    strerror(errno));
			free(buf);
			goto err_close;
		}
		if (r == 0)
			break;	/* the file shrank: take what is there */
		got += (size_t)r;
	}
	buf[got] = '\0';
	close(fd);
	*len = got;
	return buf;

err_close:
	close(fd);
	return NULL;
}
