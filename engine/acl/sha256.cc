#include "engine/acl/sha256.h"

#include <openssl/evp.h>

#include "engine/base/assert.h"

namespace eddy::acl {

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest is one-shot: no context object to keep, nothing allocated by us.
  const int ok = EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  ASSERT_EQ(ok, 1);
  ASSERT_EQ(length, 32u);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPasswordHashHexChars, '0');
  for (unsigned int i = 0; i < length; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

bool is_password_hash(std::string_view text) {
  if (text.size() != kPasswordHashHexChars) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool hashes_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

}  // namespace eddy::acl
