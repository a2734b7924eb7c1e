#!/usr/bin/env bash
# No kubedouble binary or library defines an OpenSSL function: TLS goes through libssl as it is,
# never through a kubedouble definition that every program linking the library would get
# (issue 19: the SSL_read/SSL_write interposition of the old tls_buffers.cpp).
# Usage: no_openssl_definitions.sh FILE... (executables and shared libraries: their dynamic
# symbols; static libraries: their objects' symbols).
set -euo pipefail
pattern='^[0-9a-fA-F]* [TtWwDdBbRrVvi] (SSL|SSL_CTX|BIO|EVP|X509|CRYPTO|OPENSSL|OSSL|ERR|RAND|PEM|TLS|DTLS|ASN1|BN|EC|RSA|HMAC|OBJ|d2i|i2d)_[A-Za-z0-9_]*$'
status=0
for file in "$@"; do
  case "$file" in
    *.a) symbols=$(nm --defined-only "$file" 2>/dev/null || true) ;;
    *) symbols=$(nm -D --defined-only "$file" 2>/dev/null || true) ;;
  esac
  found=$(grep -E "$pattern" <<<"$symbols" || true)
  if [[ -n $found ]]; then
    echo "$file defines OpenSSL functions:" >&2
    echo "$found" >&2
    status=1
  fi
done
[[ $status == 0 ]] && echo "no OpenSSL function defined in $# files"
exit $status
