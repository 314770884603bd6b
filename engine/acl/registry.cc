#include "engine/acl/registry.h"

#include <algorithm>

#include "engine/base/assert.h"

namespace eddy::acl {

namespace {
// Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA: repeats within this are one entry with a count.
constexpr std::int64_t kLogGroupingMs = 60'000;
// Redis compares a new entry with at most this many recent ones.
constexpr std::size_t kLogGroupingScan = 10;
}  // namespace

UserDirectory::UserDirectory(std::uint64_t version, std::vector<UserPtr> users)
    : version_(version), users_(std::move(users)) {
  std::sort(users_.begin(), users_.end(),
            [](const UserPtr& a, const UserPtr& b) { return a->name() < b->name(); });
  const UserPtr* found = find("default");
  ASSERT(found != nullptr);
  default_user_ = *found;
}

const UserPtr* UserDirectory::find(std::string_view name) const {
  auto it = std::lower_bound(users_.begin(), users_.end(), name,
                             [](const UserPtr& u, std::string_view n) { return u->name() < n; });
  if (it == users_.end() || (*it)->name() != name) return nullptr;
  return &*it;
}

UserPtr make_default_user(const CommandTable& table, std::uint64_t uid) {
  auto user = std::make_shared<User>("default", uid, table);
  std::string reason;
  for (std::string_view rule : {"+@all", "~*", "&*", "on", "nopass"}) {
    ASSERT(user->apply(rule, table, &reason));
  }
  return user;
}

Registry::Registry(const CommandTable* table, std::uint32_t cores)
    : table_(table), per_core_(cores) {
  ASSERT(table_ != nullptr);
  latest_ = std::make_shared<UserDirectory>(
      1, std::vector<UserPtr>{make_default_user(*table_, next_uid())});
  for (CoreCopy& copy : per_core_) copy.directory = latest_;
}

bool Registry::install(std::uint32_t core, std::shared_ptr<const UserDirectory> directory) {
  ASSERT_LT(core, per_core_.size());
  CoreCopy& copy = per_core_[core];
  if (copy.directory->version() >= directory->version()) return false;
  copy.directory = std::move(directory);
  return true;
}

void Registry::install_everywhere_before_start() {
  std::lock_guard lock(mutex_);
  for (CoreCopy& copy : per_core_) copy.directory = latest_;
}

bool Registry::edit(FunctionRef<bool(std::vector<UserPtr>& users, std::string* error)> edit,
                    std::string* error) {
  std::lock_guard lock(mutex_);
  std::vector<UserPtr> users = latest_->users();
  if (!edit(users, error)) return false;
  latest_ = std::make_shared<UserDirectory>(latest_->version() + 1, std::move(users));
  return true;
}

std::shared_ptr<const UserDirectory> Registry::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::uint64_t Registry::next_uid() {
  return next_uid_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::log(LogEntry entry, std::size_t max_entries) {
  std::lock_guard lock(mutex_);
  const std::size_t scan = std::min(log_.size(), kLogGroupingScan);
  for (std::size_t i = 0; i < scan; ++i) {
    LogEntry& old = log_[i];
    if (old.reason == entry.reason && old.context == entry.context && old.object == entry.object &&
        old.username == entry.username && entry.created_ms - old.created_ms <= kLogGroupingMs) {
      old.count++;
      old.created_ms = entry.created_ms;
      old.client_info = std::move(entry.client_info);
      std::rotate(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(i),
                  log_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return;
    }
  }
  log_.insert(log_.begin(), std::move(entry));
  if (log_.size() > max_entries) log_.resize(max_entries);
}

std::vector<LogEntry> Registry::log_entries(std::size_t count) const {
  std::lock_guard lock(mutex_);
  return std::vector<LogEntry>(
      log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(std::min(count, log_.size())));
}

void Registry::reset_log() {
  std::lock_guard lock(mutex_);
  log_.clear();
}

}  // namespace eddy::acl
