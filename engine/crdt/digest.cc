#include "engine/crdt/digest.h"

#include <xxhash.h>

namespace eddy::crdt {

void DigestBuilder::add_u32(std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    bytes_.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void DigestBuilder::add_u64(std::uint64_t value) {
  for (int shift = 0; shift < 64; shift += 8) {
    bytes_.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void DigestBuilder::add_string(std::string_view value) {
  add_u64(value.size());
  bytes_.append(value);
}

std::uint64_t DigestBuilder::finish() const {
  return XXH3_64bits(bytes_.data(), bytes_.size());
}

}  // namespace eddy::crdt
