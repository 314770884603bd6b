#pragma once
// Runs commands through the real CommandTable against one Shard on a FakeRuntime, the way a
// session does for a command whose keys all live on one shard: look the name up, check the
// arity (with Redis's error text), call the handler with a CommandContext, and hand back the
// reply parsed by reply_reader.h.
//
//   eddy::testing::CommandRunner r;
//   CHECK(r.run({"SET", "k", "v"}) == Reply::ok());
//   r.advance_ms(1500);                       // moves the wall clock the shard reads
//   CHECK(r.run({"GET", "k"}) == Reply::bulk("v"));

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/command.h"
#include "engine/cmd/reply_builder.h"
#include "engine/shard.h"
#include "tests/unit/support/fake_runtime.h"
#include "tests/unit/support/reply_reader.h"

namespace eddy::testing {

class CommandRunner {
 public:
  explicit CommandRunner(std::int64_t unix_ms = FakeRuntime::kDefaultUnixMs)
      : runtime_(std::make_unique<FakeRuntime>(1, unix_ms)),
        shard_(std::make_unique<Shard>(0, 0, runtime_.get())) {}

  FakeRuntime& runtime() { return *runtime_; }
  Shard& shard() { return *shard_; }
  const CommandTable& table() const { return table_; }
  // A registered command's spec; throws (failing the test) when there is none.
  const CommandSpec& spec(std::string_view name) const {
    const CommandSpec* found = table_.find(name);
    if (found == nullptr) throw std::out_of_range("no command " + std::string(name));
    return *found;
  }
  Db& db() { return shard_->db(static_cast<std::size_t>(db_index_)); }
  std::int64_t now_ms() { return runtime_->unix_now_ms(); }

  // Like SELECT: later commands run against database `index`.
  void select(int index) {
    if (index < 0 || static_cast<std::size_t>(index) >= shard_->db_count()) {
      throw std::out_of_range("no database " + std::to_string(index));
    }
    db_index_ = index;
  }
  int db_index() const { return db_index_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  void advance_ms(std::int64_t ms) { runtime_->advance_ms(ms); }

  // Runs `fn` as one write-path unit on the shard (tests that call Db mutators or keyparts
  // directly, as a transaction step would).
  template <typename Fn>
  void write(Fn&& fn) {
    shard_->refresh_clock();
    shard_->writes().run_unit(shard_->now_ms(), 0, 1, fn);
  }

  // The raw reply bytes of one command.
  std::string run_raw(std::span<const std::string_view> args) {
    if (args.empty()) throw std::invalid_argument("a command needs a name");
    std::string out;
    ReplyBuilder reply(&out, protocol_);
    const CommandSpec* spec = table_.find(args[0]);
    if (spec == nullptr) {
      // Redis's text: "unknown command 'x', with args beginning with: 'a' 'b' ".
      std::string message =
          "ERR unknown command '" + std::string(args[0]) + "', with args beginning with: ";
      for (std::size_t i = 1; i < args.size(); ++i) message += "'" + std::string(args[i]) + "' ";
      reply.error(message);
      return out;
    }
    if (!spec->arity_ok(args.size())) {
      reply.error("ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
      return out;
    }
    if (spec->route != CommandRoute::kKeys || spec->handler == nullptr) {
      throw std::logic_error("CommandRunner runs single-shard key commands only, not '" +
                             std::string(spec->name) + "'");
    }
    shard_->refresh_clock();
    shard_->writes().apply(*spec, db_index_, args, reply, shard_->now_ms());
    return out;
  }

  // One command's reply, parsed; throws unless the handler wrote exactly one reply.
  Reply run(std::span<const std::string_view> args) {
    const std::string bytes = run_raw(args);
    std::vector<Reply> replies = parse_replies(bytes);
    if (replies.size() != 1) {
      throw std::runtime_error("expected exactly one reply, got " + std::to_string(replies.size()) +
                               ": " + bytes);
    }
    return std::move(replies.front());
  }
  Reply run(std::initializer_list<std::string_view> args) {
    return run(std::span<const std::string_view>(args.begin(), args.size()));
  }
  Reply run(const std::vector<std::string>& args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    return run(std::span<const std::string_view>(views));
  }

 private:
  // Heap-held so the runner can be moved and the Shard keeps a stable Runtime pointer.
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<Shard> shard_;
  CommandTable table_;
  int db_index_ = 0;
  int protocol_ = 2;
};

}  // namespace eddy::testing
