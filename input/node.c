// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * input/node.c: a v1 Node to a svc_node: its name, and its zone for
 * topology-aware routing hints.
 */
#include "input/obj.h"

#define LABEL_ZONE "topology.kubernetes.io/zone"

static const char *const node_fields[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };

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
	if (o->nerr) {
		svc_node_free_contents(&n);
		return;
	}
	*svc_world_add_node(w) = n;
}
