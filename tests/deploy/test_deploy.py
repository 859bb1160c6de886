#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""deploy/ checked with the installed kubectl and svcnft's own readers.

kubectl needs an API server for `apply/create --dry-run` (discovery and
OpenAPI), so every manifest goes through `kubectl annotate --local -o json`
instead: kubectl's own decoder reads the YAML offline and prints the object.
The JSON is then checked for what the deployment promises (privileges,
probes, tolerations, RBAC), the ConfigMap's KubeProxyConfiguration is read by
`svcnft compile --config`, its kubeconfig by svcnft's kube/config reader
(build/tests/kubeconfig_check) and by `kubectl config view`, and the
Containerfile's runtime packages are checked against the libraries the built
svcnft links. Prints one line per case and "deploy: N passed, N failed"."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def kubectl_decode(path):
    r = run("kubectl", "annotate", "--local", "-f", path, "svcnft.test/decoded=yes", "-o", "json",
            "--kubeconfig", "/dev/null")
    if r.returncode:
        raise AssertionError(f"kubectl could not decode {path}: {r.stderr.strip()}")
    obj = json.loads(r.stdout)
    return obj.get("items", [obj])


def objects():
    out = {}
    for f in sorted(glob.glob(os.path.join(DEPLOY, "*.yaml"))):
        for o in kubectl_decode(f):
            out[o["kind"]] = o
    return out


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def case_decode(objs):
    eq(sorted(objs), ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet",
                      "ServiceAccount"], "kinds in deploy/")
    want = {"DaemonSet": "apps/v1", "ClusterRole": "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding": "rbac.authorization.k8s.io/v1", "ConfigMap": "v1",
            "ServiceAccount": "v1"}
    for k, v in want.items():
        eq(objs[k]["apiVersion"], v, f"{k} apiVersion")
        eq(objs[k]["metadata"]["annotations"]["svcnft.test/decoded"], "yes", f"{k} decoded")


def case_daemonset(objs):
    ds = objs["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    eq(ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items(),
       True, "selector matches the template")
    eq(pod["hostNetwork"], True, "hostNetwork")
    eq(pod["priorityClassName"], "system-node-critical", "priorityClassName")
    eq(pod["tolerations"], [{"operator": "Exists"}], "tolerates every taint")
    eq(pod["serviceAccountName"], objs["ServiceAccount"]["metadata"]["name"], "service account")
    eq(len(pod["containers"]), 1, "one container")
    c = pod["containers"][0]
    sc = c["securityContext"]
    eq(sc.get("privileged", False), False, "not privileged")
    eq(sc["readOnlyRootFilesystem"], True, "readOnlyRootFilesystem")
    eq(sc["allowPrivilegeEscalation"], False, "allowPrivilegeEscalation")
    eq(sc["capabilities"], {"drop": ["ALL"], "add": ["NET_ADMIN"]}, "capabilities")
    eq((c["livenessProbe"]["httpGet"]["path"], c["livenessProbe"]["httpGet"]["port"]),
       ("/livez", 10256), "liveness probe")
    eq((c["readinessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["port"]),
       ("/healthz", 10256), "readiness probe")
    # Every port svcnft binds is unprivileged, which is why NET_BIND_SERVICE is absent.
    conf = objs["ConfigMap"]["data"]["config.conf"]
    for key in ("healthzBindAddress", "metricsBindAddress"):
        port = int(re.search(key + r":\s*\S+:(\d+)", conf).group(1))
        if port < 1024:
            raise AssertionError(f"{key} port {port} would need NET_BIND_SERVICE")
    eq(int(re.search(r"healthzBindAddress:\s*\S+:(\d+)", conf).group(1)), 10256, "probes hit healthz")
    # The config file the command names is a key of the mounted ConfigMap.
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    cfg = [a.split("=", 1)[1] for a in c["command"] if a.startswith("--config=")][0]
    vol = [n for n, p in mounts.items() if cfg.startswith(p + "/")][0]
    eq(vols[vol]["configMap"]["name"], objs["ConfigMap"]["metadata"]["name"], "config volume")
    eq(os.path.basename(cfg) in objs["ConfigMap"]["data"], True, "config key mounted")
    # Only /run/svcnft is writable, shared with the host for apply's lock.
    eq(mounts.get("run"), "/run/svcnft", "lock directory mounted")
    eq(vols["run"]["hostPath"]["path"], "/run/svcnft", "lock directory is the host's")
    env = {e["name"]: e for e in c["env"]}
    eq(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName", "node name")


def case_rbac(objs):
    rules = sorted((tuple(r["apiGroups"]), tuple(sorted(r["resources"])), tuple(sorted(r["verbs"])))
                   for r in objs["ClusterRole"]["rules"])
    eq(rules, [(("",), ("nodes", "services"), ("list", "watch")),
               (("discovery.k8s.io",), ("endpointslices",), ("list", "watch"))], "ClusterRole rules")
    b = objs["ClusterRoleBinding"]
    eq(b["roleRef"], {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                      "name": objs["ClusterRole"]["metadata"]["name"]}, "roleRef")
    sa = objs["ServiceAccount"]["metadata"]
    eq(b["subjects"], [{"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}],
       "subjects")
    eq(objs["DaemonSet"]["metadata"]["namespace"], sa["namespace"], "same namespace")


def case_config(objs):
    data = objs["ConfigMap"]["data"]
    with tempfile.TemporaryDirectory() as d:
        for k, v in data.items():
            with open(os.path.join(d, k), "w") as f:
                f.write(v)
        conf = os.path.join(d, "config.conf")
        r = run(os.path.join(ROOT, "svcnft"), "compile", "--config", conf, "--node-name", "node-a",
                "--service-cidr", "198.18.0.0/16", "-f", os.path.join(ROOT, "examples"))
        if r.returncode:
            raise AssertionError(f"svcnft refused config.conf: {r.stderr.strip()}")
        if "198.19.0.0/16" not in r.stdout:
            raise AssertionError("clusterCIDR from config.conf not used by the compiler")
        # The kubeconfig named in clientConnection is the mounted one.
        kc_path = re.search(r"kubeconfig:\s*(\S+)", data["config.conf"]).group(1)
        eq(os.path.basename(kc_path) in data, True, "clientConnection.kubeconfig is a key")
        kc = os.path.join(d, "kubeconfig.conf")
        r = run(os.path.join(ROOT, "build", "tests", "kubeconfig_check"), kc)
        if r.returncode:
            raise AssertionError(f"svcnft's reader refused the kubeconfig: {r.stderr.strip()}")
        eq(r.stdout.split("\n")[:3], ["server https://CONTROL-PLANE.EXAMPLE:6443",
                                     f"ca {SA}/ca.crt", f"token_file {SA}/token"], "kubeconfig")
        r = run("kubectl", "config", "view", "--kubeconfig", kc, "-o", "json")
        if r.returncode:
            raise AssertionError(f"kubectl refused the kubeconfig: {r.stderr.strip()}")
        eq(json.loads(r.stdout)["current-context"], "default", "kubectl current-context")
        # The server must not be the kubernetes Service's ClusterIP (needs a proxy).
        if re.search(r"server:\s*https://(10\.96\.0\.1|kubernetes)", data["kubeconfig.conf"]):
            raise AssertionError("kubeconfig points at the Service the proxy itself serves")


def case_containerfile(objs):
    """Every shared library svcnft links comes from a package the runtime stage installs."""
    text = open(os.path.join(DEPLOY, "Containerfile")).read()
    runtime = text.split("FROM ")[-1]
    r = run("ldd", os.path.join(ROOT, "svcnft"))
    libs = re.findall(r"=> (/\S+)", r.stdout)
    pkgs = set()
    for lib in libs:
        real = os.path.realpath(lib)
        q = run("dpkg", "-S", real)
        if q.returncode:
            q = run("dpkg", "-S", lib)
        if q.returncode:
            continue
        pkgs.add(q.stdout.split(":")[0])
    # Pulled in by the base image or by the listed packages themselves.
    base = {"libc6", "libgcc-s1", "zlib1g"}
    direct = set()
    mk = open(os.path.join(ROOT, "Makefile")).read()
    pkgs_mk = re.search(r"^PKGS := (.*)$", mk, re.M).group(1).split()
    for lib in re.findall(r"-l(\w+)", run("pkg-config", "--libs", *pkgs_mk).stdout):
        direct.add(lib)
    missing = []
    for lib in direct:
        path = [p for p in libs if os.path.basename(p).startswith(f"lib{lib}.so")]
        if not path:
            continue
        pkg = run("dpkg", "-S", os.path.realpath(path[0]))
        pkg = pkg.stdout.split(":")[0] if not pkg.returncode else run("dpkg", "-S", path[0]).stdout.split(":")[0]
        if pkg and pkg not in base and not re.search(r"\b" + re.escape(pkg) + r"\b", runtime):
            missing.append(f"lib{lib} ({pkg})")
    if not direct:
        raise AssertionError("found no -l flags in the Makefile's PKG_LIBS")
    if missing:
        raise AssertionError("runtime stage lacks " + ", ".join(sorted(missing)))


CASES = [case_decode, case_daemonset, case_rbac, case_config, case_containerfile]


def main():
    if subprocess.run(["sh", "-c", "command -v kubectl"], capture_output=True).returncode:
        print("deploy: 0 passed, 0 failed, 5 skipped (no kubectl)")
        return 0
    passed = failed = 0
    try:
        objs = objects()
    except Exception as e:  # noqa: BLE001
        print(f"deploy: decoding failed: {e}")
        print(f"deploy: 0 passed, {len(CASES)} failed")
        return 1
    for case in CASES:
        try:
            case(objs)
            print(f"deploy: {case.__name__}: ok")
            passed += 1
        except Exception as e:  # noqa: BLE001
            print(f"deploy: {case.__name__}: FAILED: {type(e).__name__}: {e}")
            failed += 1
    print(f"deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
