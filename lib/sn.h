/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lib/sn.h: small shared pieces every svcnft layer uses: allocation,
 * a growable string, IP addresses and prefixes, hashing and diagnostics
 * that carry a place (file:line:col, object, field).
 *
 * Ownership: sn_buf owns its bytes; sn_addr is a plain value; sn_diag owns
 * every record added to it and the file names it interned.
 */
#ifndef SVCNFT_SN_H
#define SVCNFT_SN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SN_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define SN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not recoverable in a proxy that must stay consistent:
 * these print a message and abort() (they never return NULL). */
void *sn_malloc(size_t n);
void *sn_calloc(size_t nmemb, size_t size);
void *sn_realloc(void *p, size_t n);
char *sn_strdup(const char *s);
char *sn_strndup(const char *s, size_t n);
char *sn_asprintf(const char *fmt, ...) SN_PRINTF(1, 2);

/* Grow *arr (of *cap elements of size elsz) so that it holds at least need. */
void sn_grow(void *arrp, size_t *cap, size_t need, size_t elsz);

/* ---- growable string ---- */
struct sn_buf {
	char *s;	/* always NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

void sn_buf_init(struct sn_buf *b);
void sn_buf_free(struct sn_buf *b);
void sn_buf_reset(struct sn_buf *b);
void sn_buf_add(struct sn_buf *b, const char *s);
void sn_buf_addn(struct sn_buf *b, const char *s, size_t n);
void sn_buf_addc(struct sn_buf *b, char c);
void sn_buf_printf(struct sn_buf *b, const char *fmt, ...) SN_PRINTF(2, 3);
void sn_buf_vprintf(struct sn_buf *b, const char *fmt, va_list ap) SN_PRINTF(2, 0);
/* Hand the string to the caller (never NULL) and leave b empty. */
char *sn_buf_steal(struct sn_buf *b);

/* ---- addresses ---- */
#define SN_AF_INET 2	/* == AF_INET, without pulling in socket headers */
#define SN_AF_INET6 10	/* == AF_INET6 */

struct sn_addr {
	uint8_t family;	/* SN_AF_INET or SN_AF_INET6; 0 = unset */
	uint8_t plen;	/* prefix length; 32 or 128 for a host address */
	uint8_t a[16];	/* network byte order; IPv4 uses a[0..3], rest zero */
};

/* Parse "198.18.0.1" or "2001:db8::1" (plen = full width). Returns 0 or -1. */
int sn_addr_parse(struct sn_addr *out, const char *s);
/* Parse "198.18.0.0/16", "2001:db8::/64", or a bare address (a host
 * prefix). Host bits must be zero unless allow_host_bits. Returns 0 or -1. */
int sn_prefix_parse(struct sn_addr *out, const char *s, bool allow_host_bits);
/* The same, read as Kubernetes reads manifests (k8s.io/utils/net
 * ParseIPSloppy, ParseCIDRSloppy): leading zeros in a decimal field or a
 * hex group are allowed and read as decimal ("010.1.2.0/24" is 10.1.2.0/24),
 * and host bits are allowed. Returns 0 or -1. */
int sn_addr_parse_sloppy(struct sn_addr *out, const char *s);
int sn_prefix_parse_sloppy(struct sn_addr *out, const char *s);
/* Format an address (no prefix) into buf of at least SN_ADDR_STRLEN. */
#define SN_ADDR_STRLEN 48
const char *sn_addr_str(const struct sn_addr *a, char *buf);
/* Format as prefix: "198.18.0.0/16"; a host prefix prints as a bare address. */
const char *sn_prefix_str(const struct sn_addr *a, char *buf);
int sn_addr_cmp(const struct sn_addr *x, const struct sn_addr *y);
bool sn_addr_eq(const struct sn_addr *x, const struct sn_addr *y);
/* Is host address h inside prefix p (same family)? */
bool sn_prefix_contains(const struct sn_addr *p, const struct sn_addr *h);
static inline unsigned sn_addr_len(const struct sn_addr *a)
{
	return a->family == SN_AF_INET6 ? 16 : 4;
}

/* ---- hashing ---- */
uint64_t sn_hash64(const void *data, size_t len, uint64_t seed);
uint64_t sn_hash_str(const char *s, uint64_t seed);
#define SN_HASH_SEED 0xcbf29ce484222325ULL /* FNV-1a 64-bit offset basis */

/* ---- protocols ---- */
/* "TCP"/"UDP"/"SCTP" (Kubernetes spelling) <-> IPPROTO_*; 0 when unknown. */
uint8_t sn_proto_parse(const char *k8s_name);
const char *sn_proto_name(uint8_t proto); /* "tcp", "udp", "sctp" (nft spelling); NULL when unknown */

/* ---- places and diagnostics ---- */
struct sn_loc {
	const char *file;	/* interned by sn_diag_file(); NULL = no file */
	unsigned line, col;	/* 1-based; 0 = unknown */
	unsigned doc;		/* 1-based document index in a multi-document file; 0 = unknown */
};

enum sn_severity { SN_NOTE, SN_WARNING, SN_ERROR };

struct sn_diag_rec {
	enum sn_severity sev;
	struct sn_loc loc;
	char *object;	/* "Service default/web", or NULL */
	char *field;	/* "spec.ports[1].port", or NULL */
	char *msg;
};

struct sn_diag {
	struct sn_diag_rec *recs;
	size_t n, cap;
	size_t errors, warnings;
	char **files;	/* interned file names */
	size_t nfiles, files_cap;
	FILE *echo;	/* when set, records are printed as they are added */
};

void sn_diag_init(struct sn_diag *d);
void sn_diag_free(struct sn_diag *d);
/* Keep a copy of a file name for the life of d; returns the copy. */
const char *sn_diag_file(struct sn_diag *d, const char *name);
void sn_diag_add(struct sn_diag *d, enum sn_severity sev, const struct sn_loc *loc,
		 const char *object, const char *field, const char *fmt, ...) SN_PRINTF(6, 7);
void sn_diag_vadd(struct sn_diag *d, enum sn_severity sev, const struct sn_loc *loc,
		  const char *object, const char *field, const char *fmt, va_list ap)
	SN_PRINTF(6, 0);
/* "file:line:col: error: Service default/web (document 2): spec.ports[1].port: msg" */
void sn_diag_format(const struct sn_diag_rec *r, struct sn_buf *out);
void sn_diag_print(const struct sn_diag *d, FILE *f);

#endif
