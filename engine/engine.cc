#include "engine/engine.h"

#include "engine/kv/hash_seed.h"

#include "engine/base/fault.h"

namespace eddy {

Engine::Engine(Runtime* runtime, EngineOptions options)
    : runtime_(runtime), options_(std::move(options)), acl_(&commands_, runtime->core_count()) {
  ASSERT(runtime_ != nullptr);
  // Tables made inside values from now on hash with this node's seed (engine/kv/hash_seed.h).
  kv::set_collection_hash_seed(runtime_->hash_seed() ^ 0x9e3779b97f4a7c15ULL);
  ASSERT_GE(options_.shard_count, 1u);
  ASSERT_LE(options_.shard_count, limits::shards_max);
  const std::uint32_t cores = runtime_->core_count();
  client_registries_.resize(cores);
  blocking_timers_.resize(cores);
  for (std::uint32_t i = 0; i < options_.shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>(i, i % cores, runtime_));
    shards_.back()->set_encoding_limits(&encoding_limits_);
  }
  // Contiguous slot ranges per shard, as a Redis Cluster of N masters would split them.
  for (std::size_t slot = 0; slot < limits::cluster_slots; ++slot) {
    slot_to_shard_[slot] =
        static_cast<std::uint16_t>(slot * options_.shard_count / limits::cluster_slots);
  }
  start_unix_ms_ = runtime_->unix_now_ms();
  start_monotonic_ = runtime_->monotonic_now();
  config_.set_initial("bind", options_.bind);
  config_.set_initial("port", std::to_string(options_.port));
  config_.set_initial("maxclients", std::to_string(options_.maxclients));
  config_.bind_integer("maxclients", &maxclients_, 1,
                       static_cast<std::int64_t>(limits::maxclients_max));
  config_.bind_integer("timeout", &idle_timeout_s_, 0, INT32_MAX);
  config_.set_initial("io-threads", std::to_string(cores));
  config_.set_initial("protected-mode", options_.protected_mode ? "yes" : "no");
  config_.set_initial("aclfile", options_.aclfile);
  config_.bind_integer("acllog-max-len", &acl_.log_max_len, 0, INT64_MAX);
  if (!options_.requirepass.empty()) {
    config_.set_initial("requirepass", options_.requirepass);
    std::string error;
    const bool ok = acl_.edit(
        [&](std::vector<acl::UserPtr>& users, std::string* why) {
          for (acl::UserPtr& user : users) {
            if (user->name() != "default") continue;
            auto changed = std::make_shared<acl::User>(*user);
            if (!changed->apply(">" + options_.requirepass, commands_, why)) return false;
            user = std::move(changed);
          }
          return true;
        },
        &error);
    ASSERT_MSG(ok, error);
    acl_.install_everywhere_before_start();
  }
  constexpr std::int64_t kLong = INT64_MAX;
  config_.bind_integer("hash-max-listpack-entries", &encoding_limits_.hash_max_listpack_entries, 0,
                       kLong);
  config_.bind_integer("hash-max-listpack-value", &encoding_limits_.hash_max_listpack_value, 0,
                       kLong);
  config_.bind_integer("set-max-intset-entries", &encoding_limits_.set_max_intset_entries, 0,
                       kLong);
  config_.bind_integer("set-max-listpack-entries", &encoding_limits_.set_max_listpack_entries, 0,
                       kLong);
  config_.bind_integer("set-max-listpack-value", &encoding_limits_.set_max_listpack_value, 0,
                       kLong);
  config_.bind_integer("zset-max-listpack-entries", &encoding_limits_.zset_max_listpack_entries, 0,
                       kLong);
  config_.bind_integer("zset-max-listpack-value", &encoding_limits_.zset_max_listpack_value, 0,
                       kLong);
  config_.bind_integer("hll-sparse-max-bytes", &encoding_limits_.hll_sparse_max_bytes, 0, kLong);
  // Redis takes any int and reads -5..-1 as node byte limits; below -5 is -5.
  config_.bind_integer("list-max-listpack-size", &encoding_limits_.list_max_listpack_size,
                       INT32_MIN, INT32_MAX);
}

void Engine::start_core_services() {
  const std::uint32_t core = runtime_->current_core();
  for (auto& shard_ptr : shards_) {
    Shard* shard = shard_ptr.get();
    if (shard->home_core() != core) continue;
    runtime_->scheduler().spawn("expire-" + std::to_string(shard->id()), [this, shard] {
      while (!runtime_->stopping()) {
        runtime_->sleep_for(limits::expire_cycle_interval_ms * kNanosPerMilli);
        if (runtime_->stopping()) break;
        // Fault point: an expiry cycle that runs late (skipped this round).
        if (BUGGIFY("shard.expire_late")) continue;
        shard->active_expire_cycle(limits::expire_cycle_budget_ns);
      }
    });
  }
}

void Engine::start_client_timeouts() {
  const std::uint32_t core = runtime_->current_core();
  runtime_->scheduler().spawn("client-timeouts-" + std::to_string(core), [this, core] {
    while (!runtime_->stopping()) {
      runtime_->sleep_for(limits::client_timeout_check_ms * kNanosPerMilli);
      if (runtime_->stopping()) break;
      const std::int64_t timeout_s = idle_timeout_s_.load(std::memory_order_relaxed);
      if (timeout_s <= 0) continue;
      const std::int64_t now_ms = runtime_->unix_now_ms();
      // As Redis's clientsCronHandleTimeout: a blocked client waits under its own timeout.
      clients_on(core).for_each([&](const ClientState& c) {
        if (c.blocked != nullptr || c.stream == nullptr) return;
        if (now_ms - c.last_active_ms > timeout_s * 1000) c.stream->close();
      });
    }
  });
}

}  // namespace eddy
