#pragma once
// SHA-256 of a password, as ACL users store them (64 lowercase hex digits, the form Redis's
// ACL GETUSER shows and '#<hash>' rules take). Backed by OpenSSL's libcrypto (EVP).

#include <string>
#include <string_view>

namespace eddy::acl {

inline constexpr std::size_t kPasswordHashHexChars = 64;

// The SHA-256 digest of `text` as 64 lowercase hex digits.
std::string sha256_hex(std::string_view text);

// Whether `text` is a stored hash's form: exactly 64 characters of [0-9a-f].
bool is_password_hash(std::string_view text);

// Compares two equal-length hashes in time that does not depend on where they differ, so a
// client cannot learn a stored hash byte by byte from reply latency.
bool hashes_equal(std::string_view a, std::string_view b);

}  // namespace eddy::acl
