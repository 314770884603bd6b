#pragma once
// A minimal single-threaded Runtime for unit tests: settable clocks, a seeded Rng, a real
// fiber::Scheduler, and hops that run immediately in the calling thread (run_at_target, then
// run_at_origin unless the target parked the hop; send_home finishes a parked one). Streams and
// files are absent: listen/connect fail and every Disk operation reports an error, unless a
// test hands it a disk (use_disk). Tests that need sockets use the sim runtime instead.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/fiber/scheduler.h"
#include "engine/limits.h"
#include "engine/rng.h"
#include "engine/runtime.h"

namespace eddy::testing {

// Every operation fails; opening reports why.
class NullDisk final : public Disk {
 public:
  FileId open(const std::string&, bool, std::string* error) override {
    if (error != nullptr) *error = "no disk in FakeRuntime";
    return -1;
  }
  bool append(FileId, std::string_view) override { return false; }
  bool write_at(FileId, std::uint64_t, std::string_view) override { return false; }
  bool sync(FileId) override { return false; }
  std::int64_t read_at(FileId, std::uint64_t, std::span<char>) override { return -1; }
  std::int64_t size(FileId) override { return -1; }
  bool truncate(FileId, std::uint64_t) override { return false; }
  void close(FileId) override {}
  bool rename(const std::string&, const std::string&) override { return false; }
  bool remove(const std::string&) override { return false; }
  std::vector<std::string> list(const std::string&) override { return {}; }
};

class FakeRuntime final : public Runtime {
 public:
  // A fixed, realistic wall clock (2023-11-14) so TTL arithmetic is exercised with real
  // magnitudes; tests move it with set_unix_ms/advance_ms.
  static constexpr std::int64_t kDefaultUnixMs = 1'700'000'000'000;

  explicit FakeRuntime(std::uint64_t seed = 1, std::int64_t unix_ms = kDefaultUnixMs)
      : unix_us_(unix_ms * 1000), rng_(seed), scheduler_(limits::fiber_stack_bytes) {}

  // Clocks. advance_ms/advance_us move both the wall clock and the monotonic clock.
  void set_unix_ms(std::int64_t unix_ms) { unix_us_ = unix_ms * 1000; }
  void set_unix_us(std::int64_t unix_us) { unix_us_ = unix_us; }
  void set_monotonic(Nanos now) {
    ASSERT_GE(now, monotonic_);
    monotonic_ = now;
  }
  void advance_ms(std::int64_t ms) { advance_us(ms * 1000); }
  void advance_us(std::int64_t us) {
    ASSERT_GE(us, 0);
    unix_us_ += us;
    monotonic_ += us * 1000;
  }
  void set_stopping(bool stopping) { stopping_ = stopping; }
  std::size_t hops_posted() const { return hops_posted_; }

  std::uint32_t core_count() const override { return 1; }
  std::uint32_t current_core() const override { return 0; }
  Nanos monotonic_now() override { return monotonic_; }
  std::int64_t unix_now_us() override { return unix_us_; }
  fiber::Scheduler& scheduler() override { return scheduler_; }
  // Nothing else runs meanwhile, so sleeping is just time passing.
  void sleep_for(Nanos duration) override {
    ASSERT_GE(duration, 0);
    monotonic_ += duration;
    unix_us_ += duration / 1000;
  }
  Rng& rng() override { return rng_; }
  std::uint64_t hash_seed() const override { return hash_seed_; }
  void set_hash_seed(std::uint64_t seed) { hash_seed_ = seed; }

  void post(Hop* hop) override {
    ++hops_posted_;
    if (hop->run_at_target()) hop->run_at_origin();
  }
  void send_home(Hop* hop) override { hop->run_at_origin(); }

  std::unique_ptr<Listener> listen(const std::string&, std::uint16_t, std::string* error) override {
    if (error != nullptr) *error = "no network in FakeRuntime";
    return nullptr;
  }
  std::unique_ptr<Stream> connect(const std::string&, std::uint16_t, std::string* error) override {
    if (error != nullptr) *error = "no network in FakeRuntime";
    return nullptr;
  }
  Disk& disk() override { return disk_override_ != nullptr ? *disk_override_ : disk_; }
  // Files on `disk` (a SimDisk) from now on, instead of the disk that fails everything.
  void use_disk(Disk* disk) { disk_override_ = disk; }
  bool stopping() const override { return stopping_; }
  const std::string& node_name() const override { return name_; }
  bool send_to_peer(const std::string&, std::string) override { return false; }
  std::optional<PeerMessage> receive_from_peer() override { return std::nullopt; }

 private:
  std::string name_ = "fake";
  std::int64_t unix_us_;
  Nanos monotonic_ = 0;
  Rng rng_;
  std::uint64_t hash_seed_ = 0x5eed;
  fiber::Scheduler scheduler_;
  NullDisk disk_;
  Disk* disk_override_ = nullptr;
  bool stopping_ = false;
  std::size_t hops_posted_ = 0;
};

}  // namespace eddy::testing
