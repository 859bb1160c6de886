// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compiler/capture.c: the allow-lists for externalIPs and LoadBalancer IPs
 * (--external-ip-cidrs, --loadbalancer-ip-cidrs), svcnft's mitigation of
 * CVE-2020-8554: whoever may create a Service may put any address in
 * spec.externalIPs (and whoever may patch a Service's status, in
 * status.loadBalancer.ingress), and the node then sends its own and its
 * pods' traffic for that address to the Service's endpoints. kube-proxy
 * leaves this to admission controllers; svcnft can refuse it itself.
 * SECURITY.md has the threat model.
 *
 * An address outside its list is removed from the Service before anything
 * is allocated or claimed (so it can neither win nor lose a frontend), with
 * a warning naming the Service; the rest of the Service is programmed.
 * No list: every address is allowed, as in kube-proxy.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler/internal.h"

static bool allowed(const struct sn_addr *list, unsigned n, const struct sn_addr *a)
{
	for (unsigned i = 0; i < n; i++)
		if (sn_prefix_contains(&list[i], a))
			return true;
	return false;
}

static void refuse(struct sn_diag *d, const struct svc_service *s, const char *field,
		   const struct sn_addr *a, const char *flag)
{
	char buf[SN_ADDR_STRLEN];
	char *obj = comp_svc_object(s);

	sn_diag_add(d, SN_WARNING, &s->loc, obj, field,
		    "%s is outside %s: not programmed (a Service may not capture traffic to "
		    "addresses it was not given; CVE-2020-8554)", sn_addr_str(a, buf), flag);
	free(obj);
}

void comp_capture_filter(struct svc_world *w, const struct comp_opts *o, struct sn_diag *d)
{
	w->refused_external_ips = 0;
	w->refused_lb_ips = 0;
	w->refused_external_ips_v6 = 0;
	w->refused_lb_ips_v6 = 0;
	for (unsigned i = 0; i < w->nsvcs; i++) {
		struct svc_service *s = &w->svcs[i];
		unsigned j, k, ext[2] = { 0, 0 }, lb[2] = { 0, 0 };

		if (s->skip_reason)
			continue;
		for (j = k = 0; o->external_ip_cidrs_set && j < s->nexternal_ips; j++) {
			char field[48];

			if (allowed(o->external_ip_cidrs, o->nexternal_ip_cidrs, &s->external_ips[j])) {
				s->external_ips[k++] = s->external_ips[j];
				continue;
			}
			snprintf(field, sizeof(field), "spec.externalIPs[%u]", j);
			refuse(d, s, field, &s->external_ips[j], "--external-ip-cidrs");
			ext[s->external_ips[j].family == SN_AF_INET6]++;
		}
		if (o->external_ip_cidrs_set)
			s->nexternal_ips = k;
		for (j = k = 0; o->lb_ip_cidrs_set && j < s->nlb_ingress; j++) {
			char field[64];

			if (allowed(o->lb_ip_cidrs, o->nlb_ip_cidrs, &s->lb_ingress[j].ip)) {
				s->lb_ingress[k++] = s->lb_ingress[j];
				continue;
			}
			snprintf(field, sizeof(field), "status.loadBalancer.ingress[%u].ip", j);
			refuse(d, s, field, &s->lb_ingress[j].ip, "--loadbalancer-ip-cidrs");
			lb[s->lb_ingress[j].ip.family == SN_AF_INET6]++;
		}
		if (o->lb_ip_cidrs_set)
			s->nlb_ingress = k;
		/* a Service filtered before (the agent prepares the same object
		 * again) keeps what it counted then */
		if (ext[0] + ext[1])
			memcpy(s->refused_ext, ext, sizeof(ext));
		if (lb[0] + lb[1])
			memcpy(s->refused_lb, lb, sizeof(lb));
		w->refused_external_ips += s->refused_ext[0] + s->refused_ext[1];
		w->refused_external_ips_v6 += s->refused_ext[1];
		w->refused_lb_ips += s->refused_lb[0] + s->refused_lb[1];
		w->refused_lb_ips_v6 += s->refused_lb[1];
	}
}
