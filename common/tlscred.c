/* tlscred.c - a reloadable certificate and key for libmicrohttpd. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lockstep/error.h"
#include "lockstep/file.h"
#include "lockstep/secret.h"
#include "lockstep/tlscred.h"

#define MAX_CHAIN 8

struct pair {
	gnutls_pcert_st certs[MAX_CHAIN];
	unsigned ncerts;
	gnutls_privkey_t key;
	time_t retired; /* 0 while current */
	struct pair *next;
};

/* What the files looked like when last loaded. */
struct seen {
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct pair *current, *retired;
static char *cert_path, *key_path;
static struct seen cert_seen, key_seen;
static time_t last_check;
static unsigned long generation;
static char last_err[256];

static void
pair_free(struct pair *p)
{
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ncerts; i++)
		gnutls_pcert_deinit(&p->certs[i]);
	gnutls_privkey_deinit(p->key);
	free(p);
}

static int
read_datum(gnutls_datum_t *d, char **buf, const char *path)
{
	size_t len = 0;
	int rc = ls_file_read(buf, &len, path, LS_TLSCRED_MAX_FILE);

	if (rc != 0)
		return rc;
	d->data = (unsigned char *)*buf;
	d->size = (unsigned)len;
	return 0;
}

/* The key matches the leaf when their public key ids are equal. */
static int
key_matches(struct pair *p)
{
	unsigned char a[64], b[64];
	size_t la = sizeof(a), lb = sizeof(b);
	gnutls_pubkey_t pub = NULL;
	int ok = 0;

	if (gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_privkey(pub, p->key, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, 0, a, &la) == 0 &&
	    gnutls_pubkey_get_key_id(p->certs[0].pubkey, 0, b, &lb) == 0)
		ok = la == lb && memcmp(a, b, la) == 0;
	gnutls_pubkey_deinit(pub);
	return ok;
}

static int
load_pair(struct pair **out, const char *cert, const char *key)
{
	struct pair *p = calloc(1, sizeof(*p));
	char *cbuf = NULL, *kbuf = NULL;
	gnutls_datum_t cd, kd;
	size_t klen = 0;
	int rc;

	*out = NULL;
	if (p == NULL)
		return ls_error_set(LS_ENOMEM, "tls: out of memory");
	p->ncerts = MAX_CHAIN;
	if ((rc = read_datum(&cd, &cbuf, cert)) != 0 ||
	    (rc = ls_secret_read(&kbuf, &klen, key, LS_TLSCRED_MAX_FILE)) != 0)
		goto out;
	kd.data = (unsigned char *)kbuf;
	kd.size = (unsigned)klen;
	if (gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &cd,
		GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    p->ncerts == 0) {
		p->ncerts = 0;
		rc = ls_error_set(LS_EFORMAT, "%s: no PEM certificate", cert);
		goto out;
	}
	if (gnutls_privkey_init(&p->key) < 0 ||
	    gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM,
		NULL, 0) < 0) {
		rc = ls_error_set(LS_EFORMAT, "%s: no PEM private key", key);
		goto out;
	}
	if (!key_matches(p))
		rc = ls_error_set(LS_EMISMATCH,
		    "%s: the key is not the certificate's (%s)", key, cert);
out:
	free(cbuf);
	ls_secret_free(kbuf);
	if (rc != 0)
		pair_free(p);
	else
		*out = p;
	return rc;
}

static int
look(struct seen *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -1;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	return 0;
}

static int
same(const struct seen *a, const struct seen *b)
{
	return a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Called under mu: reload when the files changed; free old pairs. */
static void
maybe_reload(time_t now)
{
	struct seen c, k;
	struct pair *p = NULL, **pp;

	if (now == last_check)
		return;
	last_check = now;
	for (pp = &retired; *pp != NULL;) {
		if (now - (*pp)->retired > LS_TLSCRED_GRACE) {
			struct pair *dead = *pp;

			*pp = dead->next;
			pair_free(dead);
		} else
			pp = &(*pp)->next;
	}
	if (look(&c, cert_path) != 0 || look(&k, key_path) != 0 ||
	    (same(&c, &cert_seen) && same(&k, &key_seen)))
		return;
	if (load_pair(&p, cert_path, key_path) != 0) {
		snprintf(last_err, sizeof(last_err), "%s", ls_error_last());
		return; /* mid-rotation, perhaps: try again next second */
	}
	cert_seen = c;
	key_seen = k;
	current->retired = now;
	current->next = retired;
	retired = current;
	current = p;
	generation++;
	last_err[0] = '\0';
}

int
ls_tlscred_init(const char *cert_file, const char *key_file)
{
	struct pair *p = NULL;
	int rc;

	pthread_mutex_lock(&mu);
	if (current != NULL) {
		pthread_mutex_unlock(&mu);
		return ls_error_set(LS_EINVAL, "tls: already initialised");
	}
	rc = load_pair(&p, cert_file, key_file);
	if (rc == 0 && ((cert_path = strdup(cert_file)) == NULL ||
			   (key_path = strdup(key_file)) == NULL))
		rc = ls_error_set(LS_ENOMEM, "tls: out of memory");
	if (rc == 0) {
		(void)look(&cert_seen, cert_path);
		(void)look(&key_seen, key_path);
		current = p;
		generation = 1;
		last_check = time(NULL);
	} else {
		pair_free(p);
		free(cert_path);
		cert_path = NULL;
	}
	pthread_mutex_unlock(&mu);
	return rc;
}

void
ls_tlscred_cleanup(void)
{
	pthread_mutex_lock(&mu);
	pair_free(current);
	while (retired != NULL) {
		struct pair *n = retired->next;

		pair_free(retired);
		retired = n;
	}
	current = NULL;
	free(cert_path);
	free(key_path);
	cert_path = key_path = NULL;
	generation = 0;
	pthread_mutex_unlock(&mu);
}

unsigned long
ls_tlscred_generation(void)
{
	unsigned long g;

	pthread_mutex_lock(&mu);
	g = generation;
	pthread_mutex_unlock(&mu);
	return g;
}

void
ls_tlscred_last_error(char *out, size_t cap)
{
	pthread_mutex_lock(&mu);
	snprintf(out, cap, "%s", last_err);
	pthread_mutex_unlock(&mu);
}

int
ls_tlscred_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *algos, int nalgos,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey)
{
	(void)s, (void)req_ca_dn, (void)nreqs, (void)algos, (void)nalgos;
	pthread_mutex_lock(&mu);
	if (current == NULL) {
		pthread_mutex_unlock(&mu);
		return -1;
	}
	maybe_reload(time(NULL));
	*pcert = current->certs;
	*pcert_length = current->ncerts;
	*pkey = current->key;
	pthread_mutex_unlock(&mu);
	return 0;
}
