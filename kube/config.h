/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kube/config.h: where the API server is and how to authenticate to it:
 * a kubeconfig file (YAML or JSON, client-go's fields), the in-cluster
 * service account, and a --master override of the server.
 *
 * TLS is always verified: insecure-skip-tls-verify and http:// servers are
 * refused, and so are exec and auth-provider users (svcnft runs no
 * plugins). Errors name the file, line:col and field.
 *
 * Ownership: kube_config owns every string and blob in it.
 */
#ifndef SVCNFT_KUBE_CONFIG_H
#define SVCNFT_KUBE_CONFIG_H

#include <stddef.h>

#include "lib/sn.h"

/* A PEM given inline (decoded *-data) or as a file path: one of the two. */
struct kube_pem {
	char *file;
	char *data;	/* decoded bytes, NUL-terminated */
	size_t len;
};

struct kube_config {
	char *source;		/* the kubeconfig path, or "in-cluster" */
	char *server;		/* "https://host:port", no trailing slash */
	char *tls_server_name;	/* verify this name instead of the server's host */
	struct kube_pem ca;	/* none: the system's CAs */
	struct kube_pem cert, key;
	char *token;		/* static token (wins over token_file) */
	char *token_file;	/* re-read every minute and after a 401 */
};

/* The service account's files in a pod. */
#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * Read a kubeconfig (its current-context's cluster and user). Relative file
 * paths in it are taken from the kubeconfig's own folder, as client-go does.
 * Returns 0, or -1 with the reasons in d.
 */
int kube_config_load(struct kube_config *c, const char *path, struct sn_diag *d);
/* The same from a buffer; name is used in messages and to resolve paths. */
int kube_config_parse(struct kube_config *c, const char *name, const char *buf, size_t len,
		      struct sn_diag *d);

/*
 * In-cluster: KUBERNETES_SERVICE_HOST and _PORT (both required; an IPv6
 * host gets brackets), the token and CA in sa_dir (NULL = KUBE_SA_DIR).
 */
int kube_config_in_cluster(struct kube_config *c, const char *sa_dir, struct sn_diag *d);

/* --master: replace the server ("host:port" means https). */
int kube_config_set_server(struct kube_config *c, const char *server, const char *what,
			   struct sn_diag *d);

void kube_config_free(struct kube_config *c);

/* Base64 (standard alphabet, padding optional, whitespace skipped) into a
 * new NUL-terminated buffer; NULL on a bad character. */
char *kube_base64_decode(const char *s, size_t len, size_t *out_len);

#endif
