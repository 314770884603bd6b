#pragma once
// HashValue: a Redis hash (field -> value byte strings).
//
// Two forms, as Redis has them (OBJECT ENCODING names them):
//   "listpack"   a kv::Listpack of field, value, field, value ... in insertion order: one flat
//                buffer, for the many small hashes;
//   "hashtable"  a kv::FieldTable (chained, incrementally rehashed) for large ones.
// A hash starts as a listpack and converts once, never back: when it would hold more than
// hash-max-listpack-entries fields, or a field or value longer than hash-max-listpack-value
// bytes would enter it (Redis checks lengths before inserting and the count after).
//
// Views returned by lookups and passed to callbacks point into the hash: they stay valid
// until the next change of this hash.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "engine/base/function_ref.h"
#include "engine/kv/encoding_limits.h"
#include "engine/kv/field_table.h"
#include "engine/kv/listpack.h"
#include "engine/kv/value.h"
#include "engine/rng.h"

namespace eddy::kv {

class HashValue final : public Collection {
 public:
  static constexpr Type kType = Type::kHash;

  // The listpack form's thresholds, read once per command (CONFIG SET may change them).
  struct Limits {
    std::size_t max_entries;
    std::size_t max_value_bytes;
    static Limits of(const EncodingLimits& limits);
  };

  // Fields per HSET that rebuild() emits.
  static constexpr std::size_t kRebuildPairs = 64;

  HashValue() = default;

  // ---- Collection
  Type type() const override { return kType; }
  Encoding encoding() const override {
    return table_ == nullptr ? Encoding::kListpack : Encoding::kHashtable;
  }
  std::size_t size() const override {
    return table_ == nullptr ? pairs_.size() / 2 : table_->size();
  }
  std::size_t memory_bytes() const override {
    std::size_t bytes = sizeof(HashValue) + pairs_.heap_bytes();
    if (table_ != nullptr) bytes += sizeof(FieldTable) + table_->heap_bytes();
    return bytes;
  }
  std::unique_ptr<Collection> clone() const override;
  // The sum over pairs of a digest of (field, value): independent of order and encoding.
  std::uint64_t digest() const override;
  void rebuild(std::string_view key,
               FunctionRef<void(std::span<const std::string_view>)> emit) const override;

  bool is_listpack() const { return table_ == nullptr; }
  bool empty() const { return size() == 0; }

  // ---- fields
  // The value of `field`, if present.
  bool find(std::string_view field, std::string_view* value) const;
  bool contains(std::string_view field) const {
    std::string_view unused;
    return find(field, &unused);
  }
  // Inserts or overwrites (converting to the hashtable form at the thresholds); true when the
  // field is new. Neither view may point into this hash.
  bool set(std::string_view field, std::string_view value, const Limits& limits);
  // True when the field was present.
  bool erase(std::string_view field);

  // Calls fn(field, value) for every pair: insertion order for a listpack, table order
  // otherwise.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    if (table_ != nullptr) {
      table_->for_each(fn);
      return;
    }
    for (Listpack::Pos pos = pairs_.begin(); pos != pairs_.end();) {
      const std::string_view field = pairs_.get(pos);
      pos = pairs_.next(pos);
      fn(field, pairs_.get(pos));
      pos = pairs_.next(pos);
    }
  }

  // HSCAN's step: calls fn(field, value) for some pairs and returns the next cursor (0: done).
  // A listpack is small, so it is returned whole in one step (cursor 0), as Redis does; a
  // table visits the bucket(s) the cursor names (FieldTable::scan has the guarantee).
  template <typename Fn>
  std::uint64_t scan(std::uint64_t cursor, Fn&& fn) const {
    if (table_ != nullptr) return table_->scan(cursor, fn);
    for_each(fn);
    return 0;
  }

  // ---- random pairs (HRANDFIELD); the hash must not be empty
  std::pair<std::string_view, std::string_view> random(Rng& rng) const;
  // `count` pairs drawn independently (repeats possible), in draw order.
  void random_pairs(std::size_t count, Rng& rng,
                    FunctionRef<void(std::string_view, std::string_view)> emit) const;
  // `count` (< size()) distinct pairs: a uniform subset for a listpack or a large sample;
  // a small sample of a large table is as fair as FieldTable::random.
  void random_distinct_pairs(std::size_t count, Rng& rng,
                             FunctionRef<void(std::string_view, std::string_view)> emit) const;

  // Moves to the hashtable form (conversion only goes this way).
  void convert_to_table();

 private:
  Listpack pairs_;                     // the listpack form (empty once converted)
  std::unique_ptr<FieldTable> table_;  // the hashtable form, or null
};

}  // namespace eddy::kv
