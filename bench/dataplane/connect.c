// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/dataplane/connect.c: TCP connect time through the node's NAT rules,
 * for bench/dataplane/run.sh. Two roles, each bounded in count and time:
 *
 *   connect serve PORT SECONDS
 *	listen on 0.0.0.0:PORT (the server namespace holds every endpoint
 *	address), accept and close until SECONDS have passed.
 *   connect probe ADDR PORT COUNT SECONDS
 *	WARMUP unmeasured connects, then COUNT sequential connects to
 *	ADDR:PORT, each bounded by 1 s and all by SECONDS; print
 *	"ok=N failed=M median_us=X p99_us=Y" (connect() start to the
 *	handshake's completion: the SYN through DNAT, the SYN-ACK back).
 *
 * Each connection is closed with an RST (SO_LINGER 0) so no TIME_WAIT or
 * conntrack state piles up across the count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* connects before the measured ones: neighbour resolution and the first
 * conntrack allocations are not what is being measured */
#define WARMUP 50
/* one connect may take at most this long before it counts as failed */
#define CONNECT_TIMEOUT_MS 1000
#define MAX_COUNT 100000

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int serve(int port, int seconds)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double end = now_us() + seconds * 1e6;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		perror("connect serve");
		return 1;
	}
	fprintf(stderr, "connect: serving 0.0.0.0:%d for %d s\n", port, seconds);
	fflush(stderr);
	while (now_us() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 200) <= 0)
			continue;
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	close(fd);
	return 0;
}

/* One connect; its duration in µs, or -1 on failure or timeout. */
static double one_connect(const struct sockaddr_in *a)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);
	double t0, t1 = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	t0 = now_us();
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0) {
		t1 = now_us();
	} else if (errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, CONNECT_TIMEOUT_MS) == 1 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
			t1 = now_us();
	}
	close(fd);
	return t1 < 0 ? -1 : t1 - t0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static int probe(const char *addr, int port, int count, int seconds)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double end = now_us() + seconds * 1e6, *v;
	int ok = 0, failed = 0;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 || count < 1 || count > MAX_COUNT) {
		fprintf(stderr, "connect probe: bad address or count\n");
		return 2;
	}
	v = calloc((size_t)count, sizeof(*v));
	if (!v)
		return 1;
	for (int i = 0; i < WARMUP && now_us() < end; i++)
		one_connect(&a);
	for (int i = 0; i < count && now_us() < end; i++) {
		double us = one_connect(&a);

		if (us < 0)
			failed++;
		else
			v[ok++] = us;
	}
	qsort(v, (size_t)ok, sizeof(*v), cmp_double);
	if (ok)
		printf("ok=%d failed=%d median_us=%.1f p99_us=%.1f\n", ok, failed, v[ok / 2],
		       v[(size_t)((ok - 1) * 0.99)]);
	else
		printf("ok=0 failed=%d median_us=n/a p99_us=n/a\n", failed);
	free(v);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: connect serve PORT SECONDS\n"
			"       connect probe ADDR PORT COUNT SECONDS\n");
	return 2;
}
