/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/loop.h: the agent's one event loop. epoll over every descriptor the
 * agent waits on (libcurl's sockets, and later netlink, inotify and the HTTP
 * servers), one timerfd per timer and a signalfd for the signals it handles.
 * Single-threaded: every callback runs on the loop's thread.
 *
 * Ownership: the loop owns its watches and timers; agent_loop_free() frees
 * them. A watch or timer may be removed from inside any callback, its own
 * included.
 */
#ifndef SVCNFT_AGENT_LOOP_H
#define SVCNFT_AGENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct agent_loop;
struct agent_io;
struct agent_timer;

/* events: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP as epoll reported them. */
typedef void agent_io_fn(void *ctx, int fd, uint32_t events);
typedef void agent_timer_fn(void *ctx);
typedef void agent_signal_fn(void *ctx, int signo);

struct agent_loop *agent_loop_new(void);	/* NULL with errno set */
void agent_loop_free(struct agent_loop *l);

/* Watch fd for events (EPOLLIN|EPOLLOUT); the fd stays the caller's. */
struct agent_io *agent_io_add(struct agent_loop *l, int fd, uint32_t events, agent_io_fn *fn,
			      void *ctx);
int agent_io_mod(struct agent_io *io, uint32_t events);
void agent_io_del(struct agent_io *io);	/* NULL is a no-op */

/* One-shot timers on CLOCK_MONOTONIC; arming again replaces the deadline. */
struct agent_timer *agent_timer_new(struct agent_loop *l, agent_timer_fn *fn, void *ctx);
void agent_timer_arm(struct agent_timer *t, uint64_t ms);	/* 0 = as soon as possible */
void agent_timer_disarm(struct agent_timer *t);
bool agent_timer_armed(const struct agent_timer *t);
void agent_timer_free(struct agent_timer *t);	/* NULL is a no-op */

/* Block signo and deliver it through the loop's signalfd. */
int agent_loop_signal(struct agent_loop *l, int signo, agent_signal_fn *fn, void *ctx);

/* Run until agent_loop_quit(); returns its code, or -1 on an epoll error. */
int agent_loop_run(struct agent_loop *l);
void agent_loop_quit(struct agent_loop *l, int code);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t agent_now_ms(void);

#endif
