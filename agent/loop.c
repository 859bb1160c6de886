// SPDX-License-Identifier: GPL-2.0-or-later
/* agent/loop.c: epoll, timerfd and signalfd under one loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/loop.h"
#include "lib/sn.h"

/* Every registered descriptor is one of these; epoll hands back the pointer. */
struct agent_io {
	struct agent_loop *l;
	int fd;
	bool dead;		/* removed during this round: freed after it */
	agent_io_fn *fn;
	void *ctx;
	struct agent_io *next_dead;
};

struct agent_timer {
	struct agent_io *io;	/* its timerfd */
	bool armed;
	agent_timer_fn *fn;
	void *ctx;
};

#define AGENT_MAX_SIGNALS 8

struct agent_loop {
	int epfd;
	bool quit;
	int code;
	struct agent_io *dead;	/* freed once no epoll event can point at them */
	int sigfd;
	struct agent_io *sigio;
	sigset_t sigs;
	struct {
		int signo;
		agent_signal_fn *fn;
		void *ctx;
	} sig[AGENT_MAX_SIGNALS];
	unsigned nsig;
	struct agent_timer **timers;	/* for agent_loop_free */
	size_t ntimers, timers_cap;
};

uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct agent_loop *agent_loop_new(void)
{
	struct agent_loop *l = sn_calloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	return l;
}

static void reap(struct agent_loop *l)
{
	while (l->dead) {
		struct agent_io *io = l->dead;

		l->dead = io->next_dead;
		free(io);
	}
}

struct agent_io *agent_io_add(struct agent_loop *l, int fd, uint32_t events, agent_io_fn *fn,
			      void *ctx)
{
	struct agent_io *io = sn_calloc(1, sizeof(*io));
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->l = l;
	io->fd = fd;
	io->fn = fn;
	io->ctx = ctx;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

int agent_io_mod(struct agent_io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(io->l->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void agent_io_del(struct agent_io *io)
{
	if (!io || io->dead)
		return;
	/* The fd may already be closed (libcurl closes before it says REMOVE
	 * in some paths); then the kernel dropped it from the set itself. */
	epoll_ctl(io->l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->dead = true;
	io->next_dead = io->l->dead;
	io->l->dead = io;
}

static void timer_ready(void *ctx, int fd, uint32_t events)
{
	struct agent_timer *t = ctx;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;	/* re-armed or disarmed since it fired */
	t->armed = false;
	t->fn(t->ctx);
}

struct agent_timer *agent_timer_new(struct agent_loop *l, agent_timer_fn *fn, void *ctx)
{
	struct agent_timer *t = sn_calloc(1, sizeof(*t));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0) {
		free(t);
		return NULL;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->io = agent_io_add(l, fd, EPOLLIN, timer_ready, t);
	if (!t->io) {
		close(fd);
		free(t);
		return NULL;
	}
	sn_grow(&l->timers, &l->timers_cap, l->ntimers + 1, sizeof(*l->timers));
	l->timers[l->ntimers++] = t;
	return t;
}

static void timer_set(struct agent_timer *t, uint64_t ms, bool on)
{
	struct itimerspec its = { 0 };

	if (on) {
		/* A zero it_value disarms a timerfd: "now" is one nanosecond. */
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = ms % 1000 * 1000000;
		if (ms == 0)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(t->io->fd, 0, &its, NULL);
	t->armed = on;
}

void agent_timer_arm(struct agent_timer *t, uint64_t ms)
{
	timer_set(t, ms, true);
}

void agent_timer_disarm(struct agent_timer *t)
{
	timer_set(t, 0, false);
}

bool agent_timer_armed(const struct agent_timer *t)
{
	return t->armed;
}

void agent_timer_free(struct agent_timer *t)
{
	struct agent_loop *l;
	size_t i;

	if (!t)
		return;
	l = t->io->l;
	for (i = 0; i < l->ntimers; i++) {
		if (l->timers[i] == t) {
			l->timers[i] = l->timers[--l->ntimers];
			break;
		}
	}
	/* A pending event of this round for the timerfd is skipped: its io
	 * is marked dead and freed only after the round. */
	agent_io_del(t->io);
	close(t->io->fd);
	free(t);
}

static void signal_ready(void *ctx, int fd, uint32_t events)
{
	struct agent_loop *l = ctx;
	struct signalfd_siginfo si;
	unsigned i;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		for (i = 0; i < l->nsig; i++)
			if (l->sig[i].signo == (int)si.ssi_signo)
				l->sig[i].fn(l->sig[i].ctx, (int)si.ssi_signo);
	}
}

int agent_loop_signal(struct agent_loop *l, int signo, agent_signal_fn *fn, void *ctx)
{
	int fd;

	if (l->nsig == AGENT_MAX_SIGNALS) {
		errno = ENOSPC;
		return -1;
	}
	sigaddset(&l->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -1;
	fd = signalfd(l->sigfd, &l->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		l->sigio = agent_io_add(l, fd, EPOLLIN, signal_ready, l);
		if (!l->sigio)
			return -1;
	}
	l->sig[l->nsig].signo = signo;
	l->sig[l->nsig].fn = fn;
	l->sig[l->nsig].ctx = ctx;
	l->nsig++;
	return 0;
}

int agent_loop_run(struct agent_loop *l)
{
	/* 64 events a round: the agent has a handful of descriptors. */
	struct epoll_event evs[64];
	int n, i;

	l->quit = false;
	while (!l->quit) {
		n = epoll_wait(l->epfd, evs, SN_ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n && !l->quit; i++) {
			struct agent_io *io = evs[i].data.ptr;

			if (!io->dead)
				io->fn(io->ctx, io->fd, evs[i].events);
		}
		reap(l);
	}
	return l->code;
}

void agent_loop_quit(struct agent_loop *l, int code)
{
	l->quit = true;
	l->code = code;
}

void agent_loop_free(struct agent_loop *l)
{
	if (!l)
		return;
	while (l->ntimers)
		agent_timer_free(l->timers[0]);
	if (l->sigio) {
		agent_io_del(l->sigio);
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigs, NULL);
	}
	reap(l);
	close(l->epfd);
	free(l->timers);
	free(l);
}
