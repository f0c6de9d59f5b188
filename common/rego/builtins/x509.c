/*
 * x509.c - crypto.x509.parse_certificates, parse_certificate_request
 * and parse_rsa_private_key on OpenSSL, with results shaped like Go's
 * JSON marshalling of x509.Certificate / CertificateRequest (the fields
 * policies read: names, validity, serial, SANs, key usage, CA flags, raw
 * DER) and the RSA key as a JWK, as OPA returns them.
 */
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"

#define MAX_CERTS 256 /* certificates in one input */
#define MAX_FIELDS 48 /* fields of one result object */

/* A result object under construction. */
struct obj {
	struct ls_arena *a;
	const struct ls_val *k[MAX_FIELDS], *v[MAX_FIELDS];
	size_t n;
	int oom;
};

static void
obj_put(struct obj *o, const char *key, const struct ls_val *v)
{
	const struct ls_val *k = ls_val_cstring(o->a, key);

	if (k == NULL || v == NULL || o->n >= MAX_FIELDS) {
		o->oom = 1;
		return;
	}
	o->k[o->n] = k;
	o->v[o->n++] = v;
}

static const struct ls_val *
obj_done(struct obj *o)
{
	if (o->oom)
		return NULL;
	return ls_val_object(o->a, o->k, o->v, o->n, NULL);
}

static const struct ls_val *
b64_val(struct ls_arena *a, const unsigned char *p, size_t n, int url)
{
	struct ls_buf b;
	const struct ls_val *v = NULL;

	ls_buf_init(&b, BI_MAX_STRING);
	if (bi_b64_encode(&b, p, n, url, !url) == 0)
		v = ls_val_string(a, b.data ? b.data : "", b.len);
	ls_buf_cleanup(&b);
	return v;
}

/* Big number as a Rego number (Go marshals *big.Int as a JSON number). */
static const struct ls_val *
bn_val(struct ls_arena *a, const BIGNUM *bn)
{
	const struct ls_val *v = NULL;
	char *dec = BN_bn2dec(bn);

	if (dec != NULL)
		v = ls_val_number_text(a, dec, strlen(dec));
	OPENSSL_free(dec);
	return v;
}

/* DER of an i2d-able object as base64 (Go's []byte in JSON). */
static const struct ls_val *
der_val(struct ls_arena *a, unsigned char *der, int n)
{
	const struct ls_val *v;

	if (n < 0)
		return NULL;
	v = b64_val(a, der, (size_t)n, 0);
	OPENSSL_free(der);
	return v;
}

/* ---- names ---- */

struct name_nid {
	int nid;
	const char *field;
};

static const struct name_nid name_fields[] = {
	{ NID_countryName, "Country" },
	{ NID_organizationName, "Organization" },
	{ NID_organizationalUnitName, "OrganizationalUnit" },
	{ NID_localityName, "Locality" },
	{ NID_stateOrProvinceName, "Province" },
	{ NID_streetAddress, "StreetAddress" },
	{ NID_postalCode, "PostalCode" },
};

static const struct ls_val *
entry_text(struct ls_arena *a, const X509_NAME_ENTRY *e)
{
	const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
	unsigned char *utf = NULL;
	const struct ls_val *v;
	int n = ASN1_STRING_to_UTF8(&utf, d);

	if (n < 0)
		return ls_val_empty_string();
	v = ls_val_string(a, (const char *)utf, (size_t)n);
	OPENSSL_free(utf);
	return v;
}

/* Object identifier as Go's asn1.ObjectIdentifier: an array of ints. */
static const struct ls_val *
oid_val(struct ls_arena *a, const ASN1_OBJECT *obj)
{
	const struct ls_val *arcs[64];
	char text[256];
	size_t n = 0;
	const char *p;
	int len = OBJ_obj2txt(text, sizeof text, obj, 1);

	if (len <= 0 || (size_t)len >= sizeof text)
		return ls_val_empty_array();
	for (p = text; *p != '\0' && n < 64;) {
		const char *e = strchr(p, '.');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		arcs[n++] = ls_val_number_text(a, p, l);
		if (arcs[n - 1] == NULL)
			return NULL;
		p += l + (e ? 1 : 0);
	}
	return ls_val_array(a, arcs, n);
}

static const struct ls_val *
name_val(struct ls_arena *a, const X509_NAME *nm)
{
	struct obj o = { .a = a };
	struct ls_vlist names, lists[7];
	const struct ls_val *cn = ls_val_empty_string();
	const struct ls_val *sn = ls_val_empty_string();
	int i, cnt = X509_NAME_entry_count(nm);
	size_t f;

	ls_vlist_init(&names, a);
	for (f = 0; f < 7; f++)
		ls_vlist_init(&lists[f], a);
	for (i = 0; i < cnt && !o.oom; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const struct ls_val *txt = entry_text(a, e);
		struct obj at = { .a = a };

		obj_put(&at, "Type", oid_val(a, X509_NAME_ENTRY_get_object(e)));
		obj_put(&at, "Value", txt);
		if (ls_vlist_push(&names, obj_done(&at)) != 0)
			o.oom = 1;
		if (nid == NID_commonName)
			cn = txt;
		else if (nid == NID_serialNumber)
			sn = txt;
		for (f = 0; f < 7; f++)
			if (nid == name_fields[f].nid &&
			    ls_vlist_push(&lists[f], txt) != 0)
				o.oom = 1;
	}
	for (f = 0; f < 7; f++)
		obj_put(&o, name_fields[f].field,
		    lists[f].n == 0 ? ls_val_null()
				    : ls_val_array(a, lists[f].v, lists[f].n));
	obj_put(&o, "SerialNumber", sn);
	obj_put(&o, "CommonName", cn);
	obj_put(&o, "Names",
	    names.n == 0 ? ls_val_null() : ls_val_array(a, names.v, names.n));
	obj_put(&o, "ExtraNames", ls_val_null());
	return obj_done(&o);
}

/* ---- certificates ---- */

static const struct ls_val *
time_val(struct ls_arena *a, const ASN1_TIME *t)
{
	struct tm tm;
	char text[40];

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return ls_val_empty_string();
	if (strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return ls_val_empty_string();
	return ls_val_cstring(a, text);
}

/* Go's x509.PublicKeyAlgorithm: 1 RSA, 2 DSA, 3 ECDSA, 4 Ed25519. */
static int
pubkey_alg(const EVP_PKEY *k)
{
	switch (k == NULL ? 0 : EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: return 1;
	case EVP_PKEY_DSA: return 2;
	case EVP_PKEY_EC: return 3;
	case EVP_PKEY_ED25519: return 4;
	}
	return 0;
}

/* SANs: DNSNames, EmailAddresses, IPAddresses, URIs. */
static void
put_sans(struct obj *o, X509 *x)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	struct ls_vlist l[4];
	static const char *field[4] = { "DNSNames", "EmailAddresses",
		"IPAddresses", "URIs" };
	int i, f;

	for (f = 0; f < 4; f++)
		ls_vlist_init(&l[f], o->a);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;
		int which = -1;

		if (g->type == GEN_DNS)
			which = 0, s = g->d.dNSName;
		else if (g->type == GEN_EMAIL)
			which = 1, s = g->d.rfc822Name;
		else if (g->type == GEN_URI)
			which = 3, s = g->d.uniformResourceIdentifier;
		else if (g->type == GEN_IPADD)
			which = 2, s = g->d.iPAddress;
		if (which < 0)
			continue;
		if (which == 2) {
			if (ls_vlist_push(&l[2],
				b64_val(o->a, ASN1_STRING_get0_data(s),
				    (size_t)ASN1_STRING_length(s), 0)) != 0)
				o->oom = 1;
		} else if (ls_vlist_push(&l[which],
			       ls_val_string(o->a,
				   (const char *)ASN1_STRING_get0_data(s),
				   (size_t)ASN1_STRING_length(s))) != 0) {
			o->oom = 1;
		}
	}
	GENERAL_NAMES_free(gens);
	for (f = 0; f < 4; f++)
		obj_put(o, field[f],
		    l[f].n == 0 ? ls_val_null()
				: ls_val_array(o->a, l[f].v, l[f].n));
	/* OPA 1.x: the URIs as strings too */
	obj_put(o, "URIStrings",
	    l[3].n == 0 ? ls_val_null() : ls_val_array(o->a, l[3].v, l[3].n));
}

/* Go's KeyUsage bit order is the reverse of OpenSSL's KU_ flags. */
static int64_t
key_usage(X509 *x)
{
	uint32_t ku = X509_get_key_usage(x);
	int64_t go = 0;
	int i;

	if (ku == UINT32_MAX)
		return 0;
	for (i = 0; i < 9; i++) {
		static const uint32_t bit[9] = { KU_DIGITAL_SIGNATURE,
			KU_NON_REPUDIATION, KU_KEY_ENCIPHERMENT,
			KU_DATA_ENCIPHERMENT, KU_KEY_AGREEMENT,
			KU_KEY_CERT_SIGN, KU_CRL_SIGN, KU_ENCIPHER_ONLY,
			KU_DECIPHER_ONLY };
		if (ku & bit[i])
			go |= (int64_t)1 << i;
	}
	return go;
}

/* Go's x509.SignatureAlgorithm numbering. */
static int
sig_alg_nid(int nid)
{
	static const struct {
		int nid, go;
	} map[] = {
		{ NID_md2WithRSAEncryption, 1 },
		{ NID_md5WithRSAEncryption, 2 },
		{ NID_sha1WithRSAEncryption, 3 },
		{ NID_sha256WithRSAEncryption, 4 },
		{ NID_sha384WithRSAEncryption, 5 },
		{ NID_sha512WithRSAEncryption, 6 },
		{ NID_dsaWithSHA1, 7 },
		{ NID_dsa_with_SHA256, 8 },
		{ NID_ecdsa_with_SHA1, 9 },
		{ NID_ecdsa_with_SHA256, 10 },
		{ NID_ecdsa_with_SHA384, 11 },
		{ NID_ecdsa_with_SHA512, 12 },
		{ NID_rsassaPss, 13 },
		{ NID_ED25519, 16 },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].nid == nid)
			return map[i].go;
	return 0;
}

/* The public key as Go marshals it: RSA {N, E}, ECDSA {Curve, X, Y}. */
static const struct ls_val *
pubkey_val(struct ls_arena *a, const EVP_PKEY *k)
{
	struct obj o = { .a = a };
	BIGNUM *b1 = NULL, *b2 = NULL;
	const char *n1 = NULL, *n2 = NULL, *p1 = NULL, *p2 = NULL;

	switch (k == NULL ? 0 : EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		n1 = "N", p1 = OSSL_PKEY_PARAM_RSA_N;
		n2 = "E", p2 = OSSL_PKEY_PARAM_RSA_E;
		break;
	case EVP_PKEY_EC:
		obj_put(&o, "Curve", ls_val_empty_object());
		n1 = "X", p1 = OSSL_PKEY_PARAM_EC_PUB_X;
		n2 = "Y", p2 = OSSL_PKEY_PARAM_EC_PUB_Y;
		break;
	default: return ls_val_null();
	}
	if (EVP_PKEY_get_bn_param(k, p1, &b1) == 1 &&
	    EVP_PKEY_get_bn_param(k, p2, &b2) == 1) {
		obj_put(&o, n1, bn_val(a, b1));
		obj_put(&o, n2, bn_val(a, b2));
	}
	BN_free(b1);
	BN_free(b2);
	return obj_done(&o);
}

/* Extensions as Go's pkix.Extension list: {Id, Critical, Value}. */
static const struct ls_val *
extensions_val(struct ls_arena *a, const X509 *x)
{
	struct ls_vlist l;
	int i, n = X509_get_ext_count(x);

	ls_vlist_init(&l, a);
	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		const ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(e);
		struct obj o = { .a = a };

		obj_put(&o, "Id", oid_val(a, X509_EXTENSION_get_object(e)));
		obj_put(&o, "Critical",
		    ls_val_bool(X509_EXTENSION_get_critical(e) > 0));
		obj_put(&o, "Value",
		    b64_val(a, ASN1_STRING_get0_data(d),
			(size_t)ASN1_STRING_length(d), 0));
		if (ls_vlist_push(&l, obj_done(&o)) != 0)
			return NULL;
	}
	return l.n == 0 ? ls_val_null() : ls_val_array(a, l.v, l.n);
}

/* Go's ExtKeyUsage numbers for the extended key usages it knows. */
static const struct ls_val *
ext_key_usage_val(struct ls_arena *a, X509 *x)
{
	static const int nids[] = { NID_anyExtendedKeyUsage, NID_server_auth,
		NID_client_auth, NID_code_sign, NID_email_protect,
		NID_ipsecEndSystem, NID_ipsecTunnel, NID_ipsecUser,
		NID_time_stamp, NID_OCSP_sign, NID_ms_sgc, NID_ns_sgc,
		NID_ms_code_com, NID_ms_code_ind };
	EXTENDED_KEY_USAGE *eku =
	    X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	struct ls_vlist l;
	int i;
	size_t j;

	ls_vlist_init(&l, a);
	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		for (j = 0; j < sizeof nids / sizeof nids[0]; j++)
			if (nids[j] == nid &&
			    ls_vlist_push(&l, ls_val_int(a, (int64_t)j)) != 0)
				j = sizeof nids / sizeof nids[0];
	}
	EXTENDED_KEY_USAGE_free(eku);
	return l.n == 0 ? ls_val_null() : ls_val_array(a, l.v, l.n);
}

static const struct ls_val *
octets_val(struct ls_arena *a, const ASN1_OCTET_STRING *s)
{
	if (s == NULL)
		return ls_val_null();
	return b64_val(a, ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s), 0);
}

static const struct ls_val *
cert_val(struct ls_arena *a, X509 *x)
{
	struct obj o = { .a = a };
	unsigned char *der = NULL;
	const ASN1_BIT_STRING *sig = NULL;
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	uint32_t ex;
	int bc;

	obj_put(&o, "Raw", der_val(a, der, i2d_X509(x, &der)));
	der = NULL;
	obj_put(&o, "RawTBSCertificate",
	    der_val(a, der, i2d_re_X509_tbs(x, &der)));
	der = NULL;
	obj_put(&o, "RawSubjectPublicKeyInfo",
	    der_val(a, der, i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)));
	der = NULL;
	obj_put(&o, "RawSubject",
	    der_val(a, der, i2d_X509_NAME(X509_get_subject_name(x), &der)));
	der = NULL;
	obj_put(&o, "RawIssuer",
	    der_val(a, der, i2d_X509_NAME(X509_get_issuer_name(x), &der)));
	X509_get0_signature(&sig, NULL, x);
	obj_put(&o, "Signature",
	    sig == NULL ? ls_val_null()
			: b64_val(a, sig->data, (size_t)sig->length, 0));
	obj_put(&o, "SignatureAlgorithm",
	    ls_val_int(a, sig_alg_nid(X509_get_signature_nid(x))));
	obj_put(&o, "PublicKeyAlgorithm", ls_val_int(a, pubkey_alg(pk)));
	obj_put(&o, "PublicKey", pubkey_val(a, pk));
	obj_put(&o, "Extensions", extensions_val(a, x));
	obj_put(&o, "ExtKeyUsage", ext_key_usage_val(a, x));
	obj_put(&o, "SubjectKeyId", octets_val(a, X509_get0_subject_key_id(x)));
	obj_put(&o, "AuthorityKeyId",
	    octets_val(a, X509_get0_authority_key_id(x)));
	obj_put(&o, "Version", ls_val_int(a, X509_get_version(x) + 1));
	obj_put(&o, "SerialNumber", serial ? bn_val(a, serial) : NULL);
	BN_free(serial);
	obj_put(&o, "Issuer", name_val(a, X509_get_issuer_name(x)));
	obj_put(&o, "Subject", name_val(a, X509_get_subject_name(x)));
	obj_put(&o, "NotBefore", time_val(a, X509_get0_notBefore(x)));
	obj_put(&o, "NotAfter", time_val(a, X509_get0_notAfter(x)));
	obj_put(&o, "KeyUsage", ls_val_int(a, key_usage(x)));
	ex = X509_get_extension_flags(x);
	bc = X509_get_ext_by_NID(x, NID_basic_constraints, -1) >= 0;
	obj_put(&o, "BasicConstraintsValid", ls_val_bool(bc));
	obj_put(&o, "IsCA", ls_val_bool((ex & EXFLAG_CA) != 0));
	/* Go: -1 for a constraint without a length, 0 without one at all */
	obj_put(&o, "MaxPathLen",
	    ls_val_int(a,
		!bc			      ? 0
		    : X509_get_pathlen(x) < 0 ? -1
					      : X509_get_pathlen(x)));
	obj_put(&o, "MaxPathLenZero",
	    ls_val_bool(bc && X509_get_pathlen(x) == 0));
	put_sans(&o, x);
	return obj_done(&o);
}

/* Go's x509.ParseCertificates over concatenated DER. */
static int
parse_der_certs(struct ls_bi_ctx *ctx, struct ls_vlist *l,
    const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;

	while (p < end) {
		const unsigned char *q = p;
		X509 *x;
		int rc;

		if (l->n >= MAX_CERTS)
			return ls_bi_error(ctx, "more than %d certificates",
			    MAX_CERTS);
		x = d2i_X509(NULL, &q, (long)(end - p));
		if (x == NULL)
			return ls_bi_error(ctx, "x509: malformed certificate");
		p = q;
		rc = ls_vlist_push(l, cert_val(ctx->arena, x));
		X509_free(x);
		if (rc != 0)
			return LS_BI_ENOMEM;
	}
	return 0;
}

/* PEM blocks, each a CERTIFICATE, bodies concatenated into der. */
static int
pem_certs(struct ls_bi_ctx *ctx, struct ls_buf *der, const char *s, size_t len)
{
	while (len > 0) {
		struct bi_pem pem;
		int rc = bi_pem_decode(&pem, s, len);

		if (rc < 0) {
			ls_buf_cleanup(&pem.der);
			return bi_fail(ctx, rc);
		}
		if (rc == 0) {
			ls_buf_cleanup(&pem.der);
			break;
		}
		if (strcmp(pem.type, "CERTIFICATE") != 0) {
			ls_buf_cleanup(&pem.der);
			return ls_bi_error(ctx,
			    "PEM block type is '%s', "
			    "expected CERTIFICATE",
			    pem.type);
		}
		rc = ls_buf_add(der, pem.der.data, pem.der.len);
		ls_buf_cleanup(&pem.der);
		if (rc != 0)
			return ls_bi_error(ctx, "input too large");
		s += pem.rest;
		len -= pem.rest;
	}
	return 0;
}

static int
has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && memcmp(s, p, n) == 0;
}

/* Input as OPA takes it: PEM text, or base64 of PEM or of DER. */
static int
cert_bytes(struct ls_bi_ctx *ctx, struct ls_buf *der, const char *s, size_t sl)
{
	struct ls_buf raw;
	int rc;

	if (has_prefix(s, sl, "-----BEGIN"))
		return pem_certs(ctx, der, s, sl);
	ls_buf_init(&raw, BI_CRYPTO_MAX_INPUT);
	if ((rc = bi_b64_decode(&raw, s, sl, 0)) != 0) {
		ls_buf_cleanup(&raw);
		return bi_fail(ctx, rc);
	}
	if (has_prefix(raw.data ? raw.data : "", raw.len, "-----BEGIN"))
		rc = pem_certs(ctx, der, raw.data, raw.len);
	else if (raw.len > 0 && ls_buf_add(der, raw.data, raw.len) != 0)
		rc = ls_bi_error(ctx, "input too large");
	ls_buf_cleanup(&raw);
	return rc;
}

int
ls_bi_x509_parse_certs(BI_ARGS)
{
	struct ls_buf der;
	struct ls_vlist l;
	const char *s;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&der, BI_CRYPTO_MAX_INPUT);
	ls_vlist_init(&l, ctx->arena);
	rc = cert_bytes(ctx, &der, s, sl);
	if (rc == 0)
		rc = parse_der_certs(ctx, &l, (const unsigned char *)der.data,
		    der.len);
	ls_buf_cleanup(&der);
	if (rc != 0)
		return rc;
	return bi_ret(out, ls_val_array(ctx->arena, l.v, l.n));
}

/* Certificates of the input as X509 objects (up to MAX_CERTS). */
static int
x509_list(struct ls_bi_ctx *ctx, STACK_OF(X509) * sk, const char *s, size_t sl)
{
	struct ls_buf der;
	const unsigned char *p, *end;
	int rc;

	ls_buf_init(&der, BI_CRYPTO_MAX_INPUT);
	if ((rc = cert_bytes(ctx, &der, s, sl)) != 0) {
		ls_buf_cleanup(&der);
		return rc;
	}
	p = (const unsigned char *)der.data;
	end = p + der.len;
	while (rc == 0 && p != NULL && p < end) {
		X509 *x = sk_X509_num(sk) < MAX_CERTS
		    ? d2i_X509(NULL, &p, (long)(end - p))
		    : NULL;
		if (x == NULL || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			rc = ls_bi_error(ctx, "x509: malformed certificate");
		}
	}
	ls_buf_cleanup(&der);
	return rc;
}

/*
 * OPA's verifyX509CertificateChain: the first certificate is the root,
 * the last the leaf, those between intermediates; verified for server
 * authentication (Go's default key usage) at the evaluation's time.
 * *chain is the verified chain, leaf first, owned by the caller.
 */
static int
verify_chain(STACK_OF(X509) * *chain, STACK_OF(X509) * certs, int64_t now_ns)
{
	STACK_OF(X509) *mid = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	int n = sk_X509_num(certs), i, ok = 0;

	*chain = NULL;
	if (n >= 2 && mid != NULL && store != NULL && sc != NULL &&
	    X509_STORE_add_cert(store, sk_X509_value(certs, 0)) == 1) {
		for (i = 1; i < n - 1; i++)
			(void)sk_X509_push(mid, sk_X509_value(certs, i));
		if (X509_STORE_CTX_init(sc, store, sk_X509_value(certs, n - 1),
			mid) == 1) {
			X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_SERVER);
			X509_STORE_CTX_set_time(sc, 0,
			    (time_t)(now_ns / 1000000000));
			ok = X509_verify_cert(sc) == 1;
			if (ok)
				*chain = X509_STORE_CTX_get1_chain(sc);
		}
	}
	X509_STORE_CTX_free(sc);
	X509_STORE_free(store);
	sk_X509_free(mid);
	return ok && *chain != NULL;
}

int
ls_bi_x509_parse_verify_certs(BI_ARGS)
{
	STACK_OF(X509) *certs = sk_X509_new_null(), *chain = NULL;
	const struct ls_val *items[2];
	struct ls_vlist l;
	const char *s;
	size_t sl;
	int rc, i;

	(void)nargs;
	if (certs == NULL)
		return LS_BI_ENOMEM;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0) {
		sk_X509_free(certs);
		return rc;
	}
	ls_vlist_init(&l, ctx->arena);
	items[0] = ls_val_bool(0);
	items[1] = ls_val_empty_array();
	/* unparseable or unverifiable input is [false, []], as in OPA */
	if (x509_list(ctx, certs, s, sl) == 0 &&
	    verify_chain(&chain, certs, ctx->now_ns)) {
		for (i = 0; i < sk_X509_num(chain); i++)
			if (ls_vlist_push(&l,
				cert_val(ctx->arena,
				    sk_X509_value(chain, i))) != 0)
				break;
		items[0] = ls_val_bool(1);
		items[1] = ls_val_array(ctx->arena, l.v, l.n);
	}
	ctx->msg[0] = '\0';
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(certs, X509_free);
	if (items[1] == NULL)
		return LS_BI_ENOMEM;
	return bi_ret(out, ls_val_array(ctx->arena, items, 2));
}

/* ---- certificate requests ---- */

static const struct ls_val *
csr_val(struct ls_arena *a, X509_REQ *r)
{
	struct obj o = { .a = a };
	unsigned char *der = NULL;
	const ASN1_BIT_STRING *sig = NULL;
	EVP_PKEY *pk = X509_REQ_get0_pubkey(r);

	obj_put(&o, "Raw", der_val(a, der, i2d_X509_REQ(r, &der)));
	der = NULL;
	obj_put(&o, "RawSubject",
	    der_val(a, der, i2d_X509_NAME(X509_REQ_get_subject_name(r), &der)));
	obj_put(&o, "Version", ls_val_int(a, X509_REQ_get_version(r)));
	X509_REQ_get0_signature(r, &sig, NULL);
	obj_put(&o, "Signature",
	    sig == NULL ? ls_val_null()
			: b64_val(a, sig->data, (size_t)sig->length, 0));
	obj_put(&o, "SignatureAlgorithm",
	    ls_val_int(a, sig_alg_nid(X509_REQ_get_signature_nid(r))));
	obj_put(&o, "PublicKeyAlgorithm", ls_val_int(a, pubkey_alg(pk)));
	obj_put(&o, "PublicKey", pubkey_val(a, pk));
	obj_put(&o, "Subject", name_val(a, X509_REQ_get_subject_name(r)));
	return obj_done(&o);
}

int
ls_bi_x509_parse_csr(BI_ARGS)
{
	struct ls_buf raw;
	struct bi_pem pem;
	const unsigned char *p;
	const char *s;
	X509_REQ *req = NULL;
	size_t sl, n;
	int rc, found;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&raw, BI_CRYPTO_MAX_INPUT);
	if (!has_prefix(s, sl, "-----BEGIN CERTIFICATE REQUEST-----")) {
		if ((rc = bi_b64_decode(&raw, s, sl, 0)) != 0) {
			ls_buf_cleanup(&raw);
			return bi_fail(ctx, rc);
		}
		s = raw.data ? raw.data : "";
		sl = raw.len;
	}
	found = bi_pem_decode(&pem, s, sl);
	if (found == 1 && strcmp(pem.type, "CERTIFICATE REQUEST") != 0) {
		rc = ls_bi_error(ctx,
		    "invalid PEM-encoded certificate "
		    "signing request");
		goto out;
	}
	p = found == 1 ? (const unsigned char *)pem.der.data
		       : (const unsigned char *)s;
	n = found == 1 ? pem.der.len : sl;
	if (n == 0 || (req = d2i_X509_REQ(NULL, &p, (long)n)) == NULL) {
		rc = ls_bi_error(ctx,
		    "asn1: structure error: malformed "
		    "certificate request");
		goto out;
	}
	rc = bi_ret(out, csr_val(ctx->arena, req));
out:
	X509_REQ_free(req);
	ls_buf_cleanup(&pem.der);
	ls_buf_cleanup(&raw);
	return rc;
}

/* ---- RSA private keys ---- */

static const struct ls_val *
param_b64(struct ls_arena *a, const EVP_PKEY *k, const char *name)
{
	unsigned char buf[2048];
	BIGNUM *bn = NULL;
	const struct ls_val *v = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return NULL;
	n = BN_num_bytes(bn);
	if (n >= 0 && (size_t)n <= sizeof buf && BN_bn2bin(bn, buf) == n)
		v = b64_val(a, buf, (size_t)n, 1);
	BN_clear_free(bn);
	return v;
}

/* An RSA private key as the JWK OPA returns (jwk.New + json.Marshal). */
static const struct ls_val *
rsa_jwk(struct ls_arena *a, const EVP_PKEY *k)
{
	struct obj o = { .a = a };

	obj_put(&o, "kty", ls_val_cstring(a, "RSA"));
	obj_put(&o, "n", param_b64(a, k, OSSL_PKEY_PARAM_RSA_N));
	obj_put(&o, "e", param_b64(a, k, OSSL_PKEY_PARAM_RSA_E));
	obj_put(&o, "d", param_b64(a, k, OSSL_PKEY_PARAM_RSA_D));
	obj_put(&o, "p", param_b64(a, k, OSSL_PKEY_PARAM_RSA_FACTOR1));
	obj_put(&o, "q", param_b64(a, k, OSSL_PKEY_PARAM_RSA_FACTOR2));
	obj_put(&o, "dp", param_b64(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT1));
	obj_put(&o, "dq", param_b64(a, k, OSSL_PKEY_PARAM_RSA_EXPONENT2));
	obj_put(&o, "qi", param_b64(a, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
	return obj_done(&o);
}

int
ls_bi_x509_parse_rsa_key(BI_ARGS)
{
	struct ls_buf raw;
	struct bi_pem pem;
	const unsigned char *p;
	const char *s;
	EVP_PKEY *k = NULL;
	size_t sl;
	int rc;

	(void)nargs;
	if ((rc = bi_arg_str(ctx, args, 0, &s, &sl)) != 0)
		return rc;
	ls_buf_init(&raw, BI_CRYPTO_MAX_INPUT);
	ls_buf_init(&pem.der, BI_CRYPTO_MAX_INPUT);
	if (!has_prefix(s, sl, "-----BEGIN")) {
		if ((rc = bi_b64_decode(&raw, s, sl, 0)) != 0) {
			rc = bi_fail(ctx, rc);
			goto out;
		}
		s = raw.data ? raw.data : "";
		sl = raw.len;
	}
	if (bi_pem_decode(&pem, s, sl) != 1) {
		rc = ls_bi_error(ctx,
		    "failed to parse PEM block containing "
		    "the key");
		goto out;
	}
	p = (const unsigned char *)pem.der.data;
	if (strcmp(pem.type, "RSA PRIVATE KEY") == 0)
		k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)pem.der.len);
	else if (strcmp(pem.type, "PRIVATE KEY") == 0)
		k = d2i_AutoPrivateKey(NULL, &p, (long)pem.der.len);
	else {
		rc = ls_bi_error(ctx,
		    "PEM block type is '%s', expected RSA "
		    "PRIVATE KEY or PRIVATE KEY",
		    pem.type);
		goto out;
	}
	if (k == NULL) {
		rc = ls_bi_error(ctx, "x509: failed to parse private key");
		goto out;
	}
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		rc = ls_bi_error(ctx, "not an RSA private key");
		goto out;
	}
	rc = bi_ret(out, rsa_jwk(ctx->arena, k));
out:
	EVP_PKEY_free(k);
	ls_buf_cleanup(&pem.der);
	ls_buf_cleanup(&raw);
	return rc;
}
