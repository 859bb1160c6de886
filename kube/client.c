// SPDX-License-Identifier: GPL-2.0-or-later
/* kube/client.c: libcurl multi on the agent loop, TLS and the bearer token. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "kube/client.h"

struct kube_client {
	struct agent_loop *loop;
	CURLM *multi;
	struct agent_timer *timer;	/* libcurl's timeout */
	unsigned running;		/* requests started and not finished */

	char *base;		/* URL prefix requests go to */
	char *connect_to;	/* tls-server-name: "name:port:host:port" */
	struct curl_slist *connect_list;
	struct kube_pem ca, cert, key;

	char *token;		/* current bearer token, or NULL */
	char *token_file;
	bool token_fixed;	/* from the kubeconfig: never re-read */
	uint64_t token_read_ms;	/* 0 = read before the next request */
	unsigned token_reread_ms;

	kube_log_fn *log;
	void *log_ctx;
};

/* The one piece of per-request state the client keeps: the done callback
 * and the headers, freed with the handle. */
struct kube_easy {
	struct kube_client *c;
	struct curl_slist *hdrs;
	kube_done_fn *done;
	void *ctx;
	bool started;
};

void kube_client_log(struct kube_client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->log(c->log_ctx, line);
}

void kube_client_set_log(struct kube_client *c, kube_log_fn *fn, void *ctx)
{
	c->log = fn;
	c->log_ctx = ctx;
}

struct agent_loop *kube_client_loop(struct kube_client *c)
{
	return c->loop;
}

/* ---- the token ---- */

static void token_refresh(struct kube_client *c)
{
	uint64_t now = agent_now_ms();
	char buf[16384];
	size_t n;
	FILE *f;

	if (c->token_fixed || !c->token_file)
		return;
	if (c->token_read_ms && now - c->token_read_ms < c->token_reread_ms)
		return;
	c->token_read_ms = now;
	f = fopen(c->token_file, "r");
	if (!f) {
		/* Keep the token we have: a rotation in progress is not an
		 * outage, and the server says 401 if it is stale. */
		kube_client_log(c, "token file %s: %s", c->token_file, strerror(errno));
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (!n) {
		kube_client_log(c, "token file %s is empty", c->token_file);
		return;
	}
	if (!c->token || strcmp(c->token, buf) != 0) {
		if (c->token)
			kube_client_log(c, "token file %s: new token", c->token_file);
		free(c->token);
		c->token = sn_strdup(buf);
	}
}

void kube_client_set_token_reread(struct kube_client *c, unsigned ms)
{
	c->token_reread_ms = ms;
}

void kube_client_token_reset(struct kube_client *c)
{
	c->token_read_ms = 0;
}

/* ---- libcurl multi on the loop ---- */

static void check_done(struct kube_client *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct kube_easy *ke = NULL;
		CURL *easy = m->easy_handle;
		CURLcode res = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ke);
		curl_multi_remove_handle(c->multi, easy);
		c->running--;
		ke->started = false;
		ke->done(ke->ctx, easy, res);
	}
}

static void sock_ready(void *ctx, int fd, uint32_t events)
{
	struct kube_client *c = ctx;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_done(c);
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct kube_client *c = userp;
	struct agent_io *io = socketp;
	uint32_t ev = 0;

	if (what == CURL_POLL_REMOVE) {
		agent_io_del(io);
		curl_multi_assign(c->multi, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (io) {
		agent_io_mod(io, ev);
	} else {
		io = agent_io_add(c->loop, s, ev, sock_ready, c);
		if (!io)
			return -1;
		curl_multi_assign(c->multi, s, io);
	}
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct kube_client *c = userp;

	if (timeout_ms < 0)
		agent_timer_disarm(c->timer);
	else
		agent_timer_arm(c->timer, (uint64_t)timeout_ms);
	return 0;
}

static void timer_fired(void *ctx)
{
	struct kube_client *c = ctx;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

/* ---- setup ---- */

static void pem_copy(struct kube_pem *dst, const struct kube_pem *src)
{
	dst->file = src->file ? sn_strdup(src->file) : NULL;
	dst->data = NULL;
	dst->len = src->len;
	if (src->data) {
		dst->data = sn_malloc(src->len + 1);
		memcpy(dst->data, src->data, src->len);
		dst->data[src->len] = '\0';
	}
}

/* Split "https://host:port/prefix" into host (brackets kept) and port. */
static int split_server(const char *server, char **host, unsigned *port, const char **rest)
{
	const char *h = server + strlen("https://"), *end, *colon = NULL;

	if (*h == '[') {
		end = strchr(h, ']');
		if (!end)
			return -1;
		end++;
		if (*end == ':')
			colon = end;
	} else {
		end = h + strcspn(h, ":/");
		if (*end == ':')
			colon = end;
	}
	*host = sn_strndup(h, (size_t)(end - h));
	*port = 443;
	if (colon) {
		char *e;
		unsigned long p = strtoul(colon + 1, &e, 10);

		if (e == colon + 1 || p == 0 || p > 65535)
			goto bad;
		*port = (unsigned)p;
		end = e;
	}
	*rest = end;
	return 0;
bad:
	free(*host);
	return -1;
}

struct kube_client *kube_client_new(struct agent_loop *l, const struct kube_config *cfg,
				    struct sn_diag *d)
{
	static bool global_init;
	struct kube_client *c;

	if (!global_init) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			sn_diag_add(d, SN_ERROR, NULL, NULL, NULL, "libcurl initialisation failed");
			return NULL;
		}
		global_init = true;
	}
	c = sn_calloc(1, sizeof(*c));
	c->loop = l;
	c->token_reread_ms = KUBE_TOKEN_REREAD_MS;
	if (cfg->tls_server_name) {
		char *host;
		unsigned port;
		const char *rest;

		if (split_server(cfg->server, &host, &port, &rest) < 0) {
			sn_diag_add(d, SN_ERROR, NULL, NULL, "server", "%s: cannot read host and port",
				    cfg->server);
			free(c);
			return NULL;
		}
		/* Ask for the name, connect to the address: libcurl then
		 * verifies the certificate against tls-server-name. */
		c->base = sn_asprintf("https://%s:%u%s", cfg->tls_server_name, port, rest);
		c->connect_to = sn_asprintf("%s:%u:%s:%u", cfg->tls_server_name, port, host, port);
		c->connect_list = curl_slist_append(NULL, c->connect_to);
		free(host);
	} else {
		c->base = sn_strdup(cfg->server);
	}
	pem_copy(&c->ca, &cfg->ca);
	pem_copy(&c->cert, &cfg->cert);
	pem_copy(&c->key, &cfg->key);
	if (cfg->token) {
		c->token = sn_strdup(cfg->token);
		c->token_fixed = true;
	} else if (cfg->token_file) {
		c->token_file = sn_strdup(cfg->token_file);
		token_refresh(c);
	}

	c->multi = curl_multi_init();
	c->timer = agent_timer_new(l, timer_fired, c);
	if (!c->multi || !c->timer) {
		sn_diag_add(d, SN_ERROR, NULL, NULL, NULL, "cannot set up libcurl's multi handle");
		kube_client_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* The watches share one HTTP/2 connection when the server speaks it. */
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return c;
}

static void blob_set(CURL *e, CURLoption opt, const struct kube_pem *p)
{
	struct curl_blob b = { .data = p->data, .len = p->len, .flags = CURL_BLOB_COPY };

	curl_easy_setopt(e, opt, &b);
}

CURL *kube_client_easy(struct kube_client *c, const char *path_query)
{
	struct kube_easy *ke;
	char *url, *auth;
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	ke = sn_calloc(1, sizeof(*ke));
	ke->c = c;
	url = sn_asprintf("%s%s", c->base, path_query);
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, ke);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Wait for a connection being set up rather than open a second one,
	 * so that the three watches end up multiplexed on one. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* client-go's dialer: 30 s to connect. */
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca.data)
		blob_set(e, CURLOPT_CAINFO_BLOB, &c->ca);
	else if (c->ca.file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca.file);
	if (c->cert.data) {
		blob_set(e, CURLOPT_SSLCERT_BLOB, &c->cert);
		blob_set(e, CURLOPT_SSLKEY_BLOB, &c->key);
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (c->cert.file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert.file);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key.file);
	}
	if (c->connect_list)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_list);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "svcnft");
	/* Never protobuf, never pretty: one compact JSON object per event. */
	ke->hdrs = curl_slist_append(NULL, "Accept: application/json");
	token_refresh(c);
	if (c->token) {
		auth = sn_asprintf("Authorization: Bearer %s", c->token);
		ke->hdrs = curl_slist_append(ke->hdrs, auth);
		free(auth);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, ke->hdrs);
	return e;
}

int kube_client_start(struct kube_client *c, CURL *easy, kube_done_fn *done, void *ctx)
{
	struct kube_easy *ke = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ke);
	ke->done = done;
	ke->ctx = ctx;
	if (curl_multi_add_handle(c->multi, easy) != CURLM_OK)
		return -1;
	ke->started = true;
	c->running++;
	return 0;
}

void kube_client_cancel(struct kube_client *c, CURL *easy)
{
	struct kube_easy *ke = NULL;

	if (!easy)
		return;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ke);
	if (ke && ke->started) {
		curl_multi_remove_handle(c->multi, easy);
		ke->started = false;
		c->running--;
	}
}

void kube_client_easy_free(CURL *easy)
{
	struct kube_easy *ke = NULL;

	if (!easy)
		return;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ke);
	curl_easy_cleanup(easy);
	if (ke) {
		curl_slist_free_all(ke->hdrs);
		free(ke);
	}
}

static void pem_free(struct kube_pem *p)
{
	free(p->file);
	free(p->data);
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	agent_timer_free(c->timer);
	curl_slist_free_all(c->connect_list);
	free(c->connect_to);
	free(c->base);
	pem_free(&c->ca);
	pem_free(&c->cert);
	pem_free(&c->key);
	free(c->token);
	free(c->token_file);
	free(c);
}
