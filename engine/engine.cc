#include "engine/engine.h"

#include <algorithm>
#include <cstdlib>

#include "engine/base/fault.h"
#include "engine/config_rewrite.h"
#include "engine/kv/hash_seed.h"
#include "engine/storage/aof.h"
#include "engine/storage/snapshotter.h"
#include "engine/tx/coordinator.h"

namespace eddy {

Engine::Engine(Runtime* runtime, EngineOptions options)
    : runtime_(runtime), options_(std::move(options)), acl_(&commands_, runtime->core_count()) {
  ASSERT(runtime_ != nullptr);
  // Tables made inside values from now on hash with this node's seed (engine/kv/hash_seed.h).
  kv::set_collection_hash_seed(runtime_->hash_seed() ^ 0x9e3779b97f4a7c15ULL);
  ASSERT_GE(options_.shard_count, 1u);
  ASSERT_LE(options_.shard_count, limits::shards_max);
  const std::uint32_t cores = runtime_->core_count();
  for (std::uint32_t i = 0; i < cores; ++i) {
    client_registries_.push_back(std::make_unique<ClientRegistry>());
    buffer_peaks_.push_back(std::make_unique<BufferPeaks>());
  }
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
  // Redis 7.0's ranges: tcp-keepalive 0..INT_MAX; proto-max-bulk-len and
  // client-query-buffer-limit at least 1mb, at most LONG_MAX.
  config_.bind_integer("tcp-keepalive", &client_limits_.tcp_keepalive_s, 0, INT32_MAX);
  config_.bind_integer("proto-max-bulk-len", &client_limits_.proto_max_bulk_len, 1024 * 1024,
                       INT64_MAX);
  config_.bind_integer("client-query-buffer-limit", &client_limits_.query_buffer_bytes_max,
                       1024 * 1024, INT64_MAX);
  // Takes effect at the log's next group commit (and is what the log opens with).
  config_.bind_custom(
      "appendfsync",
      [](std::string_view input, const std::string&, std::string* canonical, std::string* reason) {
        storage::FsyncPolicy policy;
        if (!storage::parse_fsync_policy(input, &policy)) {
          *reason = "argument(s) must be one of the following: always, everysec, no";
          return false;
        }
        *canonical = storage::fsync_policy_name(policy);
        return true;
      },
      [this](const std::string& value) {
        storage::FsyncPolicy policy = storage::FsyncPolicy::kEverySec;
        ASSERT(storage::parse_fsync_policy(value, &policy));
        appendfsync_.store(static_cast<int>(policy), std::memory_order_relaxed);
        if (aof_ != nullptr) aof_->set_fsync_policy(policy);
      });
  // Redis prints the rules as "<seconds> <changes>" pairs separated by spaces.
  config_.bind_custom(
      "save",
      [](std::string_view input, const std::string&, std::string* canonical, std::string* reason) {
        std::vector<storage::SaveRule> rules;
        if (!storage::parse_save_rules(input, &rules)) {
          *reason = "Invalid save parameters";
          return false;
        }
        canonical->clear();
        for (const storage::SaveRule& rule : rules) {
          if (!canonical->empty()) canonical->push_back(' ');
          *canonical += std::to_string(rule.seconds) + " " + std::to_string(rule.changes);
        }
        return true;
      },
      [](const std::string&) {});  // read by the save-rules fiber once a second
  config_.bind_custom(
      "client-output-buffer-limit",
      [](std::string_view input, const std::string& current, std::string* canonical,
         std::string* reason) {
        OutputBufferLimits limits = default_output_buffer_limits();
        // The value held is always valid: it was made by this very function.
        ASSERT(parse_output_buffer_limits(current, &limits, reason));
        if (!parse_output_buffer_limits(input, &limits, reason)) return false;
        *canonical = format_output_buffer_limits(limits);
        return true;
      },
      [this](const std::string& value) {
        OutputBufferLimits limits = default_output_buffer_limits();
        std::string reason;
        ASSERT_MSG(parse_output_buffer_limits(value, &limits, &reason), reason);
        client_limits_.set_output_limits(limits);
      });
  config_.bind_custom(
      "maxmemory-clients",
      [](std::string_view input, const std::string&, std::string* canonical, std::string* reason) {
        std::int64_t value = 0;
        if (!parse_maxmemory_clients(input, &value, reason)) return false;
        *canonical = format_maxmemory_clients(value);
        return true;
      },
      [this](const std::string& value) {
        std::int64_t parsed = 0;
        std::string reason;
        ASSERT_MSG(parse_maxmemory_clients(value, &parsed, &reason), reason);
        client_limits_.maxmemory_clients.store(parsed, std::memory_order_relaxed);
      });
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

void Engine::set_aof(storage::AppendOnlyLog* aof) {
  aof_ = aof;
  if (aof_ != nullptr) aof_->set_fsync_policy(static_cast<storage::FsyncPolicy>(appendfsync()));
}

void Engine::start_core_services() {
  const std::uint32_t core = runtime_->current_core();
  if (aof_ != nullptr) aof_->start_core(core);
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

void Engine::start_save_rules() {
  if (snapshotter_ == nullptr || runtime_->current_core() != 0) return;
  runtime_->scheduler().spawn("save-rules", [this] {
    Coordinator coordinator(this);
    while (!runtime_->stopping()) {
      runtime_->sleep_for(kNanosPerSecond);
      if (runtime_->stopping()) break;
      std::vector<storage::SaveRule> rules;
      if (!storage::parse_save_rules(config_.get_one("save"), &rules)) rules.clear();
      if (rules.empty() && !snapshotter_->scheduled()) continue;
      std::vector<std::uint64_t> counts(shards_.size(), 0);
      coordinator.run_on_all(
          [&](Shard& shard) { counts[shard.id()] = shard.writes().modifications(); });
      std::uint64_t total = 0;
      for (std::uint64_t n : counts) total += n;
      snapshotter_->run_save_rules(coordinator, rules, total);
    }
  });
}

void Engine::start_client_cron() {
  const std::uint32_t core = runtime_->current_core();
  runtime_->scheduler().spawn("client-cron-" + std::to_string(core), [this, core] {
    while (!runtime_->stopping()) {
      runtime_->sleep_for(limits::client_timeout_check_ms * kNanosPerMilli);
      if (runtime_->stopping()) break;
      client_cron_step(core);
      // One core enforces maxmemory-clients for all, so two cores never evict for the same
      // excess at once.
      if (core == 0) evict_clients();
    }
  });
}

void Engine::client_cron_step(std::uint32_t core) {
  const std::int64_t timeout_s = idle_timeout_s_.load(std::memory_order_relaxed);
  const std::int64_t now_ms = runtime_->unix_now_ms();
  std::uint64_t input_peak = 0;
  std::uint64_t output_peak = 0;
  clients_on(core).for_each([&](ClientState& c) {
    if (c.stream == nullptr) return;
    // As Redis's clientsCronHandleTimeout: a blocked client waits under its own timeout.
    if (timeout_s > 0 && c.blocked == nullptr && now_ms - c.last_active_ms > timeout_s * 1000) {
      c.stream->close();
      return;
    }
    const std::size_t pending = c.pending_output_bytes();
    input_peak = std::max<std::uint64_t>(input_peak, c.input_buffer_bytes);
    output_peak = std::max<std::uint64_t>(output_peak, pending);
    if (c.close_asap) return;
    // A client whose write has waited on the kernel: the soft limit's seconds run out here,
    // or the hard limit was lowered under it.
    if (output_limit_reached(c, pending, client_limits_.output_limit(c.output_class()), now_ms)) {
      runtime_->log(
          "client closed for passing its output buffer limit "
          "(client-output-buffer-limit): " +
          client_info_line(c, now_ms));
      c.close_asap = true;
      c.stream->close();
    }
  });
  // A new second starts its slot afresh; INFO reads the largest of the last kPeakSlots.
  BufferPeaks& peaks = *buffer_peaks_[core];
  const std::int64_t second = now_ms / 1000;
  const auto slot = static_cast<std::size_t>(second % static_cast<std::int64_t>(kPeakSlots));
  if (peaks.second != second) {
    peaks.second = second;
    peaks.input[slot].store(0, std::memory_order_relaxed);
    peaks.output[slot].store(0, std::memory_order_relaxed);
  }
  if (input_peak > peaks.input[slot].load(std::memory_order_relaxed)) {
    peaks.input[slot].store(input_peak, std::memory_order_relaxed);
  }
  if (output_peak > peaks.output[slot].load(std::memory_order_relaxed)) {
    peaks.output[slot].store(output_peak, std::memory_order_relaxed);
  }
}

std::uint64_t Engine::client_memory_bytes() const {
  std::uint64_t sum = 0;
  for (const auto& registry : client_registries_) sum += registry->memory_bytes();
  return sum;
}

std::pair<std::uint64_t, std::uint64_t> Engine::recent_client_buffer_peaks() const {
  std::uint64_t input = 0;
  std::uint64_t output = 0;
  for (const auto& peaks : buffer_peaks_) {
    for (std::size_t i = 0; i < kPeakSlots; ++i) {
      input = std::max(input, peaks->input[i].load(std::memory_order_relaxed));
      output = std::max(output, peaks->output[i].load(std::memory_order_relaxed));
    }
  }
  return {input, output};
}

std::size_t Engine::evict_clients() {
  const std::int64_t setting = client_limits_.maxmemory_clients.load(std::memory_order_relaxed);
  if (setting == 0) return 0;
  std::uint64_t maxmemory = 0;
  if (setting < 0) {
    // A percentage of maxmemory; none while maxmemory is 0, as in Redis.
    maxmemory = std::strtoull(config_.get_one("maxmemory").c_str(), nullptr, 10);
  }
  const std::uint64_t limit = client_eviction_limit_bytes(setting, maxmemory);
  if (limit == 0 || client_memory_bytes() < limit) return 0;

  // Every core names its largest evictable clients (a bounded number each), then the largest
  // of all go first until the rest fit. Work: one pass over the clients, on each core.
  struct Candidate {
    std::uint64_t bytes;
    std::uint64_t id;
  };
  constexpr std::size_t kCandidatesPerCore = 64;
  const std::uint32_t cores = runtime_->core_count();
  std::vector<std::vector<Candidate>> per_core(cores);
  std::vector<std::uint64_t> closing_bytes(cores, 0);
  Coordinator coordinator(this);
  coordinator.run_on_all_cores([&](std::uint32_t core) {
    std::vector<Candidate>& list = per_core[core];
    clients_on(core).for_each([&](const ClientState& c) {
      if (c.close_asap) {
        closing_bytes[core] += c.memory_bytes;  // going already: its memory is as good as free
        return;
      }
      const ClientClass cls = c.output_class();
      if (c.no_evict || c.stream == nullptr ||
          (cls != ClientClass::kNormal && cls != ClientClass::kPubsub)) {
        return;
      }
      list.push_back(Candidate{c.memory_bytes, c.id});
    });
    auto larger = [](const Candidate& a, const Candidate& b) {
      return a.bytes != b.bytes ? a.bytes > b.bytes : a.id < b.id;
    };
    if (list.size() > kCandidatesPerCore) {
      std::nth_element(list.begin(), list.begin() + kCandidatesPerCore, list.end(), larger);
      list.resize(kCandidatesPerCore);
    }
  });
  std::vector<Candidate> all;
  std::uint64_t total = client_memory_bytes();
  for (std::uint32_t core = 0; core < cores; ++core) {
    all.insert(all.end(), per_core[core].begin(), per_core[core].end());
    total -= std::min(total, closing_bytes[core]);
  }
  std::sort(all.begin(), all.end(), [](const Candidate& a, const Candidate& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.id < b.id;
  });
  std::vector<std::uint64_t> victims;
  for (const Candidate& candidate : all) {
    if (total < limit) break;
    victims.push_back(candidate.id);
    total -= std::min(total, candidate.bytes);
  }
  if (victims.empty()) return 0;
  std::vector<std::size_t> evicted(cores, 0);
  coordinator.run_on_all_cores([&](std::uint32_t core) {
    const std::int64_t now_ms = runtime_->unix_now_ms();
    clients_on(core).for_each([&](ClientState& c) {
      if (c.close_asap || c.stream == nullptr) return;
      if (std::find(victims.begin(), victims.end(), c.id) == victims.end()) return;
      runtime_->log("client evicted (maxmemory-clients): " + client_info_line(c, now_ms));
      c.close_asap = true;
      c.stream->close();
      ++evicted[core];
    });
  });
  std::size_t count = 0;
  for (std::size_t n : evicted) count += n;
  stats_.evicted_clients.fetch_add(count, std::memory_order_relaxed);
  return count;
}

bool Engine::rewrite_config_file(std::string* reason) {
  ASSERT(!options_.config_file.empty());
  // Rewrites on several cores take turns, so one's temporary file never meets another's.
  while (config_rewriting_.exchange(true, std::memory_order_acquire)) {
    runtime_->sleep_for(1'000'000);
  }
  Disk& disk = runtime_->disk();
  std::string old_text;
  // A file removed since start is written anew, as Redis does.
  bool ok = disk.read_file(options_.config_file, limits::config_file_bytes_max, &old_text,
                           reason) != Disk::ReadStatus::kFailed;
  std::string new_text;
  if (ok) {
    const auto entries =
        config_file_entries(config_, options_.config_file_only_keys, options_.config_file_aliases);
    ok = rewrite_config_text(old_text, entries, &new_text, reason);
  }
  ok = ok && disk.replace_file(options_.config_file, new_text, reason);
  config_rewriting_.store(false, std::memory_order_release);
  return ok;
}

}  // namespace eddy
