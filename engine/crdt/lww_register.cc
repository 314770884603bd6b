#include "engine/crdt/lww_register.h"

#include <tuple>
#include <utility>

#include "engine/crdt/digest.h"

namespace eddy::crdt {

bool LwwRegister::loses_to(const HlcStamp& stamp, const std::string& value) const {
  if (!assigned_) return true;
  return std::tie(stamp_, value_) < std::tie(stamp, value);
}

bool LwwRegister::set(std::string value, HlcTimestamp time, std::string_view replica) {
  HlcStamp stamp{time, std::string(replica)};
  if (!loses_to(stamp, value)) return false;
  assigned_ = true;
  stamp_ = std::move(stamp);
  value_ = std::move(value);
  return true;
}

bool LwwRegister::merge(const LwwRegister& other) {
  if (!other.assigned_ || !loses_to(other.stamp_, other.value_)) return false;
  *this = other;
  return true;
}

std::uint64_t LwwRegister::digest() const {
  DigestBuilder builder(kDigestTagLwwRegister);
  builder.add_u8(assigned_ ? 1 : 0);
  if (assigned_) {
    builder.add_i64(stamp_.time.physical_ms);
    builder.add_u32(stamp_.time.logical);
    builder.add_string(stamp_.replica);
    builder.add_string(value_);
  }
  return builder.finish();
}

}  // namespace eddy::crdt
