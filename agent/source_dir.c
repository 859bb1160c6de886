// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * agent/source_dir.c: `svcnft run -f DIR` (source.h). The directory's own
 * *.yaml, *.yml and *.json files (names starting with '.' skipped, as
 * input_load does; subdirectories are not read), each file the owner of the
 * objects it holds in the store.
 *
 * Events: a file is read when it is closed after writing or moved in
 * (IN_CLOSE_WRITE, IN_MOVED_TO), created as a link (IN_CREATE of a
 * symlink), or its attributes change (a chmod that makes it readable
 * again); its objects go when it is deleted or moved out. IN_MODIFY is not
 * acted upon: a file read while a writer is still at it may parse as a
 * valid prefix of itself and drop the objects the rest would hold. An
 * event on a '.' name (a ConfigMap volume swaps its ..data link) re-reads
 * the whole directory.
 *
 * A read that reports any error (half-written YAML, an invalid object, no
 * permission, a dangling link) keeps every object the file gave before, is
 * reported, and is retried with a doubling delay; an identical content is
 * not put again, so a touch costs nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/source.h"
#include "input/input.h"
#include "lib/log.h"

struct dir_file {
	char *name;
	uint32_t owner;
	bool loaded;		/* its objects are in the store */
	uint64_t hash;		/* of the content last put */
	bool failing;
	uint64_t retry_at;	/* monotonic ms */
	uint64_t retry_ms;
	bool seen;		/* in the current scan */
};

struct ag_source_dir {
	struct agent_loop *loop;
	char *dir;
	int ifd;
	struct agent_io *io;
	struct agent_timer *retry;
	struct ag_store *st;
	struct ag_source_ops ops;
	struct dir_file *files;
	size_t n, cap;
	uint32_t next_owner;
};

static bool wanted(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static struct dir_file *find(struct ag_source_dir *s, const char *name, bool add)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->files[i].name, name))
			return &s->files[i];
	if (!add)
		return NULL;
	sn_grow(&s->files, &s->cap, s->n + 1, sizeof(*s->files));
	s->files[s->n] = (struct dir_file){ .name = sn_strdup(name), .owner = ++s->next_owner };
	return &s->files[s->n++];
}

static void forget(struct ag_source_dir *s, struct dir_file *f)
{
	size_t i = (size_t)(f - s->files);

	free(f->name);
	s->files[i] = s->files[--s->n];
}

static void arm_retry(struct ag_source_dir *s)
{
	uint64_t now = agent_now_ms(), next = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->files[i].failing && (!next || s->files[i].retry_at < next))
			next = s->files[i].retry_at;
	if (next)
		agent_timer_arm(s->retry, next > now ? next - now : 0);
	else
		agent_timer_disarm(s->retry);
}

static void failed(struct dir_file *f, const char *path, const char *why)
{
	char ms[24];

	f->retry_ms = f->failing ? f->retry_ms * 2 : AG_DIR_RETRY_MS;
	if (f->retry_ms > AG_DIR_RETRY_CAP_MS)
		f->retry_ms = AG_DIR_RETRY_CAP_MS;
	f->failing = true;
	f->retry_at = agent_now_ms() + f->retry_ms;
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)f->retry_ms);
	sn_log_warn(f->loaded ? "file not loaded, keeping its previous objects" :
				"file not loaded",
		    "file", path, "reason", why, "retry_ms", ms, NULL);
}

/* Read one file into the store. Returns true when the store changed. */
static bool read_file(struct ag_source_dir *s, const char *name)
{
	char *path = sn_asprintf("%s/%s", s->dir, name);
	struct dir_file *f;
	struct stat st;
	struct svc_world *scratch;
	struct sn_diag d;
	struct sn_buf buf;
	bool changed = false;
	uint64_t h;
	int fd;

	if (stat(path, &st) < 0 && lstat(path, &st) < 0) {
		/* gone (a dangling link still lstat()s: that is unreadable,
		 * and so is a file stat() refuses for another reason) */
		f = find(s, name, false);
		if (f) {
			if (f->loaded) {
				scratch = svc_world_alloc();
				ag_store_replace(s->st, scratch, f->owner);
				svc_world_free(scratch);
				changed = true;
				sn_log(2, "file removed", "file", path, NULL);
			}
			forget(s, f);
		}
		free(path);
		return changed;
	}
	f = find(s, name, true);
	f->seen = true;
	if (S_ISDIR(st.st_mode)) {
		free(path);
		return false;
	}
	sn_buf_init(&buf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		failed(f, path, strerror(errno));
		goto out;
	}
	for (;;) {
		char chunk[65536];
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			failed(f, path, strerror(errno));
			close(fd);
			goto out;
		}
		if (r == 0)
			break;
		sn_buf_addn(&buf, chunk, (size_t)r);
	}
	close(fd);
	h = sn_hash64(buf.s ? buf.s : "", buf.len, 0x5ca1ab1e);
	if (f->loaded && !f->failing && h == f->hash)
		goto out;	/* the same bytes: nothing to do */
	scratch = svc_world_alloc();
	sn_diag_init(&d);
	if (input_load_buffer(path, buf.s ? buf.s : "", buf.len, scratch, &d) > 0) {
		struct sn_buf why;

		sn_buf_init(&why);
		for (size_t i = 0; i < d.n; i++)
			if (d.recs[i].sev == SN_ERROR) {
				sn_diag_format(&d.recs[i], &why);
				break;
			}
		failed(f, path, why.s ? why.s : "error");
		sn_buf_free(&why);
	} else {
		unsigned n = ag_store_replace(s->st, scratch, f->owner);

		if (f->failing)
			sn_log(0, "file loaded again", "file", path, NULL);
		sn_logf(2, "file loaded", "objects=%u", n);
		f->loaded = true;
		f->failing = false;
		f->hash = h;
		changed = true;
	}
	svc_world_free(scratch);
	sn_diag_free(&d);
out:
	sn_buf_free(&buf);
	free(path);
	return changed;
}

/* Read every file, drop the objects of files that are gone. */
static bool scan(struct ag_source_dir *s)
{
	DIR *dh = opendir(s->dir);
	struct dirent *de;
	bool changed = false;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!dh) {
		sn_log_err("cannot read the directory", "dir", s->dir, "reason", strerror(errno),
			   NULL);
		return false;
	}
	while ((de = readdir(dh))) {
		if (!wanted(de->d_name))
			continue;
		sn_grow(&names, &cap, n + 1, sizeof(char *));
		names[n++] = sn_strdup(de->d_name);
	}
	closedir(dh);
	for (size_t i = 0; i < s->n; i++)
		s->files[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		changed |= read_file(s, names[i]);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < s->n;) {
		if (!s->files[i].seen) {
			/* not listed any more: read_file sees it gone */
			char *name = sn_strdup(s->files[i].name);

			changed |= read_file(s, name);
			free(name);
			continue;	/* i now holds another file, or the same one was kept */
		}
		i++;
	}
	return changed;
}

static void on_retry(void *ctx)
{
	struct ag_source_dir *s = ctx;
	uint64_t now = agent_now_ms();
	bool changed = false;

	for (size_t i = 0; i < s->n; i++) {
		if (s->files[i].failing && s->files[i].retry_at <= now) {
			char *name = sn_strdup(s->files[i].name);

			changed |= read_file(s, name);
			free(name);
		}
	}
	arm_retry(s);
	if (changed && s->ops.changed)
		s->ops.changed(s->ops.ctx);
}

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	struct ag_source_dir *s = ctx;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, rescan = false;
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) {
				rescan = true;
				continue;
			}
			if (!ev->len)
				continue;
			if (ev->name[0] == '.') {
				rescan = true;	/* ConfigMap volumes swap ..data */
				continue;
			}
			if (!wanted(ev->name))
				continue;
			if ((ev->mask & IN_CREATE) && !(ev->mask & IN_ISDIR)) {
				struct stat st;
				char *path = sn_asprintf("%s/%s", s->dir, ev->name);
				bool link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);

				free(path);
				if (!link)
					continue;	/* read at IN_CLOSE_WRITE */
			}
			changed |= read_file(s, ev->name);
		}
	}
	if (rescan)
		changed |= scan(s);
	arm_retry(s);
	if (changed && s->ops.changed)
		s->ops.changed(s->ops.ctx);
}

struct ag_source_dir *ag_source_dir_new(struct agent_loop *l, const char *dir,
					struct ag_store *st, const struct ag_source_ops *ops,
					struct sn_diag *d)
{
	struct ag_source_dir *s;
	struct stat sb;
	int ifd;

	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		sn_diag_add(d, SN_ERROR, NULL, NULL, NULL, "-f %s: %s", dir,
			    errno && !S_ISDIR(sb.st_mode) ? strerror(errno) : "not a directory");
		return NULL;
	}
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
							   IN_CREATE | IN_DELETE | IN_ATTRIB |
							   IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		sn_diag_add(d, SN_ERROR, NULL, NULL, NULL, "inotify on %s: %s", dir,
			    strerror(errno));
		if (ifd >= 0)
			close(ifd);
		return NULL;
	}
	s = sn_calloc(1, sizeof(*s));
	s->loop = l;
	s->dir = sn_strdup(dir);
	s->ifd = ifd;
	s->st = st;
	s->ops = *ops;
	s->retry = agent_timer_new(l, on_retry, s);
	return s;
}

void ag_source_dir_start(struct ag_source_dir *s)
{
	s->io = agent_io_add(s->loop, s->ifd, EPOLLIN, on_inotify, s);
	scan(s);
	arm_retry(s);
	sn_logf(0, "directory read", "services=%u endpointslices=%u nodes=%u", s->st->w->nsvcs,
		s->st->w->nslices, s->st->w->nnodes);
	if (s->ops.synced)
		s->ops.synced(s->ops.ctx);
	if (s->ops.changed)
		s->ops.changed(s->ops.ctx);
}

void ag_source_dir_free(struct ag_source_dir *s)
{
	if (!s)
		return;
	agent_io_del(s->io);
	agent_timer_free(s->retry);
	close(s->ifd);
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].name);
	free(s->files);
	free(s->dir);
	free(s);
}
