// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/node.c: a v1 Node to a svc_node: its name, and its zone for
 * topology-aware routing hints.
 */
#include <string.h>

#include "input/obj.h"

#define LABEL_ZONE "topology.kubernetes.io/zone"

static const char *const node_fields[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };

/*
 * status.addresses: the node's primary IPs as kube-proxy picks them
 * (k8s.io/component-helpers GetNodeHostIPs): every InternalIP, then every
 * ExternalIP, in order; the first address, then the first of the other
 * family. Other types (Hostname, InternalDNS...) are names, not read.
 */
static void read_addresses(struct input_obj *o, const struct input_node *root,
			   struct svc_node *node)
{
	static const char *const types[] = { "InternalIP", "ExternalIP" };
	const struct input_node *status = input_map_get(root, "status"), *seq, *it, *t, *a;
	char q[INPUT_QUOTE_MAX];
	unsigned pass, i;
	size_t mark;

	if (input_get_seq(o, status, "addresses", &seq) != INPUT_SET)
		return;
	mark = input_obj_push(o, "status.addresses");
	for (pass = 0; pass < SN_ARRAY_SIZE(types); pass++) {
		for (i = 0, it = seq->child; it; it = it->next, i++) {
			const struct input_node *item = input_deref(it);
			size_t m2;
			struct sn_addr ip;

			if (!item || item->kind != INPUT_MAP)
				continue;
			t = input_map_get(item, "type");
			if (!t || t->kind != INPUT_SCALAR || strcmp(t->s, types[pass]))
				continue;
			m2 = input_obj_push_idx(o, i);
			if (input_get_str(o, item, "address", &a) == INPUT_SET) {
				if (input_parse_ip(a, &ip) < 0)
					input_obj_err(o, a, "address", "%s is not an IP address",
						      input_quote(q, sizeof(q), a->s, a->len));
				else if (!node->nprimary_ips ||
					 (node->nprimary_ips == 1 &&
					  node->primary_ips[0].family != ip.family))
					node->primary_ips[node->nprimary_ips++] = ip;
			}
			input_obj_pop(o, m2);
		}
	}
	input_obj_pop(o, mark);
}

void input_read_node(struct svc_world *w, struct input_obj *o, const struct input_node *root,
		     const struct input_meta *meta)
{
	const struct input_node *zone;
	struct svc_node n = { 0 };
	size_t mark;

	input_check_fields(o, root, node_fields);
	n.loc = o->loc;
	if (meta->valid)
		n.name = sn_strdup(meta->name);
	if (input_get_label(o, meta, LABEL_ZONE, &zone) == INPUT_SET && !input_is_null(zone) &&
	    zone->len > 0) {
		mark = input_obj_push(o, "metadata.labels");
		input_obj_push_bracket(o, LABEL_ZONE);
		/* Zones are label values: Kubernetes allows upper case and '_'. */
		if (input_check_name(o, zone, NULL, INPUT_NAME_LABEL_VALUE, "zone name"))
			n.zone = sn_strndup(zone->s, zone->len);
		input_obj_pop(o, mark);
	}
	read_addresses(o, root, &n);
	if (o->nerr) {
		svc_node_free_contents(&n);
		return;
	}
	*svc_world_add_node(w) = n;
}
