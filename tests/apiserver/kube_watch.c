// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/apiserver/kube_watch.c: run the reflectors (Services, EndpointSlices
 * and, with --node, this node's Node) on one event loop against an API
 * server and print one line per event:
 *
 *   services ADDED ns/name rv=12 [list]
 *   services SYNCED rv=12
 *   # services: WATCH rv=12 timeoutSeconds=431      (the client's log)
 *
 * Used by tests/apiserver/run.sh; also handy against a real cluster.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/loop.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/reflector.h"

static const char *const ev_names[] = {
	[KUBE_ADDED] = "ADDED",
	[KUBE_MODIFIED] = "MODIFIED",
	[KUBE_DELETED] = "DELETED",
	[KUBE_SYNCED] = "SYNCED",
};

struct watch_ctx {
	struct agent_loop *loop;
	struct kube_reflector *refl[3];
	unsigned n;
	bool exit_after_sync, all_synced;
};

static void on_log(void *ctx, const char *line)
{
	printf("# %s\n", line);
}

static void on_event(void *ctx, struct kube_reflector *r, const struct kube_event *ev)
{
	struct watch_ctx *w = ctx;
	unsigned i;

	if (ev->type == KUBE_SYNCED) {
		printf("%s SYNCED rv=%s n=%zu\n", kube_reflector_name(r), ev->rv,
		       kube_reflector_count(r));
		for (i = 0; i < w->n; i++)
			if (w->refl[i] != r && !kube_reflector_synced(w->refl[i]))
				return;
		if (!w->all_synced) {
			w->all_synced = true;
			printf("ALL SYNCED\n");
			if (w->exit_after_sync)
				agent_loop_quit(w->loop, 0);
		}
		return;
	}
	printf("%s %s %s rv=%s%s\n", kube_reflector_name(r), ev_names[ev->type], ev->key, ev->rv,
	       ev->from_list ? " list" : "");
}

static void on_signal(void *ctx, int signo)
{
	struct watch_ctx *w = ctx;

	printf("# signal %d: exiting\n", signo);
	agent_loop_quit(w->loop, 0);
}

static void on_deadline(void *ctx)
{
	struct watch_ctx *w = ctx;

	printf("# duration over: exiting\n");
	agent_loop_quit(w->loop, 0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kube_watch [--kubeconfig FILE | --sa-dir DIR] [--master URL] [--node NAME]\n"
		"                  [--resources services,endpointslices] [--label-selector SEL]\n"
		"                  [--page-size N] [--watch-timeout S] [--backoff-ms INIT,CAP]\n"
		"                  [--duration S] [--exit-after-sync] [--token-reread-ms MS]\n"
		"Without --kubeconfig: in-cluster (KUBERNETES_SERVICE_HOST/PORT, --sa-dir).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "sa-dir", required_argument, NULL, 's' },
		{ "master", required_argument, NULL, 'm' },
		{ "node", required_argument, NULL, 'n' },
		{ "resources", required_argument, NULL, 'r' },
		{ "label-selector", required_argument, NULL, 'l' },
		{ "page-size", required_argument, NULL, 'p' },
		{ "watch-timeout", required_argument, NULL, 't' },
		{ "backoff-ms", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "exit-after-sync", no_argument, NULL, 'x' },
		{ "token-reread-ms", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *kubeconfig = NULL, *sa_dir = NULL, *master = NULL, *node = NULL;
	const char *resources = "services,endpointslices";
	struct kube_reflector_opts ro = { .label_selector = KUBE_PROXY_LABEL_SELECTOR };
	struct watch_ctx w = { 0 };
	struct kube_config cfg;
	struct kube_client *c;
	struct agent_timer *deadline = NULL;
	struct sn_diag d;
	unsigned duration = 0, token_reread_ms = 0, i;
	int opt, rc;
	char *node_sel = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kubeconfig = optarg; break;
		case 's': sa_dir = optarg; break;
		case 'm': master = optarg; break;
		case 'n': node = optarg; break;
		case 'r': resources = optarg; break;
		case 'l': ro.label_selector = *optarg ? optarg : NULL; break;
		case 'p': ro.page_size = (unsigned)atoi(optarg); break;
		case 't': ro.watch_timeout_min_s = (unsigned)atoi(optarg); break;
		case 'b':
			if (sscanf(optarg, "%u,%u", &ro.backoff_initial_ms, &ro.backoff_cap_ms) != 2) {
				usage(stderr);
				return 2;
			}
			break;
		case 'd': duration = (unsigned)atoi(optarg); break;
		case 'x': w.exit_after_sync = true; break;
		case 'T': token_reread_ms = (unsigned)atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	sn_diag_init(&d);
	rc = kubeconfig ? kube_config_load(&cfg, kubeconfig, &d) :
			  kube_config_in_cluster(&cfg, sa_dir, &d);
	if (rc == 0 && master)
		rc = kube_config_set_server(&cfg, master, "--master", &d);
	if (rc < 0) {
		sn_diag_print(&d, stderr);
		sn_diag_free(&d);
		return 1;
	}
	printf("# server %s (%s)\n", cfg.server, cfg.source);
	w.loop = agent_loop_new();
	c = w.loop ? kube_client_new(w.loop, &cfg, &d) : NULL;
	kube_config_free(&cfg);
	if (!c) {
		sn_diag_print(&d, stderr);
		return 1;
	}
	kube_client_set_log(c, on_log, &w);
	if (token_reread_ms)
		kube_client_set_token_reread(c, token_reread_ms);
	if (strstr(resources, "services"))
		w.refl[w.n++] = kube_reflector_new(c, &kube_res_services, &ro, on_event, &w);
	if (strstr(resources, "endpointslices"))
		w.refl[w.n++] = kube_reflector_new(c, &kube_res_endpointslices, &ro, on_event, &w);
	if (node) {
		struct kube_reflector_opts no = ro;

		node_sel = sn_asprintf("metadata.name=%s", node);
		no.label_selector = NULL;
		no.field_selector = node_sel;
		w.refl[w.n++] = kube_reflector_new(c, &kube_res_nodes, &no, on_event, &w);
	}
	agent_loop_signal(w.loop, SIGTERM, on_signal, &w);
	agent_loop_signal(w.loop, SIGINT, on_signal, &w);
	if (duration) {
		deadline = agent_timer_new(w.loop, on_deadline, &w);
		agent_timer_arm(deadline, (uint64_t)duration * 1000);
	}
	for (i = 0; i < w.n; i++)
		kube_reflector_start(w.refl[i]);
	rc = agent_loop_run(w.loop);
	for (i = 0; i < w.n; i++)
		kube_reflector_free(w.refl[i]);
	kube_client_free(c);
	agent_timer_free(deadline);
	agent_loop_free(w.loop);
	free(node_sel);
	sn_diag_free(&d);
	return rc < 0 ? 1 : 0;
}
