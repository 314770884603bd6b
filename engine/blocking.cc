#include "engine/blocking.h"

#include <algorithm>

#include "engine/fiber/scheduler.h"
#include "engine/shard.h"

namespace eddy {

namespace {

// How often a core's timer fiber looks at the deadlines of its blocked clients (and at
// shutdown) while it has any.
constexpr Nanos kTimerTick = 10 * kNanosPerMilli;

// Wakes the blocked client's fiber, unless it is the one running (a hop that comes home
// inline): a running fiber marked ready that then finishes would be freed while queued.
void wake_waiter(Runtime& runtime, fiber::Fiber* waiter) {
  if (waiter != nullptr && waiter != runtime.scheduler().current()) {
    runtime.scheduler().wake(waiter);
  }
}

}  // namespace

bool BlockedCall::run_at_target() {
  ASSERT(shard != nullptr);
  if (kind == Kind::kServedHere) {
    shard->refresh_clock();
    if (EDDY_UNLIKELY(!shard->locks().empty() || shard->parked_count() != 0)) {
      std::vector<std::uint32_t> indexes;
      key_indexes(*spec, args, indexes);
      std::vector<std::string_view> all;
      for (std::uint32_t i : indexes) all.push_back(args[i]);
      if (shard->blocked_by_locks(all, LockMode::kExclusive)) {
        shard->park(this);
        return false;
      }
    }
    request = BlockingRequest{};
    ReplyBuilder out(&reply, protocol);
    shard->writes().apply(*spec, db, args, out, shard->now_ms(), &request);
    if (!request.would_block) {
      answered = true;
      return true;
    }
  }
  shard->blocking().add(this);
  return false;
}

void BlockedCall::run_at_origin() {
  home = true;
  wake_waiter(shard->runtime(), waiter);
}

bool CancelBlockedCall::run_at_target() {
  if (call->registered) {
    call->shard->blocking().remove(call);
    call->shard->runtime().send_home(call);
  }
  return true;
}

void CancelBlockedCall::run_at_origin() {
  home = true;
  wake_waiter(call->shard->runtime(), waiter);
}

std::string BlockingRegistry::id_of(int db, std::string_view key) {
  std::string id;
  id.reserve(key.size() + 3);
  id.append(std::to_string(db));
  id.push_back(':');
  id.append(key);
  return id;
}

void BlockingRegistry::add(BlockedCall* call) {
  ASSERT(!call->registered);
  ASSERT(!call->keys.empty());
  for (std::string_view key : call->keys) {
    auto& line = waiting_[id_of(call->db, key)];
    // A key named twice (BLPOP k k 0) waits once.
    if (std::find(line.begin(), line.end(), call) == line.end()) line.push_back(call);
  }
  call->registered = true;
  ++calls_;
  call->shard->writes().set_blocked_calls(calls_);
}

void BlockingRegistry::remove(BlockedCall* call) {
  ASSERT(call->registered);
  for (std::string_view key : call->keys) {
    auto it = waiting_.find(id_of(call->db, key));
    if (it == waiting_.end()) continue;
    auto& line = it->second;
    line.erase(std::remove(line.begin(), line.end(), call), line.end());
    if (line.empty()) waiting_.erase(it);
  }
  call->registered = false;
  --calls_;
  call->shard->writes().set_blocked_calls(calls_);
}

void BlockingRegistry::key_changed(int db, std::string_view key) {
  if (waiting_.empty()) return;
  std::string id = id_of(db, key);
  if (waiting_.find(id) == waiting_.end()) return;
  if (std::find(ready_.begin(), ready_.end(), id) != ready_.end()) return;
  ready_.push_back(std::move(id));
}

void BlockingRegistry::databases_changed(int a, int b) {
  const std::string prefix_a = id_of(a, {});
  const std::string prefix_b = id_of(b, {});
  for (const auto& [id, line] : waiting_) {
    if (id.starts_with(prefix_a) || id.starts_with(prefix_b)) {
      if (std::find(ready_.begin(), ready_.end(), id) == ready_.end()) ready_.push_back(id);
    }
  }
}

void BlockingRegistry::serve(Shard& shard) {
  // Serving runs commands, whose units end here again: the outer loop picks up what they make
  // ready (a BLMOVE pushing to a key another client waits on), in order.
  if (serving_ || ready_.empty()) return;
  serving_ = true;
  for (std::size_t i = 0; i < ready_.size(); ++i) {
    const std::string id = ready_[i];
    auto it = waiting_.find(id);
    if (it == waiting_.end()) continue;
    // First come, first served: each waiter in arrival order, while the key has something.
    const std::vector<BlockedCall*> line(it->second.begin(), it->second.end());
    for (BlockedCall* call : line) {
      if (!call->registered) continue;  // served through another of its keys just now
      if (call->kind == BlockedCall::Kind::kNotify) {
        remove(call);
        shard.runtime().send_home(call);
        continue;
      }
      call->request = BlockingRequest{BlockingRequest::Mode::kServe};
      call->reply.clear();
      ReplyBuilder out(&call->reply, call->protocol);
      shard.writes().apply(*call->spec, call->db, call->args, out, shard.now_ms(), &call->request);
      if (call->request.would_block) continue;  // nothing for it (yet): it keeps its place
      call->answered = true;
      remove(call);
      shard.runtime().send_home(call);
    }
  }
  ready_.clear();
  serving_ = false;
}

void BlockingTimers::add(Runtime& runtime, Nanos deadline, BlockedWait* wait) {
  deadlines_.emplace(deadline, wait);
  if (timer_running_) return;
  timer_running_ = true;
  runtime.scheduler().spawn("blocking-timer", [this, &runtime] {
    // Runs while this core has blocked clients; shutdown ends every wait.
    while (!deadlines_.empty()) {
      runtime.sleep_for(kTimerTick);
      const Nanos now = runtime.monotonic_now();
      const bool stopping = runtime.stopping();
      while (!deadlines_.empty() && (stopping || deadlines_.begin()->first <= now)) {
        BlockedWait* expired = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        if (expired->end == BlockedWait::End::kNone) {
          expired->end = stopping ? BlockedWait::End::kShutdown : BlockedWait::End::kTimeout;
        }
        runtime.scheduler().wake(expired->fiber);
      }
    }
    timer_running_ = false;
  });
}

void BlockingTimers::remove(Nanos deadline, BlockedWait* wait) {
  deadlines_.erase({deadline, wait});
}

}  // namespace eddy
