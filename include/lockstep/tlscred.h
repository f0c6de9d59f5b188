/*
 * tlscred.h - a TLS certificate and key (PEM files) served by
 * libmicrohttpd, reloaded when the files change: cert-manager rotates a
 * Secret by swapping files under a running webhook, and connections must
 * not drop.
 *
 * Each handshake asks for the pair through MHD_OPTION_HTTPS_CERT_CALLBACK;
 * at most once a second that call looks at the files (inode, size,
 * mtime) and, when they changed, loads them and checks that the key
 * matches the certificate.  A pair that does not load or match is not
 * used: the previous one keeps serving (and the next check tries again).
 * A replaced pair is freed only after LS_TLSCRED_GRACE seconds, so a
 * handshake that started with it finishes.  One set per process (the
 * callback gets no user pointer); thread-safe.
 */
#ifndef LOCKSTEP_TLSCRED_H
#define LOCKSTEP_TLSCRED_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#define LS_TLSCRED_GRACE 120 /* s a replaced pair stays allocated */
#define LS_TLSCRED_MAX_FILE (1024 * 1024)

/* Load cert_file (a chain, leaf first) and key_file (a secret: refused
 * when group or others may read it).  LS_EFORMAT naming the file,
 * LS_EUNSAFE for the key's mode, LS_EMISMATCH when the key is not the
 * certificate's, LS_EINVAL when called twice. */
int ls_tlscred_init(const char *cert_file, const char *key_file);

/* Free everything (no handshake may be running). */
void ls_tlscred_cleanup(void);

/* How many pairs have been loaded (1 after init): for logs and tests. */
unsigned long ls_tlscred_generation(void);

/* The message of the last reload that failed, "" when none. */
void ls_tlscred_last_error(char *out, size_t cap);

/* gnutls_certificate_retrieve_function2, for MHD. */
int ls_tlscred_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *algos, int nalgos,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey);

#endif
