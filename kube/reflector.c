// SPDX-License-Identifier: GPL-2.0-or-later
/* kube/reflector.c: list, then watch, one resource; the store of keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kube/reflector.h"
#include "kube/split.h"

const struct kube_resource kube_res_services = {
	.name = "services", .path = "/api/v1/services", .kind = "Service", .api_version = "v1",
};
const struct kube_resource kube_res_endpointslices = {
	.name = "endpointslices",
	.path = "/apis/discovery.k8s.io/v1/endpointslices",
	.kind = "EndpointSlice",
	.api_version = "discovery.k8s.io/v1",
};
const struct kube_resource kube_res_nodes = {
	.name = "nodes", .path = "/api/v1/nodes", .kind = "Node", .api_version = "v1",
};

/* client-go's pager.PageSize. */
#define KUBE_PAGE_SIZE 500
/* A list page or an error body larger than this is refused: 500 objects
 * of etcd's 1.5 MiB maximum would be 750 MiB, but real pages of Services
 * and EndpointSlices are well under 10 MiB. */
#define KUBE_BODY_MAX (256u << 20)
/* Lists get this long in all; a watch gets its timeoutSeconds plus this,
 * so a connection that went silent (no FIN, no bookmark) is noticed. */
#define KUBE_LIST_TIMEOUT_MS 300000L
#define KUBE_WATCH_GRACE_S 30
/* client-go: a watch closing within a second with no event is a failure
 * ("very short watch"), so that a server that ends every watch at once
 * does not get a hot loop. */
#define KUBE_SHORT_WATCH_MS 1000

/* ---- backoff ---- */

void kube_backoff_init(struct kube_backoff *b, uint64_t initial_ms, uint64_t cap_ms,
		       uint64_t reset_ms)
{
	b->initial_ms = initial_ms;
	b->cap_ms = cap_ms;
	b->reset_ms = reset_ms;
	b->dur_ms = initial_ms;
	b->last_ms = 0;
}

uint64_t kube_backoff_next(struct kube_backoff *b, uint64_t now_ms, double rnd01)
{
	uint64_t d;

	if (!b->last_ms || now_ms - b->last_ms > b->reset_ms)
		b->dur_ms = b->initial_ms;
	b->last_ms = now_ms ? now_ms : 1;
	d = b->dur_ms;
	b->dur_ms = d * 2 > b->cap_ms ? b->cap_ms : d * 2;
	/* wait.Jitter(d, 1.0): d + rand*d. */
	return d + (uint64_t)(rnd01 * (double)d);
}

/* ---- the store: key -> resourceVersion ---- */

struct kube_ent {
	struct kube_ent *next;
	char *key;
	char *rv;
	unsigned gen;	/* the list that last saw it */
};

struct kube_store {
	struct kube_ent **b;
	size_t nb, n;
};

static struct kube_ent **store_slot(struct kube_store *s, const char *key)
{
	struct kube_ent **pp;

	if (!s->nb)
		return NULL;
	pp = &s->b[sn_hash_str(key, SN_HASH_SEED) & (s->nb - 1)];
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void store_grow(struct kube_store *s)
{
	size_t nb = s->nb ? s->nb * 2 : 64, i;
	struct kube_ent **b = sn_calloc(nb, sizeof(*b));

	for (i = 0; i < s->nb; i++) {
		while (s->b[i]) {
			struct kube_ent *e = s->b[i];
			size_t h = sn_hash_str(e->key, SN_HASH_SEED) & (nb - 1);

			s->b[i] = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(s->b);
	s->b = b;
	s->nb = nb;
}

/* Insert or update; returns the previous RV state: 0 new, 1 same RV,
 * 2 changed. */
static int store_put(struct kube_store *s, const char *key, const char *rv, unsigned gen)
{
	struct kube_ent **pp, *e;
	int ret;

	if (s->n >= s->nb)
		store_grow(s);
	pp = store_slot(s, key);
	e = *pp;
	if (!e) {
		e = sn_calloc(1, sizeof(*e));
		e->key = sn_strdup(key);
		e->rv = sn_strdup(rv);
		*pp = e;
		s->n++;
		ret = 0;
	} else if (strcmp(e->rv, rv) == 0) {
		ret = 1;
	} else {
		free(e->rv);
		e->rv = sn_strdup(rv);
		ret = 2;
	}
	e->gen = gen;
	return ret;
}

static void ent_free(struct kube_ent *e)
{
	free(e->key);
	free(e->rv);
	free(e);
}

static bool store_del(struct kube_store *s, const char *key)
{
	struct kube_ent **pp = store_slot(s, key), *e;

	if (!pp || !*pp)
		return false;
	e = *pp;
	*pp = e->next;
	ent_free(e);
	s->n--;
	return true;
}

static void store_free(struct kube_store *s)
{
	size_t i;

	for (i = 0; i < s->nb; i++) {
		while (s->b[i]) {
			struct kube_ent *e = s->b[i];

			s->b[i] = e->next;
			ent_free(e);
		}
	}
	free(s->b);
	memset(s, 0, sizeof(*s));
}

/* ---- the reflector ---- */

enum refl_state { R_IDLE, R_LIST, R_WATCH, R_WAIT };

enum refl_abort {
	A_NONE,
	A_RELIST,	/* ERROR event: Expired/Gone/too large RV */
	A_ERROR,	/* ERROR event of another kind, bad stream: back off */
};

struct kube_reflector {
	struct kube_client *c;
	const struct kube_resource *res;
	char *label_selector, *field_selector;
	unsigned page_size, watch_timeout_min_s;
	kube_event_fn *fn;
	void *ctx;

	enum refl_state state;
	enum refl_state after_wait;	/* what the backoff timer starts */
	CURL *easy;
	struct sn_buf body;		/* list page, or an error's Status */
	bool body_too_large;
	struct kube_split split;
	struct kube_store store;
	unsigned gen;			/* list attempt number */
	char *cont;			/* continue token of the next page */
	unsigned pages;
	char *rv;
	bool synced;
	unsigned unauthorized;		/* 401s in a row */

	uint64_t watch_start_ms;
	unsigned watch_events;
	enum refl_abort abort;
	char abort_msg[256];

	struct kube_backoff bo;
	struct agent_timer *timer;
};

static void start_list(struct kube_reflector *r);
static void start_watch(struct kube_reflector *r);

static void rlog(struct kube_reflector *r, const char *fmt, ...) SN_PRINTF(2, 3);
static void rlog(struct kube_reflector *r, const char *fmt, ...)
{
	char line[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kube_client_log(r->c, "%s: %s", r->res->name, line);
}

static void set_rv(struct kube_reflector *r, const char *rv)
{
	if (!rv || !*rv)
		return;
	free(r->rv);
	r->rv = sn_strdup(rv);
}

static void backoff(struct kube_reflector *r, enum refl_state next, const char *why)
{
	uint64_t ms = kube_backoff_next(&r->bo, agent_now_ms(), drand48());

	rlog(r, "backoff %llu.%03llus: %s", (unsigned long long)(ms / 1000),
	     (unsigned long long)(ms % 1000), why);
	r->state = R_WAIT;
	r->after_wait = next;
	agent_timer_arm(r->timer, ms);
}

static void wait_over(void *ctx)
{
	struct kube_reflector *r = ctx;

	if (r->after_wait == R_WATCH && r->synced)
		start_watch(r);
	else
		start_list(r);
}

static char *esc(struct kube_reflector *r, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *ret = sn_strdup(e ? e : "");

	curl_free(e);
	return ret;
}

static void add_selectors(struct kube_reflector *r, struct sn_buf *q)
{
	char *e;

	if (r->label_selector) {
		e = esc(r, r->label_selector);
		sn_buf_printf(q, "&labelSelector=%s", e);
		free(e);
	}
	if (r->field_selector) {
		e = esc(r, r->field_selector);
		sn_buf_printf(q, "&fieldSelector=%s", e);
		free(e);
	}
}

static size_t on_write(char *p, size_t sz, size_t n, void *ud);
static void on_done(void *ctx, CURL *easy, CURLcode res);

/* Start GET path?query (query built as "&a=b&c=d"). */
static bool begin(struct kube_reflector *r, struct sn_buf *q, long timeout_ms)
{
	char *pq = sn_asprintf("%s?%s", r->res->path, q->s + 1);

	r->easy = kube_client_easy(r->c, pq);
	free(pq);
	sn_buf_free(q);
	if (!r->easy) {
		backoff(r, r->state, "cannot create a libcurl handle");
		return false;
	}
	sn_buf_reset(&r->body);
	r->body_too_large = false;
	kube_split_reset(&r->split);
	r->abort = A_NONE;
	r->abort_msg[0] = '\0';
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (kube_client_start(r->c, r->easy, on_done, r) < 0) {
		kube_client_easy_free(r->easy);
		r->easy = NULL;
		backoff(r, r->state, "cannot start the request");
		return false;
	}
	return true;
}

static void start_list(struct kube_reflector *r)
{
	struct sn_buf q;

	sn_buf_init(&q);
	r->state = R_LIST;
	if (!r->cont) {
		r->gen++;
		r->pages = 0;
	}
	/* resourceVersion unset: a consistent read of the newest state. */
	sn_buf_printf(&q, "&limit=%u", r->page_size);
	add_selectors(r, &q);
	if (r->cont) {
		char *e = esc(r, r->cont);

		sn_buf_printf(&q, "&continue=%s", e);
		free(e);
	}
	begin(r, &q, KUBE_LIST_TIMEOUT_MS);
}

static void start_watch(struct kube_reflector *r)
{
	unsigned t = r->watch_timeout_min_s + (unsigned)(drand48() * r->watch_timeout_min_s);
	struct sn_buf q;
	char *e = esc(r, r->rv);

	sn_buf_init(&q);
	r->state = R_WATCH;
	sn_buf_printf(&q, "&watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%u",
		      e, t);
	free(e);
	add_selectors(r, &q);
	rlog(r, "WATCH rv=%s timeoutSeconds=%u", r->rv, t);
	r->watch_start_ms = agent_now_ms();
	r->watch_events = 0;
	begin(r, &q, (long)(t + KUBE_WATCH_GRACE_S) * 1000);
}

/* metadata.namespace/name of obj into key; its resourceVersion. */
static const char *obj_key(const cJSON *obj, char *key, size_t ksize, const char **rv)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "namespace"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "name"));

	*rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "resourceVersion"));
	if (!*rv)
		*rv = "";
	if (!name)
		return NULL;
	if (ns && *ns)
		snprintf(key, ksize, "%s/%s", ns, name);
	else
		snprintf(key, ksize, "%s", name);
	return key;
}

static void emit(struct kube_reflector *r, enum kube_event_type t, const char *key,
		 const cJSON *obj, const char *rv, bool from_list)
{
	struct kube_event ev = {
		.type = t, .key = key, .obj = obj, .rv = rv, .from_list = from_list,
	};

	r->fn(r->ctx, r, &ev);
}

/* Name length 253 + namespace 63 + slash: 320 is enough for any key. */
#define KUBE_KEY_MAX 320

static void sweep(struct kube_reflector *r)
{
	size_t i;

	for (i = 0; i < r->store.nb; i++) {
		struct kube_ent **pp = &r->store.b[i];

		while (*pp) {
			struct kube_ent *e = *pp;
			cJSON *stub, *md;
			const char *slash;

			if (e->gen == r->gen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			r->store.n--;
			stub = cJSON_CreateObject();
			cJSON_AddStringToObject(stub, "kind", r->res->kind);
			cJSON_AddStringToObject(stub, "apiVersion", r->res->api_version);
			md = cJSON_AddObjectToObject(stub, "metadata");
			slash = strchr(e->key, '/');
			if (slash) {
				char *ns = sn_strndup(e->key, (size_t)(slash - e->key));

				cJSON_AddStringToObject(md, "namespace", ns);
				cJSON_AddStringToObject(md, "name", slash + 1);
				free(ns);
			} else {
				cJSON_AddStringToObject(md, "name", e->key);
			}
			cJSON_AddStringToObject(md, "resourceVersion", e->rv);
			emit(r, KUBE_DELETED, e->key, stub, e->rv, true);
			cJSON_Delete(stub);
			ent_free(e);
		}
	}
}

/* One page of a list: returns 0, or -1 with the reason in abort_msg. */
static int list_page(struct kube_reflector *r)
{
	cJSON *doc = cJSON_ParseWithLength(r->body.s ? r->body.s : "", r->body.len);
	const cJSON *md, *items;
	cJSON *it;
	const char *rv, *cont;
	char key[KUBE_KEY_MAX];
	unsigned n = 0;

	if (!doc) {
		snprintf(r->abort_msg, sizeof(r->abort_msg), "list: the response is not JSON");
		return -1;
	}
	md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	items = cJSON_GetObjectItemCaseSensitive(doc, "items");
	rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "resourceVersion"));
	cont = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "continue"));
	if (!rv || !*rv || (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))) {
		snprintf(r->abort_msg, sizeof(r->abort_msg),
			 "list: no metadata.resourceVersion or items is not a list");
		cJSON_Delete(doc);
		return -1;
	}
	r->pages++;
	cJSON_ArrayForEach(it, items) {
		const char *irv;
		int was;

		if (!obj_key(it, key, sizeof(key), &irv))
			continue;	/* no name: nothing a proxy can key on */
		/* List items carry no kind/apiVersion; the caller gets them. */
		if (!cJSON_HasObjectItem(it, "kind"))
			cJSON_AddStringToObject(it, "kind", r->res->kind);
		if (!cJSON_HasObjectItem(it, "apiVersion"))
			cJSON_AddStringToObject(it, "apiVersion", r->res->api_version);
		was = store_put(&r->store, key, irv, r->gen);
		if (was != 1)
			emit(r, was == 0 ? KUBE_ADDED : KUBE_MODIFIED, key, it, irv, true);
		n++;
	}
	free(r->cont);
	r->cont = cont && *cont ? sn_strdup(cont) : NULL;
	if (!r->cont) {
		sweep(r);
		set_rv(r, rv);
		r->synced = true;
		rlog(r, "LIST rv=%s items=%zu pages=%u", rv, r->store.n, r->pages);
		emit(r, KUBE_SYNCED, NULL, NULL, rv, true);
	}
	cJSON_Delete(doc);
	return 0;
}

/* A Status: does it say the RV is gone or too new (relist)? */
static bool status_relist(const cJSON *st, int http_code)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(st, "code");
	const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "reason"));
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message"));
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(st, "details");
	const cJSON *causes = cJSON_GetObjectItemCaseSensitive(details, "causes");
	const cJSON *cause;

	if (http_code == 410 || (cJSON_IsNumber(code) && code->valueint == 410))
		return true;
	if (reason && (!strcmp(reason, "Expired") || !strcmp(reason, "Gone")))
		return true;
	/* isTooLargeResourceVersionError: the cause, or older servers' text. */
	if (!cJSON_IsArray(causes))
		causes = NULL;
	cJSON_ArrayForEach(cause, causes) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cause, "reason"));

		if (t && !strcmp(t, "ResourceVersionTooLarge"))
			return true;
	}
	return msg && strcasestr(msg, "too large resource version");
}

static int watch_obj(void *ctx, const char *text, size_t len)
{
	struct kube_reflector *r = ctx;
	cJSON *ev = cJSON_ParseWithLength(text, len);
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
	cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	char key[KUBE_KEY_MAX];
	const char *rv;

	if (!type || !cJSON_IsObject(obj)) {
		snprintf(r->abort_msg, sizeof(r->abort_msg), "watch: not an event: %.60s", text);
		r->abort = A_ERROR;
		cJSON_Delete(ev);
		return 1;
	}
	r->watch_events++;
	if (!strcmp(type, "ERROR")) {
		const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "message"));

		r->abort = status_relist(obj, 0) ? A_RELIST : A_ERROR;
		snprintf(r->abort_msg, sizeof(r->abort_msg), "watch ERROR: %s", msg ? msg : "?");
		cJSON_Delete(ev);
		return 1;
	}
	if (!strcmp(type, "BOOKMARK")) {
		obj_key(obj, key, sizeof(key), &rv);
		set_rv(r, rv);
		rlog(r, "BOOKMARK rv=%s", rv);
		cJSON_Delete(ev);
		return 0;
	}
	if (!obj_key(obj, key, sizeof(key), &rv)) {
		snprintf(r->abort_msg, sizeof(r->abort_msg), "watch %s: object without a name", type);
		r->abort = A_ERROR;
		cJSON_Delete(ev);
		return 1;
	}
	if (!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
		/* As an informer: an ADDED for a known key is an update. */
		int was = store_put(&r->store, key, rv, r->gen);

		emit(r, was == 0 ? KUBE_ADDED : KUBE_MODIFIED, key, obj, rv, false);
	} else if (!strcmp(type, "DELETED")) {
		store_del(&r->store, key);
		emit(r, KUBE_DELETED, key, obj, rv, false);
	} else {
		snprintf(r->abort_msg, sizeof(r->abort_msg), "watch: unknown event type %.30s", type);
		r->abort = A_ERROR;
		cJSON_Delete(ev);
		return 1;
	}
	set_rv(r, rv);
	cJSON_Delete(ev);
	return 0;
}

static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
	struct kube_reflector *r = ud;
	size_t len = sz * n;
	long code = 0;
	int rc;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->state == R_WATCH && code == 200) {
		rc = kube_split_feed(&r->split, p, len, watch_obj, r);
		if (rc == -1) {
			snprintf(r->abort_msg, sizeof(r->abort_msg), "%s", r->split.err);
			r->abort = A_ERROR;
		}
		/* Returning short makes libcurl end the transfer. */
		return rc ? 0 : len;
	}
	if (r->body.len + len > KUBE_BODY_MAX) {
		r->body_too_large = true;
		return 0;
	}
	sn_buf_addn(&r->body, p, len);
	return len;
}

/* What the server said in a non-2xx answer, for the log. */
static void status_text(struct kube_reflector *r, long code, char *buf, size_t size,
			bool *relist)
{
	cJSON *st = cJSON_ParseWithLength(r->body.s ? r->body.s : "", r->body.len);
	const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message"));

	*relist = status_relist(st, (int)code);
	snprintf(buf, size, "HTTP %ld%s%s", code, msg ? ": " : "", msg ? msg : "");
	cJSON_Delete(st);
}

static void on_done(void *ctx, CURL *easy, CURLcode res)
{
	struct kube_reflector *r = ctx;
	enum refl_state was = r->state;
	long code = 0;
	char why[512];
	bool relist = false;
	uint64_t lived = agent_now_ms() - r->watch_start_ms;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	kube_client_easy_free(easy);
	r->easy = NULL;

	if (r->abort == A_RELIST) {
		rlog(r, "relist: %s", r->abort_msg);
		free(r->cont);
		r->cont = NULL;
		start_list(r);
		return;
	}
	if (r->abort == A_ERROR) {
		backoff(r, was, r->abort_msg);
		return;
	}
	if (code == 401) {
		/* ResettableTokenSource: re-read the token and try again at
		 * once; a second 401 in a row backs off. */
		kube_client_token_reset(r->c);
		if (r->unauthorized++ == 0) {
			rlog(r, "HTTP 401 Unauthorized: re-reading the token");
			if (was == R_WATCH)
				start_watch(r);
			else
				start_list(r);
		} else {
			backoff(r, was, "HTTP 401 Unauthorized (token rejected again)");
		}
		return;
	}
	if (code)
		r->unauthorized = 0;

	if (was == R_LIST) {
		if (res == CURLE_OK && code == 200 && !r->body_too_large) {
			if (list_page(r) < 0) {
				free(r->cont);
				r->cont = NULL;
				backoff(r, R_LIST, r->abort_msg);
			} else if (r->cont) {
				start_list(r);
			} else {
				/* A list page can be megabytes: not kept while
				 * the watch runs for minutes. */
				sn_buf_free(&r->body);
				start_watch(r);
			}
			return;
		}
		if (r->body_too_large)
			snprintf(why, sizeof(why), "list page larger than %u bytes", KUBE_BODY_MAX);
		else if (code)
			status_text(r, code, why, sizeof(why), &relist);
		else
			snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
		if (code == 410 && r->cont) {
			/* The continue token expired: a fresh list, at once,
			 * as client-go's pager falls back to a full list. */
			rlog(r, "continue token expired (%s): listing again", why);
			free(r->cont);
			r->cont = NULL;
			start_list(r);
			return;
		}
		free(r->cont);
		r->cont = NULL;
		if (code == 403)
			rlog(r, "forbidden: does the service account may list and watch %s?",
			     r->res->name);
		backoff(r, R_LIST, why);
		return;
	}

	/* The watch ended. */
	if (code == 200 && (res == CURLE_OK || res == CURLE_OPERATION_TIMEDOUT ||
			    res == CURLE_PARTIAL_FILE || res == CURLE_RECV_ERROR ||
			    res == CURLE_GOT_NOTHING || res == CURLE_HTTP2_STREAM ||
			    res == CURLE_HTTP2)) {
		const char *how = res == CURLE_OK && !kube_split_pending(&r->split) ?
					  "ended" : "was cut";

		if (lived < KUBE_SHORT_WATCH_MS && r->watch_events == 0) {
			snprintf(why, sizeof(why), "very short watch (%s after %llu ms, no event)",
				 how, (unsigned long long)lived);
			backoff(r, R_WATCH, why);
			return;
		}
		rlog(r, "watch %s after %u events (%s)", how, r->watch_events,
		     res == CURLE_OK ? "clean" : curl_easy_strerror(res));
		start_watch(r);
		return;
	}
	if (code)
		status_text(r, code, why, sizeof(why), &relist);
	else
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(res));
	if (relist) {
		rlog(r, "relist: %s", why);
		start_list(r);
		return;
	}
	if (code == 403)
		rlog(r, "forbidden: may the service account watch %s?", r->res->name);
	backoff(r, R_WATCH, why);
}

struct kube_reflector *kube_reflector_new(struct kube_client *c, const struct kube_resource *res,
					  const struct kube_reflector_opts *o, kube_event_fn *fn,
					  void *ctx)
{
	struct kube_reflector *r = sn_calloc(1, sizeof(*r));
	static bool seeded;

	/* Jitter and watch timeouts must differ between nodes, or every
	 * agent of a cluster reconnects in the same second. */
	if (!seeded) {
		srand48((long)(agent_now_ms() ^ ((uint64_t)getpid() << 16)));
		seeded = true;
	}
	r->c = c;
	r->res = res;
	r->fn = fn;
	r->ctx = ctx;
	r->label_selector = o->label_selector ? sn_strdup(o->label_selector) : NULL;
	r->field_selector = o->field_selector ? sn_strdup(o->field_selector) : NULL;
	r->page_size = o->page_size ? o->page_size : KUBE_PAGE_SIZE;
	/* client-go: minWatchTimeout 5 min, timeoutSeconds in [5, 10) min. */
	r->watch_timeout_min_s = o->watch_timeout_min_s ? o->watch_timeout_min_s : 300;
	kube_backoff_init(&r->bo, o->backoff_initial_ms ? o->backoff_initial_ms : 800,
			  o->backoff_cap_ms ? o->backoff_cap_ms : 30000,
			  o->backoff_reset_ms ? o->backoff_reset_ms : 120000);
	kube_split_init(&r->split, 0);
	sn_buf_init(&r->body);
	r->rv = sn_strdup("");
	r->timer = agent_timer_new(kube_client_loop(c), wait_over, r);
	if (!r->timer) {
		kube_reflector_free(r);
		return NULL;
	}
	return r;
}

void kube_reflector_start(struct kube_reflector *r)
{
	start_list(r);
}

void kube_reflector_free(struct kube_reflector *r)
{
	if (!r)
		return;
	if (r->easy) {
		kube_client_cancel(r->c, r->easy);
		kube_client_easy_free(r->easy);
	}
	agent_timer_free(r->timer);
	store_free(&r->store);
	kube_split_free(&r->split);
	sn_buf_free(&r->body);
	free(r->label_selector);
	free(r->field_selector);
	free(r->cont);
	free(r->rv);
	free(r);
}

const char *kube_reflector_name(const struct kube_reflector *r)
{
	return r->res->name;
}

const char *kube_reflector_rv(const struct kube_reflector *r)
{
	return r->rv;
}

bool kube_reflector_synced(const struct kube_reflector *r)
{
	return r->synced;
}

size_t kube_reflector_count(const struct kube_reflector *r)
{
	return r->store.n;
}
