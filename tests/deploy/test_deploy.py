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
    eq("--hostname-override=$(NODE_NAME)" in c["command"], True, "node name passed to svcnft")


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
        r = run(os.path.join(ROOT, "svcnft"), "compile", "--config", conf, "--node-name", "node-a", "--node-ip", "192.0.2.10",
                "--service-cidr", "198.18.0.0/16", "-f", os.path.join(ROOT, "examples"))
        if r.returncode:
            raise AssertionError(f"svcnft refused config.conf: {r.stderr.strip()}")
        if "198.19.0.0/16" not in r.stdout:
            raise AssertionError("clusterCIDR from config.conf not used by the compiler")
        if re.search(r"config\.conf:\d+:\d+: (warning|error)", r.stderr):
            raise AssertionError(f"config.conf draws warnings: {r.stderr.strip()}")
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


def container_command(objs):
    return objs["DaemonSet"]["spec"]["template"]["spec"]["containers"][0]["command"]


def case_run_flags(objs):
    """Every flag the DaemonSet passes is one `svcnft run --help` lists, and
    the whole command line, with the ConfigMap mounted, parses with no
    warning into what the ConfigMap says."""
    cmd = container_command(objs)
    eq(cmd[:2], ["/usr/local/bin/svcnft", "run"], "the DaemonSet runs svcnft run")
    r = run(SVCNFT, "run", "--help")
    eq(r.returncode, 0, "svcnft run --help exit code")
    for arg in cmd[2:]:
        flag = arg.split("=", 1)[0]
        if not re.search(r"(^|[\s,])" + re.escape(flag) + r"\b", r.stdout):
            raise AssertionError(f"svcnft run --help does not list {flag}")
    data = objs["ConfigMap"]["data"]
    pod = objs["DaemonSet"]["spec"]["template"]["spec"]
    mount = [m["mountPath"] for m in pod["containers"][0]["volumeMounts"] if m["name"] == "config"][0]
    with tempfile.TemporaryDirectory() as d:
        for k, v in data.items():
            with open(os.path.join(d, k), "w") as f:
                f.write(v)
        args = [a.replace("$(NODE_NAME)", "node-a").replace(mount, d) for a in cmd[2:]]
        r = run(SVCNFT, "run", *args, "--print-config")
        if r.returncode or r.stderr:
            raise AssertionError(f"the DaemonSet's command line: exit {r.returncode}, stderr {r.stderr!r}")
        got = dict(line.split("=", 1) for line in r.stdout.splitlines())
        conf = data["config.conf"]
        kc = re.search(r"kubeconfig:\s*(\S+)", conf).group(1)
        eq(got["kubeconfig"], kc, "kubeconfig from clientConnection")
        eq(got["node_name"], "node-a", "node name from the Downward API")
        eq(got["cluster_cidr"], re.search(r"clusterCIDR:\s*(\S+)", conf).group(1), "clusterCIDR")
        eq(got["healthz_bind_address"], re.search(r"healthzBindAddress:\s*(\S+)", conf).group(1),
           "healthz address")
        eq(got["metrics_bind_address"], re.search(r"metricsBindAddress:\s*(\S+)", conf).group(1),
           "metrics address")
        eq((got["sync_period_ms"], got["min_sync_period_ms"]), ("30000", "1000"), "sync periods")
        eq(got["nodeport_addresses"], "primary", "nodePortAddresses")
        eq(got["source"], "api", "objects from the API server")


SVCNFT = os.path.join(ROOT, "svcnft")
KP_HEAD = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"


def print_config(*args):
    r = run(SVCNFT, "run", "--node-name", "node-a", *args, "--print-config")
    if r.returncode:
        raise AssertionError(f"svcnft run {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return dict(line.split("=", 1) for line in r.stdout.splitlines()), r.stderr


def case_run_bad_flags(objs):
    """A bad flag exits 2 and names the flag; nothing starts."""
    with tempfile.NamedTemporaryFile(suffix=".yaml") as f:
        bad = [
            (["--sync-period", "5"], "--sync-period"),
            (["--sync-period", "0"], "--sync-period"),
            (["--min-sync-period", "-1s"], "--min-sync-period"),
            (["--full-sync-period", "1d"], "--full-sync-period"),
            (["--healthz-bind-address", "localhost:10256"], "--healthz-bind-address"),
            (["--metrics-bind-address", "127.0.0.1:99999"], "--metrics-bind-address"),
            (["--bind-address-hard-fail=maybe"], "--bind-address-hard-fail"),
            (["-v", "x"], "-v"),
            (["--v=11"], "-v"),
            (["--frobnicate"], "--frobnicate"),
            (["--nodeport-addresses", "198.51.100.0/33"], "--nodeport-addresses"),
            (["--cluster-cidr", "nope"], "--cluster-cidr"),
            (["-f", f.name], "-f"),
            (["-f", "/", "-f", "/tmp"], "-f"),
            (["-f", "/", "--kubeconfig", "/dev/null"], "--kubeconfig"),
            (["--master", ""], "--master"),
            (["--node-name", "Not_A_Name"], "--node-name"),
        ]
        for args, flag in bad:
            r = run(SVCNFT, "run", *args, "--print-config")
            if r.returncode != 2 or flag not in r.stderr or r.stdout:
                raise AssertionError(f"svcnft run {' '.join(args)}: exit {r.returncode}, "
                                     f"stderr {r.stderr.strip()!r}, stdout {r.stdout[:60]!r}")


def case_run_defaults(objs):
    got, err = print_config()
    eq(err, "", "no message for defaults")
    want = {"source": "api", "kubeconfig": "in-cluster", "nodeport_addresses": "primary",
            "min_sync_period_ms": "1000", "sync_period_ms": "30000",
            "full_sync_period_ms": "3600000", "healthz_bind_address": "0.0.0.0:10256",
            "metrics_bind_address": "127.0.0.1:10249", "bind_address_hard_fail": "false",
            "conntrack_cleanup": "true", "v": "0", "masquerade_bit": "14"}
    eq({k: got[k] for k in want}, want, "svcnft run's defaults (kube-proxy's nftables mode)")
    got, _ = print_config("--min-sync-period", "0", "--sync-period", "1h30m",
                          "--full-sync-period", "0", "--healthz-bind-address", "",
                          "--metrics-bind-address", "::1", "--bind-address-hard-fail",
                          "--no-conntrack-cleanup", "-v", "4", "--nodeport-addresses", "all")
    want = {"min_sync_period_ms": "0", "sync_period_ms": "5400000", "full_sync_period_ms": "0",
            "healthz_bind_address": '""', "metrics_bind_address": "[::1]:10249",
            "bind_address_hard_fail": "true", "conntrack_cleanup": "false", "v": "4",
            "nodeport_addresses": "all"}
    eq({k: got[k] for k in want}, want, "flags")
    got, _ = print_config("--v=2", "--sync-period", "500ms", "-f", ROOT + "/examples")
    eq((got["v"], got["sync_period_ms"], got["source"], got["manifest_dir"]),
       ("2", "500", "dir", ROOT + "/examples"), "--v=N, -f DIR")
    got, _ = print_config("--v", "3", "--no-conntrack")
    eq((got["v"], got["conntrack_cleanup"]), ("3", "false"), "--v N, --no-conntrack")


def case_run_precedence(objs):
    """Flags win over --config; the file wins over defaults; a field the
    file does not know warns at its place and does not stop the agent; an
    invalid file stops it with exit 3."""
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "config.conf")
        with open(conf, "w") as f:
            f.write(KP_HEAD +
                    "clientConnection: {kubeconfig: /etc/kp/kubeconfig}\n"
                    "hostnameOverride: node-file\n"
                    "healthzBindAddress: 127.0.0.1:10256\n"
                    "clusterCIDR: 198.19.0.0/16\n"
                    "nodePortAddresses: [all]\n"
                    "iptables: {syncPeriod: 1m, minSyncPeriod: 3s}\n"
                    "nftables: {syncPeriod: 10s}\n"
                    "logging: {verbosity: 3}\n")
        r = run(SVCNFT, "run", "--config", conf, "--print-config")
        eq((r.returncode, r.stderr), (0, ""), "config alone")
        got = dict(line.split("=", 1) for line in r.stdout.splitlines())
        want = {"kubeconfig": "/etc/kp/kubeconfig", "node_name": "node-file",
                "healthz_bind_address": "127.0.0.1:10256", "cluster_cidr": "198.19.0.0/16",
                "nodeport_addresses": "all", "sync_period_ms": "10000",
                "min_sync_period_ms": "3000", "v": "3"}
        eq({k: got[k] for k in want}, want, "--config over the defaults")
        got, _ = print_config("--config", conf, "--kubeconfig", "/k", "--hostname-override", "node-b",
                              "--healthz-bind-address", "0.0.0.0:1", "--cluster-cidr",
                              "198.18.0.0/16", "--nodeport-addresses", "primary",
                              "--sync-period", "2s", "-v", "0")
        want = {"kubeconfig": "/k", "node_name": "node-b", "healthz_bind_address": "0.0.0.0:1",
                "cluster_cidr": "198.18.0.0/16", "nodeport_addresses": "primary",
                "sync_period_ms": "2000", "min_sync_period_ms": "3000", "v": "0"}
        eq({k: got[k] for k in want}, want, "flags over --config")

        with open(conf, "w") as f:
            f.write(KP_HEAD + "mode: ipvs\nnftables: {syncPeriod: 10s, minSyncPeriodd: 2s}\n")
        r = run(SVCNFT, "run", "--node-name", "node-a", "--config", conf, "--print-config")
        eq(r.returncode, 0, "unknown field: still runs")
        lines = r.stderr.splitlines()
        eq(len(lines), 2, f"two warnings in {r.stderr!r}")
        if not (all(re.match(r"W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ svcnft\] \"config problem\" "
                             r"source=--config problem=\"", line) for line in lines)
                and f"{conf}:4:29: warning: KubeProxyConfiguration: nftables.minSyncPeriodd: "
                    "unknown field, ignored (did you mean minSyncPeriod?)" in lines[0]
                and f'{conf}:3:7: warning: KubeProxyConfiguration: mode: \\"ipvs\\" is ignored' in lines[1]):
            raise AssertionError(f"warnings: {r.stderr!r}")

        with open(conf, "w") as f:
            f.write(KP_HEAD + "nftables: {syncPeriod: 10}\n")
        r = run(SVCNFT, "run", "--node-name", "node-a", "--config", conf, "--print-config")
        if r.returncode != 3 or r.stdout or "nftables.syncPeriod" not in r.stderr:
            raise AssertionError(f"invalid config: exit {r.returncode}, {r.stderr!r}")
        r = run(SVCNFT, "run", "--node-name", "node-a", "--config", d + "/missing.conf")
        if r.returncode != 3 or "missing.conf" not in r.stderr:
            raise AssertionError(f"missing config: exit {r.returncode}, {r.stderr!r}")


def case_config_bind_address(objs):
    """bindAddress is kube-proxy's override of the node's primary IP: it
    resolves nodePortAddresses [primary] for compile as for run; --node-ip
    wins; 0.0.0.0 leaves it unknown (exit 3, nothing printed)."""
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "config.conf")
        base = ["--node-name", "node-a", "--service-cidr", "198.18.0.0/16", "-f",
                os.path.join(ROOT, "examples")]
        for bind, extra, rc, want in [
                ("192.0.2.10", [], 0, "--nodeport-addresses primary (192.0.2.10)"),
                ("192.0.2.10", ["--node-ip", "192.0.2.77"], 0, "--nodeport-addresses primary (192.0.2.77)"),
                ("0.0.0.0", [], 3, "")]:
            with open(conf, "w") as f:
                f.write(KP_HEAD + f"bindAddress: {bind}\nnodePortAddresses: [primary]\n")
            r = run(SVCNFT, "compile", "--config", conf, *base, *extra)
            if r.returncode != rc or want not in r.stdout or (rc and r.stdout):
                raise AssertionError(f"bindAddress {bind} {extra}: exit {r.returncode}, "
                                     f"stderr {r.stderr.strip()!r}")
            got, _ = print_config("--config", conf, *extra)
            eq(got["node_ip"], (extra[1] if extra else bind if rc == 0 else ""),
               f"run's node_ip for bindAddress {bind} {extra}")


KUBECTL_CASES = [case_decode, case_daemonset, case_rbac, case_config, case_containerfile,
                 case_run_flags]
CLI_CASES = [case_run_bad_flags, case_run_defaults, case_run_precedence, case_config_bind_address]
CASES = KUBECTL_CASES + CLI_CASES


def main():
    passed = failed = skipped = 0
    cases = CASES
    objs = None
    if subprocess.run(["sh", "-c", "command -v kubectl"], capture_output=True).returncode:
        print(f"deploy: {len(KUBECTL_CASES)} cases skipped (no kubectl)")
        cases, skipped = CLI_CASES, len(KUBECTL_CASES)
    else:
        try:
            objs = objects()
        except Exception as e:  # noqa: BLE001
            print(f"deploy: decoding failed: {e}")
            print(f"deploy: 0 passed, {len(CASES)} failed")
            return 1
    for case in cases:
        try:
            case(objs)
            print(f"deploy: {case.__name__}: ok")
            passed += 1
        except Exception as e:  # noqa: BLE001
            print(f"deploy: {case.__name__}: FAILED: {type(e).__name__}: {e}")
            failed += 1
    print(f"deploy: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
