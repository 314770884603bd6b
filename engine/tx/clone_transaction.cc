#include "engine/tx/clone_transaction.h"

#include <numeric>
#include <string>
#include <unordered_map>

#include "engine/kv/hash_seed.h"

namespace eddy {

namespace {

std::vector<std::string_view> views_of(std::span<const KeyRef> keys) {
  std::vector<std::string_view> views;
  views.reserve(keys.size());
  for (const KeyRef& ref : keys) views.push_back(ref.key);
  return views;
}

std::vector<std::uint32_t> all_indexes(std::size_t count) {
  std::vector<std::uint32_t> indexes(count);
  std::iota(indexes.begin(), indexes.end(), 0u);
  return indexes;
}

// A database number argument, if it is one.
bool database_arg(std::string_view text, int* db) {
  std::int64_t value = 0;
  if (!kv::Value::parse_canonical_int(text, &value) || value < 0 ||
      value >= static_cast<std::int64_t>(limits::databases)) {
    return false;
  }
  *db = static_cast<int>(value);
  return true;
}

}  // namespace

void touched_keys(const CommandSpec& spec, Args args, int client_db, std::vector<KeyRef>& out) {
  std::vector<std::uint32_t> indexes;
  key_indexes(spec, args, indexes);
  int other_db = client_db;
  if (spec.name == "copy") {
    for (std::size_t i = 3; i + 1 < args.size(); ++i) {
      if (equals_ignore_case(args[i], "db") && database_arg(args[i + 1], &other_db)) break;
    }
  }
  for (std::uint32_t index : indexes) {
    const bool destination = spec.name == "copy" && index == 2;
    out.push_back(KeyRef{destination ? other_db : client_db, args[index]});
  }
  int target = 0;
  if (spec.name == "move" && args.size() == 3 && database_arg(args[2], &target)) {
    out.push_back(KeyRef{target, args[1]});
  }
}

CloneTransaction::CloneTransaction(Coordinator* coordinator, std::span<const KeyRef> keys,
                                   LockMode mode)
    : CloneTransaction(coordinator, keys, std::vector<LockMode>(keys.size(), mode),
                       CloneOptions{}) {}

CloneTransaction::CloneTransaction(Coordinator* coordinator, std::span<const KeyRef> keys,
                                   std::span<const LockMode> modes, const CloneOptions& options)
    : key_views_(views_of(keys)),
      key_indexes_(all_indexes(keys.size())),
      keys_(keys),
      modes_(modes.begin(), modes.end()),
      options_(options),
      coordinator_(coordinator),
      tx_(coordinator, key_views_, key_indexes_, modes_,
          options.keyspace_held ? Coordinator::Transaction::Locking::kKeyspaceHeld
                                : Coordinator::Transaction::Locking::kKeys) {
  ASSERT_EQ(modes_.size(), keys_.size());
}

CloneTransaction::~CloneTransaction() {
  // Locks left held would block their keys forever: every path commits or aborts.
  ASSERT_MSG(!open_, "a clone transaction was neither committed nor aborted");
}

void CloneTransaction::lock_and_clone() {
  lock_and_clone([](Shard&, std::span<const std::uint32_t>) {});
}

void CloneTransaction::lock_and_clone(
    FunctionRef<void(Shard&, std::span<const std::uint32_t>)> on_locked) {
  ASSERT(!open_);
  copies_.clear();
  copies_.resize(tx_.groups().size());
  tx_.lock_all([&](Shard& shard, const Coordinator::Transaction::Group& group) {
    on_locked(shard, group.key_indexes);
    auto& out = copies_[static_cast<std::size_t>(&group - tx_.groups().data())];
    // A key named again is cloned once: a client naming one large value a thousand times must
    // not make a thousand copies of it. Its first mention stands for all of them.
    std::unordered_map<std::string, std::size_t, kv::SeededStringHash>
        first_of;  // (db, key) -> index in `out`
    for (std::uint32_t index : group.key_indexes) {
      const KeyRef& ref = keys_[index];
      Copy copy{index, true, std::nullopt, 0, 0, false};
      std::size_t first_at = out.size();
      if (!options_.keys_unique) {
        std::string id(ref.key);
        id.push_back('\0');
        id.append(std::to_string(ref.db));
        const auto [at, inserted] = first_of.emplace(std::move(id), out.size());
        copy.first = inserted;
        first_at = at->second;
      }
      Copy& first = copy.first ? copy : out[first_at];
      first.exclusive = first.exclusive || modes_[index] == LockMode::kExclusive;
      if (copy.first) {
        if (const kv::Entry* entry =
                shard.db(static_cast<std::size_t>(ref.db)).find(ref.key, tx_.now_ms())) {
          if (options_.copy == nullptr) {
            copy.value.emplace(entry->value.clone());
          } else {
            copy.value = (*options_.copy)(index, shard, *entry);
          }
          copy.expire_at_ms = entry->expire_at_ms();
          copy.encoding = entry->value.encoding();
        }
      }
      out.push_back(std::move(copy));
    }
  });
  open_ = true;

  Engine& engine = coordinator_->engine();
  scratch_.emplace(engine.shard_count(), engine.runtime().current_core(), &engine.runtime());
  scratch_->set_encoding_limits(&engine.encoding_limits());
  WritePath& writes = scratch_->writes();
  writes.run_unit(tx_.now_ms(), 0, 1, [&] {
    for (auto& group : copies_) {
      for (Copy& copy : group) {
        if (!copy.value) continue;
        const KeyRef& ref = keys_[copy.key_index];
        scratch_->db(static_cast<std::size_t>(ref.db))
            .put(ref.key, std::move(*copy.value), copy.expire_at_ms, tx_.now_ms());
        copy.value.reset();
      }
    }
  });
  // Only keys locked exclusively may change (a handler writes nothing it reads under a shared
  // lock), so only they are watched: a SORT reading a million weights watches its destination.
  for (auto& group : copies_) {
    for (Copy& copy : group) {
      if (!copy.first || !copy.exclusive) continue;
      const KeyRef& ref = keys_[copy.key_index];
      copy.version = writes.watch(ref.db, ref.key);
    }
  }
}

void CloneTransaction::abort() {
  ASSERT(open_);
  WritePath& writes = scratch_->writes();
  for (auto& group : copies_) {
    for (Copy& copy : group) {
      if (copy.first && copy.exclusive) {
        writes.unwatch(keys_[copy.key_index].db, keys_[copy.key_index].key);
      }
    }
  }
  tx_.unlock_all();
  open_ = false;
}

void CloneTransaction::commit() {
  ASSERT(open_);
  WritePath& writes = scratch_->writes();
  bool changed_any = false;
  for (auto& group : copies_) {
    for (Copy& copy : group) {
      if (!copy.first || !copy.exclusive) continue;
      const KeyRef& ref = keys_[copy.key_index];
      const std::uint64_t after = writes.watched_version(ref.db, ref.key);
      writes.unwatch(ref.db, ref.key);
      // (A key first watched at clone time starts at version 0, so 0 cannot mean "unchanged".)
      copy.changed = after != copy.version;
      if (!copy.changed) {
        const kv::Entry* now = scratch_->db(static_cast<std::size_t>(ref.db)).peek(ref.key);
        copy.encoding_only = now != nullptr && now->value.is_string() &&
                             now->value.encoding() == kv::Encoding::kRaw &&
                             copy.encoding != kv::Encoding::kRaw;
      }
      changed_any = changed_any || copy.changed || copy.encoding_only;
    }
  }
  if (!changed_any) {
    tx_.unlock_all();
    open_ = false;
    return;
  }
  const std::int64_t now_ms = tx_.now_ms();
  tx_.unlock_all([&](Shard& shard, const Coordinator::Transaction::Group& group) {
    auto& mine = copies_[static_cast<std::size_t>(&group - tx_.groups().data())];
    tx_.write_part(shard, [&] {
      for (const Copy& copy : mine) {
        const KeyRef& ref = keys_[copy.key_index];
        Db& target = shard.db(static_cast<std::size_t>(ref.db));
        if (copy.encoding_only) {
          // Not a change: the owner's string only takes the encoding the clone ended with.
          if (const kv::Entry* entry = target.peek(ref.key)) target.make_raw(entry);
          continue;
        }
        if (!copy.changed) continue;
        const kv::Entry* result = scratch_->db(static_cast<std::size_t>(ref.db)).peek(ref.key);
        if (result == nullptr || Db::expired(*result, now_ms)) {
          if (target.erase(ref.key, now_ms)) shard.writes().emit(ref.db, {"DEL", ref.key});
          continue;
        }
        shard.writes().emit_rebuild(ref.db, ref.key, result->value, result->expire_at_ms());
        target.put(ref.key, result->value.clone(), result->expire_at_ms(), now_ms);
      }
    });
  });
  open_ = false;
}

}  // namespace eddy
