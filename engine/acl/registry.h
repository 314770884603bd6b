#pragma once
// The node's ACL users and ACL LOG.
//
// Users are shared by every core without a lock on the data path: the registry keeps the
// authoritative list behind a mutex (admin commands only: ACL SETUSER, DELUSER, LOAD, AUTH's
// look-up of a user by name reads the core's copy), and each change makes a new immutable
// `UserDirectory` with a higher version. The changing command then broadcasts it to every
// core (engine/acl/publish.h); each core keeps its own pointer to the newest directory it was
// given, so a connection checks its user against data no other core writes.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/acl/user.h"
#include "engine/base/function_ref.h"
#include "engine/cmd/command.h"

namespace eddy::acl {

using UserPtr = std::shared_ptr<const User>;

// One immutable set of users. Always holds "default".
class UserDirectory {
 public:
  UserDirectory(std::uint64_t version, std::vector<UserPtr> users);
  std::uint64_t version() const { return version_; }
  // nullptr when there is no such user.
  const UserPtr* find(std::string_view name) const;
  const UserPtr& default_user() const { return default_user_; }
  const std::vector<UserPtr>& users() const { return users_; }  // sorted by name

 private:
  std::uint64_t version_;
  std::vector<UserPtr> users_;
  UserPtr default_user_;
};

// What ACL LOG shows of a denied command or failed AUTH.
struct LogEntry {
  std::uint64_t count = 1;
  std::string reason;   // command, key, channel, auth
  std::string context;  // toplevel, multi
  std::string object;
  std::string username;
  std::int64_t created_ms = 0;
  std::string client_info;
};

class Registry {
 public:
  Registry(const CommandTable* table, std::uint32_t cores);

  const CommandTable& table() const { return *table_; }

  // The directory the calling core was last given. Touch only from `core`.
  const UserDirectory& on_core(std::uint32_t core) const { return *per_core_[core].directory; }
  // Installs `directory` as core's copy unless the core already has a newer one; true when
  // it did. Called on `core` only.
  bool install(std::uint32_t core, std::shared_ptr<const UserDirectory> directory);
  // Start-up only, before any core runs: every core takes the latest directory.
  void install_everywhere_before_start();

  // A change to the users: `edit` gets a copy of the current list (sorted by name) to change
  // and returns false with an error to change nothing. On success a new directory exists and
  // latest() returns it; publish it to the cores (engine/acl/publish.h).
  bool edit(FunctionRef<bool(std::vector<UserPtr>& users, std::string* error)> edit,
            std::string* error);
  std::shared_ptr<const UserDirectory> latest() const;

  // A fresh user id (see User::uid).
  std::uint64_t next_uid();

  // ACL LOG: similar entries within a minute are counted as one, as Redis groups them.
  void log(LogEntry entry, std::size_t max_entries);
  std::vector<LogEntry> log_entries(std::size_t count) const;
  void reset_log();
  // acllog-max-len (CONFIG binds it).
  std::size_t log_max_entries() const {
    return static_cast<std::size_t>(log_max_len.load(std::memory_order_relaxed));
  }
  std::atomic<std::int64_t> log_max_len{128};

 private:
  struct alignas(64) CoreCopy {
    std::shared_ptr<const UserDirectory> directory;
  };
  const CommandTable* table_;
  mutable std::mutex mutex_;
  std::shared_ptr<const UserDirectory> latest_;
  std::atomic<std::uint64_t> next_uid_{1};
  std::vector<CoreCopy> per_core_;
  std::vector<LogEntry> log_;  // newest first
};

// The default user as a fresh Redis has it: on, nopass, every command, key and channel.
UserPtr make_default_user(const CommandTable& table, std::uint64_t uid);

}  // namespace eddy::acl
