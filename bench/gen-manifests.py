#!/usr/bin/env python3
"""Write a synthetic cluster as manifests, for benchmarks:
N Services (ClusterIP; every 10th NodePort, every 50th with ClientIP
affinity) with one EndpointSlice of E ready endpoints each.

    bench/gen-manifests.py --services 10000 --endpoints 10 --out /tmp/svc10k

Addresses: Services 198.18.0.0/15 (given, not allocated), pods 198.19.0.0/16
wrapping. Deterministic: the same arguments give the same files.
--change-endpoint I writes the same cluster with the first endpoint of
Service I replaced (the one-endpoint-change case)."""
import argparse
import os

p = argparse.ArgumentParser()
p.add_argument("--services", type=int, default=10000)
p.add_argument("--endpoints", type=int, default=10)
p.add_argument("--out", required=True)
p.add_argument("--per-file", type=int, default=1000, help="Services per file")
p.add_argument("--change-endpoint", type=int, default=-1, metavar="I",
               help="replace the first endpoint of Service I")
a = p.parse_args()

os.makedirs(a.out, exist_ok=True)


def ip(n, base):
    return "%d.%d.%d.%d" % (base[0], base[1] + (n >> 16 & 1), n >> 8 & 255, n & 255)


ep_counter = 0
for f in range((a.services + a.per_file - 1) // a.per_file):
    docs = []
    for i in range(f * a.per_file, min(a.services, (f + 1) * a.per_file)):
        name = "svc-%05d" % i
        ns = "ns-%03d" % (i % 100)
        typ = "NodePort" if i % 10 == 0 else "ClusterIP"
        aff = i % 50 == 0
        s = ["apiVersion: v1", "kind: Service", "metadata:", "  name: " + name,
             "  namespace: " + ns, "spec:", "  type: " + typ,
             "  clusterIP: " + ip(i + 16, (198, 18)), "  ports:", "  - name: http",
             "    port: 80", "    targetPort: 8080"]
        if typ == "NodePort":
            s.append("    nodePort: %d" % (30000 + i // 10))
        if aff:
            s += ["  sessionAffinity: ClientIP"]
        docs.append("\n".join(s))
        e = ["apiVersion: discovery.k8s.io/v1", "kind: EndpointSlice", "metadata:",
             "  name: %s-abcde" % name, "  namespace: " + ns, "  labels:",
             "    kubernetes.io/service-name: " + name, "addressType: IPv4", "ports:",
             "- name: http", "  port: 8080", "endpoints:"]
        for k in range(a.endpoints):
            n = (ep_counter % 65000) + 1
            ep_counter += 1
            if i == a.change_endpoint and k == 0:
                addr = "198.19.255.254"
            else:
                addr = "198.19.%d.%d" % (n >> 8 & 255, n & 255)
            e += ["- addresses: [\"%s\"]" % addr, "  conditions: {ready: true}",
                  "  nodeName: node-%d" % (k % 5)]
        docs.append("\n".join(e))
    with open(os.path.join(a.out, "part-%03d.yaml" % f), "w") as fh:
        fh.write("\n---\n".join(docs) + "\n")
