#!/usr/bin/env python3
"""Write a synthetic cluster as manifests, for benchmarks: N Services with
one EndpointSlice of E ready endpoints each (a second, IPv6 one for
dual-stack Services).

    bench/gen-manifests.py --services 10000 --endpoints 10 --out /tmp/svc10k
    bench/gen-manifests.py --services 10000 --mix realistic --format json-list --out /tmp/r10k

--mix legacy (the default, as this script always wrote): ClusterIP, every
  10th a NodePort, every 50th with ClientIP affinity.
--mix clusterip: every Service a plain ClusterIP.
--mix realistic: fixed shares of N, placed by a permutation seeded with
  --seed: 8% NodePort, 4% LoadBalancer (status ingress IP in 203.0.113.0/24;
  half with loadBalancerSourceRanges), half of those two eTP Local, 5%
  ClientIP affinity, 5% PreferDualStack (IPv6 ClusterIP and slice), 10% with
  a second port. bench/cluster.py holds the model and its address plan.

--format yaml (default): files of --per-file Services, multi-document YAML.
--format json-list: one file, list.json, a `kind: List` as
  `kubectl get services,endpointslices -A -o json` prints it.

--change KIND writes the cluster after one change (ep-replace, ep-add,
ep-remove, svc-add, svc-remove) to the first plain ClusterIP Service after
Service 0; --change-endpoint I (kept from before) replaces the first endpoint
of Service I. --probe adds the data-plane test's Service (bench-probe/web).

svcnft flags that match (run.sh passes them): --node-name node-0
--service-cidr 198.18.0.0/16[,2001:db8:18::/108] --cluster-cidr
198.19.0.0/16[,2001:db8:19::/64] --service-node-port-range 30000-45999.
Deterministic: the same arguments give the same bytes."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster  # noqa: E402

PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if PLAIN.match(s) and s.lower() not in RESERVED and not re.match(r"^[0-9.]+$", s):
        return s
    return json.dumps(s)


def yaml_lines(v, indent):
    """Block-style YAML of dicts, lists and scalars."""
    pad = " " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:" % (pad, k))
                out += yaml_lines(x, indent + 2)
            elif isinstance(x, (dict, list)):
                out.append("%s%s: %s" % (pad, k, "{}" if isinstance(x, dict) else "[]"))
            else:
                out.append("%s%s: %s" % (pad, k, scalar(x)))
    else:
        for x in v:
            if isinstance(x, dict) and x:
                sub = yaml_lines(x, indent + 2)
                out.append("%s- %s" % (pad, sub[0][indent + 2:]))
                out += sub[1:]
            elif isinstance(x, list) and x:
                out.append("%s- [%s]" % (pad, ", ".join(scalar(y) for y in x)))
            else:
                out.append("%s- %s" % (pad, scalar(x)))
    return out


def like_api(obj, k):
    """The fields the API server adds that `kubectl get -o json` prints,
    so the JSON List costs a parser what a real one does."""
    o = json.loads(json.dumps(obj))
    md = o["metadata"]
    md["creationTimestamp"] = "2026-01-01T00:00:00Z"
    md["resourceVersion"] = str(100000 + k)
    md["uid"] = "00000000-0000-4000-8000-%012x" % k
    if o["kind"] == "Service":
        s = o["spec"]
        s.setdefault("clusterIPs", [s["clusterIP"]])
        s.setdefault("ipFamilies", ["IPv4"])
        s.setdefault("ipFamilyPolicy", "SingleStack")
        s.setdefault("internalTrafficPolicy", "Cluster")
        s.setdefault("sessionAffinity", "None")
        if s["sessionAffinity"] == "ClientIP":
            s["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
        if s["type"] != "ClusterIP":
            s.setdefault("externalTrafficPolicy", "Cluster")
        s["selector"] = {"app": md["name"]}
        o.setdefault("status", {"loadBalancer": {}})
    else:
        md["labels"]["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
        for e in o["endpoints"]:
            e["conditions"] = {"ready": True, "serving": True, "terminating": False}
    return o


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, default=10000)
    p.add_argument("--endpoints", type=int, default=10)
    p.add_argument("--out", required=True)
    p.add_argument("--per-file", type=int, default=1000, help="Services per file")
    p.add_argument("--mix", choices=cluster.MIXES, default="legacy")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--format", choices=("yaml", "json-list"), default="yaml")
    p.add_argument("--change", choices=cluster.CHANGES)
    p.add_argument("--change-endpoint", type=int, default=-1, metavar="I",
                   help="replace the first endpoint of Service I")
    p.add_argument("--probe", action="store_true",
                   help="add bench-probe/web, the data-plane test's Service")
    a = p.parse_args()

    c = cluster.build(a.services, a.endpoints, a.mix, a.seed, a.probe)
    if 0 <= a.change_endpoint < len(c.items):
        c.items[a.change_endpoint][1][0]["endpoints"][0]["addresses"] = [cluster.CHANGED_EP]
    if a.change:
        c = cluster.apply_change(c, a.change, a.endpoints)

    os.makedirs(a.out, exist_ok=True)
    if a.format == "json-list":
        items = [like_api(o, k) for k, o in enumerate(c.objects())]
        doc = {"apiVersion": "v1", "items": items, "kind": "List",
               "metadata": {"resourceVersion": ""}}
        with open(os.path.join(a.out, "list.json"), "w") as fh:
            json.dump(doc, fh, indent=4)
            fh.write("\n")
        return
    per = max(1, a.per_file)
    for f in range((len(c.items) + per - 1) // per):
        docs = []
        for svc, slices in c.items[f * per:(f + 1) * per]:
            for o in [svc] + slices:
                docs.append("\n".join(yaml_lines(o, 0)))
        with open(os.path.join(a.out, "part-%03d.yaml" % f), "w") as fh:
            fh.write("\n---\n".join(docs) + "\n")


if __name__ == "__main__":
    main()
