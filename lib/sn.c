/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/sn.c: allocation, sn_buf, addresses, hashing, protocol names and
 * diagnostics shared by every svcnft layer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/sn.h"

_Static_assert(SN_AF_INET == AF_INET, "SN_AF_INET must equal AF_INET");
_Static_assert(SN_AF_INET6 == AF_INET6, "SN_AF_INET6 must equal AF_INET6");
/* inet_ntop never writes more than 39 characters (eight groups of four hex
 * digits; the dotted form is only used for ::ffff:a.b.c.d and ::a.b.c.d),
 * so an address, "/128" and the NUL fit in 44 bytes. */
_Static_assert(SN_ADDR_STRLEN >= 39 + 4 + 1, "room for an address and /128");

/* ---- allocation ---- */

static void __attribute__((noreturn)) sn_oom(size_t n)
{
	fprintf(stderr, "svcnft: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *sn_malloc(size_t n)
{
	/* malloc(0) may return NULL: always ask for at least one byte so that
	 * NULL means out of memory and nothing else. */
	void *p = malloc(n ? n : 1);

	if (!p)
		sn_oom(n);
	return p;
}

void *sn_calloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	p = calloc(nmemb, size);
	if (!p)
		sn_oom(nmemb * size);
	return p;
}

void *sn_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		sn_oom(n);
	return q;
}

char *sn_strdup(const char *s)
{
	return sn_strndup(s, strlen(s));
}

char *sn_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = sn_malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *sn_asprintf(const char *fmt, ...)
{
	struct sn_buf b;
	va_list ap;

	sn_buf_init(&b);
	va_start(ap, fmt);
	sn_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return sn_buf_steal(&b);
}

void sn_grow(void *arrp, size_t *cap, size_t need, size_t elsz)
{
	size_t ncap;
	void *arr;

	if (need <= *cap)
		return;
	/* Double, starting at 8: amortised O(1) appends. */
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			sn_oom(SIZE_MAX);
		ncap *= 2;
	}
	if (elsz && ncap > SIZE_MAX / elsz)
		sn_oom(SIZE_MAX);
	/* arrp points at some T *: go through memcpy rather than a void **
	 * so that no pointer is accessed through an incompatible type. */
	memcpy(&arr, arrp, sizeof(arr));
	arr = sn_realloc(arr, ncap * elsz);
	memcpy(arrp, &arr, sizeof(arr));
	*cap = ncap;
}

/* ---- growable string ---- */

void sn_buf_init(struct sn_buf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
}

void sn_buf_free(struct sn_buf *b)
{
	free(b->s);
	sn_buf_init(b);
}

void sn_buf_reset(struct sn_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

static void sn_buf_reserve(struct sn_buf *b, size_t extra)
{
	if (b->len + extra + 1 < b->len)
		sn_oom(SIZE_MAX);
	sn_grow(&b->s, &b->cap, b->len + extra + 1, 1);
}

void sn_buf_addn(struct sn_buf *b, const char *s, size_t n)
{
	sn_buf_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sn_buf_add(struct sn_buf *b, const char *s)
{
	sn_buf_addn(b, s, strlen(s));
}

void sn_buf_addc(struct sn_buf *b, char c)
{
	sn_buf_addn(b, &c, 1);
}

void sn_buf_vprintf(struct sn_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	/* Try in the room we have (at least 64 bytes), then once more with
	 * the exact size vsnprintf asked for. */
	sn_buf_reserve(b, 64);
	va_copy(ap2, ap);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->s[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		sn_buf_reserve(b, (size_t)n);
		va_copy(ap2, ap);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap2);
		va_end(ap2);
	}
	b->len += (size_t)n;
}

void sn_buf_printf(struct sn_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sn_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *sn_buf_steal(struct sn_buf *b)
{
	char *s = b->s ? b->s : sn_strdup("");

	sn_buf_init(b);
	return s;
}

/* ---- addresses ---- */

int sn_addr_parse(struct sn_addr *out, const char *s)
{
	struct sn_addr a;

	if (!s)
		return -1;
	memset(&a, 0, sizeof(a));
	/* inet_pton rejects spaces, empty strings, leading zeros in IPv4
	 * octets and anything trailing, which is exactly what we want. */
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.a) != 1)
			return -1;
		a.family = SN_AF_INET6;
		a.plen = 128;
	} else {
		if (inet_pton(AF_INET, s, a.a) != 1)
			return -1;
		a.family = SN_AF_INET;
		a.plen = 32;
	}
	*out = a;
	return 0;
}

/*
 * Kubernetes reads addresses with k8s.io/utils/net ParseIPSloppy (Go 1.16's
 * net.ParseIP): a decimal field may carry leading zeros ("010" is ten, not
 * octal eight) and an IPv6 group may too ("0db8"). Rewrite such text in the
 * canonical form inet_pton takes; anything else is copied as is and left to
 * inet_pton to judge. Returns -1 when the text cannot be an address.
 */
static int sn_addr_unsloppy(const char *s, char *out, size_t size)
{
	size_t o = 0, n;
	const char *p = s;

	while (*p) {
		const char *q = p;
		bool dec = true, hex = true;

		while (*q && *q != '.' && *q != ':') {
			dec &= *q >= '0' && *q <= '9';
			hex &= (*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
			       (*q >= 'A' && *q <= 'F');
			q++;
		}
		n = (size_t)(q - p);
		/* a decimal field of a dotted quad, or a hex group of IPv6 */
		if (n > 1 && (*q == '.' || (q > p && p > s && p[-1] == '.') ? dec : hex)) {
			while (n > 1 && *p == '0') {
				p++;
				n--;
			}
		}
		if (n > 8 || o + n + 2 > size)
			return -1;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p)
			out[o++] = *p++;
	}
	out[o] = '\0';
	return 0;
}

int sn_addr_parse_sloppy(struct sn_addr *out, const char *s)
{
	char buf[INET6_ADDRSTRLEN + 16];

	if (!s || strlen(s) >= sizeof(buf) || sn_addr_unsloppy(s, buf, sizeof(buf)) < 0)
		return -1;
	return sn_addr_parse(out, buf);
}

/* Parse a prefix length: 1 to 3 decimal digits, no sign, no leading zero. */
static int sn_plen_parse(const char *s, unsigned max, uint8_t *out)
{
	unsigned v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = (uint8_t)v;
	return 0;
}

static bool sn_host_bits_zero(const struct sn_addr *a)
{
	unsigned i, len = sn_addr_len(a);

	for (i = 0; i < len; i++) {
		unsigned bit = i * 8;
		uint8_t mask;

		if (bit + 8 <= a->plen)
			continue;
		mask = bit >= a->plen ? 0xff : (uint8_t)(0xff >> (a->plen - bit));
		if (a->a[i] & mask)
			return false;
	}
	return true;
}

static int prefix_parse(struct sn_addr *out, const char *s, bool allow_host_bits, bool sloppy)
{
	/* The longest IPv6 text form is 45 characters (INET6_ADDRSTRLEN - 1);
	 * sloppy text may carry a few more leading zeros. */
	char addr[INET6_ADDRSTRLEN + 16];
	const char *slash, *len;
	struct sn_addr a;
	size_t n;

	if (!s)
		return -1;
	slash = strchr(s, '/');
	if (!slash)
		return sloppy ? sn_addr_parse_sloppy(out, s) : sn_addr_parse(out, s);
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if ((sloppy ? sn_addr_parse_sloppy(&a, addr) : sn_addr_parse(&a, addr)) < 0)
		return -1;
	len = slash + 1;
	/* ParseCIDRSloppy reads the length as a plain decimal: "/024" is 24 */
	while (sloppy && len[0] == '0' && len[1] >= '0' && len[1] <= '9')
		len++;
	if (sn_plen_parse(len, sn_addr_len(&a) * 8, &a.plen) < 0)
		return -1;
	if (!allow_host_bits && !sn_host_bits_zero(&a))
		return -1;
	*out = a;
	return 0;
}

int sn_prefix_parse(struct sn_addr *out, const char *s, bool allow_host_bits)
{
	return prefix_parse(out, s, allow_host_bits, false);
}

int sn_prefix_parse_sloppy(struct sn_addr *out, const char *s)
{
	return prefix_parse(out, s, true, true);
}

const char *sn_addr_str(const struct sn_addr *a, char *buf)
{
	int af = a->family == SN_AF_INET6 ? AF_INET6 : AF_INET;

	if (a->family != SN_AF_INET && a->family != SN_AF_INET6) {
		strcpy(buf, "(no address)");
		return buf;
	}
	if (!inet_ntop(af, a->a, buf, SN_ADDR_STRLEN))
		strcpy(buf, "(bad address)");
	return buf;
}

const char *sn_prefix_str(const struct sn_addr *a, char *buf)
{
	sn_addr_str(a, buf);
	if ((a->family == SN_AF_INET || a->family == SN_AF_INET6) &&
	    a->plen < sn_addr_len(a) * 8)
		sprintf(buf + strlen(buf), "/%u", a->plen);
	return buf;
}

int sn_addr_cmp(const struct sn_addr *x, const struct sn_addr *y)
{
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->a, y->a, sn_addr_len(x));
	if (r)
		return r < 0 ? -1 : 1;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return 0;
}

bool sn_addr_eq(const struct sn_addr *x, const struct sn_addr *y)
{
	return sn_addr_cmp(x, y) == 0;
}

bool sn_prefix_contains(const struct sn_addr *p, const struct sn_addr *h)
{
	unsigned full, rem;

	if (p->family != h->family || (p->family != SN_AF_INET && p->family != SN_AF_INET6))
		return false;
	if (p->plen > sn_addr_len(p) * 8)
		return false;
	full = p->plen / 8;
	rem = p->plen % 8;
	if (memcmp(p->a, h->a, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((p->a[full] & mask) != (h->a[full] & mask))
			return false;
	}
	return true;
}

/* ---- hashing ---- */

#define SN_FNV_PRIME 0x100000001b3ULL	/* FNV-1a 64-bit prime */

uint64_t sn_hash64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= SN_FNV_PRIME;
	}
	return h;
}

uint64_t sn_hash_str(const char *s, uint64_t seed)
{
	uint64_t h = seed;

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= SN_FNV_PRIME;
	}
	return h;
}

/* ---- protocols ---- */

static const struct {
	const char *k8s, *nft;
	uint8_t num;
} sn_protos[] = {
	{ "TCP", "tcp", IPPROTO_TCP },
	{ "UDP", "udp", IPPROTO_UDP },
	{ "SCTP", "sctp", IPPROTO_SCTP },
};

uint8_t sn_proto_parse(const char *k8s_name)
{
	size_t i;

	if (!k8s_name)
		return 0;
	/* Case-sensitive, as the Kubernetes API server is: "tcp" is invalid. */
	for (i = 0; i < SN_ARRAY_SIZE(sn_protos); i++)
		if (!strcmp(k8s_name, sn_protos[i].k8s))
			return sn_protos[i].num;
	return 0;
}

const char *sn_proto_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < SN_ARRAY_SIZE(sn_protos); i++)
		if (proto == sn_protos[i].num)
			return sn_protos[i].nft;
	return NULL;
}

/* ---- diagnostics ---- */

void sn_diag_init(struct sn_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void sn_diag_free(struct sn_diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->recs[i].object);
		free(d->recs[i].field);
		free(d->recs[i].msg);
	}
	free(d->recs);
	for (i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	sn_diag_init(d);
}

const char *sn_diag_file(struct sn_diag *d, const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	/* A handful of files per run: a linear search is enough. */
	for (i = 0; i < d->nfiles; i++)
		if (d->files[i] == name || !strcmp(d->files[i], name))
			return d->files[i];
	sn_grow(&d->files, &d->files_cap, d->nfiles + 1, sizeof(*d->files));
	d->files[d->nfiles] = sn_strdup(name);
	return d->files[d->nfiles++];
}

static const char *const sn_sev_names[] = {
	[SN_NOTE] = "note",
	[SN_WARNING] = "warning",
	[SN_ERROR] = "error",
};

void sn_diag_vadd(struct sn_diag *d, enum sn_severity sev, const struct sn_loc *loc,
		  const char *object, const char *field, const char *fmt, va_list ap)
{
	struct sn_diag_rec *r;
	struct sn_buf msg;

	sn_buf_init(&msg);
	sn_buf_vprintf(&msg, fmt, ap);

	sn_grow(&d->recs, &d->cap, d->n + 1, sizeof(*d->recs));
	r = &d->recs[d->n++];
	memset(r, 0, sizeof(*r));
	r->sev = sev;
	if (loc) {
		r->loc = *loc;
		/* Keep the file name alive as long as the record. */
		r->loc.file = sn_diag_file(d, loc->file);
	}
	r->object = object && *object ? sn_strdup(object) : NULL;
	r->field = field && *field ? sn_strdup(field) : NULL;
	r->msg = sn_buf_steal(&msg);

	if (sev == SN_ERROR)
		d->errors++;
	else if (sev == SN_WARNING)
		d->warnings++;

	if (d->echo) {
		struct sn_buf line;

		sn_buf_init(&line);
		sn_diag_format(r, &line);
		fprintf(d->echo, "%s\n", line.s);
		fflush(d->echo);
		sn_buf_free(&line);
	}
}

void sn_diag_add(struct sn_diag *d, enum sn_severity sev, const struct sn_loc *loc,
		 const char *object, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sn_diag_vadd(d, sev, loc, object, field, fmt, ap);
	va_end(ap);
}

void sn_diag_format(const struct sn_diag_rec *r, struct sn_buf *out)
{
	const struct sn_loc *l = &r->loc;
	const char *sev = (unsigned)r->sev < SN_ARRAY_SIZE(sn_sev_names) ?
				  sn_sev_names[r->sev] : "error";

	/* The place: "file:line:col: ", "file:line: ", "file: " or "svcnft: ". */
	if (l->file) {
		sn_buf_add(out, l->file);
		if (l->line) {
			sn_buf_printf(out, ":%u", l->line);
			if (l->col)
				sn_buf_printf(out, ":%u", l->col);
		}
		sn_buf_add(out, ": ");
	} else {
		sn_buf_add(out, "svcnft: ");
	}
	sn_buf_printf(out, "%s: ", sev);

	/* The object, with its document when known; a document alone when
	 * there is no object name. */
	if (r->object) {
		sn_buf_add(out, r->object);
		if (l->doc)
			sn_buf_printf(out, " (document %u)", l->doc);
		sn_buf_add(out, ": ");
	} else if (l->doc) {
		sn_buf_printf(out, "document %u: ", l->doc);
	}
	if (r->field)
		sn_buf_printf(out, "%s: ", r->field);
	sn_buf_add(out, r->msg ? r->msg : "");
}

void sn_diag_print(const struct sn_diag *d, FILE *f)
{
	struct sn_buf line;
	size_t i;

	sn_buf_init(&line);
	for (i = 0; i < d->n; i++) {
		sn_buf_reset(&line);
		sn_diag_format(&d->recs[i], &line);
		fprintf(f, "%s\n", line.s);
	}
	sn_buf_free(&line);
}
