// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/http.c: libmicrohttpd servers in the agent loop, and the routes of
 * the proxy health and metrics servers.
 */
#include "agent/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

struct http_server {
	struct MHD_Daemon *mhd;
	struct agent_io *io;
	struct agent_timer *timer;
	http_handler_fn *fn;
	void *ctx;
	uint16_t port;
	char *addr;
};

/* Parse "host:port", "[v6]:port" or ":port" into a socket address. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon, *host_end, *host = addr;
	char hostbuf[SN_ADDR_STRLEN], *end;
	struct sn_addr a;
	unsigned long port;

	if (addr[0] == '[') {
		host_end = strchr(addr, ']');
		if (!host_end || host_end[1] != ':')
			return -1;
		host = addr + 1;
		colon = host_end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -1;
		host_end = colon;
	}
	if ((size_t)(host_end - host) >= sizeof(hostbuf))
		return -1;
	memcpy(hostbuf, host, (size_t)(host_end - host));
	hostbuf[host_end - host] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port > 65535)
		return -1;

	memset(ss, 0, sizeof(*ss));
	if (!hostbuf[0]) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (sn_addr_parse(&a, hostbuf) < 0)
		return -1;
	if (a.family == SN_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, a.a, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, a.a, 16);
		*len = sizeof(*sin6);
	}
	return 0;
}

static int open_listener(const char *addr, uint16_t *port, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_listen(addr, &ss, &len) < 0) {
		*err = sn_asprintf("%s: not an address:port", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = sn_asprintf("socket for %s: %s", addr, strerror(errno));
		return -1;
	}
	/* A restarted agent must rebind at once, not after TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]:port" serves IPv6 only; IPv4 has its own listener if wanted. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		*err = sn_asprintf("bind %s: %s", addr, strerror(errno));
		goto err_close;
	}
	if (listen(fd, 64) < 0) {
		*err = sn_asprintf("listen %s: %s", addr, strerror(errno));
		goto err_close;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		*err = sn_asprintf("getsockname %s: %s", addr, strerror(errno));
		goto err_close;
	}
	*port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
err_close:
	close(fd);
	return -1;
}

static void server_run(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(s->mhd);
	/* MHD's next deadline (idle connections to close) on our timer. */
	if (MHD_get_timeout(s->mhd, &ms) == MHD_YES)
		agent_timer_arm(s->timer, ms);
	else
		agent_timer_disarm(s->timer);
}

static void on_io(void *ctx, int fd, uint32_t events)
{
	server_run(ctx);
}

static void on_timer(void *ctx)
{
	server_run(ctx);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_reply reply = { .status = 200, .content_type = "text/plain; charset=utf-8" };
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* MHD calls first with the headers, then with each piece of the body,
	 * then once with none left. Answer at that last call and drop the body
	 * (Go's handlers here never read one): answering earlier makes MHD close
	 * the connection instead of keeping it alive. */
	if (*con_cls == NULL) {
		*con_cls = s;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	sn_buf_init(&reply.body);
	s->fn(s->ctx, method, url, &reply);
	resp = MHD_create_response_from_buffer(reply.body.len, reply.body.len ? reply.body.s : (void *)(uintptr_t)"",
					       MHD_RESPMEM_MUST_COPY);
	sn_buf_free(&reply.body);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", reply.content_type);
	for (size_t i = 0; i < SN_ARRAY_SIZE(reply.headers) && reply.headers[i]; i++) {
		const char *colon = strchr(reply.headers[i], ':');
		char name[64];
		size_t n;

		if (!colon || (n = (size_t)(colon - reply.headers[i])) >= sizeof(name))
			continue;
		memcpy(name, reply.headers[i], n);
		name[n] = 0;
		MHD_add_response_header(resp, name, colon[1] == ' ' ? colon + 2 : colon + 1);
	}
	ret = MHD_queue_response(conn, reply.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;

	/* TCP-only health probes of load balancers connect and close without a
	 * request, every few seconds: not worth a line each. */
	if (!strncmp(fmt, "Connection was closed by remote side", 36))
		return;
	fprintf(stderr, "svcnft: http %s: ", s->addr);
	vfprintf(stderr, fmt, ap);
}

struct http_server *http_server_new(struct agent_loop *l, const char *addr, http_handler_fn *fn,
				    void *ctx, char **err)
{
	struct http_server *s = sn_calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	int fd;

	*err = NULL;
	s->fn = fn;
	s->ctx = ctx;
	s->addr = sn_strdup(addr);
	fd = open_listener(addr, &s->port, err);
	if (fd < 0)
		goto err_free;
	/* No MHD thread: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD
	 * gives one epoll descriptor for our loop; MHD owns fd from here on. */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, s,
				  /* first, or MHD logs its own complaint about it */
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
				  MHD_OPTION_END);
	if (!s->mhd) {
		close(fd);
		*err = sn_asprintf("%s: libmicrohttpd refused to start", addr);
		goto err_free;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		*err = sn_asprintf("%s: libmicrohttpd has no epoll descriptor", addr);
		goto err_stop;
	}
	s->timer = agent_timer_new(l, on_timer, s);
	s->io = agent_io_add(l, info->epoll_fd, EPOLLIN, on_io, s);
	if (!s->timer || !s->io) {
		*err = sn_asprintf("%s: cannot watch the server in the loop: %s", addr,
				   strerror(errno));
		goto err_stop;
	}
	return s;
err_stop:
	agent_io_del(s->io);
	agent_timer_free(s->timer);
	MHD_stop_daemon(s->mhd);
err_free:
	free(s->addr);
	free(s);
	return NULL;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	agent_io_del(s->io);
	agent_timer_free(s->timer);
	/* Closes the listening socket and every open connection. */
	MHD_stop_daemon(s->mhd);
	free(s->addr);
	free(s);
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

/* ---- proxy health and metrics routes ---- */

static struct health_time surface_now(const struct http_surface *sf)
{
	return sf->clock ? sf->clock(sf->clock_ctx) : health_now();
}

static void not_found(struct http_reply *r)
{
	r->status = 404;
	sn_buf_add(&r->body, "404 page not found\n");
	r->headers[0] = "X-Content-Type-Options: nosniff";
}

static void healthz_handler(void *ctx, const char *method, const char *url, struct http_reply *r)
{
	struct http_surface *sf = ctx;
	bool healthz = !strcmp(url, "/healthz");

	/* Go's ServeMux matches these two paths exactly, whatever the method. */
	if (!healthz && strcmp(url, "/livez")) {
		not_found(r);
		return;
	}
	r->status = (unsigned)health_body(sf->health, healthz, surface_now(sf), &r->body);
	r->content_type = "application/json";
	r->headers[0] = "X-Content-Type-Options: nosniff";
	if (sf->metrics)
		metric_add(healthz ? sf->metrics->healthz_total : sf->metrics->livez_total, 1,
			   r->status == 200 ? "200" : "503");
}

/*
 * /proxyMode answers "nftables": svcnft programs Services with nftables, and
 * the consumers of this endpoint (the Kubernetes e2e framework, conformance
 * and migration scripts) branch on the known mode names to know which kernel
 * mechanism serves Services; an unknown word would send them to a fallback
 * that fits svcnft less than "nftables" does. svcnft's own identity is in
 * its metrics (the svcnft_ families) and table names.
 */
static void metrics_handler(void *ctx, const char *method, const char *url, struct http_reply *r)
{
	struct http_surface *sf = ctx;

	if (!strcmp(url, "/metrics")) {
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		if (sf->metrics)
			metrics_write(sf->metrics->reg, &r->body);
	} else if (!strcmp(url, "/proxyMode")) {
		r->headers[0] = "X-Content-Type-Options: nosniff";
		sn_buf_add(&r->body, HTTP_PROXY_MODE);
	} else if (!strcmp(url, "/healthz")) {
		/* The component's generic healthz (the process serves), not the
		 * proxy health: that one is on the healthz address. */
		r->headers[0] = "X-Content-Type-Options: nosniff";
		sn_buf_add(&r->body, "ok");
	} else {
		not_found(r);
	}
}

struct http_server *http_healthz_new(struct agent_loop *l, const char *addr,
				     struct http_surface *sf, char **err)
{
	return http_server_new(l, addr, healthz_handler, sf, err);
}

struct http_server *http_metrics_new(struct agent_loop *l, const char *addr,
				     struct http_surface *sf, char **err)
{
	return http_server_new(l, addr, metrics_handler, sf, err);
}
