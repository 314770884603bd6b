#pragma once
// Digests of CRDT states, for anti-entropy: two replicas compare 64-bit digests and exchange
// state only when they differ. A digest is XXH3 (seed 0) over a canonical encoding: fixed-width
// little-endian integers and length-prefixed strings, written in sorted order by the caller.
// Length prefixes keep the encoding unambiguous ("ab"+"c" and "a"+"bc" differ), and each type
// starts with its own tag byte so equal-looking states of different types do not collide.
// The encoding is fixed by this file alone, so digests agree across nodes and builds.

#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::crdt {

class DigestBuilder {
 public:
  explicit DigestBuilder(std::uint8_t type_tag) { bytes_.push_back(static_cast<char>(type_tag)); }

  void add_u8(std::uint8_t value) { bytes_.push_back(static_cast<char>(value)); }
  void add_u32(std::uint32_t value);
  void add_u64(std::uint64_t value);
  void add_i64(std::int64_t value) { add_u64(static_cast<std::uint64_t>(value)); }
  void add_string(std::string_view value);

  std::uint64_t finish() const;

 private:
  std::string bytes_;
};

// One tag per type whose digest is defined here.
inline constexpr std::uint8_t kDigestTagVersionVector = 1;
inline constexpr std::uint8_t kDigestTagGCounter = 2;
inline constexpr std::uint8_t kDigestTagPnCounter = 3;
inline constexpr std::uint8_t kDigestTagLwwRegister = 4;
inline constexpr std::uint8_t kDigestTagOrSet = 5;

}  // namespace eddy::crdt
