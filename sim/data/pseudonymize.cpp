// HMAC-SHA256 pseudonymisation (see pseudonymize.h).
#include "sim/data/pseudonymize.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace fedsim {

Digest hmac_sha256(std::string_view key, std::string_view value) {
  Digest out{};
  unsigned int len = 0;
  static const char kNoKey[1] = {0};  // OpenSSL wants a non-null pointer even for an empty key
  const unsigned char* res =
      HMAC(EVP_sha256(), key.empty() ? kNoKey : key.data(), int(key.size()),
           reinterpret_cast<const unsigned char*>(value.data()), value.size(), out.data(), &len);
  if (res == nullptr || len != out.size()) throw std::runtime_error("HMAC-SHA256 failed");
  return out;
}

std::string hmac_sha256_hex(const std::string& key, const std::string& value) {
  static const char* const kHex = "0123456789abcdef";
  const Digest d = hmac_sha256(key, value);
  std::string s(2 * d.size(), '0');
  for (size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

std::string read_key_file(const std::string& path) {
  if (path.empty()) throw std::runtime_error("key file: no path given (data.key_file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read key file");
  std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": cannot read key file");
  if (key.empty()) throw std::runtime_error(path + ": key file is empty");
  return key;
}

std::vector<int32_t> dense_ids_by_digest(const std::vector<Digest>& digests, int64_t* distinct) {
  std::vector<Digest> sorted = digests;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<int32_t> ids(digests.size());
  for (size_t i = 0; i < digests.size(); ++i)
    ids[i] = int32_t(std::lower_bound(sorted.begin(), sorted.end(), digests[i]) - sorted.begin());
  if (distinct) *distinct = int64_t(sorted.size());
  return ids;
}

}  // namespace fedsim
