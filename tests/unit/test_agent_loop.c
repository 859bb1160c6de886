/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/unit/test_agent_loop.c: agent/loop.c: timers fire in deadline order
 * and re-arming replaces the deadline; a descriptor's callback runs on
 * readiness and may remove itself and others in the same round; signals
 * arrive through the signalfd; quit returns its code.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/loop.h"
#include "lib/sn.h"

struct rec {
	struct agent_loop *l;
	struct sn_buf log;
	struct agent_io *io[2];
	int fds[2][2];
	unsigned quit_after;	/* quit when log has this many entries */
	unsigned n;
};

static void note(struct rec *r, const char *what)
{
	sn_buf_add(&r->log, what);
	sn_buf_addc(&r->log, ' ');
	if (++r->n == r->quit_after)
		agent_loop_quit(r->l, 42);
}

static void t_a(void *ctx) { note(ctx, "a"); }
static void t_b(void *ctx) { note(ctx, "b"); }
static void t_c(void *ctx) { note(ctx, "c"); }

static void test_timers(void **state)
{
	struct rec r = { .quit_after = 3 };
	struct agent_timer *a, *b, *c, *never;
	uint64_t t0;

	r.l = agent_loop_new();
	sn_buf_init(&r.log);
	a = agent_timer_new(r.l, t_a, &r);
	b = agent_timer_new(r.l, t_b, &r);
	c = agent_timer_new(r.l, t_c, &r);
	never = agent_timer_new(r.l, t_a, &r);
	agent_timer_arm(a, 60);
	agent_timer_arm(b, 10);
	agent_timer_arm(c, 500);
	agent_timer_arm(c, 30);		/* re-arming replaces the deadline */
	agent_timer_arm(never, 20);
	agent_timer_disarm(never);
	assert_false(agent_timer_armed(never));
	assert_true(agent_timer_armed(a));
	t0 = agent_now_ms();
	assert_int_equal(agent_loop_run(r.l), 42);
	assert_string_equal(r.log.s, "b c a ");
	assert_true(agent_now_ms() - t0 >= 60);
	assert_true(agent_now_ms() - t0 < 400);
	assert_false(agent_timer_armed(a));
	agent_timer_free(b);	/* the rest go with the loop */
	agent_loop_free(r.l);
	sn_buf_free(&r.log);
}

/* Reading end 0 becomes readable; its callback removes both watches, so
 * descriptor 1's event of the same round must not be delivered. */
static void io_ready(void *ctx, int fd, uint32_t events)
{
	struct rec *r = ctx;
	char c;

	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	note(r, fd == r->fds[0][0] ? "io0" : "io1");
	agent_io_del(r->io[0]);
	agent_io_del(r->io[1]);
	agent_io_del(r->io[1]);	/* twice is harmless */
}

static void t_stop(void *ctx)
{
	struct rec *r = ctx;

	note(r, "stop");
	agent_loop_quit(r->l, 0);
}

static void test_io_remove_in_round(void **state)
{
	struct rec r = { 0 };
	struct agent_timer *stop;

	r.l = agent_loop_new();
	sn_buf_init(&r.log);
	assert_int_equal(pipe(r.fds[0]), 0);
	assert_int_equal(pipe(r.fds[1]), 0);
	r.io[0] = agent_io_add(r.l, r.fds[0][0], EPOLLIN, io_ready, &r);
	r.io[1] = agent_io_add(r.l, r.fds[1][0], EPOLLIN, io_ready, &r);
	assert_non_null(r.io[0]);
	assert_non_null(r.io[1]);
	assert_int_equal(write(r.fds[0][1], "x", 1), 1);
	assert_int_equal(write(r.fds[1][1], "y", 1), 1);
	stop = agent_timer_new(r.l, t_stop, &r);
	agent_timer_arm(stop, 50);
	assert_int_equal(agent_loop_run(r.l), 0);
	/* One of the two ran, then both were gone: no second io callback. */
	assert_true(strcmp(r.log.s, "io0 stop ") == 0 || strcmp(r.log.s, "io1 stop ") == 0);
	agent_loop_free(r.l);
	sn_buf_free(&r.log);
	close(r.fds[0][0]);
	close(r.fds[0][1]);
	close(r.fds[1][0]);
	close(r.fds[1][1]);
}

static void on_sig(void *ctx, int signo)
{
	struct rec *r = ctx;

	note(r, signo == SIGUSR1 ? "usr1" : "usr2");
	if (signo == SIGUSR2)
		agent_loop_quit(r->l, 7);
}

static void t_raise(void *ctx)
{
	raise(SIGUSR1);
	raise(SIGUSR2);
}

static void test_signals(void **state)
{
	struct rec r = { 0 };
	struct agent_timer *t;

	r.l = agent_loop_new();
	sn_buf_init(&r.log);
	assert_int_equal(agent_loop_signal(r.l, SIGUSR1, on_sig, &r), 0);
	assert_int_equal(agent_loop_signal(r.l, SIGUSR2, on_sig, &r), 0);
	t = agent_timer_new(r.l, t_raise, &r);
	agent_timer_arm(t, 0);	/* 0 = as soon as possible, not "disarmed" */
	assert_int_equal(agent_loop_run(r.l), 7);
	assert_string_equal(r.log.s, "usr1 usr2 ");
	agent_loop_free(r.l);	/* unblocks the signals again */
	sn_buf_free(&r.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_io_remove_in_round),
		cmocka_unit_test(test_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
