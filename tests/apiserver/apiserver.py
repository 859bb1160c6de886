#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A test Kubernetes API server, speaking the real protocol for Services,
EndpointSlices and Nodes, with fault switches for the client's tests.

What it does as kube-apiserver does:
  - HTTPS only, a bearer token read from --token-file at every request
    (401 Status without it or with a stale one);
  - discovery (/version, /api, /apis, /api/v1, /apis/discovery.k8s.io/v1)
    so that kubectl works; openapi is 404 (kubectl: --validate=false);
  - GET/POST/PUT/PATCH (merge)/DELETE of objects; one resourceVersion
    counter for everything;
  - lists with labelSelector, fieldSelector (metadata.name,
    metadata.namespace), limit and continue; continue tokens expire (410);
  - watches: 200 + chunked, one JSON object and "\n" per event, DELETED with
    the last state, ADDED/DELETED when labels move an object into or out of
    the selector, BOOKMARKs (only metadata.resourceVersion) with
    allowWatchBookmarks, RV 0/unset = current state as ADDED first,
    ERROR/410 Expired on the 200 stream for an RV older than the compaction
    floor, 504 "Too large resource version" for an RV from the future,
    timeoutSeconds honoured by a clean end.

Fault switches (plain GET on /_admin/..., no token: the server listens on
127.0.0.1 only and is for tests):
  drop[?clean=1]      end every open watch (abrupt by default)
  compact[?http=1]    watches from an RV older than now get ERROR 410 (or
                      with http=1 an HTTP 410 answer)
  pause?on=1|0        hold watch events and new reads (writes still work)
  fail?n=N&code=C[&ua=U]  the next N API requests whose User-Agent has U
                      (default svcnft; "" = any) fail with C (500, 429...)
  slow?ms=M           wait M ms before each API response
  expire-continue     every continue token issued so far answers 410
  bookmark            send a BOOKMARK now on every watch that allows them
  bookmark-interval?s=S  periodic bookmarks (default 60 s as the cacher)
  split?n=N           cut every chunk into pieces of N bytes (0 = off)
  short-watch?on=1|0  every watch ends at once, cleanly, with no event
  seed?services=N[&eps=E]  add N Services with one EndpointSlice of E
                      endpoints (default 2) each (scale runs)
  state               {"rv": ..., "watches": ...}
"""
import argparse
import base64
import copy
import datetime
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RES = {
    'services': dict(group='', version='v1', kind='Service', namespaced=True,
                     short=['svc']),
    'endpointslices': dict(group='discovery.k8s.io', version='v1',
                           kind='EndpointSlice', namespaced=True, short=[]),
    'nodes': dict(group='', version='v1', kind='Node', namespaced=False,
                  short=['no']),
}
VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']


def api_version(res):
    r = RES[res]
    return r['version'] if not r['group'] else r['group'] + '/' + r['version']


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def status(code, reason, message, causes=None):
    st = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
          'status': 'Failure', 'message': message, 'reason': reason, 'code': code}
    if causes:
        st['details'] = {'causes': causes}
    return st


class BadSelector(Exception):
    pass


def split_terms(s):
    terms, depth, cur = [], 0, ''
    for ch in s:
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        if ch == ',' and depth == 0:
            terms.append(cur)
            cur = ''
        else:
            cur += ch
    if cur.strip():
        terms.append(cur)
    return [t.strip() for t in terms if t.strip()]


def parse_labels(s):
    """A label selector as a list of predicates over a labels dict."""
    preds = []
    for t in split_terms(s or ''):
        if t.startswith('!'):
            k = t[1:].strip()
            preds.append(lambda l, k=k: k not in l)
        elif ' notin ' in t or ' in ' in t:
            neg = ' notin ' in t
            k, vals = t.split(' notin ' if neg else ' in ', 1)
            vals = vals.strip()
            if not (vals.startswith('(') and vals.endswith(')')):
                raise BadSelector(t)
            vs = {v.strip() for v in vals[1:-1].split(',')}
            k = k.strip()
            if neg:
                preds.append(lambda l, k=k, vs=vs: l.get(k) not in vs)
            else:
                preds.append(lambda l, k=k, vs=vs: k in l and l[k] in vs)
        elif '!=' in t:
            k, v = [x.strip() for x in t.split('!=', 1)]
            preds.append(lambda l, k=k, v=v: l.get(k) != v)
        elif '=' in t:
            k, v = [x.strip() for x in t.replace('==', '=').split('=', 1)]
            preds.append(lambda l, k=k, v=v: l.get(k) == v)
        else:
            preds.append(lambda l, k=t: k in l)
    return preds


def parse_fields(s):
    preds = []
    for t in split_terms(s or ''):
        neg = '!=' in t
        k, v = [x.strip() for x in t.replace('==', '=').split('!=' if neg else '=', 1)]
        if k not in ('metadata.name', 'metadata.namespace'):
            raise BadSelector('field label not supported: ' + k)
        f = k.split('.')[1]
        if neg:
            preds.append(lambda o, f=f, v=v: o['metadata'].get(f, '') != v)
        else:
            preds.append(lambda o, f=f, v=v: o['metadata'].get(f, '') == v)
    return preds


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class Store:
    def __init__(self, args):
        self.cond = threading.Condition()
        self.rv = 1
        self.objs = {r: {} for r in RES}
        self.history = []       # (rv, res, type, old, new)
        self.floor = 0          # watches from an RV below this get 410
        self.floor_http = False # as HTTP 410 rather than an ERROR event
        self.watches = 0
        self.drop_gen = 0
        self.drop_clean = False
        self.bookmark_gen = 0
        self.bookmark_interval = 60.0
        self.paused = False
        self.fail_n = 0
        self.fail_code = 500
        self.fail_ua = 'svcnft'
        self.slow_ms = 0
        self.split = 0
        self.short_watch = False
        self.continues = {}     # id -> (snapshot, rv, offset, created)
        self.continue_ttl = args.continue_ttl
        self.next_cont = 1

    def record(self, res, typ, old, new):
        self.rv += 1
        obj = new if new is not None else copy.deepcopy(old)
        obj['metadata']['resourceVersion'] = str(self.rv)
        self.history.append((self.rv, res, typ, old, obj))
        self.cond.notify_all()
        return obj


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'svcnft-test-apiserver'

    def log_message(self, fmt, *a):
        pass

    def log_req(self, code):
        if self.server.reqlog:
            with self.server.reqlog_lock:
                self.server.reqlog.write('%s %s %d\n' % (self.command, self.path, code))
                self.server.reqlog.flush()

    # ---- responses ----
    def send_json(self, code, body, extra=None):
        data = json.dumps(body, separators=(',', ':')).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)
        self.log_req(code)

    def send_status(self, code, reason, message, causes=None, extra=None):
        self.send_json(code, status(code, reason, message, causes), extra)

    # ---- dispatch ----
    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def read_body(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n == 0:
            return None
        raw = self.rfile.read(n)
        try:
            return json.loads(raw)
        except ValueError:
            return 'bad'

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        parts = [p for p in u.path.split('/') if p]
        st = self.server.store
        body = self.read_body() if self.command in ('POST', 'PUT', 'PATCH', 'DELETE') else None
        if parts[:1] == ['_admin']:
            return self.admin(parts[1:], q)
        tok = open(self.server.token_file).read().strip()
        if self.headers.get('Authorization', '') != 'Bearer ' + tok:
            return self.send_status(401, 'Unauthorized', 'Unauthorized')
        with st.cond:
            deadline = time.time() + 30
            # Paused: reads wait (writes go on, so that a test can change
            # what the client will find when it comes back).
            while st.paused and self.command == 'GET' and time.time() < deadline:
                st.cond.wait(0.2)
            if st.fail_n > 0 and st.fail_ua in self.headers.get('User-Agent', ''):
                st.fail_n -= 1
                code = st.fail_code
                extra = {'Retry-After': '1'} if code == 429 else None
                reason = {429: 'TooManyRequests', 500: 'InternalError',
                          503: 'ServiceUnavailable'}.get(code, 'InternalError')
                return self.send_status(code, reason, 'injected failure', extra=extra)
            slow = st.slow_ms
        if slow:
            time.sleep(slow / 1000.0)
        if self.discovery(parts):
            return
        route = self.route(parts)
        if not route:
            return self.send_status(404, 'NotFound', 'the server could not find the requested resource')
        res, ns, name = route
        try:
            lsel = parse_labels(q.get('labelSelector'))
            fsel = parse_fields(q.get('fieldSelector'))
        except BadSelector as e:
            return self.send_status(400, 'BadRequest', 'unable to parse requirement: %s' % e)
        if self.command == 'GET' and name is None:
            if q.get('watch') in ('1', 'true'):
                return self.watch(res, ns, lsel, fsel, q)
            return self.list(res, ns, lsel, fsel, q)
        if body == 'bad':
            return self.send_status(400, 'BadRequest', 'the body is not JSON')
        if self.command == 'GET':
            return self.get(res, ns, name)
        if self.command == 'POST' and name is None:
            return self.create(res, ns, body)
        if self.command == 'PUT' and name:
            return self.update(res, ns, name, body)
        if self.command == 'PATCH' and name:
            return self.patch(res, ns, name, body)
        if self.command == 'DELETE' and name:
            return self.delete(res, ns, name)
        return self.send_status(405, 'MethodNotAllowed', 'method not allowed')

    def route(self, parts):
        """(resource, namespace or None, name or None), or None."""
        if parts[:2] == ['api', 'v1']:
            rest = parts[2:]
        elif parts[:3] == ['apis', 'discovery.k8s.io', 'v1']:
            rest = parts[3:]
        else:
            return None
        ns = None
        if len(rest) >= 3 and rest[0] == 'namespaces':
            ns, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RES or len(rest) > 2:
            return None
        res = rest[0]
        if api_version(res) != '/'.join(parts[1:3] if parts[0] == 'apis' else parts[1:2]):
            return None
        if ns is not None and not RES[res]['namespaced']:
            return None
        return res, ns, rest[1] if len(rest) == 2 else None

    # ---- discovery ----
    def discovery(self, parts):
        if self.command != 'GET':
            return False
        port = self.server.server_address[1]
        if parts == ['version']:
            self.send_json(200, {'major': '1', 'minor': '32', 'gitVersion': 'v1.32.0-svcnft-test',
                                 'platform': 'linux/amd64'})
        elif parts == ['api']:
            self.send_json(200, {'kind': 'APIVersions', 'versions': ['v1'],
                                 'serverAddressByClientCIDRs': [
                                     {'clientCIDR': '0.0.0.0/0',
                                      'serverAddress': '127.0.0.1:%d' % port}]})
        elif parts == ['apis']:
            gv = {'groupVersion': 'discovery.k8s.io/v1', 'version': 'v1'}
            self.send_json(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [
                {'name': 'discovery.k8s.io', 'versions': [gv], 'preferredVersion': gv}]})
        elif parts in (['api', 'v1'], ['apis', 'discovery.k8s.io', 'v1']):
            gv = '/'.join(parts[1:])
            rs = [{'name': r, 'singularName': RES[r]['kind'].lower(), 'namespaced': RES[r]['namespaced'],
                   'kind': RES[r]['kind'], 'verbs': VERBS, 'shortNames': RES[r]['short']}
                  for r in RES if api_version(r) == gv]
            self.send_json(200, {'kind': 'APIResourceList', 'apiVersion': 'v1',
                                 'groupVersion': gv, 'resources': rs})
        else:
            return False
        return True

    # ---- objects ----
    def key(self, ns, name):
        return (ns or '', name)

    def get(self, res, ns, name):
        st = self.server.store
        with st.cond:
            o = st.objs[res].get(self.key(ns, name))
            o = copy.deepcopy(o)
        if not o:
            return self.send_status(404, 'NotFound', '%s "%s" not found' % (res, name))
        self.send_json(200, o)

    def create(self, res, ns, body):
        st = self.server.store
        if not isinstance(body, dict):
            return self.send_status(400, 'BadRequest', 'no object')
        md = body.setdefault('metadata', {})
        if not md.get('name') and md.get('generateName'):
            md['name'] = md['generateName'] + uuid.uuid4().hex[:5]
        if not md.get('name'):
            return self.send_status(422, 'Invalid', 'metadata.name: Required value')
        if RES[res]['namespaced']:
            if md.get('namespace') and ns and md['namespace'] != ns:
                return self.send_status(400, 'BadRequest', 'the namespace of the object does not match the namespace on the request')
            md['namespace'] = ns or md.get('namespace') or 'default'
        else:
            md.pop('namespace', None)
        body['kind'] = RES[res]['kind']
        body['apiVersion'] = api_version(res)
        md['uid'] = str(uuid.uuid4())
        md['creationTimestamp'] = now_iso()
        md['generation'] = 1
        k = self.key(md.get('namespace'), md['name'])
        with st.cond:
            if k in st.objs[res]:
                return self.send_status(409, 'AlreadyExists', '%s "%s" already exists' % (res, md['name']))
            obj = st.record(res, 'ADDED', None, body)
            st.objs[res][k] = obj
            out = copy.deepcopy(obj)
        self.send_json(201, out)

    def replace(self, res, ns, name, new):
        st = self.server.store
        k = self.key(ns, name)
        with st.cond:
            old = st.objs[res].get(k)
            if not old:
                return self.send_status(404, 'NotFound', '%s "%s" not found' % (res, name))
            rv = new.get('metadata', {}).get('resourceVersion')
            if rv and rv != old['metadata']['resourceVersion']:
                return self.send_status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again')
            new['kind'] = old['kind']
            new['apiVersion'] = old['apiVersion']
            md = new.setdefault('metadata', {})
            for f in ('name', 'namespace', 'uid', 'creationTimestamp'):
                if f in old['metadata']:
                    md[f] = old['metadata'][f]
            md['generation'] = old['metadata'].get('generation', 1) + 1
            obj = st.record(res, 'MODIFIED', old, new)
            st.objs[res][k] = obj
            out = copy.deepcopy(obj)
        self.send_json(200, out)

    def update(self, res, ns, name, body):
        if not isinstance(body, dict):
            return self.send_status(400, 'BadRequest', 'no object')
        self.replace(res, ns, name, body)

    def patch(self, res, ns, name, body):
        st = self.server.store
        with st.cond:
            old = copy.deepcopy(st.objs[res].get(self.key(ns, name)))
        if not old:
            return self.send_status(404, 'NotFound', '%s "%s" not found' % (res, name))
        new = merge_patch(old, body)
        new['metadata'].pop('resourceVersion', None)
        self.replace(res, ns, name, new)

    def delete(self, res, ns, name):
        st = self.server.store
        k = self.key(ns, name)
        with st.cond:
            old = st.objs[res].pop(k, None)
            if not old:
                return self.send_status(404, 'NotFound', '%s "%s" not found' % (res, name))
            obj = st.record(res, 'DELETED', old, None)
            out = copy.deepcopy(obj)
        self.send_json(200, out)

    # ---- list ----
    def matches(self, o, ns, lsel, fsel):
        if o is None:
            return False
        if ns is not None and o['metadata'].get('namespace') != ns:
            return False
        labels = o['metadata'].get('labels') or {}
        return all(p(labels) for p in lsel) and all(p(o) for p in fsel)

    def list(self, res, ns, lsel, fsel, q):
        st = self.server.store
        limit = int(q.get('limit') or 0)
        cont = q.get('continue')
        with st.cond:
            if cont:
                try:
                    c = json.loads(base64.urlsafe_b64decode(cont.encode()))
                    ent = st.continues.get(c['id'])
                except (ValueError, KeyError, TypeError):
                    return self.send_status(400, 'BadRequest', 'invalid continue token')
                if not ent or time.time() - ent[3] > st.continue_ttl:
                    st.continues.pop(c.get('id'), None)
                    return self.send_status(
                        410, 'Expired',
                        'The provided continue parameter is too old to display a consistent '
                        'list result. You can start a new list without the continue parameter.')
                snap, rv, off, _ = ent
                del st.continues[c['id']]
            else:
                snap = [copy.deepcopy(o) for k, o in sorted(st.objs[res].items())
                        if self.matches(o, ns, lsel, fsel)]
                rv, off = st.rv, 0
            page = snap[off:off + limit] if limit else snap[off:]
            md = {'resourceVersion': str(rv)}
            if limit and off + limit < len(snap):
                cid = st.next_cont
                st.next_cont += 1
                st.continues[cid] = (snap, rv, off + limit, time.time())
                md['continue'] = base64.urlsafe_b64encode(json.dumps(
                    {'v': 'meta.k8s.io/v1', 'rv': rv, 'id': cid}).encode()).decode()
                md['remainingItemCount'] = len(snap) - off - limit
        items = []
        for o in page:
            o = dict(o)
            o.pop('kind', None)
            o.pop('apiVersion', None)
            items.append(o)
        self.send_json(200, {'kind': RES[res]['kind'] + 'List', 'apiVersion': api_version(res),
                             'metadata': md, 'items': items})

    # ---- watch ----
    def chunk(self, data):
        st = self.server.store
        n = st.split or len(data)
        for i in range(0, len(data), n):
            piece = data[i:i + n]
            self.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
            self.wfile.flush()

    def event_line(self, typ, obj):
        return json.dumps({'type': typ, 'object': obj}, separators=(',', ':')).encode() + b'\n'

    def bookmark(self, res, rv):
        return self.event_line('BOOKMARK', {'kind': RES[res]['kind'], 'apiVersion': api_version(res),
                                            'metadata': {'resourceVersion': str(rv)}})

    def convert(self, ev, ns, lsel, fsel):
        rv, res, typ, old, new = ev
        oldp = self.matches(old, ns, lsel, fsel)
        newp = typ != 'DELETED' and self.matches(new, ns, lsel, fsel)
        if newp and (typ == 'ADDED' or not oldp):
            return 'ADDED', new
        if newp:
            return 'MODIFIED', new
        if oldp:
            # The last state the watcher could see, at the event's RV.
            o = copy.deepcopy(old)
            o['metadata']['resourceVersion'] = str(rv)
            return 'DELETED', o
        return None

    def watch(self, res, ns, lsel, fsel, q):
        st = self.server.store
        rvq = q.get('resourceVersion', '')
        bookmarks = q.get('allowWatchBookmarks') in ('true', '1')
        timeout = float(q.get('timeoutSeconds') or 1800)
        with st.cond:
            if rvq not in ('', '0'):
                try:
                    start = int(rvq)
                except ValueError:
                    return self.send_status(400, 'BadRequest', 'invalid resourceVersion')
                if start < st.floor and st.floor_http:
                    return self.send_status(410, 'Expired', 'too old resource version: %d (%d)' % (start, st.floor))
                if start > st.rv:
                    return self.send_status(
                        504, 'Timeout', 'Too large resource version: %d, current: %d' % (start, st.rv),
                        causes=[{'reason': 'ResourceVersionTooLarge',
                                 'message': 'Too large resource version'}])
            st.watches += 1
        try:
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Transfer-Encoding', 'chunked')
            self.end_headers()
            self.log_req(200)
            self.watch_loop(res, ns, lsel, fsel, rvq, bookmarks, timeout)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            with st.cond:
                st.watches -= 1

    def watch_loop(self, res, ns, lsel, fsel, rvq, bookmarks, timeout):
        st = self.server.store
        deadline = time.time() + timeout
        with st.cond:
            drop_gen, bm_gen = st.drop_gen, st.bookmark_gen
            if rvq in ('', '0'):
                # The current state as ADDED events, then the changes.
                out = b''.join(self.event_line('ADDED', copy.deepcopy(o))
                               for k, o in sorted(st.objs[res].items())
                               if self.matches(o, ns, lsel, fsel))
                start = st.rv
            else:
                start = int(rvq)
                out = b''
                if start < st.floor:
                    out = self.event_line('ERROR', status(
                        410, 'Expired', 'too old resource version: %d (%d)' % (start, st.floor)))
                    self.chunk(out)
                    self.wfile.write(b'0\r\n\r\n')
                    return
            pos = 0
            while pos < len(st.history) and st.history[pos][0] <= start:
                pos += 1
        if out:
            self.chunk(out)
        if st.short_watch:
            self.wfile.write(b'0\r\n\r\n')
            return
        next_bm = time.time() + st.bookmark_interval
        final_bm = False
        while True:
            with st.cond:
                now = time.time()
                if st.drop_gen != drop_gen:
                    clean = st.drop_clean
                    break
                if now >= deadline:
                    clean = True
                    break
                evs = []
                if not st.paused:
                    while pos < len(st.history):
                        ev = st.history[pos]
                        pos += 1
                        if ev[1] != res:
                            continue
                        c = self.convert(ev, ns, lsel, fsel)
                        if c:
                            evs.append(self.event_line(*c))
                # The cacher also sends one about 2 s before the deadline.
                last_bm = not final_bm and timeout > 4 and now >= deadline - 2
                final_bm = final_bm or last_bm
                send_bm = bookmarks and not st.paused and (
                    st.bookmark_gen != bm_gen or now >= next_bm or last_bm)
                bm_gen = st.bookmark_gen
                cur = st.rv
                if not evs and not send_bm:
                    st.cond.wait(min(0.2, max(0.0, deadline - now)))
                    continue
            if evs:
                self.chunk(b''.join(evs))
            if send_bm:
                next_bm = time.time() + st.bookmark_interval
                self.chunk(self.bookmark(res, cur))
        if clean:
            self.wfile.write(b'0\r\n\r\n')
            self.wfile.flush()
        else:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def seed(self, n, ns, neps=2):
        """n Services, each with one EndpointSlice of neps endpoints (2 by
        default), in one step (called with the lock held): for scale runs."""
        st = self.server.store
        for i in range(n):
            name = 'svc-%d' % i
            ip = '198.18.%d.%d' % (i // 250 % 250, i % 250 + 1)
            svc = {'kind': 'Service', 'apiVersion': 'v1',
                   'metadata': {'name': name, 'namespace': ns, 'uid': str(uuid.uuid4()),
                                'creationTimestamp': now_iso(), 'labels': {'app': name}},
                   'spec': {'type': 'ClusterIP', 'clusterIP': ip, 'clusterIPs': [ip],
                            'ports': [{'name': 'http', 'port': 80, 'protocol': 'TCP',
                                       'targetPort': 8080}]}}
            st.objs['services'][(ns, name)] = st.record('services', 'ADDED', None, svc)
            if neps == 2:
                addrs = ['198.19.%d.%d' % (i // 125 % 250, (i % 125) * 2 + k + 1) for k in range(2)]
            else:  # neps per Service: addresses may repeat across Services
                addrs = ['198.19.%d.%d' % ((i * neps + k) // 250 % 250, (i * neps + k) % 250 + 1)
                         for k in range(neps)]
            eps = [{'addresses': [a],
                    'conditions': {'ready': True, 'serving': True, 'terminating': False},
                    'nodeName': 'n1'} for a in addrs]
            sl = {'kind': 'EndpointSlice', 'apiVersion': 'discovery.k8s.io/v1',
                  'metadata': {'name': name + '-abcde', 'namespace': ns, 'uid': str(uuid.uuid4()),
                               'creationTimestamp': now_iso(),
                               'labels': {'kubernetes.io/service-name': name,
                                          'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'}},
                  'addressType': 'IPv4', 'endpoints': eps,
                  'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}]}
            st.objs['endpointslices'][(ns, sl['metadata']['name'])] = st.record(
                'endpointslices', 'ADDED', None, sl)

    # ---- faults ----
    def admin(self, parts, q):
        st = self.server.store
        op = parts[0] if parts else ''
        with st.cond:
            if op == 'drop':
                st.drop_gen += 1
                st.drop_clean = q.get('clean') == '1'
            elif op == 'compact':
                st.floor = st.rv
                st.floor_http = q.get('http') == '1'
            elif op == 'pause':
                st.paused = q.get('on', '1') == '1'
            elif op == 'fail':
                st.fail_n = int(q.get('n', '1'))
                st.fail_code = int(q.get('code', '500'))
                st.fail_ua = q.get('ua', 'svcnft')
            elif op == 'slow':
                st.slow_ms = int(q.get('ms', '0'))
            elif op == 'expire-continue':
                st.continues.clear()
            elif op == 'bookmark':
                st.bookmark_gen += 1
            elif op == 'bookmark-interval':
                st.bookmark_interval = float(q.get('s', '60'))
            elif op == 'split':
                st.split = int(q.get('n', '0'))
            elif op == 'short-watch':
                st.short_watch = q.get('on', '1') == '1'
            elif op == 'seed':
                self.seed(int(q.get('services', '0')), q.get('ns', 'seed'), int(q.get('eps', '2')))
            elif op != 'state':
                return self.send_json(404, {'error': 'unknown admin op ' + op})
            st.cond.notify_all()
            out = {'rv': st.rv, 'watches': st.watches, 'floor': st.floor}
        self.send_json(200, out)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake happens in the handler's thread, on first read, so
        # a client that never speaks TLS blocks only itself.
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--token-file', required=True)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file', help='write the port here once listening')
    ap.add_argument('--log', help='append one line per request')
    ap.add_argument('--continue-ttl', type=float, default=300.0)
    ap.add_argument('--max-seconds', type=float, default=600.0,
                    help='exit after this long, whatever happens (tests are bounded)')
    args = ap.parse_args()

    srv = Server(('127.0.0.1', args.port), Handler)
    srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.ctx.load_cert_chain(args.cert, args.key)
    srv.store = Store(args)
    srv.token_file = args.token_file
    srv.reqlog = open(args.log, 'a') if args.log else None
    srv.reqlog_lock = threading.Lock()
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w') as f:
            f.write('%d\n' % srv.server_address[1])
        os.rename(tmp, args.port_file)
    t = threading.Timer(args.max_seconds, lambda: os._exit(3))
    t.daemon = True
    t.start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
