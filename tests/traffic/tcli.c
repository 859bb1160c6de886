// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/traffic/tcli.c: the client of the traffic tests. Every attempt is
 * bounded by a timeout, every run by a count and a total duration.
 *
 *   tcli [-u] [-n COUNT] [-t TIMEOUT_MS] [-i INTERVAL_MS] [-D TOTAL_MS]
 *        [-b BINDADDR] [-x STOPFILE] [-F MAXFAIL] [-P] [-S] [-q] HOST PORT
 *
 * Default: COUNT attempts, each on a new socket (a new connection, a new UDP
 * source port). One line per attempt:
 *
 *   OK ms=3 pod=pa1 proto=tcp src=198.19.1.50 sport=40000 dst=198.19.1.10 dport=8080
 *   REFUSED ms=0          TCP reset, or ICMP port unreachable
 *   TIMEOUT ms=500        nothing came back in time (a drop)
 *   UNREACH ms=2          ICMP host/net unreachable
 *   RESET ms=1            the connection was reset after it was established
 *   ERROR ms=1 WHAT       anything else
 *
 * -P  persistent: one socket for every attempt (one TCP connection, probed
 *     with a line per attempt; one UDP source port, i.e. one conntrack flow).
 *     For TCP the connect itself is the first attempt.
 * -S  the attempts are triggered by lines on stdin instead of the interval
 *     (implies -P): a test script drives one flow step by step.
 * -x  stop as soon as STOPFILE exists (checked before every attempt).
 * -F  stop after MAXFAIL failed attempts (a broken ruleset must not make a
 *     run of timeouts take minutes).
 * -q  print only failed attempts, then one summary line:
 *     SUMMARY total=N ok=N refused=N timeout=N other=N pods=pa1:3,pa2:4 maxms=N
 *
 * Exit status: 0 if every attempt was OK, 1 otherwise, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum res { T_OK, T_REFUSED, T_TIMEOUT, T_UNREACH, T_RESET, T_ERROR, T__N };
static const char *const res_name[T__N] = {
	[T_OK] = "OK",	       [T_REFUSED] = "REFUSED", [T_TIMEOUT] = "TIMEOUT",
	[T_UNREACH] = "UNREACH", [T_RESET] = "RESET",	[T_ERROR] = "ERROR",
};

static int udp, persistent, from_stdin, quiet;
static long timeout_ms = 1000, interval_ms, total_ms = 60000, count = 1, maxfail = -1;
static const char *bind_addr, *stopfile;
static struct sockaddr_storage dst, src;
static socklen_t dst_len, src_len;

static long tally[T__N], maxms;

#define MAX_PODS 32
static struct {
	char name[64];
	long n;
} pods[MAX_PODS];
static int npods;

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int parse_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static enum res from_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return T_REFUSED;
	case ETIMEDOUT:
		return T_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return T_UNREACH;
	case ECONNRESET:
	case EPIPE:
		return T_RESET;
	default:
		return T_ERROR;
	}
}

/* Wait for ev on fd until the absolute deadline; 1 ready, 0 timeout. */
static int wait_fd(int fd, short ev, long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return 1; /* let the caller's read/getsockopt report it */
	}
}

static int open_sock(void)
{
	int fd = socket(dst.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -1;
	if (bind_addr && bind(fd, (struct sockaddr *)&src, src_len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect (TCP: wait for it, bounded). T_OK when connected. */
static enum res do_connect(int fd, long deadline, char *why, size_t wl)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (connect(fd, (struct sockaddr *)&dst, dst_len) == 0)
		return T_OK;
	if (errno != EINPROGRESS) {
		snprintf(why, wl, "connect: %s", strerror(errno));
		return from_errno(errno);
	}
	if (!wait_fd(fd, POLLOUT, deadline))
		return T_TIMEOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err) {
		snprintf(why, wl, "connect: %s", strerror(err));
		return from_errno(err);
	}
	return T_OK;
}

/* Read one answer line (TCP: up to '\n'; UDP: one datagram). */
static enum res read_line(int fd, long deadline, char *line, size_t ll, char *why, size_t wl)
{
	size_t have = 0;

	for (;;) {
		ssize_t r;

		if (!wait_fd(fd, POLLIN, deadline))
			return T_TIMEOUT;
		r = recv(fd, line + have, ll - 1 - have, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(why, wl, "recv: %s", strerror(errno));
			return from_errno(errno);
		}
		if (r == 0) {
			snprintf(why, wl, "eof");
			return T_RESET;
		}
		have += (size_t)r;
		line[have] = 0;
		if (udp || memchr(line, '\n', have) || have == ll - 1) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			return T_OK;
		}
	}
}

static enum res send_req(int fd, char *why, size_t wl)
{
	if (send(fd, "ping\n", 5, MSG_NOSIGNAL) < 0) {
		snprintf(why, wl, "send: %s", strerror(errno));
		return from_errno(errno);
	}
	return T_OK;
}

static void report(enum res r, long ms, const char *line, const char *why)
{
	tally[r]++;
	if (ms > maxms)
		maxms = ms;
	if (r == T_OK) {
		const char *p = strstr(line, "pod=");
		if (p) {
			char nm[64];
			int i;
			sscanf(p + 4, "%63s", nm);
			for (i = 0; i < npods && strcmp(pods[i].name, nm); i++)
				;
			if (i == npods && npods < MAX_PODS)
				snprintf(pods[npods++].name, sizeof(pods[0].name), "%s", nm);
			if (i < MAX_PODS)
				pods[i].n++;
		}
		if (!quiet)
			printf("OK ms=%ld %s\n", ms, line);
	} else {
		printf("%s ms=%ld%s%s\n", res_name[r], ms, why[0] ? " " : "", why);
	}
	fflush(stdout);
}

/* One attempt on a fresh socket. */
static void one_shot(void)
{
	char line[512] = "", why[128] = "";
	long t0 = now_ms(), deadline = t0 + timeout_ms;
	enum res r;
	int fd = open_sock();

	if (fd < 0) {
		snprintf(why, sizeof(why), "socket/bind: %s", strerror(errno));
		report(T_ERROR, 0, line, why);
		return;
	}
	r = do_connect(fd, deadline, why, sizeof(why));
	if (r == T_OK && udp)
		r = send_req(fd, why, sizeof(why));
	if (r == T_OK)
		r = read_line(fd, deadline, line, sizeof(line), why, sizeof(why));
	close(fd);
	report(r, now_ms() - t0, line, why);
}

static int stop_now(long start)
{
	struct stat st;

	if (maxfail >= 0 && tally[T_REFUSED] + tally[T_TIMEOUT] + tally[T_UNREACH] + tally[T_RESET] +
				    tally[T_ERROR] >= maxfail)
		return 1;
	if (now_ms() - start >= total_ms)
		return 1;
	return stopfile && stat(stopfile, &st) == 0;
}

int main(int argc, char **argv)
{
	long start = now_ms(), i;
	int opt, fd = -1, broken = 0;

	while ((opt = getopt(argc, argv, "un:t:i:D:b:x:F:PSq")) != -1) {
		switch (opt) {
		case 'u': udp = 1; break;
		case 'n': count = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'D': total_ms = atol(optarg); break;
		case 'b': bind_addr = optarg; break;
		case 'x': stopfile = optarg; break;
		case 'F': maxfail = atol(optarg); break;
		case 'P': persistent = 1; break;
		case 'S': from_stdin = persistent = 1; break;
		case 'q': quiet = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || parse_addr(argv[optind], (unsigned)atoi(argv[optind + 1]), &dst,
					     &dst_len) < 0)
		goto usage;
	if (bind_addr && (parse_addr(bind_addr, 0, &src, &src_len) < 0 ||
			  src.ss_family != dst.ss_family))
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	/* A hard bound whatever happens (a blocked stdin included). */
	alarm((unsigned)(total_ms / 1000 + timeout_ms / 1000 + 5));

	if (persistent) {
		char why[128] = "", line[512] = "";
		long t0 = now_ms();
		enum res r;

		fd = open_sock();
		if (fd < 0) {
			perror("tcli: socket");
			return 1;
		}
		r = do_connect(fd, t0 + timeout_ms, why, sizeof(why));
		if (!udp) {
			if (r == T_OK)
				r = read_line(fd, t0 + timeout_ms, line, sizeof(line), why, sizeof(why));
			report(r, now_ms() - t0, line, why);
			if (r != T_OK)
				broken = 1;
			count--;
		} else if (r != T_OK) {
			report(r, now_ms() - t0, line, why);
			broken = 1;
		}
	}
	for (i = 0; i < count && !stop_now(start); i++) {
		if (from_stdin) {
			char in[64];
			if (!fgets(in, sizeof(in), stdin))
				break;
		} else if (i > 0 && interval_ms > 0) {
			usleep((useconds_t)interval_ms * 1000);
			if (stop_now(start))
				break;
		}
		if (!persistent) {
			one_shot();
		} else {
			char why[128] = "", line[512] = "";
			long t0 = now_ms();
			enum res r = broken ? T_ERROR : send_req(fd, why, sizeof(why));

			if (broken)
				snprintf(why, sizeof(why), "connection already broken");
			if (r == T_OK)
				r = read_line(fd, t0 + timeout_ms, line, sizeof(line), why, sizeof(why));
			report(r, now_ms() - t0, line, why);
			/* UDP: a lost answer does not break the flow; TCP: it does. */
			if (r != T_OK && !udp)
				broken = 1;
		}
	}
	if (fd >= 0)
		close(fd);
	if (quiet) {
		long total = 0;
		int k;
		for (k = 0; k < T__N; k++)
			total += tally[k];
		printf("SUMMARY total=%ld ok=%ld refused=%ld timeout=%ld other=%ld pods=", total,
		       tally[T_OK], tally[T_REFUSED], tally[T_TIMEOUT],
		       tally[T_UNREACH] + tally[T_RESET] + tally[T_ERROR]);
		for (k = 0; k < npods; k++)
			printf("%s%s:%ld", k ? "," : "", pods[k].name, pods[k].n);
		printf(" maxms=%ld\n", maxms);
	}
	return tally[T_OK] == tally[T_OK] + tally[T_REFUSED] + tally[T_TIMEOUT] + tally[T_UNREACH] +
					     tally[T_RESET] + tally[T_ERROR]
		       ? 0
		       : 1;
usage:
	fprintf(stderr, "usage: tcli [-u] [-n COUNT] [-t TIMEOUT_MS] [-i INTERVAL_MS] [-D TOTAL_MS]\n"
			"            [-b BINDADDR] [-x STOPFILE] [-F MAXFAIL] [-P] [-S] [-q] HOST PORT\n");
	return 2;
}
