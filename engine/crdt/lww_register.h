#pragma once
// A last-writer-wins register: a value and the HLC stamp (timestamp, replica) of the write
// that set it. Merge keeps the write with the larger stamp, so replicas that have seen the
// same writes hold the same value whatever the order.
//
// Two writes with equal stamps and different values cannot come from correct replicas (a
// replica's HLC never repeats a timestamp); should they meet anyway, the larger value wins so
// merge stays commutative rather than depending on arrival order.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/crdt/hybrid_logical_clock.h"

namespace eddy::crdt {

class LwwRegister {
 public:
  // Takes the write if its stamp is larger than the current one (any write beats an unset
  // register). Returns whether it took.
  bool set(std::string value, HlcTimestamp time, std::string_view replica);
  // Keeps the larger of the two writes. Returns whether this register changed.
  bool merge(const LwwRegister& other);

  // False until the first write.
  bool assigned() const { return assigned_; }
  // "" while unassigned.
  const std::string& value() const { return value_; }
  const HlcStamp& stamp() const { return stamp_; }
  std::uint64_t digest() const;

  friend bool operator==(const LwwRegister&, const LwwRegister&) = default;

 private:
  // True when the write (stamp, value) should replace this register's.
  bool loses_to(const HlcStamp& stamp, const std::string& value) const;

  bool assigned_ = false;
  HlcStamp stamp_;
  std::string value_;
};

}  // namespace eddy::crdt
