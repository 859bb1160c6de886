// SPDX-License-Identifier: GPL-2.0-or-later
/* cli/main.c: `svcnft COMMAND [OPTIONS]`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "netlink/nlk.h"

#ifndef SVCNFT_VERSION
#define SVCNFT_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
	bool net_admin;		/* talks to nf_tables: needs CAP_NET_ADMIN */
} commands[] = {
	{ "compile", cmd_compile, "print the nftables ruleset for the manifests (dry run)", false },
	{ "apply", cmd_apply, "make the kernel's svcnft tables match the manifests", true },
	{ "diff", cmd_diff, "show what apply would change (exit 1 if anything)", true },
	{ "cleanup", cmd_cleanup, "remove svcnft's tables, and nothing else", true },
	{ "run", cmd_run, "the node agent: keep the kernel in step with the API server (or -f DIR)", true },
};

/*
 * A descriptor 0-2 closed at exec would be handed to the next file or
 * socket opened (a manifest, the netlink socket), and what is printed on
 * stdout would go into it. Hold each closed one with /dev/null; return
 * whether stdout was closed, which is an error for every command: its
 * output would be lost while it reports success.
 */
static bool hold_std_fds(void)
{
	bool out_closed = false;

	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (fd == STDOUT_FILENO)
			out_closed = true;
		/* the lowest free number: fd itself */
		nfd = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
		if (nfd >= 0 && nfd != fd)
			close(nfd);
	}
	return out_closed;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/*
 * Before reading any manifest: can this process change nf_tables in this
 * network namespace? nfnetlink checks CAP_NET_ADMIN against the namespace's
 * owning user namespace for every message, so asking for the generation id
 * is the exact test (capget would miss a namespace owned by another user
 * namespace). Any other failure is left to the command, which says more.
 */
static bool lacks_net_admin(void)
{
	struct nlk_sock *s = nlk_open(NULL);
	uint32_t gen;
	bool eperm;

	if (!s)
		return errno == EPERM || errno == EACCES;
	eperm = nlk_genid(s, &gen, NULL) < 0 && (errno == EPERM || errno == EACCES);
	nlk_close(s);
	return eperm;
}

static void usage(FILE *out)
{
	unsigned i;

	fprintf(out, "usage: svcnft COMMAND [OPTIONS] -f PATH...\n       svcnft run [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < SN_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(out, "\n`svcnft COMMAND --help` lists a command's options.\n");
}

int main(int argc, char **argv)
{
	bool out_closed = hold_std_fds();
	unsigned i;
	int ret, err;

	if (out_closed) {
		fprintf(stderr, "svcnft: stdout is closed: nothing was done\n");
		return CLI_RUNTIME;
	}
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("svcnft %s\n", SVCNFT_VERSION);
		return CLI_OK;
	}
	for (i = 0; i < SN_ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			break;
	if (i < SN_ARRAY_SIZE(commands)) {
		if (commands[i].net_admin && !wants_help(argc - 1, argv + 1) && lacks_net_admin()) {
			fprintf(stderr, "svcnft %s: needs CAP_NET_ADMIN in this network namespace\n",
				commands[i].name);
			return CLI_RUNTIME;
		}
		ret = commands[i].fn(argc - 1, argv + 1);
		/* Output that did not reach stdout (a full disk, a closed
		 * pipe) is a failure, whatever the command did. */
		err = fflush(stdout) != 0 ? errno : 0;
		if (err || ferror(stdout)) {
			if (ret != CLI_RUNTIME)
				fprintf(stderr, "svcnft %s: writing stdout failed%s%s\n",
					commands[i].name, err ? ": " : "", err ? strerror(err) : "");
			ret = CLI_RUNTIME;
		}
		return ret;
	}
	fprintf(stderr, "svcnft: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
