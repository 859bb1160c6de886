#!/usr/bin/env python3
"""Write the benchmark cluster (bench/cluster.py, the same model
gen-manifests.py writes for svcnft) as kube-proxy's nftables mode writes it,
as `nft -f` scripts in the form knftables hands to `nft -f -`: one command per
line, one transaction per file.

    bench/gen-kubeproxy.py --services 10000 --endpoints 10 --mix realistic --probe --out DIR

writes DIR/full.nft, kube-proxy's full sync (what it sends at start-up, on
an empty table for a first load or over its own table after a restart), and
for each change of bench/cluster.py (ep-replace, ep-add, ep-remove, svc-add,
svc-remove) DIR/CHANGE.nft, the partial sync kube-proxy sends for it,
DIR/CHANGE.revert.nft (the partial sync back) and DIR/CHANGE.cleanup.nft
(the later transaction that deletes the chains the revert left stale).

Shape reproduced: kubernetes/kubernetes pkg/proxy/nftables/proxier.go at
commit b0f823e6 (master, the newest copy read; the 1.36 line), which is:
table ip/ip6 kube-proxy; base chains filter-{prerouting,input,forward,output}
at dstnat-10, filter-output-post-dnat at dstnat+10, nat-{prerouting,output}
at dstnat, nat-postrouting at srcnat; dispatch through the verdict maps
service-ips (daddr . l4proto . dport) and service-nodeports (l4proto . dport);
per service port a chain service-HASH-ns/name/proto/port (ClusterIP masquerade
rule, then per-endpoint `ip saddr @affinity-... goto endpoint-...` for
ClientIP affinity, then `numgen random mod N vmap { i : goto endpoint-... }`),
external-HASH-... for NodePort/LB traffic, local-HASH-... for eTP Local,
firewall-HASH-... (`ip saddr != { ranges } drop`) through the firewall-ips
map; per endpoint a chain endpoint-HASH-...__IP/PORT (hairpin masquerade,
affinity update, `dnat to IP:PORT`) and, for affinity, a dynamic set
affinity-HASH-...__IP/PORT; cluster-ips set, no-endpoint maps, reject-chain,
cluster-ips-check, mark-for-masquerade, masquerading. Partial syncs rewrite
every chain of a changed Service (add + flush + rules), add or delete only
the map elements whose value changed, flush chains no longer used (deleted
one sync later) and delete unused affinity sets, as syncProxyRules does.
Node name, CIDRs and masquerade bit as bench/cluster.py (node-0, 0x4000)."""
import argparse
import base64
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402

MASQ = "0x004000"  # fmt.Sprintf("%#08x", 1 << 14)
NAME_MAX = 256 - 16  # knftables.NameLengthMax - chainNamePrefixLengthMax


def hash_trunc(name):
    h = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:8]
    name = h + "-" + name
    if len(name) > NAME_MAX:
        name = name[:NAME_MAX - 3] + "..."
    return name


class Fam:
    def __init__(self, v6):
        self.v6 = v6
        self.tbl = "ip6 kube-proxy" if v6 else "ip kube-proxy"
        self.ipx = "ip6" if v6 else "ip"
        self.addr = "ipv6_addr" if v6 else "ipv4_addr"
        self.nolocal = "ip6 daddr != ::1" if v6 else "ip daddr != 127.0.0.0/8"
        self.cluster_cidr = cluster.CLUSTER_CIDR6 if v6 else cluster.CLUSTER_CIDR4
        self.service_cidr = cluster.SERVICE_CIDR6 if v6 else cluster.SERVICE_CIDR4
        self.family = "IPv6" if v6 else "IPv4"


def is_v6(a):
    return ":" in a


def service_ports(c, fam):
    """kube-proxy's ServicePort view of the model for one family."""
    out = []
    for svc, slices in c.items:
        s = svc["spec"]
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        cips = s.get("clusterIPs", [s["clusterIP"]])
        cip = next((a for a in cips if is_v6(a) == fam.v6), None)
        if cip is None:
            continue
        vips = [i["ip"] for i in svc.get("status", {}).get("loadBalancer", {}).get("ingress", [])
                if i.get("ipMode", "VIP") == "VIP" and is_v6(i["ip"]) == fam.v6]
        ranges = [r for r in s.get("loadBalancerSourceRanges", []) if is_v6(r) == fam.v6]
        for p in s["ports"]:
            eps = []
            for sl in slices:
                if sl["addressType"] != fam.family:
                    continue
                tp = next((q["port"] for q in sl["ports"] if q["name"] == p["name"]), None)
                if tp is None:
                    continue
                for e in sl["endpoints"]:
                    if e.get("conditions", {}).get("ready", True):
                        eps.append((e["addresses"][0], tp, e.get("nodeName", "")))
            out.append({
                "svc": (ns, name), "portname": p["name"], "proto": p.get("protocol", "TCP").lower(),
                "cip": cip, "port": p["port"], "nodeport": p.get("nodePort", 0),
                "vips": vips if s["type"] == "LoadBalancer" else [], "ranges": ranges,
                "affinity": s.get("sessionAffinity") == "ClientIP",
                "etp_local": s.get("externalTrafficPolicy") == "Local" and s["type"] != "ClusterIP",
                "external": s["type"] != "ClusterIP",
                "eps": eps,
            })
    return out


def ep_str(ip, port):
    return "[%s]:%d" % (ip, port) if is_v6(ip) else "%s:%d" % (ip, port)


class State:
    """What kube-proxy holds for one family: per Service, its chains in
    creation order with their rules and its affinity sets; and the elements
    of the shared sets and maps."""

    def __init__(self):
        self.svc = {}           # (ns, name) -> {"chains": [(name, [rules])], "sets": [names]}
        self.elems = {m: {} for m in ("cluster-ips", "service-ips", "service-nodeports",
                                      "firewall-ips", "no-endpoint-services",
                                      "no-endpoint-nodeports")}

    def chains(self):
        return {ch for v in self.svc.values() for ch, _ in v["chains"]}

    def sets(self):
        return {st for v in self.svc.values() for st in v["sets"]}


def build_state(c, fam):
    st = State()
    for sp in service_ports(c, fam):
        base = hash_trunc("%s/%s/%s/%s" % (sp["svc"][0], sp["svc"][1], sp["proto"], sp["portname"]))
        cluster_chain = "service-" + base
        local_chain = "local-" + base
        ext_chain = "external-" + base
        fw_chain = "firewall-" + base
        ent = st.svc.setdefault(sp["svc"], {"chains": [], "sets": []})
        rules = {}
        order = []

        def chain(n):
            if n not in rules:
                rules[n] = []
                order.append(n)
            return rules[n]

        all_eps = sp["eps"]
        local_eps = [e for e in all_eps if e[2] == cluster.NODE_NAME]
        has_eps = bool(all_eps)
        ep_name = {}
        for ip, port, _ in all_eps:
            eb = hash_trunc("%s/%s/%s/%s__%s/%d" % (sp["svc"][0], sp["svc"][1], sp["proto"],
                                                    sp["portname"], ip.replace(":", "."), port))
            ep_name[(ip, port)] = ("endpoint-" + eb, "affinity-" + eb)
            chain("endpoint-" + eb)
            if sp["affinity"]:
                ent["sets"].append("affinity-" + eb)
        uses_cluster = has_eps
        uses_local = bool(local_eps) and sp["etp_local"]
        if uses_cluster:
            chain(cluster_chain)
        if uses_local:
            chain(local_chain)
        uses_ext = has_eps and sp["external"]
        if uses_ext:
            chain(ext_chain)
        has_ext_eps = has_eps and (not sp["etp_local"] or bool(local_eps))
        ext_verdict = "goto reject-chain" if not has_eps else "drop"
        key = "%s . %s . %d" % (sp["cip"], sp["proto"], sp["port"])
        st.elems["cluster-ips"][sp["cip"]] = None
        if has_eps:
            st.elems["service-ips"][key] = "goto " + cluster_chain
        else:
            st.elems["no-endpoint-services"][key] = "goto reject-chain"
        uses_fw = bool(sp["vips"]) and bool(sp["ranges"])
        if uses_fw:
            chain(fw_chain)
        for vip in sp["vips"]:
            vk = "%s . %s . %d" % (vip, sp["proto"], sp["port"])
            if has_eps:
                st.elems["service-ips"][vk] = "goto " + ext_chain
            if uses_fw:
                st.elems["firewall-ips"][vk] = "goto " + fw_chain
            if not has_ext_eps:
                st.elems["no-endpoint-services"][vk] = ext_verdict
        if sp["nodeport"]:
            nk = "%s . %d" % (sp["proto"], sp["nodeport"])
            if has_eps:
                st.elems["service-nodeports"][nk] = "goto " + ext_chain
            if not has_ext_eps:
                st.elems["no-endpoint-nodeports"][nk] = ext_verdict
        if has_eps:
            chain(cluster_chain).append("%s daddr %s %s dport %d %s saddr != %s jump mark-for-masquerade"
                                        % (fam.ipx, sp["cip"], sp["proto"], sp["port"], fam.ipx,
                                           fam.cluster_cidr))
        if uses_ext:
            r = chain(ext_chain)
            if not sp["etp_local"]:
                r.append("jump mark-for-masquerade")
            else:
                r.append('%s saddr %s goto %s comment "short-circuit pod traffic"'
                         % (fam.ipx, fam.cluster_cidr, cluster_chain))
                r.append('fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"')
                r.append('fib saddr type local goto %s comment "short-circuit local traffic"'
                         % cluster_chain)
            if has_ext_eps:
                r.append("goto " + (local_chain if sp["etp_local"] else cluster_chain))
        if uses_fw:
            chain(fw_chain).append("%s saddr != { %s } drop" % (fam.ipx, ", ".join(sp["ranges"])))

        def to_eps(ch, eps):
            r = chain(ch)
            if sp["affinity"]:
                for ip, port, _ in eps:
                    en, an = ep_name[(ip, port)]
                    r.append("%s saddr @%s goto %s" % (fam.ipx, an, en))
            vm = ", ".join("%d : goto %s" % (i, ep_name[(ip, port)][0])
                           for i, (ip, port, _) in enumerate(eps))
            r.append("numgen random mod %d vmap { %s }" % (len(eps), vm))

        if uses_cluster:
            to_eps(cluster_chain, all_eps)
        if uses_local:
            to_eps(local_chain, local_eps)
        for ip, port, _ in all_eps:
            en, an = ep_name[(ip, port)]
            r = chain(en)
            r.append("%s saddr %s jump mark-for-masquerade" % (fam.ipx, ip))
            if sp["affinity"]:
                r.append("update @%s { %s saddr }" % (an, fam.ipx))
            r.append("meta l4proto %s dnat to %s" % (sp["proto"], ep_str(ip, port)))
        ent["chains"] += [(n, rules[n]) for n in order]
    return st


BASE_CHAINS = [
    ("filter-prerouting", "filter", "prerouting", -110),
    ("filter-input", "filter", "input", -110),
    ("filter-forward", "filter", "forward", -110),
    ("filter-output", "filter", "output", -110),
    ("filter-output-post-dnat", "filter", "output", -90),
    ("nat-prerouting", "nat", "prerouting", -100),
    ("nat-output", "nat", "output", -100),
    ("nat-postrouting", "nat", "postrouting", 100),
]
JUMPS = [
    ("nodeport-endpoints-check", "filter-input", "ct state new"),
    ("service-endpoints-check", "filter-input", "ct state new"),
    ("service-endpoints-check", "filter-forward", "ct state new"),
    ("service-endpoints-check", "filter-output", "ct state new"),
    ("firewall-check", "filter-prerouting", "ct state new"),
    ("firewall-check", "filter-output", "ct state new"),
    ("services", "nat-output", ""),
    ("services", "nat-prerouting", ""),
    ("masquerading", "nat-postrouting", ""),
    ("cluster-ips-check", "filter-forward", "ct state new"),
    ("cluster-ips-check", "filter-output-post-dnat", "ct state new"),
]
CONTAINERS = [
    ("set", "cluster-ips", "{a}", "Active ClusterIPs"),
    ("map", "no-endpoint-services", "{a} . inet_proto . inet_service : verdict",
     "vmap to drop or reject packets to services with no endpoints"),
    ("map", "no-endpoint-nodeports", "inet_proto . inet_service : verdict",
     "vmap to drop or reject packets to service nodeports with no endpoints"),
    ("map", "firewall-ips", "{a} . inet_proto . inet_service : verdict",
     "destinations that are subject to LoadBalancerSourceRanges"),
    ("map", "service-ips", "{a} . inet_proto . inet_service : verdict",
     "ClusterIP, ExternalIP and LoadBalancer IP traffic"),
    ("map", "service-nodeports", "inet_proto . inet_service : verdict", "NodePort traffic"),
]


def setup(fam, out, first):
    """setupNFTables: what every full sync starts with."""
    t = fam.tbl
    out.append('add table %s { comment "rules for kube-proxy" ; }' % t)
    if first:
        # "add+delete once" so base chains are re-created with their current
        # properties: kube-proxy does it on the first sync of each process.
        for name, _, _, _ in BASE_CHAINS:
            out.append("add chain %s %s" % (t, name))
            out.append("delete chain %s %s" % (t, name))
    for name, typ, hook, prio in BASE_CHAINS:
        out.append("add chain %s %s { type %s hook %s priority %d ; }" % (t, name, typ, hook, prio))
        out.append("flush chain %s %s" % (t, name))
    created = set()

    def ensure(ch):
        if ch not in created:
            created.add(ch)
            out.append("add chain %s %s" % (t, ch))
            out.append("flush chain %s %s" % (t, ch))

    for dst, src, extra in JUMPS:
        ensure(dst)
        out.append("add rule %s %s %sjump %s" % (t, src, extra + " " if extra else "", dst))
    for ch in ("services", "cluster-ips-check", "masquerading", "mark-for-masquerade"):
        ensure(ch)
    out.append("add rule %s mark-for-masquerade mark set mark or %s" % (t, MASQ))
    out.append("add rule %s masquerading mark and %s == 0 return" % (t, MASQ))
    out.append("add rule %s masquerading mark set mark xor %s" % (t, MASQ))
    out.append("add rule %s masquerading masquerade fully-random" % t)
    kind, name, typ, comment = CONTAINERS[0]
    out.append('add set %s cluster-ips { type %s ; comment "%s" ; }' % (t, fam.addr, comment))
    out.append('add rule %s cluster-ips-check %s daddr @cluster-ips reject comment '
               '"Reject traffic to invalid ports of ClusterIPs"' % (t, fam.ipx))
    out.append('add rule %s cluster-ips-check %s daddr { %s } drop comment '
               '"Drop traffic to unallocated ClusterIPs"' % (t, fam.ipx, fam.service_cidr))
    out.append('add set %s nodeport-ips { type %s ; comment "IPs that accept NodePort traffic" ; }'
               % (t, fam.addr))
    out.append("delete set %s nodeport-ips" % t)
    for kind, name, typ, comment in CONTAINERS[1:3]:
        out.append('add map %s %s { type %s ; comment "%s" ; }'
                   % (t, name, typ.format(a=fam.addr), comment))
    out.append('add chain %s reject-chain { comment "helper for @no-endpoint-services / '
               '@no-endpoint-nodeports" ; }' % t)
    out.append("flush chain %s reject-chain" % t)
    out.append("add rule %s reject-chain reject" % t)
    out.append("add rule %s service-endpoints-check %s daddr . meta l4proto . th dport vmap "
               "@no-endpoint-services" % (t, fam.ipx))
    out.append("add rule %s nodeport-endpoints-check %s meta l4proto . th dport vmap "
               "@no-endpoint-nodeports" % (t, fam.nolocal))
    kind, name, typ, comment = CONTAINERS[3]
    out.append('add map %s %s { type %s ; comment "%s" ; }' % (t, name, typ.format(a=fam.addr), comment))
    ensure("firewall-check")
    out.append("add rule %s firewall-check %s daddr . meta l4proto . th dport vmap @firewall-ips"
               % (t, fam.ipx))
    for kind, name, typ, comment in CONTAINERS[4:]:
        out.append('add map %s %s { type %s ; comment "%s" ; }'
                   % (t, name, typ.format(a=fam.addr), comment))
    out.append("add rule %s services %s daddr . meta l4proto . th dport vmap @service-ips"
               % (t, fam.ipx))
    out.append("add rule %s services fib daddr type local %s meta l4proto . th dport vmap "
               "@service-nodeports" % (t, fam.nolocal))
    for kind, name, _, _ in CONTAINERS:
        out.append("flush %s %s %s" % (kind, t, name))


def elem(key, val):
    return "{ %s : %s }" % (key, val) if val is not None else "{ %s }" % key


def sync(fam, old, new, full, first=False):
    """syncProxyRules: the transaction from state old (None: kube-proxy just
    started, the kernel table may or may not exist) to new."""
    t = fam.tbl
    out = []
    if full:
        setup(fam, out, first)
        old_elems = {m: {} for m in new.elems}   # reset() flushed them
    else:
        old_elems = old.elems
    changed = [k for k, v in new.svc.items() if full or old.svc.get(k) != v]
    # Chains of changed Services (ensureChain: add + flush), in order.
    for k in changed:
        for ch, _ in new.svc[k]["chains"]:
            out.append("add chain %s %s" % (t, ch))
            out.append("flush chain %s %s" % (t, ch))
    # Elements: only what is missing or different (ensureElem).
    for m, want in new.elems.items():
        have = old_elems[m]
        kind = "set" if m == "cluster-ips" else "map"
        for key, val in want.items():
            if key in have and have[key] == val:
                continue
            if key in have:
                out.append("delete element %s %s { %s }" % (t, m, key))
            out.append("add element %s %s %s" % (t, m, elem(key, val)))
    for k in changed:
        ent = new.svc[k]
        for st in ent["sets"]:
            out.append("add set %s %s { type %s ; flags dynamic,timeout ; timeout 10800s ; }"
                       % (t, st, fam.addr))
        for ch, rules in ent["chains"]:
            for r in rules:
                out.append("add rule %s %s %s" % (t, ch, r))
    if old is not None:
        # Stale chains are flushed now and deleted a second later; stale
        # affinity sets go at once; leftover elements are deleted.
        for ch in sorted(old.chains() - new.chains()):
            out.append("flush chain %s %s" % (t, ch))
        for st in sorted(old.sets() - new.sets()):
            out.append("delete set %s %s" % (t, st))
        if not full:
            for m, have in old.elems.items():
                for key in have:
                    if key not in new.elems[m]:
                        out.append("delete element %s %s { %s }" % (t, m, key))
    return out


def cleanup(fam, old, new):
    """The later transaction that deletes the chains a sync left stale."""
    return ["delete chain %s %s" % (fam.tbl, ch) for ch in sorted(old.chains() - new.chains())]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--endpoints", type=int, default=10)
    p.add_argument("--mix", choices=cluster.MIXES, default="legacy")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--probe", action="store_true")
    p.add_argument("--no-changes", action="store_true", help="write full.nft only")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    os.makedirs(a.out, exist_ok=True)
    base = cluster.build(a.services, a.endpoints, a.mix, a.seed, a.probe)
    fams = [Fam(False)]
    if any(len(sl) > 1 for _, sl in base.items):
        fams.append(Fam(True))
    states = {f.v6: build_state(base, f) for f in fams}

    def write(name, lines):
        with open(os.path.join(a.out, name), "w") as fh:
            fh.write("\n".join(lines) + "\n")

    full = []
    for f in fams:
        full += sync(f, None, states[f.v6], True, first=True)
    write("full.nft", full)
    if a.no_changes:
        return
    for ch in cluster.CHANGES:
        var = cluster.apply_change(base, ch, a.endpoints)
        fwd, back, clean = [], [], []
        for f in fams:
            vs = build_state(var, f)
            fwd += sync(f, states[f.v6], vs, False)
            back += sync(f, vs, states[f.v6], False)
            clean += cleanup(f, vs, states[f.v6])
        write(ch + ".nft", fwd)
        write(ch + ".revert.nft", back)
        write(ch + ".cleanup.nft", clean)


if __name__ == "__main__":
    main()
