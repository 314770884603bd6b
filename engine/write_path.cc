#include "engine/write_path.h"

#include <algorithm>
#include <charconv>

#include "engine/cmd/command.h"
#include "engine/kv/table.h"
#include "engine/shard.h"

namespace eddy {

WritePath::WritePath(Shard* shard, std::uint32_t shard_id) : shard_(shard), shard_id_(shard_id) {
  ASSERT(shard_ != nullptr);
}

void WritePath::deliver_effects() {
  // A transaction's part is delivered even when empty, so whoever assembles the transaction
  // knows that this shard's part is complete.
  if (pending_.empty() && tx_id_ == 0) {
    arena_.clear();
    arg_spans_.clear();
    if (EDDY_UNLIKELY(blocked_calls_ != 0)) serve_blocked();
    return;
  }
  views_.clear();
  for (const PendingEffect& p : pending_) {
    if (p.verbatim) {
      views_.insert(views_.end(), p.verbatim_args.begin(), p.verbatim_args.end());
    } else {
      for (std::uint32_t i = 0; i < p.arg_count; ++i) {
        const auto [offset, length] = arg_spans_[p.first_arg + i];
        views_.emplace_back(arena_.data() + offset, length);
      }
    }
  }
  effects_.clear();
  std::size_t at = 0;
  for (const PendingEffect& p : pending_) {
    const std::size_t count = p.verbatim ? p.verbatim_args.size() : p.arg_count;
    effects_.push_back(Effect{p.db, std::span<const std::string_view>(views_.data() + at, count)});
    at += count;
  }
  const EffectBatch batch{shard_id_, tx_id_, tx_parts_, now_ms_, effects_};
  for (WriteObserver* observer : observers_) observer->on_effects(batch);
  pending_.clear();
  arena_.clear();
  arg_spans_.clear();
  if (EDDY_UNLIKELY(blocked_calls_ != 0)) serve_blocked();
}

void WritePath::key_modified_slow(int db, const kv::Entry* entry) {
  const std::string_view key = entry->key.view();
  if (!watched_.empty()) bump_watched(db, key);
  if (blocked_calls_ != 0) note_blocked_key(db, key);
}

void WritePath::note_blocked_key(int db, std::string_view key) {
  shard_->blocking().key_changed(db, key);
}

void WritePath::serve_blocked() {
  if (serving_holds_ == 0) shard_->blocking().serve(*shard_);
}

void WritePath::release_serving() {
  ASSERT_GT(serving_holds_, 0u);
  --serving_holds_;
  if (blocked_calls_ != 0 && !in_unit_) serve_blocked();
}

void WritePath::apply(const CommandSpec& spec, int db, std::span<const std::string_view> args,
                      ReplyBuilder& reply, std::int64_t now_ms, BlockingRequest* blocking) {
  ASSERT(spec.handler != nullptr);
  if ((spec.flags & (kCmdWrite | kCmdMayReplicate)) == 0 && blocking == nullptr) {
    // A pure read opens no unit: it changes nothing, and the one change it may cause (deleting
    // an expired key it finds) opens a unit of its own in key_expired; any other mutator would
    // assert in_unit_. A read that may write (PFCOUNT caches its estimate) is flagged
    // may-replicate, as in Redis, and takes the unit. Saves GET ~60 Ir (callgrind).
    CommandContext ctx{
        *shard_, shard_->db(static_cast<std::size_t>(db)), db, args, reply, now_ms, *this,
        blocking};
    spec.handler(ctx);
    ++shard_->stats().commands_processed;
    return;
  }
  begin_unit(now_ms, 0, 1);
  const std::uint64_t before = modifications_;
  CommandContext ctx{
      *shard_, shard_->db(static_cast<std::size_t>(db)), db, args, reply, now_ms, *this, blocking};
  spec.handler(ctx);
  ++shard_->stats().commands_processed;
  // Deterministic writes that changed something are their own effect. Expiry DELs counted in
  // `modifications_` are already pending by then and are not a reason to propagate the command:
  // key_expired does not count as the command's change (see below).
  if (recording() && !explicit_effects_ && modifications_ != before && spec.is_write()) {
    pending_.push_back(PendingEffect{static_cast<std::uint16_t>(db), true, 0, 0, args});
  }
  end_unit();
}

void WritePath::run_unit(std::int64_t now_ms, std::uint64_t tx_id, std::uint32_t tx_parts,
                         FunctionRef<void()> fn) {
  begin_unit(now_ms, tx_id, tx_parts);
  fn();
  end_unit();
}

void WritePath::append_arg(std::string_view arg) {
  ASSERT_LE(arena_.size() + arg.size(), std::size_t{0xFFFFFFFFu});
  arg_spans_.emplace_back(static_cast<std::uint32_t>(arena_.size()),
                          static_cast<std::uint32_t>(arg.size()));
  arena_.append(arg);
}

void WritePath::emit_begin(int db, std::string_view name) {
  ASSERT_MSG(in_unit_, "an effect outside the write path");
  ASSERT(!emitting_);
  explicit_effects_ = true;
  if (!recording()) return;
  emitting_ = true;
  pending_.push_back(PendingEffect{
      static_cast<std::uint16_t>(db), false, static_cast<std::uint32_t>(arg_spans_.size()), 0, {}});
  emit_arg(name);
}

void WritePath::emit_arg(std::string_view arg) {
  if (!recording()) return;
  ASSERT(emitting_);
  append_arg(arg);
  ++pending_.back().arg_count;
}

void WritePath::emit_int_arg(std::int64_t value) {
  if (!recording()) return;
  char scratch[24];
  const auto result = std::to_chars(scratch, scratch + sizeof(scratch), value);
  emit_arg(std::string_view(scratch, static_cast<std::size_t>(result.ptr - scratch)));
}

void WritePath::emit_end() {
  if (!recording()) return;
  ASSERT(emitting_);
  emitting_ = false;
}

void WritePath::emit(int db, std::initializer_list<std::string_view> args) {
  emit(db, std::span<const std::string_view>(args.begin(), args.size()));
}

void WritePath::emit(int db, std::span<const std::string_view> args) {
  ASSERT(!args.empty());
  emit_begin(db, args[0]);
  for (std::size_t i = 1; i < args.size(); ++i) emit_arg(args[i]);
  emit_end();
}

void WritePath::emit_rebuild(int db, std::string_view key, const kv::Value& value,
                             std::int64_t expire_at_ms) {
  explicit_effects_ = true;
  if (!recording()) return;
  char at[kv::Value::kIntScratchBytes];
  if (value.is_string()) {
    char scratch[kv::Value::kIntScratchBytes];
    if (expire_at_ms != 0) {
      emit(db, {"SET", key, value.view(scratch), "PXAT", kv::Value::format_int(expire_at_ms, at)});
    } else {
      emit(db, {"SET", key, value.view(scratch)});
    }
    return;
  }
  emit(db, {"DEL", key});
  value.collection().rebuild(key, [&](std::span<const std::string_view> args) { emit(db, args); });
  if (expire_at_ms != 0) emit(db, {"PEXPIREAT", key, kv::Value::format_int(expire_at_ms, at)});
}

void WritePath::key_expired(int db, std::string_view key, std::int64_t now_ms) {
  // A lookup outside any unit (a fan-out's or a transaction's read step) may find an expired
  // key: the deletion is then a unit of its own.
  if (!in_unit_) {
    begin_unit(now_ms, 0, 1);
    key_expired(db, key, now_ms);
    end_unit();
    return;
  }
  // Not counted in `modifications_`: apply() decides whether a command changed anything by that
  // count, and a read (or a write that then finds nothing to do) that trips over an expired key
  // has not. The DEL is the expiry's own effect.
  ++expirations_;
  last_modified_ = nullptr;  // the entry goes: its address may hold another key next
  if (EDDY_UNLIKELY(!watched_.empty())) bump_watched(db, key);
  if (!recording()) return;
  ASSERT(!emitting_);
  pending_.push_back(PendingEffect{
      static_cast<std::uint16_t>(db), false, static_cast<std::uint32_t>(arg_spans_.size()), 2, {}});
  append_arg("DEL");
  append_arg(key);
}

void WritePath::db_changed(int db, FunctionRef<bool(std::string_view)> touched) {
  ASSERT_MSG(in_unit_, "a keyspace change outside the write path");
  ++modifications_;
  last_modified_ = nullptr;  // every entry of the database is gone or moved
  if (watched_.empty()) return;
  const std::string prefix = watch_key(db, {});
  ++version_counter_;
  for (auto& [name, watched] : watched_) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (touched(std::string_view(name).substr(prefix.size()))) watched.version = version_counter_;
  }
}

void WritePath::add_observer(WriteObserver* observer) {
  ASSERT(observer != nullptr);
  ASSERT(!in_unit_);
  ASSERT(std::find(observers_.begin(), observers_.end(), observer) == observers_.end());
  observers_.push_back(observer);
}

void WritePath::remove_observer(WriteObserver* observer) {
  ASSERT(!in_unit_);
  auto it = std::find(observers_.begin(), observers_.end(), observer);
  ASSERT(it != observers_.end());
  observers_.erase(it);
}

std::string WritePath::watch_key(int db, std::string_view key) {
  std::string name = std::to_string(db);
  name += ':';
  name += key;
  return name;
}

std::uint64_t WritePath::watch(int db, std::string_view key) {
  WatchedKey& watched = watched_[watch_key(db, key)];
  ++watched.watchers;
  return watched.version;
}

std::uint64_t WritePath::watched_version(int db, std::string_view key) const {
  auto it = watched_.find(watch_key(db, key));
  ASSERT_MSG(it != watched_.end(), "version of a key nobody watches");
  return it->second.version;
}

void WritePath::unwatch(int db, std::string_view key) {
  auto it = watched_.find(watch_key(db, key));
  ASSERT(it != watched_.end());
  ASSERT_GT(it->second.watchers, 0u);
  if (--it->second.watchers == 0) watched_.erase(it);
}

void WritePath::bump_watched(int db, std::string_view key) {
  auto it = watched_.find(watch_key(db, key));
  if (it != watched_.end()) it->second.version = ++version_counter_;
}

}  // namespace eddy
