"""The synthetic cluster the benchmarks use, as Kubernetes objects (dicts in
the shape `kubectl get -o json` prints), shared by gen-manifests.py (which
writes them for svcnft) and gen-kubeproxy.py (which writes the same cluster
as kube-proxy's nftables mode would), so both sides always see one model.

Addresses come only from the documentation and benchmark ranges:
  ClusterIPs      198.18.0.0/16      (index + 16; 44,000 Services fit)
  pods            198.19.0.0/16      (wrapping after 65,000, as before)
  IPv6 ClusterIPs 2001:db8:18::/108, IPv6 pods 2001:db8:19::/64
  LoadBalancer VIPs 203.0.113.0/24   (several ports share a VIP)
  source ranges   198.51.100.0/24 and 192.0.2.0/24 pieces
  probe Service   198.18.255.250, endpoints 198.19.255.1..10 (the data-plane
                  test's server namespace answers on those)
"""
import copy
import random

# Flags the svcnft side needs for every mix; run.sh passes them, and
# gen-kubeproxy.py uses the same CIDRs for its masquerade and drop rules.
SERVICE_CIDR4 = "198.18.0.0/16"
SERVICE_CIDR6 = "2001:db8:18::/108"
CLUSTER_CIDR4 = "198.19.0.0/16"
CLUSTER_CIDR6 = "2001:db8:19::/64"
NODE_NAME = "node-0"
# 44,000 Services of the realistic mix hold ~7,000 nodePorts: more than the
# default 30000-32767, so the benchmark widens the range (kube-proxy has no
# range of its own).
NODEPORT_RANGE = "30000-45999"
HEALTHCHECK_BASE = 40000
PROBE_NODEPORT = 45000
PROBE_CLUSTERIP = "198.18.255.250"
PROBE_EP_BASE = "198.19.255."
CHANGED_EP = "198.19.255.254"
ADDED_EP = "198.19.255.253"

MIXES = ("legacy", "clusterip", "realistic")
CHANGES = ("ep-replace", "ep-add", "ep-remove", "svc-add", "svc-remove")

# The realistic mix, in exact shares of N (each share is assigned through a
# seeded permutation, so which Service gets what is random but the counts
# are fixed).
REALISTIC = {
    "nodeport": 0.08,        # type NodePort
    "loadbalancer": 0.04,    # type LoadBalancer, one ingress IP each
    "lb_ranges": 0.5,        # share of LoadBalancers with loadBalancerSourceRanges
    "affinity": 0.05,        # sessionAffinity ClientIP
    "etp_local": 0.5,        # share of NodePort/LoadBalancer with eTP Local
    "dual_stack": 0.05,      # PreferDualStack with an IPv6 ClusterIP and slice
    "two_ports": 0.10,       # a second port (https 443 -> 8443)
}


def ip4(n, base):
    """base[0].base[1].x.y with n spread over the last two octets (and the
    /15's second half past 65,535, as the original generator did)."""
    return "%d.%d.%d.%d" % (base[0], base[1] + (n >> 16 & 1), n >> 8 & 255, n & 255)


def ip6(prefix, n):
    return "%s%x:%x" % (prefix, n >> 16 & 0xffff, n & 0xffff)


def _pod4(n):
    return "198.19.%d.%d" % (n >> 8 & 255, n & 255)


def _slice(name, ns, svc, family, ports, eps):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": ns,
                     "labels": {"kubernetes.io/service-name": svc}},
        "addressType": family,
        "ports": [{"name": p["name"], "port": p["targetPort"], "protocol": "TCP"} for p in ports],
        "endpoints": [{"addresses": [a], "conditions": {"ready": True}, "nodeName": node}
                      for a, node in eps],
    }


class Cluster:
    """services: list of (service, [slices]) in a fixed order."""

    def __init__(self):
        self.items = []

    def objects(self):
        for svc, slices in self.items:
            yield svc
            yield from slices

    def find(self, ns, name):
        for k, (svc, _) in enumerate(self.items):
            if svc["metadata"]["namespace"] == ns and svc["metadata"]["name"] == name:
                return k
        return -1


def _permutation(n, seed, salt):
    order = list(range(n))
    random.Random("%d/%s" % (seed, salt)).shuffle(order)
    rank = [0] * n
    for r, i in enumerate(order):
        rank[i] = r
    return rank


def build(services, endpoints, mix="legacy", seed=1, probe=False):
    """N Services of E endpoints each, in the given mix; with probe, one more
    Service (bench-probe/web) whose endpoints the data-plane test serves."""
    if mix not in MIXES:
        raise ValueError("unknown mix " + mix)
    c = Cluster()
    n = services
    if mix == "realistic":
        R = REALISTIC
        rank_type = _permutation(n, seed, "type")
        rank_aff = _permutation(n, seed, "affinity")
        rank_ds = _permutation(n, seed, "dual-stack")
        rank_ports = _permutation(n, seed, "ports")
        n_np = int(n * R["nodeport"])
        n_lb = int(n * R["loadbalancer"])
        rng = random.Random("%d/attrs" % seed)
    ep_counter = 0
    nodeport = 30000
    health = HEALTHCHECK_BASE
    lb_count = 0
    for i in range(n):
        name = "svc-%05d" % i
        ns = "ns-%03d" % (i % 100)
        ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]
        spec = {"type": "ClusterIP", "clusterIP": ip4(i + 16, (198, 18)), "ports": ports}
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns}, "spec": spec}
        dual = False
        if mix == "legacy":
            if i % 10 == 0:
                spec["type"] = "NodePort"
                ports[0]["nodePort"] = 30000 + i // 10
            if i % 50 == 0:
                spec["sessionAffinity"] = "ClientIP"
        elif mix == "realistic":
            if rank_ports[i] < int(n * R["two_ports"]):
                ports.append({"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443})
            if rank_type[i] < n_np:
                spec["type"] = "NodePort"
            elif rank_type[i] < n_np + n_lb:
                spec["type"] = "LoadBalancer"
            if rank_aff[i] < int(n * R["affinity"]):
                spec["sessionAffinity"] = "ClientIP"
            if rank_ds[i] < int(n * R["dual_stack"]):
                dual = True
                spec["ipFamilyPolicy"] = "PreferDualStack"
                spec["ipFamilies"] = ["IPv4", "IPv6"]
                spec["clusterIPs"] = [spec["clusterIP"], ip6("2001:db8:18::", i + 16)]
            if spec["type"] != "ClusterIP":
                for p in ports:
                    p["nodePort"] = nodeport
                    nodeport += 1
                local = rng.random() < R["etp_local"]
                if local:
                    spec["externalTrafficPolicy"] = "Local"
                if spec["type"] == "LoadBalancer":
                    if local:
                        spec["healthCheckNodePort"] = health
                        health += 1
                    # 250 VIPs, the k-th LoadBalancer on VIP k % 250 with its
                    # ports moved up by 1000 per round so frontends stay unique.
                    vip = "203.0.113.%d" % (lb_count % 250 + 1)
                    shift = 1000 * (lb_count // 250)
                    for p in ports:
                        p["port"] += shift
                    if rng.random() < R["lb_ranges"]:
                        spec["loadBalancerSourceRanges"] = [
                            "198.51.100.0/24", "192.0.2.%d/28" % (16 * (lb_count % 16))]
                    svc["status"] = {"loadBalancer": {"ingress": [{"ip": vip, "ipMode": "VIP"}]}}
                    lb_count += 1
        eps = []
        for k in range(endpoints):
            m = (ep_counter % 65000) + 1
            ep_counter += 1
            eps.append((_pod4(m), "node-%d" % (k % 5), m))
        slices = [_slice("%s-abcde" % name, ns, name, "IPv4", ports, [(a, nd) for a, nd, _ in eps])]
        if dual:
            slices.append(_slice("%s-v6xyz" % name, ns, name, "IPv6", ports,
                                 [(ip6("2001:db8:19::", m), nd) for _, nd, m in eps]))
        c.items.append((svc, slices))
    if probe:
        c.items.append(probe_service(endpoints))
    return c


def probe_service(endpoints):
    """bench-probe/web: NodePort, eTP Cluster, its endpoints on the data-plane
    test's server namespace (198.19.255.1.., at most 10)."""
    ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080,
              "nodePort": PROBE_NODEPORT}]
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "bench-probe"},
           "spec": {"type": "NodePort", "clusterIP": PROBE_CLUSTERIP, "ports": ports}}
    n = max(1, min(endpoints, 10))
    eps = [(PROBE_EP_BASE + str(k + 1), "node-1") for k in range(n)]
    return (svc, [_slice("web-probe", "bench-probe", "web", "IPv4", ports, eps)])


def change_target(c):
    """The Service the one-Service changes touch: the first plain one
    (ClusterIP, one port, single-stack, no affinity) after Service 0."""
    for k, (svc, slices) in enumerate(c.items):
        s = svc["spec"]
        if (k >= 1 and s["type"] == "ClusterIP" and len(s["ports"]) == 1 and len(slices) == 1
                and "sessionAffinity" not in s and svc["metadata"]["namespace"] != "bench-probe"):
            return k
    raise ValueError("no plain ClusterIP Service to change")


def apply_change(c, kind, endpoints):
    """A copy of c with one change of the given kind."""
    c = copy.deepcopy(c)
    k = change_target(c)
    svc, slices = c.items[k]
    eps = slices[0]["endpoints"]
    if kind == "ep-replace":
        eps[0]["addresses"] = [CHANGED_EP]
    elif kind == "ep-add":
        eps.append({"addresses": [ADDED_EP], "conditions": {"ready": True}, "nodeName": "node-1"})
    elif kind == "ep-remove":
        eps.pop()
    elif kind == "svc-remove":
        del c.items[k]
    elif kind == "svc-add":
        n = sum(1 for s, _ in c.items if s["metadata"]["namespace"] != "bench-probe")
        name = "svc-%05d" % n
        ns = "ns-%03d" % (n % 100)
        ports = [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]
        new = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"type": "ClusterIP", "clusterIP": ip4(n + 16, (198, 18)), "ports": ports}}
        eps = [("198.19.254.%d" % (j + 1), "node-%d" % (j % 5)) for j in range(endpoints)]
        c.items.insert(k, (new, [_slice("%s-abcde" % name, ns, name, "IPv4", ports, eps)]))
    else:
        raise ValueError("unknown change " + kind)
    return c
