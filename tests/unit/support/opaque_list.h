#pragma once
// A value of another type than string, for the WRONGTYPE cases of families whose commands take
// only strings (bitmaps, HyperLogLog). It is a list in name only: one opaque element, enough
// for TYPE, WRONGTYPE checks, COPY/RENAME (clone, rebuild) and exact memory accounting.
//
//   eddy::testing::put_opaque_list(runner, "l");   // like RPUSH l x on an empty key

#include <cstdint>
#include <memory>
#include <string_view>

#include "engine/db.h"
#include "engine/kv/value.h"
#include "tests/unit/support/command_runner.h"

namespace eddy::testing {

class OpaqueList final : public kv::Collection {
 public:
  static constexpr kv::Type kType = kv::Type::kList;
  kv::Type type() const override { return kType; }
  kv::Encoding encoding() const override { return kv::Encoding::kQuicklist; }
  std::size_t size() const override { return 1; }
  std::size_t memory_bytes() const override { return sizeof(*this); }
  std::unique_ptr<kv::Collection> clone() const override { return std::make_unique<OpaqueList>(); }
  std::uint64_t digest() const override { return 0x0B5C0DE; }
  void rebuild(std::string_view key,
               FunctionRef<void(std::span<const std::string_view>)> emit) const override {
    const std::string_view args[] = {"RPUSH", key, "x"};
    emit(args);
  }
};

inline void put_opaque_list(CommandRunner& runner, std::string_view key) {
  runner.write([&] {
    runner.db().put(key, kv::Value::of(std::make_unique<OpaqueList>()), 0, runner.now_ms());
  });
}

}  // namespace eddy::testing
