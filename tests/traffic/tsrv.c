// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/traffic/tsrv.c: the "pod" of the traffic tests. Listens on the given
 * TCP and UDP ports (both families: one [::] socket with IPV6_V6ONLY off) and
 * answers every request with one line naming itself and what it saw:
 *
 *   pod=NAME proto=tcp src=ADDR sport=PORT dst=ADDR dport=PORT
 *
 * src is the peer as the pod sees it, which is what tells masquerading from
 * source-IP preservation; dst/dport is the pod's own address and port, which
 * shows which targetPort a Service port was translated to.
 *
 * TCP: one line right after accept, then one more for every line received
 * (so one connection can be probed again and again: the continuity test).
 * UDP: one line back for every datagram.
 *
 * Usage: tsrv -n NAME [-t PORT]... [-u PORT]... [-r READYFILE] [-L SECONDS]
 * The ready file is created once every socket is bound. The server exits on
 * SIGTERM, when its parent dies, or after -L seconds (default 900): a test
 * that crashed can never leave it running for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 32
/* Enough for the 300-connection split and the continuity loop: the client
 * closes each connection as soon as it has its line. */
#define MAX_CONN 1024
#define LINE 512

struct conn {
	int fd;
	size_t have;
	char buf[256];
	char me[LINE]; /* the answer, computed once at accept */
};

static const char *name = "?";
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* ::ffff:a.b.c.d is printed as a.b.c.d: the tests compare with IPv4 text. */
static void addr_str(const struct sockaddr_storage *ss, char *host, size_t hl, unsigned *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, hl);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, host, hl);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, hl);
		*port = ntohs(s4->sin_port);
	}
}

static void answer(char *out, size_t ol, const char *proto, const struct sockaddr_storage *peer,
		   const struct sockaddr_storage *self)
{
	char ph[INET6_ADDRSTRLEN], sh[INET6_ADDRSTRLEN];
	unsigned pp, sp;

	addr_str(peer, ph, sizeof(ph), &pp);
	addr_str(self, sh, sizeof(sh), &sp);
	snprintf(out, ol, "pod=%s proto=%s src=%s sport=%u dst=%s dport=%u\n", name, proto, ph, pp,
		 sh, sp);
}

static int listen_on(int type, unsigned port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0;
	int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* UDP: learn the address the datagram was sent to (the pod's own). */
	if (type == SOCK_DGRAM) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "tsrv %s: bind %u: %s\n", name, port, strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 512) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void udp_one(int fd, unsigned port)
{
	char buf[512], cbuf[256], out[LINE];
	struct sockaddr_storage peer, self;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, 0);

	if (n < 0)
		return;
	memset(&self, 0, sizeof(self));
	self.ss_family = AF_INET6;
	((struct sockaddr_in6 *)&self)->sin6_port = htons((uint16_t)port);
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *s4 = (struct sockaddr_in *)&self;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			s4->sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)&self)->sin6_addr = pi.ipi6_addr;
		}
	}
	answer(out, sizeof(out), "udp", &peer, &self);
	sendto(fd, out, strlen(out), MSG_DONTWAIT, (struct sockaddr *)&peer, m.msg_namelen);
}

int main(int argc, char **argv)
{
	static struct pollfd pfd[MAX_LISTEN + MAX_CONN];
	static struct conn conns[MAX_CONN];
	int ltype[MAX_LISTEN];
	unsigned lport[MAX_LISTEN];
	int nl = 0, opt, i;
	const char *ready = NULL;
	long lifetime = 900;
	struct timespec t0, now;

	while ((opt = getopt(argc, argv, "n:t:u:r:L:")) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 't':
		case 'u':
			if (nl == MAX_LISTEN)
				return 2;
			ltype[nl] = opt == 't' ? SOCK_STREAM : SOCK_DGRAM;
			lport[nl] = (unsigned)atoi(optarg);
			nl++;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'L':
			lifetime = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: tsrv -n NAME [-t PORT]... [-u PORT]... [-r FILE] [-L S]\n");
			return 2;
		}
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nl; i++) {
		pfd[i].fd = listen_on(ltype[i], lport[i]);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0)
			return 1;
	}
	for (i = 0; i < MAX_CONN; i++) {
		conns[i].fd = -1;
		pfd[MAX_LISTEN + i].fd = -1;
		pfd[MAX_LISTEN + i].events = POLLIN;
	}
	for (i = nl; i < MAX_LISTEN; i++)
		pfd[i].fd = -1;
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		int n = poll(pfd, MAX_LISTEN + MAX_CONN, 1000);

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > lifetime)
			break;
		if (n <= 0)
			continue;
		for (i = 0; i < nl; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (ltype[i] == SOCK_DGRAM) {
				udp_one(pfd[i].fd, lport[i]);
				continue;
			}
			for (;;) {
				struct sockaddr_storage peer, self;
				socklen_t pl = sizeof(peer), sl = sizeof(self);
				int cfd = accept4(pfd[i].fd, (struct sockaddr *)&peer, &pl,
						  SOCK_NONBLOCK | SOCK_CLOEXEC);
				int k;

				if (cfd < 0)
					break;
				for (k = 0; k < MAX_CONN && conns[k].fd >= 0; k++)
					;
				if (k == MAX_CONN) {
					close(cfd);
					continue;
				}
				getsockname(cfd, (struct sockaddr *)&self, &sl);
				answer(conns[k].me, sizeof(conns[k].me), "tcp", &peer, &self);
				conns[k].fd = cfd;
				conns[k].have = 0;
				pfd[MAX_LISTEN + k].fd = cfd;
				if (write(cfd, conns[k].me, strlen(conns[k].me)) < 0) {
					close(cfd);
					conns[k].fd = pfd[MAX_LISTEN + k].fd = -1;
				}
			}
		}
		for (i = 0; i < MAX_CONN; i++) {
			struct conn *c = &conns[i];
			ssize_t r;

			if (c->fd < 0 || !(pfd[MAX_LISTEN + i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
			if (r <= 0) {
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				close(c->fd);
				c->fd = pfd[MAX_LISTEN + i].fd = -1;
				continue;
			}
			c->have += (size_t)r;
			for (;;) {
				char *nlp = memchr(c->buf, '\n', c->have);
				size_t used;
				if (!nlp)
					break;
				used = (size_t)(nlp - c->buf) + 1;
				if (write(c->fd, c->me, strlen(c->me)) < 0)
					break;
				memmove(c->buf, c->buf + used, c->have - used);
				c->have -= used;
			}
			if (c->have == sizeof(c->buf))
				c->have = 0; /* a line too long: forget it */
		}
	}
	return 0;
}
