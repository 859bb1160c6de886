// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/unit/test_input_file.c: a manifest file rewritten in place while
 * svcnft reads it (an editor, `cat >`, a config tool under `svcnft run -f
 * DIR`). input/ maps files; the pages past a truncation fault with SIGBUS,
 * which must never kill the process: the load reports the file instead.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "input/input.h"

#define NSVC 4000	/* about 1 MB of YAML: a read that takes a while */
#define ROUNDS 200	/* loads at most ... */
#define MAX_SECONDS 20	/* ... and for at most this long */

static char *manifest(size_t *len)
{
	struct sn_buf b;
	unsigned i;

	sn_buf_init(&b);
	for (i = 0; i < NSVC; i++)
		sn_buf_printf(&b, "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s%u\n"
			    "  namespace: ns\nspec:\n  clusterIP: 198.18.%u.%u\n  ports:\n"
			    "  - port: 80\n    protocol: TCP\n",
			    i, i / 250, i % 250 + 1);
	*len = b.len;
	return b.s;
}

/* Rewrite the file in place, truncate then write it again, until the
 * parent kills it; should the parent die first (a failed assertion, a
 * SIGBUS this test exists to catch), the kernel kills it with its parent,
 * and it stops by itself after MAX_SECONDS anyway. */
static void rewriter(const char *path, const char *text, size_t len, pid_t parent)
{
	time_t t0 = time(NULL);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	while (time(NULL) - t0 <= MAX_SECONDS) {
		FILE *f = fopen(path, "r+");

		if (!f)
			_exit(1);
		if (ftruncate(fileno(f), 0) < 0)
			_exit(1);
		usleep(200);
		fwrite(text, 1, len, f);
		fclose(f);
		usleep(3000);	/* whole for a while: some loads see all of it */
	}
	_exit(0);
}

static void test_truncated_while_read(void **state)
{
	char path[] = "/tmp/svcnft-test-input-XXXXXX";
	const char *paths[1] = { path };
	unsigned ok = 0, truncated = 0, other = 0, round;
	time_t t0 = time(NULL);
	size_t len;
	char *text = manifest(&len);
	int fd = mkstemp(path), st;
	pid_t child, self = getpid();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	child = fork();
	assert_true(child >= 0);
	if (!child)
		rewriter(path, text, len, self);
	for (round = 0; round < ROUNDS && time(NULL) - t0 < MAX_SECONDS; round++) {
		struct svc_world *w = svc_world_alloc();
		struct sn_diag d;
		size_t i;

		sn_diag_init(&d);
		if (!input_load(paths, 1, w, &d) && w->nsvcs == NSVC)
			ok++;
		else {
			bool t = false;

			for (i = 0; i < d.n; i++)
				t |= d.recs[i].msg && strstr(d.recs[i].msg, "truncated while it was read");
			if (t)
				truncated++;
			else
				other++;	/* read a short file, or one being written: an error */
		}
		sn_diag_free(&d);
		svc_world_free(w);
	}
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	unlink(path);
	free(text);
	printf("input: %u loads of a file rewritten in place: %u whole, %u truncated while read, "
	       "%u short or partial\n", round, ok, truncated, other);
	/* Reaching this line is the point: no SIGBUS killed the process. */
	assert_true(round > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncated_while_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
