#!/usr/bin/env python3
# Generate a large manifest for input/ load-time measurements (not checked in):
#   tests/data/input/gen-scale.py 10000 10 > /tmp/scale.yaml
# N Services, each with one EndpointSlice of E endpoints, shaped like
# `kubectl get -o yaml` output (uids, ownerReferences, targetRefs, zones),
# as separate YAML documents; --list writes one `kind: List` instead,
# --json one JSON List.
import json
import sys

def service(i):
    ip = "198.18.%d.%d" % (i // 250, i % 250 + 1)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "svc-%d" % i,
            "namespace": "ns-%d" % (i % 50),
            "uid": "0f6c6d2e-%04x-4c6b-9a9e-%012x" % (i % 65536, i),
            "resourceVersion": str(1000 + i),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "app-%d" % i, "tier": "backend"},
        },
        "spec": {
            "clusterIP": ip,
            "clusterIPs": [ip],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"},
            ],
            "selector": {"app": "app-%d" % i},
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    }

def slice_(i, neps):
    eps = []
    for e in range(neps):
        n = i * neps + e
        eps.append({
            "addresses": ["10.%d.%d.%d" % (n // 62500 % 256, n // 250 % 250, n % 250 + 1)],
            "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": "node-%d" % (n % 100),
            "targetRef": {
                "kind": "Pod",
                "name": "app-%d-7d9f8b6c5d-%05d" % (i, e),
                "namespace": "ns-%d" % (i % 50),
                "uid": "5b1e2c3d-%04x-4e5f-8a9b-%012x" % (e, n),
            },
            "zone": "zone-%d" % (n % 3),
        })
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "svc-%d-abcde" % i,
            "namespace": "ns-%d" % (i % 50),
            "generateName": "svc-%d-" % i,
            "labels": {
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                "kubernetes.io/service-name": "svc-%d" % i,
            },
            "ownerReferences": [{
                "apiVersion": "v1", "kind": "Service", "name": "svc-%d" % i,
                "blockOwnerDeletion": True, "controller": True,
                "uid": "0f6c6d2e-%04x-4c6b-9a9e-%012x" % (i % 65536, i),
            }],
        },
        "addressType": "IPv4",
        "endpoints": eps,
        "ports": [
            {"name": "http", "port": 8080, "protocol": "TCP"},
            {"name": "https", "port": 8443, "protocol": "TCP"},
        ],
    }

def yaml_value(v, indent):
    # A small emitter for the shapes above (kubectl's block style).
    pad = "  " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                out.append("%s%s:" % (pad, k))
                out.extend(yaml_value(x, indent + 1 if isinstance(x, dict) else indent))
            else:
                out.append("%s%s: %s" % (pad, k, scalar(x)))
    else:
        for x in v:
            if not isinstance(x, (dict, list)):
                out.append("%s- %s" % (pad, scalar(x)))
                continue
            sub = yaml_value(x, indent + 1)
            first = sub[0].lstrip()
            out.append("%s- %s" % (pad, first))
            out.extend(sub[1:])
    return out

def scalar(x):
    if x is True:
        return "true"
    if x is False:
        return "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, dict):
        return "{}"
    if isinstance(x, list):
        return "[]"
    s = str(x)
    if s.isdigit() or ":" in s:
        return '"%s"' % s
    return s

def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10000
    neps = int(args[1]) if len(args) > 1 else 10
    objs = []
    for i in range(n):
        objs.append(service(i))
        objs.append(slice_(i, neps))
    out = sys.stdout
    if "--json" in sys.argv:
        json.dump({"apiVersion": "v1", "kind": "List", "items": objs}, out, indent=2)
    elif "--list" in sys.argv:
        out.write("\n".join(yaml_value({"apiVersion": "v1", "kind": "List", "items": objs}, 0)) + "\n")
    else:
        for o in objs:
            out.write("---\n" + "\n".join(yaml_value(o, 0)) + "\n")

main()
