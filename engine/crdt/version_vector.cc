#include "engine/crdt/version_vector.h"

#include "engine/crdt/digest.h"

namespace eddy::crdt {

std::uint64_t VersionVector::get(std::string_view origin) const {
  const auto it = entries_.find(origin);
  return it == entries_.end() ? 0 : it->second;
}

bool VersionVector::advance(std::string_view origin, std::uint64_t seq) {
  if (seq == 0) return false;  // 0 is "nothing held": never stored
  const auto it = entries_.find(origin);
  if (it == entries_.end()) {
    entries_.emplace(std::string(origin), seq);
    return true;
  }
  if (seq <= it->second) return false;
  it->second = seq;
  return true;
}

bool VersionVector::dominates(const VersionVector& other) const {
  for (const auto& [origin, seq] : other.entries_) {
    if (get(origin) < seq) return false;
  }
  return true;
}

void VersionVector::merge(const VersionVector& other) {
  for (const auto& [origin, seq] : other.entries_) advance(origin, seq);
}

std::uint64_t VersionVector::digest() const {
  DigestBuilder builder(kDigestTagVersionVector);
  builder.add_u64(entries_.size());
  for (const auto& [origin, seq] : entries_) {
    builder.add_string(origin);
    builder.add_u64(seq);
  }
  return builder.finish();
}

}  // namespace eddy::crdt
