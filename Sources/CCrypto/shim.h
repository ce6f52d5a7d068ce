#ifndef STRATA_CCRYPTO_SHIM_H
#define STRATA_CCRYPTO_SHIM_H
// Only the digest and MAC primitives SigV4 needs: SHA-256 and HMAC-SHA-256.
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif
