/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kube/client.h: HTTPS requests to the API server on libcurl's multi
 * interface, driven by the agent's event loop (curl_multi_socket_action on
 * epoll and a timerfd; no thread per request). Requests share libcurl's
 * connections: over HTTP/2 the watches multiplex on one connection, as
 * client-go's do.
 *
 * It owns authentication: TLS always verified (the kubeconfig's CA, or the
 * system's), client certificates, and the bearer token, re-read from its
 * file every minute and after a 401.
 *
 * Ownership: the client keeps a copy of the configuration. A request's easy
 * handle belongs to its caller, who frees it (kube_client_easy_free) after
 * the done callback or a cancel.
 */
#ifndef SVCNFT_KUBE_CLIENT_H
#define SVCNFT_KUBE_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>

#include "agent/loop.h"
#include "kube/config.h"
#include "lib/sn.h"

struct kube_client;

/* One line of the client's log: what it did or why it waits. */
typedef void kube_log_fn(void *ctx, const char *line);

/* Called once per finished request (result CURLE_OK or why it failed),
 * outside any libcurl callback: it may start new requests. */
typedef void kube_done_fn(void *ctx, CURL *easy, CURLcode result);

/* NULL with the reason in d (bad certificate file, libcurl init). */
struct kube_client *kube_client_new(struct agent_loop *l, const struct kube_config *cfg,
				    struct sn_diag *d);
void kube_client_free(struct kube_client *c);	/* requests must be cancelled first */

void kube_client_set_log(struct kube_client *c, kube_log_fn *fn, void *ctx);
void kube_client_log(struct kube_client *c, const char *fmt, ...) SN_PRINTF(2, 3);

/* An easy handle for GET server+path_query with TLS, auth and headers set;
 * the caller adds its write callback, then kube_client_start(). */
CURL *kube_client_easy(struct kube_client *c, const char *path_query);
int kube_client_start(struct kube_client *c, CURL *easy, kube_done_fn *done, void *ctx);
/* Stop a started request; done is not called. */
void kube_client_cancel(struct kube_client *c, CURL *easy);
void kube_client_easy_free(CURL *easy);

/* Forget the cached token: the next request reads the file again (after a
 * 401, as client-go's ResettableTokenSource). No effect for a fixed token. */
void kube_client_token_reset(struct kube_client *c);

struct agent_loop *kube_client_loop(struct kube_client *c);

/* How old a token read from its file may get (default
 * KUBE_TOKEN_REREAD_MS); tests shorten it. */
void kube_client_set_token_reread(struct kube_client *c, unsigned ms);

/* The token file is re-read when older than this (client-go's
 * NewCachedFileTokenSource: a projected token is refreshed by the kubelet
 * at 80% of its 10-minute life, so a minute keeps well inside it). */
#define KUBE_TOKEN_REREAD_MS 60000

#endif
