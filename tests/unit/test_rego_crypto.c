/*
 * test_rego_crypto.c - the crypto.*, io.jwt.* builtins called through the
 * registry: digest and HMAC vectors (RFC 1321, FIPS 180, RFC 4231), JWT
 * sign/verify roundtrips with keys made at run time, and hostile inputs
 * (bad base64, unterminated PEM, runaway nesting) that must give a clean
 * error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lockstep/error.h"
#include "rego/builtins/crypto.h"
#include "rego/builtins.h"
#include "rego/value.h"

#include "bi_call.h"

/* The result of call() contains want. */
#define CHECK_HAS(want, name, ...)                                             \
	do {                                                                   \
		char *got_ = call(name, __VA_ARGS__);                          \
		if (strstr(got_, want) == NULL)                                \
			fail_msg("%s: got %s, want %s", name, got_, want);     \
		free(got_);                                                    \
	} while (0)

/* JSON string literal of s (caller frees). */
static char *
jstr(const char *s)
{
	struct ls_buf b;

	ls_buf_init(&b, 1 << 22);
	assert_int_equal(ls_buf_addc(&b, '"'), 0);
	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			assert_int_equal(ls_buf_adds(&b, "\\n"), 0);
			continue;
		}
		if (*s == '"' || *s == '\\')
			assert_int_equal(ls_buf_addc(&b, '\\'), 0);
		assert_int_equal(ls_buf_addc(&b, *s), 0);
	}
	assert_int_equal(ls_buf_addc(&b, '"'), 0);
	return ls_buf_take(&b, NULL);
}

static void
test_rego_crypto__digest_vectors(void **state)
{
	(void)state;
	CHECK("\"d41d8cd98f00b204e9800998ecf8427e\"", "crypto.md5", 1, "\"\"");
	CHECK("\"900150983cd24fb0d6963f7d28e17f72\"", "crypto.md5", 1,
	    "\"abc\"");
	CHECK("\"a9993e364706816aba3e25717850c26c9cd0d89d\"", "crypto.sha1", 1,
	    "\"abc\"");
	CHECK("\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2"
	      "0015ad\"",
	    "crypto.sha256", 1, "\"abc\"");
	/* RFC 4231 test case 2 */
	CHECK("\"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964"
	      "ec3843\"",
	    "crypto.hmac.sha256", 2, "\"what do ya want for nothing?\"",
	    "\"Jefe\"");
	CHECK("\"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea"
	      "2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a"
	      "38bce737\"",
	    "crypto.hmac.sha512", 2, "\"what do ya want for nothing?\"",
	    "\"Jefe\"");
	CHECK("true", "crypto.hmac.equal", 2, "\"abc\"", "\"abc\"");
	CHECK("false", "crypto.hmac.equal", 2, "\"abc\"", "\"abd\"");
	CHECK("false", "crypto.hmac.equal", 2, "\"abc\"", "\"ab\"");
	CHECK_HAS("ERR:crypto.md5: operand 1 must be string", "crypto.md5", 1,
	    "1");
}

static void
test_rego_crypto__jwt_hs256_roundtrip(void **state)
{
	char *hdr = jstr("{\"alg\":\"HS256\"}");
	char *pay = jstr("{\"iss\":\"me\",\"exp\":1800000000}");
	char *key = jstr("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"); /* secret */
	char *tok;

	(void)state;
	tok = call("io.jwt.encode_sign_raw", 3, hdr, pay, key);
	assert_true(tok[0] == '"');
	CHECK("true", "io.jwt.verify_hs256", 2, tok, "\"secret\"");
	CHECK("false", "io.jwt.verify_hs256", 2, tok, "\"Secret\"");
	CHECK("false", "io.jwt.verify_hs384", 2, tok, "\"secret\"");
	CHECK_HAS("[{\"alg\":\"HS256\"},{\"exp\":1800000000,\"iss\":\"me\"},",
	    "io.jwt.decode", 1, tok);
	CHECK("[true,{\"alg\":\"HS256\"},{\"exp\":1800000000,\"iss\":\"me\"}]",
	    "io.jwt.decode_verify", 2, tok,
	    "{\"secret\":\"secret\",\"iss\":\"me\"}");
	/* expired at the given time, wrong issuer, wrong secret */
	CHECK("[false,{},{}]", "io.jwt.decode_verify", 2, tok,
	    "{\"secret\":\"secret\",\"time\":1900000000000000000}");
	CHECK("[false,{},{}]", "io.jwt.decode_verify", 2, tok,
	    "{\"secret\":\"secret\",\"iss\":\"you\"}");
	CHECK("[false,{},{}]", "io.jwt.decode_verify", 2, tok,
	    "{\"secret\":\"nope\"}");
	CHECK_HAS("no key constraint", "io.jwt.decode_verify", 2, tok, "{}");
	CHECK_HAS("unknown token validation constraint: foo",
	    "io.jwt.decode_verify", 2, tok, "{\"secret\":\"x\",\"foo\":1}");
	free(tok);
	free(hdr);
	free(pay);
	free(key);
}

/* base64url (no padding) of a key parameter, appended to b. */
static void
add_param(struct ls_buf *b, const char *field, EVP_PKEY *k, const char *p,
    int pad)
{
	unsigned char bin[256];
	BIGNUM *bn = NULL;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, p, &bn), 1);
	n = pad ? BN_bn2binpad(bn, bin, pad) : BN_bn2bin(bn, bin);
	assert_true(n > 0);
	assert_int_equal(ls_buf_addf(b, ",\"%s\":\"", field), 0);
	assert_int_equal(bi_b64_encode(b, bin, (size_t)n, 1, 0), 0);
	assert_int_equal(ls_buf_addc(b, '"'), 0);
	BN_free(bn);
}

/* A fresh P-256 key as a private and a public JWK (JSON text). */
static void
ec_jwks(char **priv, char **pub)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct ls_buf b;

	assert_non_null(k);
	ls_buf_init(&b, 1 << 16);
	assert_int_equal(ls_buf_adds(&b, "{\"kty\":\"EC\",\"crv\":\"P-256\""),
	    0);
	add_param(&b, "x", k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
	add_param(&b, "y", k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	assert_int_equal(ls_buf_adds(&b, "}"), 0);
	*pub = ls_buf_take(&b, NULL);
	ls_buf_init(&b, 1 << 16);
	assert_int_equal(ls_buf_add(&b, *pub, strlen(*pub) - 1), 0);
	add_param(&b, "d", k, OSSL_PKEY_PARAM_PRIV_KEY, 32);
	assert_int_equal(ls_buf_adds(&b, "}"), 0);
	*priv = ls_buf_take(&b, NULL);
	EVP_PKEY_free(k);
}

static void
test_rego_crypto__jwt_es256_roundtrip(void **state)
{
	char *priv, *pub, *jpriv, *jpub, *tok, *bad;
	char *hdr = jstr("{\"alg\":\"ES256\",\"typ\":\"JWT\"}");
	size_t n;

	(void)state;
	ec_jwks(&priv, &pub);
	jpriv = jstr(priv);
	jpub = jstr(pub);
	tok = call("io.jwt.encode_sign_raw", 3, hdr, "\"{}\"", jpriv);
	assert_true(tok[0] == '"');
	CHECK("true", "io.jwt.verify_es256", 2, tok, jpub);
	CHECK("false", "io.jwt.verify_rs256", 2, tok, jpub);
	/* flip one signature character */
	bad = strdup(tok);
	assert_non_null(bad);
	n = strlen(bad);
	bad[n - 3] = bad[n - 3] == 'A' ? 'B' : 'A';
	CHECK("false", "io.jwt.verify_es256", 2, bad, jpub);
	{
		char c[1024];
		snprintf(c, sizeof c, "{\"cert\":%s,\"alg\":\"ES256\"}", jpub);
		CHECK("[true,{\"alg\":\"ES256\",\"typ\":\"JWT\"},{}]",
		    "io.jwt.decode_verify", 2, tok, c);
		CHECK("[false,{},{}]", "io.jwt.decode_verify", 2, bad, c);
	}
	free(bad);
	free(tok);
	free(jpriv);
	free(jpub);
	free(priv);
	free(pub);
	free(hdr);
}

static void
test_rego_crypto__hostile_inputs(void **state)
{
	struct ls_buf b;
	char *deep, *tok;
	int i;

	(void)state;
	/* an unterminated block is no block (Go's pem.Decode): no certs */
	CHECK("[]", "crypto.x509.parse_certificates", 1,
	    "\"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"");
	CHECK_HAS("illegal base64", "crypto.x509.parse_certificates", 1,
	    "\"%%%%\"");
	CHECK_HAS("x509: malformed certificate",
	    "crypto.x509.parse_certificates", 1, "\"MIIBAAAA\"");
	CHECK_HAS("ERR:", "crypto.x509.parse_rsa_private_key", 1,
	    "\"-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE "
	    "KEY-----\"");
	CHECK_HAS("must have 3 sections, found 5", "io.jwt.decode", 1,
	    "\"a.b.c.d.e\"");
	CHECK_HAS("failed to parse a JWK key (set)", "io.jwt.verify_rs256", 2,
	    "\"e30.e30.AA\"", "\"{\\\"keys\\\":[]}\"");
	CHECK_HAS("failed to parse a JWK key (set)", "io.jwt.verify_es256", 2,
	    "\"e30.e30.AA\"",
	    "\"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":"
	    "\\\"P-256\\\",\\\"x\\\":\\\"AA\\\",\\\"y\\\":\\\"AA\\\"}\"");
	CHECK_HAS("failed to extract a Key", "io.jwt.verify_rs256", 2,
	    "\"e30.e30.AA\"",
	    "\"-----BEGIN FOO-----\\nAAAA\\n-----END "
	    "FOO-----\\n\"");
	/* a header nested far deeper than the JSON cap */
	ls_buf_init(&b, 1 << 20);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ls_buf_adds(&b, "{\"a\":"), 0);
	assert_int_equal(ls_buf_adds(&b, "1"), 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ls_buf_addc(&b, '}'), 0);
	deep = ls_buf_take(&b, NULL);
	ls_buf_init(&b, 1 << 22);
	assert_int_equal(ls_buf_addc(&b, '"'), 0);
	assert_int_equal(bi_b64_encode(&b, deep, strlen(deep), 1, 0), 0);
	assert_int_equal(ls_buf_adds(&b, ".e30.AA\""), 0);
	tok = ls_buf_take(&b, NULL);
	CHECK_HAS("bad JWT header", "io.jwt.decode", 1, tok);
	free(tok);
	free(deep);
	/* duplicate claims: the last one counts, as with Go's decoder */
	CHECK("[{},{\"a\":2},\"00\"]", "io.jwt.decode", 1,
	    "\"e30.eyJhIjoxLCJhIjoyfQ.AA\"");
	/* a token whose payload is itself, as far as cty says: bounded */
	CHECK_HAS("ERR:", "io.jwt.decode", 1,
	    "\"eyJjdHkiOiJKV1QifQ.ZXlKamRIa2lPaUpLVjFRaWZRLmUzMC5BQQ.AA\"");
}

static void
test_rego_crypto__graphql_parse_error_location(void **state)
{
	(void)state;
	CHECK("ERR:graphql.parse_query: Expected Name, found <EOF> in GraphQL "
	      "string at location 1:2",
	    "graphql.parse_query", 1, "\"{\"");
	CHECK("ERR:graphql.parse_schema: Expected :, found ( in GraphQL "
	      "string at location 3:10",
	    "graphql.parse_schema", 1,
	    "\"\\n  input Hello {\\n    world(foo: Int): String\\n  }\"");
	CHECK("{\"Operations\":[{\"Name\":\"\",\"Operation\":\"query\","
	      "\"SelectionSet\":[{\"Alias\":\"a\",\"Name\":\"b\"}]}]}",
	    "graphql.parse_query", 1, "\"{ a: b }\"");
	/* validation: unknown field, required argument, unused variable */
	CHECK("true", "graphql.is_valid", 2, "\"{ f(x: 1) }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK("false", "graphql.is_valid", 2, "\"{ g }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK_HAS("Field \"f\" argument \"x\" of type \"Int!\" is "
		  "required, but it was not provided in GraphQL string at "
		  "location 1:3",
	    "graphql.parse", 2, "\"{ f }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK("false", "graphql.is_valid", 2,
	    "\"query Q($v: Int) { f(x: 1) }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK("false", "graphql.schema_is_valid", 1,
	    "\"type Query { f: Missing }\"");
	/* argument values must fit their types */
	CHECK("false", "graphql.is_valid", 2, "\"{ f(x: \\\"one\\\") }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK("false", "graphql.is_valid", 2, "\"{ f(x: null) }\"",
	    "\"type Query { f(x: Int!): Int }\"");
	CHECK("true", "graphql.is_valid", 2, "\"{ g(e: A, i: {a: [1, 2]}) }\"",
	    "\"type Query { g(e: E, i: I): Int } enum E { A B } "
	    "input I { a: [Int!]! }\"");
	CHECK("false", "graphql.is_valid", 2, "\"{ g(e: C) }\"",
	    "\"type Query { g(e: E, i: I): Int } enum E { A B } "
	    "input I { a: [Int!]! }\"");
	CHECK("false", "graphql.is_valid", 2, "\"{ g(i: {}) }\"",
	    "\"type Query { g(e: E, i: I): Int } enum E { A B } "
	    "input I { a: [Int!]! }\"");
	/* AST objects of any shape from a policy: an answer, no crash */
	CHECK("false", "graphql.schema_is_valid", 1,
	    "{\"Definitions\":[{\"Kind\":\"OBJECT\",\"Name\":\"Query\","
	    "\"Fields\":[{\"Name\":\"a\"}]}]}");
	CHECK("true", "graphql.schema_is_valid", 1, "{\"Definitions\":5}");
	CHECK("false", "graphql.is_valid", 2,
	    "{\"Operations\":[{\"Operation\":"
	    "\"query\",\"SelectionSet\":[{\"Alias\":1,\"Arguments\":[7]}]}]}",
	    "\"type Query { a: Int }\"");
}

static void
test_rego_crypto__graphql_hostile_inputs(void **state)
{
	struct ls_buf b;
	char *doc;
	int i;

	(void)state;
	/* list types nested far past the depth cap */
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_buf_adds(&b, "\"type Q { f: "), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(ls_buf_addc(&b, '['), 0);
	assert_int_equal(ls_buf_adds(&b, "\""), 0);
	doc = ls_buf_take(&b, NULL);
	CHECK_HAS("nested too deeply", "graphql.parse_schema", 1, doc);
	free(doc);
	/* selections nested past the cap */
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_buf_adds(&b, "\""), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(ls_buf_adds(&b, "{a"), 0);
	assert_int_equal(ls_buf_adds(&b, "\""), 0);
	doc = ls_buf_take(&b, NULL);
	CHECK_HAS("nested too deeply", "graphql.parse_query", 1, doc);
	free(doc);
	/* a type with more members than the quadratic checks allow */
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_buf_adds(&b, "\"type Query {"), 0);
	for (i = 0; i < 3000; i++)
		assert_int_equal(ls_buf_addf(&b, " f%d: Int", i), 0);
	assert_int_equal(ls_buf_adds(&b, " }\""), 0);
	doc = ls_buf_take(&b, NULL);
	CHECK("false", "graphql.schema_is_valid", 1, doc);
	free(doc);
	/* thousands of BEGIN lines without an END: bounded work, no certs */
	ls_buf_init(&b, 1 << 22);
	assert_int_equal(ls_buf_adds(&b, "\""), 0);
	for (i = 0; i < 20000; i++)
		assert_int_equal(ls_buf_adds(&b, "-----BEGIN X-----\\n"), 0);
	assert_int_equal(ls_buf_adds(&b, "\""), 0);
	doc = ls_buf_take(&b, NULL);
	CHECK("[]", "crypto.x509.parse_certificates", 1, doc);
	free(doc);
	/* a fragment cycle is bounded, not endless */
	CHECK("false", "graphql.is_valid", 2,
	    "\"{ ...A } fragment A on Query { ...B } fragment B on Query "
	    "{ ...A }\"",
	    "\"type Query { f: Int }\"");
	/* unterminated strings, stray characters */
	CHECK_HAS("Unexpected <Invalid>", "graphql.parse_schema", 1,
	    "\"\\\"\\\"\\\"\\r\"");
	CHECK_HAS("ERR:", "graphql.parse_query", 1, "\"{ a(x: \\\"ab) }\"");
	CHECK_HAS("ERR:", "graphql.parse_query", 1, "\"{ a ? }\"");
}

static void
test_rego_crypto__aws_sign_req(void **state)
{
	const char *conf =
	    "{\"aws_access_key\":\"AKID\","
	    "\"aws_secret_access_key\":\"SECRET\",\"aws_service\":\"s3\","
	    "\"aws_region\":\"us-east-1\"}";
	char *a, *b;

	(void)state;
	/* deterministic for a fixed time; the body changes the signature */
	a = call("providers.aws.sign_req", 3,
	    "{\"method\":\"get\",\"url\":\"http://example.com/x?y=1\"}", conf,
	    "1451311705000000000");
	b = call("providers.aws.sign_req", 3,
	    "{\"method\":\"get\",\"url\":\"http://example.com/x?y=1\","
	    "\"raw_body\":\"hi\"}",
	    conf, "1451311705000000000");
	assert_non_null(strstr(a,
	    "Credential=AKID/20151228/us-east-1/s3/"
	    "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
	    "Signature="));
	assert_non_null(strstr(a,
	    "\"x-amz-content-sha256\":\"e3b0c44298fc"
	    "1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\""));
	assert_non_null(strstr(a, "\"host\":\"example.com\""));
	assert_string_not_equal(strstr(a, "Signature="),
	    strstr(b, "Signature="));
	free(a);
	free(b);
	CHECK_HAS("operand 2 missing required AWS config parameters(s): "
		  "{\"aws_access_key\", \"aws_region\"",
	    "providers.aws.sign_req", 3, "{\"method\":\"get\",\"url\":\"u\"}",
	    "{\"aws_service\":\"s3\",\"aws_secret_access_key\":\"x\"}", "1");
	CHECK_HAS("operand 1 missing required request parameters(s): "
		  "{\"url\"}",
	    "providers.aws.sign_req", 3, "{\"method\":\"get\"}", conf, "1");
}

/* A certificate for key k named cn, signed by ca_key (self when NULL),
 * valid for twenty years either side of now, appended to b as PEM. */
static void
add_cert(struct ls_buf *b, EVP_PKEY *k, const char *cn, X509 *issuer,
    EVP_PKEY *ca_key, int ca, X509 **out)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	assert_non_null(x);
	assert_non_null(bio);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
	/* call() evaluates at a fixed time in 2023 */
	X509_time_adj_ex(X509_getm_notBefore(x), -20 * 365, 0, NULL);
	X509_time_adj_ex(X509_getm_notAfter(x), 20 * 365, 0, NULL);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x,
	    issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE");
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ca_key ? ca_key : k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	n = BIO_get_mem_data(bio, &pem);
	assert_int_equal(ls_buf_add(b, pem, (size_t)n), 0);
	BIO_free(bio);
	*out = x;
}

static char *
pem_text(X509 *x, EVP_PKEY *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p, *j;
	struct ls_buf b;
	long n;

	assert_non_null(bio);
	if (x != NULL)
		assert_int_equal(PEM_write_bio_X509(bio, x), 1);
	else
		assert_int_equal(PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0,
				     NULL, NULL),
		    1);
	n = BIO_get_mem_data(bio, &p);
	ls_buf_init(&b, 1 << 20);
	assert_int_equal(ls_buf_add(&b, p, (size_t)n), 0);
	BIO_free(bio);
	p = ls_buf_take(&b, NULL);
	j = jstr(p);
	free(p);
	return j;
}

/* parse_keypair matches the key to the certificate; parse_private_keys
 * finds every key block. */
static void
keypair_checks(X509 *leaf, EVP_PKEY *leaf_key, EVP_PKEY *other)
{
	char *cert = pem_text(leaf, NULL), *key = pem_text(NULL, leaf_key);
	char *wrong = pem_text(NULL, other);

	CHECK_HAS("{\"Certificate\":[\"MII", "crypto.x509.parse_keypair", 2,
	    cert, key);
	CHECK_HAS("\"PrivateKey\":{\"Curve\":{},\"D\":",
	    "crypto.x509.parse_keypair", 2, cert, key);
	CHECK_HAS("private key does not match public key",
	    "crypto.x509.parse_keypair", 2, cert, wrong);
	CHECK_HAS("failed to find any PEM data in key input",
	    "crypto.x509.parse_keypair", 2, cert, cert);
	CHECK_HAS("[{\"Curve\":{},\"D\":", "crypto.parse_private_keys", 1, key);
	CHECK("null", "crypto.parse_private_keys", 1, "\"\"");
	free(cert);
	free(key);
	free(wrong);
}

static void
test_rego_crypto__x509_verify_chain(void **state)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *leaf_key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *leaf = NULL, *ca2 = NULL, *leaf2 = NULL;
	struct ls_buf good, bad;
	char *g, *bd, *jg, *jb;

	(void)state;
	assert_non_null(ca_key);
	assert_non_null(leaf_key);
	ls_buf_init(&good, 1 << 20);
	ls_buf_init(&bad, 1 << 20);
	add_cert(&good, ca_key, "root", NULL, NULL, 1, &ca);
	add_cert(&good, leaf_key, "leaf", ca, ca_key, 0, &leaf);
	/* the leaf signed by itself is not the root's child */
	add_cert(&bad, ca_key, "root", NULL, NULL, 1, &ca2);
	add_cert(&bad, leaf_key, "leaf", NULL, NULL, 0, &leaf2);
	g = ls_buf_take(&good, NULL);
	bd = ls_buf_take(&bad, NULL);
	jg = jstr(g);
	jb = jstr(bd);
	CHECK_HAS("[true,[{", "crypto.x509.parse_and_verify_certificates", 1,
	    jg);
	CHECK_HAS("\"CommonName\":\"leaf\"",
	    "crypto.x509.parse_and_verify_certificates", 1, jg);
	CHECK("[false,[]]", "crypto.x509.parse_and_verify_certificates", 1, jb);
	CHECK("[false,[]]", "crypto.x509.parse_and_verify_certificates", 1,
	    "\"bm90IGEgY2VydA==\"");
	CHECK_HAS("\"IsCA\":true", "crypto.x509.parse_certificates", 1, jg);
	keypair_checks(leaf, leaf_key, ca_key);
	free(g);
	free(bd);
	free(jg);
	free(jb);
	X509_free(ca);
	X509_free(leaf);
	X509_free(ca2);
	X509_free(leaf2);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
}

/* Random documents from GraphQL's alphabet and random tokens: every
 * call ends in a result or a clean error (the sanitizers watch). */
static void
test_rego_crypto__random_inputs_do_not_crash(void **state)
{
	static const char *const bits[] = { "{", "}", "(", ")", "[", "]", "!",
		"$", "@", "...", ":", "=", "|", "&", "\\\"", "\\\"\\\"\\\"",
		"#", "\\n", " ", "a", "on", "type", "query", "fragment",
		"extend", "schema", "enum", "union", "input", "interface",
		"scalar", "directive", "1", "-2.5e3", "true", "null", "\\\\",
		"\\u00e9", "." };
	static const char *const fns[] = { "graphql.parse_query",
		"graphql.parse_schema", "graphql.schema_is_valid" };
	uint32_t seed = 12345;
	char doc[600], *res;
	size_t n, i, k;
	int round;

	(void)state;
	for (round = 0; round < 1500; round++) {
		n = 0;
		doc[n++] = '"';
		for (i = 0; i < 40 && n < sizeof doc - 40; i++) {
			const char *b;
			seed = seed * 1103515245u + 12345u;
			b = bits[(seed >> 16) % (sizeof bits / sizeof bits[0])];
			k = strlen(b);
			memcpy(doc + n, b, k);
			n += k;
		}
		doc[n++] = '"';
		doc[n] = '\0';
		res = call(fns[round % 3], 1, doc);
		assert_non_null(res);
		free(res);
		res = call("graphql.is_valid", 2, doc,
		    "\"type Query { a: Int, b(x: Int!): Query }\"");
		free(res);
	}
	for (round = 0; round < 500; round++) {
		n = 0;
		doc[n++] = '"';
		for (i = 0; i < 60; i++) {
			seed = seed * 1103515245u + 12345u;
			doc[n++] =
			    "eyJhbGciOiJIUzI1NiJ9.-_=+/AZaz09"[(seed >> 16) %
				32];
		}
		doc[n++] = '"';
		doc[n] = '\0';
		free(call("io.jwt.decode", 1, doc));
		free(call("io.jwt.verify_hs256", 2, doc, "\"k\""));
		free(
		    call("io.jwt.decode_verify", 2, doc, "{\"secret\":\"k\"}"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rego_crypto__digest_vectors),
		cmocka_unit_test(test_rego_crypto__jwt_hs256_roundtrip),
		cmocka_unit_test(test_rego_crypto__jwt_es256_roundtrip),
		cmocka_unit_test(test_rego_crypto__hostile_inputs),
		cmocka_unit_test(
		    test_rego_crypto__graphql_parse_error_location),
		cmocka_unit_test(test_rego_crypto__graphql_hostile_inputs),
		cmocka_unit_test(test_rego_crypto__aws_sign_req),
		cmocka_unit_test(test_rego_crypto__x509_verify_chain),
		cmocka_unit_test(test_rego_crypto__random_inputs_do_not_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
