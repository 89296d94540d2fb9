// SHA-256 of a federation's contents (see federation_fingerprint.h).
#include "sim/data/federation_fingerprint.h"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace fedsim {
namespace {

template <class T>
void update(EVP_MD_CTX* ctx, const std::vector<T>& v) {
  const uint64_t n = v.size();
  EVP_DigestUpdate(ctx, &n, sizeof n);
  if (n) EVP_DigestUpdate(ctx, v.data(), n * sizeof(T));
}

void update(EVP_MD_CTX* ctx, const Dataset& d) {
  const int64_t shape[3] = {d.n, d.d, d.classes};
  EVP_DigestUpdate(ctx, shape, sizeof shape);
  update(ctx, d.x);
  update(ctx, d.y);
}

}  // namespace

std::string federation_fingerprint(const Federation& f) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("federation_fingerprint: OpenSSL SHA-256 unavailable");
  update(ctx.get(), f.train);
  update(ctx.get(), f.test);
  update(ctx.get(), f.offsets);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

}  // namespace fedsim
