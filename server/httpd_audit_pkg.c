/* httpd_audit_pkg.c - GET /v1/audit/package and /v1/audit/summary: the
 * package is built by the same streaming writer as `lockstep audit
 * --data`, on a job's thread (httpd_job.c: never on a request thread; a
 * stop cancels it), into a private directory under DATA/audit-tmp,
 * turned into a tar file a file at a time, and sent from that file; so a
 * request costs the server the memory of a build (agents, versions,
 * days), never the package's size.  The tar is unlinked once open, so
 * the disk is given back when the response ends however it ends, and a
 * crash leaves only a directory that the next start removes.  At most
 * PKG_BUILDS packages are built or sent at once (they hold disk); more
 * get 503 and Retry-After. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "httpd_impl.h"
#include "lockstep/error.h"
#include "lockstep/file.h"

#define PKG_BUILDS 2		    /* packages built or being sent at once */
#define PKG_RETRY "30"		    /* seconds, for the 503 */
#define PKG_SUMMARY_MAX (64u << 20) /* summary.json read back */
#define PKG_BLOCK (64 * 1024)	    /* bytes a response read asks for */

static int builds; /* across daemons: the disk is shared */

int
httpd_audit_pkg_init(struct ls_httpd *h)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/audit-tmp", h->data);

	if (n < 0 || (size_t)n >= sizeof(dir))
		return ls_error_set(LS_EINVAL, "%s: path too long", h->data);
	if (ls_file_exists(dir) && ls_file_remove_tree(dir) != 0)
		return LS_EIO;
	if (mkdir(dir, 0700) != 0)
		return ls_error_set(LS_EIO, "%s: %s", dir, strerror(errno));
	return 0;
}

static int
slot_take(void)
{
	if (__atomic_add_fetch(&builds, 1, __ATOMIC_SEQ_CST) <= PKG_BUILDS)
		return 1;
	__atomic_sub_fetch(&builds, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void
slot_give(void)
{
	__atomic_sub_fetch(&builds, 1, __ATOMIC_SEQ_CST);
}

/* The response's side: the open (unlinked) tar; its end gives the slot
 * back. */
static ssize_t
tar_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	int fd = *(int *)cls;
	ssize_t n;

	do
		n = pread(fd, buf, max, (off_t)pos);
	while (n < 0 && errno == EINTR);
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
tar_done(void *cls)
{
	close(*(int *)cls);
	free(cls);
	slot_give();
}

/* tmp/package.tar from tmp/pkg (whose files go as they are copied),
 * open and already unlinked. */
static int
tar_open(int *fd_out, uint64_t *size, const char *tmp)
{
	char path[PATH_MAX], pkg[PATH_MAX];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/package.tar", tmp);
	snprintf(pkg, sizeof(pkg), "%s/pkg", tmp);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	(void)unlink(path);
	if ((rc = ls_audit_tar_dir(fd, pkg)) == 0 && fstat(fd, &st) != 0)
		rc = ls_error_set(LS_EIO, "%s: %s", path, strerror(errno));
	if (rc != 0) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Send r (NULL: MHD_NO) as code with ctype, no caching, and one more
 * header when hname is not NULL. */
static enum MHD_Result
send_response(struct MHD_Connection *c, unsigned code, struct MHD_Response *r,
    const char *ctype, const char *hname, const char *hval)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (hname != NULL)
		MHD_add_response_header(r, hname, hval);
	ret = httpd_answer(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
answer_tar(struct MHD_Connection *c, int fd, uint64_t size)
{
	struct MHD_Response *r;
	int *cls = malloc(sizeof(*cls));

	if (cls == NULL) {
		close(fd);
		slot_give();
		return httpd_answer_error(c, 500, "out of memory");
	}
	*cls = fd;
	r = MHD_create_response_from_callback(size, PKG_BLOCK, tar_read, cls,
	    tar_done);
	if (r == NULL)
		tar_done(cls);
	return send_response(c, 200, r, "application/x-tar",
	    "Content-Disposition",
	    "attachment; filename=\"audit-package.tar\"");
}

/*
 * A package's job (httpd_job.c): built, and turned into its open tar or
 * its summary, on the job's thread; its directory removed there too.  The
 * slot is the job's until the tar's response takes it over.
 */
struct pkg {
	struct ls_httpd *h;
	struct ls_audit_opts o;
	char *control, *framework; /* o's, owned */
	int summary;
	int fd; /* the tar, or -1 */
	uint64_t size;
	char *sum; /* summary.json */
	size_t sum_len;
	int slot;
};

static void
pkg_free(void *arg)
{
	struct pkg *p = arg;

	if (p->fd >= 0)
		close(p->fd);
	if (p->slot)
		slot_give();
	free(p->sum);
	free(p->control);
	free(p->framework);
	free(p);
}

/* DATA/audit-tmp/XXXXXX/pkg, built. */
static int
build(char *tmp, size_t n, struct ls_httpd *h, const struct ls_audit_opts *o)
{
	char pkg[PATH_MAX];
	int len = snprintf(tmp, n, "%s/audit-tmp/XXXXXX", h->data);

	if (len < 0 || (size_t)len >= n) {
		tmp[0] = '\0';
		return ls_error_set(LS_EINVAL, "%s: path too long", h->data);
	}
	if (mkdtemp(tmp) == NULL) {
		tmp[0] = '\0';
		return ls_error_set(LS_EIO, "audit-tmp: %s", strerror(errno));
	}
	snprintf(pkg, sizeof(pkg), "%s/pkg", tmp);
	return ls_audit_build_tmp(pkg, ls_store_evidence(h->o.store),
	    ls_store_origin(h->o.store), ls_store_log_key(h->o.store), o);
}

static int
pkg_run(void *arg, const int *cancel)
{
	struct pkg *p = arg;
	char tmp[PATH_MAX - 64]; /* room for /pkg/summary.json */
	char path[PATH_MAX];
	int rc;

	p->o.cancel = cancel;
	tmp[0] = '\0';
	if ((rc = build(tmp, sizeof(tmp), p->h, &p->o)) == 0) {
		if (p->summary) {
			snprintf(path, sizeof(path), "%s/pkg/summary.json",
			    tmp);
			rc = ls_file_read(&p->sum, &p->sum_len, path,
			    PKG_SUMMARY_MAX);
		} else
			rc = tar_open(&p->fd, &p->size, tmp);
	}
	if (tmp[0] != '\0')
		(void)ls_file_remove_tree(tmp);
	return rc;
}

static unsigned
status_of(int rc)
{
	switch (rc) {
	case LS_EINVAL: return 400;
	case LS_ETOOBIG: return 413;
	default: return 500;
	}
}

static enum MHD_Result
pkg_answer(void *arg, int rc, const char *msg, struct MHD_Connection *c)
{
	struct pkg *p = arg;
	struct MHD_Response *r;
	int fd = p->fd;

	if (rc != 0)
		return httpd_answer_error(c, status_of(rc), msg);
	if (p->summary) {
		r = MHD_create_response_from_buffer(p->sum_len, p->sum,
		    MHD_RESPMEM_MUST_FREE);
		if (r != NULL)
			p->sum = NULL;
		return send_response(c, 200, r, "application/json", NULL,
		    NULL);
	}
	p->fd = -1; /* answer_tar's, with the slot */
	p->slot = 0;
	return answer_tar(c, fd, p->size);
}

static const struct httpd_job_ops pkg_ops = { pkg_run, pkg_answer,
	pkg_free };

static char *
dup_or_null(const char *s, int *failed)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*failed = 1;
	return d;
}

enum MHD_Result
httpd_audit_pkg_serve(struct ls_httpd *h, struct MHD_Connection *c,
    void **con_cls, const struct ls_audit_opts *o, int summary)
{
	struct pkg *p;
	int failed = 0;

	if (ls_store_log_key(h->o.store) == NULL)
		return httpd_answer_error(c, 503, "no log key: no packages");
	if (!slot_take())
		return httpd_answer_busy(c,
		    "too many audit packages at once: retry later", PKG_RETRY);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		slot_give();
		return httpd_answer_error(c, 500, "out of memory");
	}
	p->h = h;
	p->o = *o;
	p->fd = -1;
	p->slot = 1;
	p->summary = summary;
	/* The connection's values, copied: the job outlives this call. */
	p->o.control = p->control = dup_or_null(o->control, &failed);
	p->o.framework = p->framework = dup_or_null(o->framework, &failed);
	if (failed) {
		pkg_free(p);
		return httpd_answer_error(c, 500, "out of memory");
	}
	return httpd_job_start(c, con_cls, &pkg_ops, p);
}
