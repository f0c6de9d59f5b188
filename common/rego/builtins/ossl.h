/*
 * ossl.h - libcrypto for the crypto builtins, loaded on their first call.
 * Included last by crypto.h (after every OpenSSL header the builtins
 * use): each OpenSSL function they call is redirected through a table
 * that ossl.c fills with dlopen("libcrypto.so.3") and dlsym the first
 * time a builtin needs it.  Loading and relocating libcrypto cost every
 * `lockstep check` 0.6 ms and every agent 1.4 MB resident, for builtins
 * most policies never call.  A program that also links libcrypto gets
 * the same copy from dlopen.  A new OpenSSL call in the builtins goes
 * into LS_OSSL_FUNCS and gets its #define below (else it links libcrypto
 * directly again, which works and shows in bench/doors.sh).
 */
#ifndef LS_REGO_BI_OSSL_H
#define LS_REGO_BI_OSSL_H

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define LS_OSSL_FUNCS(X) \
	X(ASN1_INTEGER_to_BN) \
	X(ASN1_STRING_get0_data) \
	X(ASN1_STRING_length) \
	X(ASN1_STRING_to_UTF8) \
	X(ASN1_TIME_to_tm) \
	X(BN_bin2bn) \
	X(BN_bn2bin) \
	X(BN_bn2binpad) \
	X(BN_bn2dec) \
	X(BN_clear_free) \
	X(BN_free) \
	X(BN_num_bits) \
	X(CRYPTO_clear_free) \
	X(CRYPTO_free) \
	X(CRYPTO_malloc) \
	X(CRYPTO_memcmp) \
	X(ECDSA_SIG_free) \
	X(ECDSA_SIG_get0) \
	X(ECDSA_SIG_new) \
	X(ECDSA_SIG_set0) \
	X(EVP_Digest) \
	X(EVP_DigestSign) \
	X(EVP_DigestSignInit) \
	X(EVP_DigestVerify) \
	X(EVP_DigestVerifyInit) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_PKEY_CTX_free) \
	X(EVP_PKEY_CTX_new) \
	X(EVP_PKEY_CTX_new_from_name) \
	X(EVP_PKEY_CTX_set_rsa_mgf1_md) \
	X(EVP_PKEY_CTX_set_rsa_padding) \
	X(EVP_PKEY_CTX_set_rsa_pss_saltlen) \
	X(EVP_PKEY_CTX_set_signature_md) \
	X(EVP_PKEY_eq) \
	X(EVP_PKEY_free) \
	X(EVP_PKEY_fromdata) \
	X(EVP_PKEY_fromdata_init) \
	X(EVP_PKEY_get_base_id) \
	X(EVP_PKEY_get_bits) \
	X(EVP_PKEY_get_bn_param) \
	X(EVP_PKEY_new_raw_private_key) \
	X(EVP_PKEY_new_raw_public_key) \
	X(EVP_PKEY_sign) \
	X(EVP_PKEY_sign_init) \
	X(EVP_PKEY_verify) \
	X(EVP_PKEY_verify_init) \
	X(EVP_Q_mac) \
	X(EVP_get_digestbyname) \
	X(EVP_sha256) \
	X(EXTENDED_KEY_USAGE_free) \
	X(GENERAL_NAMES_free) \
	X(OBJ_obj2nid) \
	X(OBJ_obj2txt) \
	X(OPENSSL_cleanse) \
	X(OPENSSL_sk_free) \
	X(OPENSSL_sk_new_null) \
	X(OPENSSL_sk_num) \
	X(OPENSSL_sk_pop_free) \
	X(OPENSSL_sk_push) \
	X(OPENSSL_sk_value) \
	X(OSSL_PARAM_BLD_free) \
	X(OSSL_PARAM_BLD_new) \
	X(OSSL_PARAM_BLD_push_BN) \
	X(OSSL_PARAM_BLD_push_octet_string) \
	X(OSSL_PARAM_BLD_push_utf8_string) \
	X(OSSL_PARAM_BLD_to_param) \
	X(OSSL_PARAM_free) \
	X(X509_EXTENSION_get_critical) \
	X(X509_EXTENSION_get_data) \
	X(X509_EXTENSION_get_object) \
	X(X509_NAME_ENTRY_get_data) \
	X(X509_NAME_ENTRY_get_object) \
	X(X509_NAME_entry_count) \
	X(X509_NAME_get_entry) \
	X(X509_REQ_free) \
	X(X509_REQ_get0_pubkey) \
	X(X509_REQ_get0_signature) \
	X(X509_REQ_get_signature_nid) \
	X(X509_REQ_get_subject_name) \
	X(X509_REQ_get_version) \
	X(X509_STORE_CTX_free) \
	X(X509_STORE_CTX_get1_chain) \
	X(X509_STORE_CTX_init) \
	X(X509_STORE_CTX_new) \
	X(X509_STORE_CTX_set_purpose) \
	X(X509_STORE_CTX_set_time) \
	X(X509_STORE_add_cert) \
	X(X509_STORE_free) \
	X(X509_STORE_new) \
	X(X509_free) \
	X(X509_get0_authority_key_id) \
	X(X509_get0_notAfter) \
	X(X509_get0_notBefore) \
	X(X509_get0_pubkey) \
	X(X509_get0_serialNumber) \
	X(X509_get0_signature) \
	X(X509_get0_subject_key_id) \
	X(X509_get_X509_PUBKEY) \
	X(X509_get_ext) \
	X(X509_get_ext_by_NID) \
	X(X509_get_ext_count) \
	X(X509_get_ext_d2i) \
	X(X509_get_extension_flags) \
	X(X509_get_issuer_name) \
	X(X509_get_key_usage) \
	X(X509_get_pathlen) \
	X(X509_get_pubkey) \
	X(X509_get_signature_nid) \
	X(X509_get_subject_name) \
	X(X509_get_version) \
	X(X509_verify_cert) \
	X(d2i_AutoPrivateKey) \
	X(d2i_ECDSA_SIG) \
	X(d2i_PUBKEY) \
	X(d2i_PrivateKey) \
	X(d2i_X509) \
	X(d2i_X509_REQ) \
	X(i2d_ECDSA_SIG) \
	X(i2d_X509) \
	X(i2d_X509_NAME) \
	X(i2d_X509_PUBKEY) \
	X(i2d_X509_REQ) \
	X(i2d_re_X509_tbs)

struct ls_ossl {
#define LS_OSSL_MEMBER(name) __typeof__(&name) name;
	LS_OSSL_FUNCS(LS_OSSL_MEMBER)
#undef LS_OSSL_MEMBER
};

/* The table, loaded on the first call; a program that cannot load
 * libcrypto.so.3 stops here with a one-line message (fail closed: no
 * builtin may answer without its crypto). */
const struct ls_ossl *ls_ossl(void);

#ifndef LS_OSSL_DIRECT /* ossl.c names the functions themselves */
#define ASN1_INTEGER_to_BN (ls_ossl()->ASN1_INTEGER_to_BN)
#define ASN1_STRING_get0_data (ls_ossl()->ASN1_STRING_get0_data)
#define ASN1_STRING_length (ls_ossl()->ASN1_STRING_length)
#define ASN1_STRING_to_UTF8 (ls_ossl()->ASN1_STRING_to_UTF8)
#define ASN1_TIME_to_tm (ls_ossl()->ASN1_TIME_to_tm)
#define BN_bin2bn (ls_ossl()->BN_bin2bn)
#define BN_bn2bin (ls_ossl()->BN_bn2bin)
#define BN_bn2binpad (ls_ossl()->BN_bn2binpad)
#define BN_bn2dec (ls_ossl()->BN_bn2dec)
#define BN_clear_free (ls_ossl()->BN_clear_free)
#define BN_free (ls_ossl()->BN_free)
#define BN_num_bits (ls_ossl()->BN_num_bits)
#define CRYPTO_clear_free (ls_ossl()->CRYPTO_clear_free)
#define CRYPTO_free (ls_ossl()->CRYPTO_free)
#define CRYPTO_malloc (ls_ossl()->CRYPTO_malloc)
#define CRYPTO_memcmp (ls_ossl()->CRYPTO_memcmp)
#define ECDSA_SIG_free (ls_ossl()->ECDSA_SIG_free)
#define ECDSA_SIG_get0 (ls_ossl()->ECDSA_SIG_get0)
#define ECDSA_SIG_new (ls_ossl()->ECDSA_SIG_new)
#define ECDSA_SIG_set0 (ls_ossl()->ECDSA_SIG_set0)
#define EVP_Digest (ls_ossl()->EVP_Digest)
#define EVP_DigestSign (ls_ossl()->EVP_DigestSign)
#define EVP_DigestSignInit (ls_ossl()->EVP_DigestSignInit)
#define EVP_DigestVerify (ls_ossl()->EVP_DigestVerify)
#define EVP_DigestVerifyInit (ls_ossl()->EVP_DigestVerifyInit)
#define EVP_MD_CTX_free (ls_ossl()->EVP_MD_CTX_free)
#define EVP_MD_CTX_new (ls_ossl()->EVP_MD_CTX_new)
#define EVP_PKEY_CTX_free (ls_ossl()->EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new (ls_ossl()->EVP_PKEY_CTX_new)
#define EVP_PKEY_CTX_new_from_name (ls_ossl()->EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_set_rsa_mgf1_md (ls_ossl()->EVP_PKEY_CTX_set_rsa_mgf1_md)
#define EVP_PKEY_CTX_set_rsa_padding (ls_ossl()->EVP_PKEY_CTX_set_rsa_padding)
#define EVP_PKEY_CTX_set_rsa_pss_saltlen (ls_ossl()->EVP_PKEY_CTX_set_rsa_pss_saltlen)
#define EVP_PKEY_CTX_set_signature_md (ls_ossl()->EVP_PKEY_CTX_set_signature_md)
#define EVP_PKEY_eq (ls_ossl()->EVP_PKEY_eq)
#define EVP_PKEY_free (ls_ossl()->EVP_PKEY_free)
#define EVP_PKEY_fromdata (ls_ossl()->EVP_PKEY_fromdata)
#define EVP_PKEY_fromdata_init (ls_ossl()->EVP_PKEY_fromdata_init)
#define EVP_PKEY_get_base_id (ls_ossl()->EVP_PKEY_get_base_id)
#define EVP_PKEY_get_bits (ls_ossl()->EVP_PKEY_get_bits)
#define EVP_PKEY_get_bn_param (ls_ossl()->EVP_PKEY_get_bn_param)
#define EVP_PKEY_new_raw_private_key (ls_ossl()->EVP_PKEY_new_raw_private_key)
#define EVP_PKEY_new_raw_public_key (ls_ossl()->EVP_PKEY_new_raw_public_key)
#define EVP_PKEY_sign (ls_ossl()->EVP_PKEY_sign)
#define EVP_PKEY_sign_init (ls_ossl()->EVP_PKEY_sign_init)
#define EVP_PKEY_verify (ls_ossl()->EVP_PKEY_verify)
#define EVP_PKEY_verify_init (ls_ossl()->EVP_PKEY_verify_init)
#define EVP_Q_mac (ls_ossl()->EVP_Q_mac)
#define EVP_get_digestbyname (ls_ossl()->EVP_get_digestbyname)
#define EVP_sha256 (ls_ossl()->EVP_sha256)
#define EXTENDED_KEY_USAGE_free (ls_ossl()->EXTENDED_KEY_USAGE_free)
#define GENERAL_NAMES_free (ls_ossl()->GENERAL_NAMES_free)
#define OBJ_obj2nid (ls_ossl()->OBJ_obj2nid)
#define OBJ_obj2txt (ls_ossl()->OBJ_obj2txt)
#define OPENSSL_cleanse (ls_ossl()->OPENSSL_cleanse)
#define OPENSSL_sk_free (ls_ossl()->OPENSSL_sk_free)
#define OPENSSL_sk_new_null (ls_ossl()->OPENSSL_sk_new_null)
#define OPENSSL_sk_num (ls_ossl()->OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (ls_ossl()->OPENSSL_sk_pop_free)
#define OPENSSL_sk_push (ls_ossl()->OPENSSL_sk_push)
#define OPENSSL_sk_value (ls_ossl()->OPENSSL_sk_value)
#define OSSL_PARAM_BLD_free (ls_ossl()->OSSL_PARAM_BLD_free)
#define OSSL_PARAM_BLD_new (ls_ossl()->OSSL_PARAM_BLD_new)
#define OSSL_PARAM_BLD_push_BN (ls_ossl()->OSSL_PARAM_BLD_push_BN)
#define OSSL_PARAM_BLD_push_octet_string (ls_ossl()->OSSL_PARAM_BLD_push_octet_string)
#define OSSL_PARAM_BLD_push_utf8_string (ls_ossl()->OSSL_PARAM_BLD_push_utf8_string)
#define OSSL_PARAM_BLD_to_param (ls_ossl()->OSSL_PARAM_BLD_to_param)
#define OSSL_PARAM_free (ls_ossl()->OSSL_PARAM_free)
#define X509_EXTENSION_get_critical (ls_ossl()->X509_EXTENSION_get_critical)
#define X509_EXTENSION_get_data (ls_ossl()->X509_EXTENSION_get_data)
#define X509_EXTENSION_get_object (ls_ossl()->X509_EXTENSION_get_object)
#define X509_NAME_ENTRY_get_data (ls_ossl()->X509_NAME_ENTRY_get_data)
#define X509_NAME_ENTRY_get_object (ls_ossl()->X509_NAME_ENTRY_get_object)
#define X509_NAME_entry_count (ls_ossl()->X509_NAME_entry_count)
#define X509_NAME_get_entry (ls_ossl()->X509_NAME_get_entry)
#define X509_REQ_free (ls_ossl()->X509_REQ_free)
#define X509_REQ_get0_pubkey (ls_ossl()->X509_REQ_get0_pubkey)
#define X509_REQ_get0_signature (ls_ossl()->X509_REQ_get0_signature)
#define X509_REQ_get_signature_nid (ls_ossl()->X509_REQ_get_signature_nid)
#define X509_REQ_get_subject_name (ls_ossl()->X509_REQ_get_subject_name)
#define X509_REQ_get_version (ls_ossl()->X509_REQ_get_version)
#define X509_STORE_CTX_free (ls_ossl()->X509_STORE_CTX_free)
#define X509_STORE_CTX_get1_chain (ls_ossl()->X509_STORE_CTX_get1_chain)
#define X509_STORE_CTX_init (ls_ossl()->X509_STORE_CTX_init)
#define X509_STORE_CTX_new (ls_ossl()->X509_STORE_CTX_new)
#define X509_STORE_CTX_set_purpose (ls_ossl()->X509_STORE_CTX_set_purpose)
#define X509_STORE_CTX_set_time (ls_ossl()->X509_STORE_CTX_set_time)
#define X509_STORE_add_cert (ls_ossl()->X509_STORE_add_cert)
#define X509_STORE_free (ls_ossl()->X509_STORE_free)
#define X509_STORE_new (ls_ossl()->X509_STORE_new)
#define X509_free (ls_ossl()->X509_free)
#define X509_get0_authority_key_id (ls_ossl()->X509_get0_authority_key_id)
#define X509_get0_notAfter (ls_ossl()->X509_get0_notAfter)
#define X509_get0_notBefore (ls_ossl()->X509_get0_notBefore)
#define X509_get0_pubkey (ls_ossl()->X509_get0_pubkey)
#define X509_get0_serialNumber (ls_ossl()->X509_get0_serialNumber)
#define X509_get0_signature (ls_ossl()->X509_get0_signature)
#define X509_get0_subject_key_id (ls_ossl()->X509_get0_subject_key_id)
#define X509_get_X509_PUBKEY (ls_ossl()->X509_get_X509_PUBKEY)
#define X509_get_ext (ls_ossl()->X509_get_ext)
#define X509_get_ext_by_NID (ls_ossl()->X509_get_ext_by_NID)
#define X509_get_ext_count (ls_ossl()->X509_get_ext_count)
#define X509_get_ext_d2i (ls_ossl()->X509_get_ext_d2i)
#define X509_get_extension_flags (ls_ossl()->X509_get_extension_flags)
#define X509_get_issuer_name (ls_ossl()->X509_get_issuer_name)
#define X509_get_key_usage (ls_ossl()->X509_get_key_usage)
#define X509_get_pathlen (ls_ossl()->X509_get_pathlen)
#define X509_get_pubkey (ls_ossl()->X509_get_pubkey)
#define X509_get_signature_nid (ls_ossl()->X509_get_signature_nid)
#define X509_get_subject_name (ls_ossl()->X509_get_subject_name)
#define X509_get_version (ls_ossl()->X509_get_version)
#define X509_verify_cert (ls_ossl()->X509_verify_cert)
#define d2i_AutoPrivateKey (ls_ossl()->d2i_AutoPrivateKey)
#define d2i_ECDSA_SIG (ls_ossl()->d2i_ECDSA_SIG)
#define d2i_PUBKEY (ls_ossl()->d2i_PUBKEY)
#define d2i_PrivateKey (ls_ossl()->d2i_PrivateKey)
#define d2i_X509 (ls_ossl()->d2i_X509)
#define d2i_X509_REQ (ls_ossl()->d2i_X509_REQ)
#define i2d_ECDSA_SIG (ls_ossl()->i2d_ECDSA_SIG)
#define i2d_X509 (ls_ossl()->i2d_X509)
#define i2d_X509_NAME (ls_ossl()->i2d_X509_NAME)
#define i2d_X509_PUBKEY (ls_ossl()->i2d_X509_PUBKEY)
#define i2d_X509_REQ (ls_ossl()->i2d_X509_REQ)
#define i2d_re_X509_tbs (ls_ossl()->i2d_re_X509_tbs)

#endif
#endif
