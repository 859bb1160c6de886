#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The agent's HTTP surface, end to end, against the real servers.

Runs build/tests/http_serve (agent/health, metrics, http, hcnp in the agent
loop) and talks HTTP to it on 127.0.0.1. Must run in a fresh network
namespace (tests/http/run.sh uses unshare -n), so the fixed ports used here
(10256, 10249, 31990-31999) collide with nothing. Every request has a 3 s
timeout. Prints one line per case and "http: N passed, N failed"."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import promparse  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SERVE = os.environ.get("HTTP_SERVE", os.path.join(ROOT, "build", "tests", "http_serve"))
HOST = "127.0.0.1"
T0 = "2026-12-05T20:00:00Z"


class Serve:
    def __init__(self):
        self.p = subprocess.Popen([SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        assert self.read() == "ok ready"

    def read(self):
        line = self.p.stdout.readline().rstrip("\n")
        return line

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.read()
        if not out.startswith("ok"):
            raise AssertionError(f"{line!r} -> {out!r}")
        return out[3:] if len(out) > 2 else ""

    def close(self):
        try:
            self.cmd("quit")
        except Exception:
            pass
        try:
            return self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return "hung on quit"


def request(port, path="/", method="GET", body=None):
    c = http.client.HTTPConnection(HOST, port, timeout=3)
    try:
        c.request(method, path, body=body)
        r = c.getresponse()
        data = r.read().decode()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def hcnp_body(ns, name, n, healthy):
    return ('{\n\t"service": {\n\t\t"namespace": "%s",\n\t\t"name": "%s"\n\t},\n'
            '\t"localEndpoints": %d,\n\t"serviceProxyHealthy": %s\n}'
            % (ns, name, n, "true" if healthy else "false"))


def sync(sv, *svcs):
    """svcs: (ns/name, port, count); returns (failures, {ns/name: bound port}, listeners)."""
    out = sv.cmd("sync " + " ".join(f"{k}:{p}:{c}" for k, p, c in svcs)).split()
    ports = dict(tok.split("=") for tok in out[1:-1])
    return int(out[0]), {k: int(v) for k, v in ports.items()}, int(out[-1].split("=")[1])


# ---- cases: each gets a fresh http_serve ----

def case_healthz_livez(sv):
    hp = int(sv.cmd("healthz 127.0.0.1:10256"))
    eq(hp, 10256, "healthz port")
    # Starting, node unknown: /healthz 503, /livez 200.
    st, h, b = request(hp, "/healthz")
    eq(st, 503, "healthz status, node unknown")
    eq(h.get("content-type"), "application/json", "content-type")
    eq(h.get("x-content-type-options"), "nosniff", "nosniff")
    eq(b, '{"lastUpdated":"0001-01-01T00:00:00Z","currentTime":"%s",'
          '"nodeEligible":false,"healthy":true}' % T0, "healthz body")
    st, h, b = request(hp, "/livez")
    eq(st, 200, "livez status")
    eq(b, '{"lastUpdated":"%s","currentTime":"%s","healthy":true}' % (T0, T0), "livez body")
    eq(h.get("x-content-type-options"), "nosniff", "livez nosniff")
    sv.cmd("node eligible")
    eq(request(hp, "/healthz")[0], 200, "healthz, node eligible")
    eq(request(hp, "/healthz", method="POST", body="x")[0], 200, "healthz, any method")
    # Keep-alive: two requests on one connection, as Go's server allows.
    c = http.client.HTTPConnection(HOST, hp, timeout=3)
    try:
        for i in range(2):
            c.request("GET", "/livez")
            r = c.getresponse()
            r.read()
            eq((r.status, r.getheader("Connection")), (200, None), f"keep-alive request {i}")
            if i == 0:
                first = c.sock
        eq(c.sock is first and first is not None, True, "connection reused")
    finally:
        c.close()
    eq(request(hp, "/other")[0], 404, "other path")
    eq(request(hp, "/healthz/")[0], 404, "exact path only")
    sv.cmd("node ineligible")
    eq(request(hp, "/healthz")[0], 503, "healthz, node being deleted")
    eq(request(hp, "/livez")[0], 200, "livez ignores the node")
    sv.cmd("node eligible")


def case_timeout(sv):
    hp = int(sv.cmd("healthz 127.0.0.1:10256"))
    sv.cmd("node eligible")
    sv.cmd("updated 4")
    sv.cmd("updated 6")
    sv.cmd("advance 1")
    sv.cmd("queued 6")
    sv.cmd("advance 59.9")
    eq(request(hp, "/healthz")[0], 200, "59.9 s after a queued update")
    sv.cmd("advance 0.1")
    st, _, b = request(hp, "/healthz")
    eq(st, 503, "60 s after a queued update (healthTimeout)")
    j = json.loads(b)
    eq((j["healthy"], j["status"]["IPv4"]["healthy"], j["status"]["IPv6"]["healthy"]),
       (False, True, False), "per-family status")
    eq(j["lastUpdated"], T0, "lastUpdated = last real sync when unhealthy")
    eq(request(hp, "/livez")[0], 503, "livez late too")
    sv.cmd("updated 6")
    st, _, b = request(hp, "/livez")
    eq(st, 200, "livez after the sync")
    eq(json.loads(b)["lastUpdated"], json.loads(b)["currentTime"], "lastUpdated = now when healthy")


def case_metrics(sv):
    mp = int(sv.cmd("metrics 127.0.0.1:10249"))
    hp = int(sv.cmd("healthz 127.0.0.1:10256"))
    sv.cmd("observe")
    sv.cmd("updated 4")
    for _ in range(3):
        request(hp, "/healthz")		# 503: node unknown
    sv.cmd("node eligible")
    for _ in range(2):
        request(hp, "/healthz")
    request(hp, "/livez")
    st, h, b = request(mp, "/metrics")
    eq(st, 200, "metrics status")
    eq(h.get("content-type"), "text/plain; version=0.0.4; charset=utf-8", "metrics content-type")
    fams = promparse.parse(b)
    v = promparse.value
    eq(v(fams, "kubeproxy_proxy_healthz_total", code="503"), 3.0, "healthz 503 count")
    eq(v(fams, "kubeproxy_proxy_healthz_total", code="200"), 2.0, "healthz 200 count")
    eq(v(fams, "kubeproxy_proxy_livez_total", code="200"), 1.0, "livez 200 count")
    eq(fams["kubeproxy_sync_proxy_rules_duration_seconds"]["type"], "histogram", "type")
    eq(fams["kubeproxy_sync_proxy_rules_no_local_endpoints_total"]["type"], "gauge", "type")
    b4 = [(dict(ls)["le"], val) for n, ls, val in
          fams["kubeproxy_sync_proxy_rules_duration_seconds"]["samples"]
          if n.endswith("_bucket") and dict(ls)["ip_family"] == "IPv4"]
    eq([le for le, _ in b4][:3] + [le for le, _ in b4][-2:], ["0.001", "0.002", "0.004", "16.384", "+Inf"],
       "ExponentialBuckets(0.001, 2, 15)")
    eq(len(b4), 16, "15 buckets + Inf")
    eq(dict(b4)["0.004"], 0.0, "0.0042 not <= 0.004")
    eq(dict(b4)["0.008"], 1.0, "0.0042 <= 0.008")
    nb = [n for n, ls, _ in fams["kubeproxy_network_programming_duration_seconds"]["samples"]
          if n.endswith("_bucket")]
    eq(len(nb), 82, "network programming: 81 buckets + Inf")
    eq(v(fams, "kubeproxy_sync_proxy_rules_last_timestamp_seconds", ip_family="IPv4"),
       1796500800.0, "last sync timestamp")
    eq(v(fams, "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", ip_family="IPv6"), 1.0,
       "sync failures")
    eq(v(fams, "kubeproxy_sync_proxy_rules_endpoint_changes_total"), 3.0, "endpoint changes")
    eq(v(fams, "svcnft_batch_bytes_total", ip_family="IPv4"), 4096.0, "batch bytes")
    # /proxyMode and the generic /healthz live on the metrics address.
    st, h, b = request(mp, "/proxyMode")
    eq((st, b, h.get("x-content-type-options")), (200, "nftables", "nosniff"), "proxyMode")
    eq(h.get("content-type", "").split(";")[0], "text/plain", "proxyMode content-type")
    eq(request(mp, "/healthz")[:3:2], (200, "ok"), "generic healthz")
    eq(request(mp, "/nope")[0], 404, "metrics 404")


def case_parser_rejects(sv):
    """The parser is strict: each of these must be refused."""
    good = "# HELP a x\n# TYPE a counter\na{k=\"v\"} 1\n"
    promparse.parse(good)
    bad = [
        good[:-1],  # no final newline
        "# TYPE a counter\na 1\n",  # no HELP
        "# HELP a x\n# TYPE a counter\nb 1\n",  # foreign sample
        "# HELP a x\n# TYPE a counter\na{k=\"v\\t\"} 1\n",  # bad escape
        "# HELP a x\n# TYPE a counter\na 1\na 2\n",  # repeated series
        "# HELP a x\n# TYPE a counter\na  1\n",  # two spaces
        "# HELP a x\n# TYPE a counter\na -1\n",  # negative counter
        "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
        "h_sum 1\nh_count 1\n",  # falling cumulative count
        "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
        "# HELP a x\n# TYPE a gauge\n# HELP b x\n# TYPE b gauge\nb 1\na 1\n",  # interleaved
    ]
    for i, text in enumerate(bad):
        try:
            promparse.parse(text)
        except promparse.ParseError:
            continue
        raise AssertionError(f"bad exposition {i} accepted: {text!r}")


def case_hcnp_flip(sv):
    sv.cmd("node eligible")
    f, ports, n = sync(sv, ("default/web", 31990, 1))
    eq((f, ports["default/web"], n), (0, 31990, 1), "opened")
    st, h, b = request(31990, "/")
    eq(st, 200, "1 local endpoint")
    eq(b, hcnp_body("default", "web", 1, True), "body")
    eq(h.get("content-type"), "application/json", "content-type")
    eq(h.get("x-content-type-options"), "nosniff", "nosniff")
    eq(h.get("x-load-balancing-endpoint-weight"), "1", "weight")
    sync(sv, ("default/web", 31990, 0))
    st, h, b = request(31990, "/any/path", method="POST", body="{}")
    eq(st, 503, "0 local endpoints")
    eq(b, hcnp_body("default", "web", 0, True), "body at 0")
    eq(h.get("x-load-balancing-endpoint-weight"), "0", "weight 0")
    sync(sv, ("default/web", 31990, 1))
    eq(request(31990, "/healthz", method="HEAD")[0], 200, "back to 1")
    # An unhealthy proxy fails the check even with endpoints.
    sv.cmd("updated 4")
    sv.cmd("queued 4")
    sv.cmd("advance 61")
    st, _, b = request(31990)
    eq(st, 503, "proxy unhealthy")
    eq(b, hcnp_body("default", "web", 1, False), "body when unhealthy")
    sv.cmd("updated 4")
    eq(request(31990)[0], 200, "healthy again")


def refused(port):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((HOST, port))
        return False
    except ConnectionRefusedError:
        return True
    finally:
        s.close()


def case_hcnp_open_close(sv):
    f, ports, n = sync(sv, ("a/one", 31991, 2), ("b/two", 31992, 3))
    eq((f, n), (0, 2), "two listeners")
    eq(request(31992)[1].get("x-load-balancing-endpoint-weight"), "3", "second service")
    eq(json.loads(request(31991)[2])["service"], {"namespace": "a", "name": "one"}, "first service")
    # Port change reopens; a gone Service is closed.
    f, ports, n = sync(sv, ("a/one", 31993, 2))
    eq((f, n), (0, 1), "one left")
    if not refused(31992) or not refused(31991):
        raise AssertionError("closed ports still accept")
    eq(request(31993)[0], 200, "moved port")
    # A port handed over in one sync: the old owner is closed first.
    f, ports, n = sync(sv, ("c/three", 31993, 4), ("a/one", 31998, 2))
    eq((f, ports["c/three"], ports["a/one"], n), (0, 31993, 31998, 2), "port handed over")
    eq(json.loads(request(31993)[2])["service"]["name"], "three", "new owner answers")
    sync(sv)
    if not refused(31993):
        raise AssertionError("closed after an empty sync")


def case_hcnp_bind_retry(sv):
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((HOST, 31994))
    blocker.listen(1)
    try:
        f, ports, n = sync(sv, ("default/web", 31994, 1), ("default/ok", 31995, 1))
        eq((f, ports["default/web"], n), (1, 0, 1), "bind failure reported, other served")
        eq(request(31995)[0], 200, "the other Service is served")
        f, ports, n = sync(sv, ("default/web", 31994, 1), ("default/ok", 31995, 1))
        eq(f, 1, "still failing while the port is taken")
    finally:
        blocker.close()
    f, ports, n = sync(sv, ("default/web", 31994, 1), ("default/ok", 31995, 1))
    eq((f, ports["default/web"], n), (0, 31994, 2), "retried on the next sync")
    eq(request(31994)[0], 200, "served after the retry")


def case_slow_clients(sv):
    hp = int(sv.cmd("healthz 127.0.0.1:10256"))
    sync(sv, ("default/web", 31996, 1))
    idle = []
    for port in (hp, 31996):
        s = socket.create_connection((HOST, port), timeout=3)
        idle.append(s)  # connects, sends nothing
        s = socket.create_connection((HOST, port), timeout=3)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        idle.append(s)
    try:
        worst = 0.0
        for _ in range(20):
            for port, path in ((hp, "/livez"), (31996, "/")):
                t = time.monotonic()
                st = request(port, path)[0]
                worst = max(worst, time.monotonic() - t)
                eq(st, 200, "served beside silent clients")
        if worst > 0.5:
            raise AssertionError(f"a request took {worst:.3f} s beside silent clients")
        # The loop is not blocked either: the control channel still answers.
        t = time.monotonic()
        sv.cmd("node eligible")
        if time.monotonic() - t > 0.5:
            raise AssertionError("the agent loop stalled")
        print(f"  slowest of 40 requests beside 4 silent clients: {worst * 1000:.1f} ms")
    finally:
        for s in idle:
            s.close()


def case_bind_error(sv):
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((HOST, 31997))
    blocker.listen(1)
    try:
        sv.p.stdin.write("healthz 127.0.0.1:31997\n")
        sv.p.stdin.flush()
        out = sv.read()
        eq(out, "error bind 127.0.0.1:31997: Address already in use", "healthz bind error")
        sv.p.stdin.write("metrics 127.0.0.1:x\n")
        sv.p.stdin.flush()
        eq(sv.read(), "error 127.0.0.1:x: not an address:port", "bad address")
    finally:
        blocker.close()


CASES = [case_healthz_livez, case_timeout, case_metrics, case_parser_rejects, case_hcnp_flip,
         case_hcnp_open_close, case_hcnp_bind_retry, case_slow_clients, case_bind_error]


def main():
    passed = failed = 0
    for case in CASES:
        sv = Serve()
        try:
            case(sv)
            err = None
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            err = f"{type(e).__name__}: {e}"
        # The server must also exit cleanly (under ASan: no leak, no error).
        rc = sv.close()
        if err is None and rc != 0:
            err = f"http_serve exited {rc}"
        if err is None:
            print(f"http: {case.__name__}: ok")
            passed += 1
        else:
            print(f"http: {case.__name__}: FAILED: {err}")
            failed += 1
    print(f"http: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
