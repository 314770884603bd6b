// libFuzzer target: a client's command stream through the real session, parser and
// BatchExecutor into a one-shard engine, on the deterministic simulator.
//
// The input is what one client sends (RESP multibulk or inline commands, mixed as the fuzzer
// likes). A blank line ("\n\n" or "\n\r\n") is also a pause: the client stops writing there
// for 250 ms of virtual time, so TTLs, blocking timeouts and active expiry come into play.
// The world's seed is a hash of the input, so a crash file replays exactly; the seed draws
// how writes are cut into pieces, short reads, latencies, scheduling and BUGGIFY sites
// (tiny reads, early flushes ...), as in every simulation.
//
// Checked, beyond every ASSERT of the engine and the sanitizers:
// - every byte the server sends parses as complete RESP replies, strictly (no CR or LF inside
//   a line, canonical integers, an error code in capitals), and a RESP2 connection gets only
//   RESP2 types;
// - no more replies than commands (plus one protocol error); exactly one per command when
//   the server neither closed the connection nor had a client blocked;
// - the write path's effects, replayed on a second empty shard, rebuild the same keyspace
//   (engine/write_path.h promises it), and both shards' O(1) memory counts equal a walk;
// - after shutdown every fiber ends (no session left hanging).

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/base/assert.h"
#include "engine/engine.h"
#include "engine/replay.h"
#include "engine/write_path.h"
#include "net/resp/request_parser.h"
#include "net/session.h"
#include "sim/node.h"
#include "sim/world.h"
#include "tests/unit/support/fake_runtime.h"
#include "tests/unit/support/replay_harness.h"

namespace {

using eddy::kNanosPerMilli;
using eddy::kNanosPerSecond;
using eddy::Nanos;

constexpr std::uint16_t kPort = 6379;
constexpr Nanos kPauseNs = 250 * kNanosPerMilli;
constexpr Nanos kPausesTotalMaxNs = 30 * kNanosPerSecond;
// Virtual time for the server to answer what was sent before it is stopped.
constexpr Nanos kSettleNs = 1 * kNanosPerSecond;
constexpr Nanos kWriteTimeLimitNs = 120 * kNanosPerSecond;
constexpr std::size_t kReplyDepthMax = 64;

// Replays every effect batch of the engine's shard on a second shard as it happens.
class Replica final : public eddy::WriteObserver {
 public:
  explicit Replica(eddy::Engine& engine) : engine_(engine), runtime_(1), shard_(0, 0, &runtime_) {
    shard_.set_encoding_limits(&engine.encoding_limits());
  }
  void on_effects(const eddy::EffectBatch& batch) override {
    std::string error;
    ASSERT_MSG(eddy::replay_effects(engine_.commands(), shard_, batch, &error),
               "an effect the replica refused: " + error);
  }
  eddy::Shard& shard() { return shard_; }

 private:
  eddy::Engine& engine_;
  eddy::testing::FakeRuntime runtime_;
  eddy::Shard shard_;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A strict reader of the server's bytes: one reply at `*pos`, nullopt if it is incomplete.
// Returns the reply's type byte. Aborts on anything a client library could choke on.
class StrictReplies {
 public:
  explicit StrictReplies(std::string_view bytes) : bytes_(bytes) {}

  std::optional<char> next(int protocol) {
    if (pos_ == bytes_.size()) return std::nullopt;
    std::size_t at = pos_;
    const std::optional<char> type = read(&at, protocol, 0);
    ASSERT_MSG(type.has_value(), "the server's last reply is incomplete: " + tail());
    pos_ = at;
    return type;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::string tail() const {
    const std::size_t from = pos_ > 200 ? bytes_.size() - 200 : 0;
    return std::string(bytes_.substr(from));
  }

  std::optional<std::string_view> line(std::size_t* at) const {
    const std::size_t end = bytes_.find("\r\n", *at);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view text = bytes_.substr(*at, end - *at);
    ASSERT_MSG(text.find_first_of("\r\n") == std::string_view::npos,
               "CR or LF inside a reply line: " + std::string(text));
    *at = end + 2;
    return text;
  }

  static std::int64_t integer(std::string_view text) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    ASSERT_MSG(ec == std::errc() && end == text.data() + text.size() && !text.empty(),
               "not an integer: " + std::string(text));
    // Canonical: what to_string gives back (no leading zeros, no "-0").
    ASSERT_MSG(std::to_string(value) == text, "not a canonical integer: " + std::string(text));
    return value;
  }

  std::optional<char> read(std::size_t* at, int protocol, std::size_t depth) const {
    ASSERT_LT(depth, kReplyDepthMax);
    if (*at >= bytes_.size()) return std::nullopt;
    const char type = bytes_[(*at)++];
    const std::optional<std::string_view> text = line(at);
    if (!text) return std::nullopt;
    const bool resp2_type = type == '+' || type == '-' || type == ':' || type == '$' || type == '*';
    ASSERT_MSG(resp2_type || protocol == 3,
               std::string("a RESP3 type on a RESP2 connection: ") + type);
    auto payload = [&](std::int64_t length) -> bool {
      ASSERT_GE(length, 0);
      const auto n = static_cast<std::size_t>(length);
      if (bytes_.size() - *at < n + 2) return false;
      ASSERT_MSG(bytes_.substr(*at + n, 2) == "\r\n", "a payload not ended by CRLF");
      *at += n + 2;
      return true;
    };
    switch (type) {
      case '+':
      case '(':
        return type;
      case '-':
        ASSERT_MSG(!text->empty() && text->front() >= 'A' && text->front() <= 'Z',
                   "an error without a code: " + std::string(*text));
        return type;
      case ':':
        integer(*text);
        return type;
      case ',': {
        if (*text == "inf" || *text == "-inf" || *text == "nan") return type;
        const std::string copy(*text);
        char* end = nullptr;
        std::strtod(copy.c_str(), &end);
        ASSERT_MSG(!copy.empty() && end == copy.c_str() + copy.size(), "not a double: " + copy);
        return type;
      }
      case '_':
        ASSERT(text->empty());
        return type;
      case '#':
        ASSERT(*text == "t" || *text == "f");
        return type;
      case '$': {
        const std::int64_t length = integer(*text);
        if (length == -1) return type;
        return payload(length) ? std::optional<char>(type) : std::nullopt;
      }
      case '!':
      case '=':
        return payload(integer(*text)) ? std::optional<char>(type) : std::nullopt;
      case '*':
      case '~':
      case '>':
      case '%': {
        const std::int64_t count = integer(*text);
        if (count == -1 && type == '*') return type;
        ASSERT_GE(count, 0);
        const auto children = static_cast<std::size_t>(count) * (type == '%' ? 2 : 1);
        for (std::size_t i = 0; i < children; ++i) {
          if (!read(at, protocol, depth + 1)) return std::nullopt;
        }
        return type;
      }
      default:
        ASSERT_MSG(false, std::string("an unknown reply type: ") + type);
    }
    return std::nullopt;
  }

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// The commands a parser finds in the whole input, as a session without AUTH would see them.
std::vector<std::vector<std::string>> reference_commands(std::string_view input) {
  std::vector<char> buffer(input.begin(), input.end());
  eddy::resp::RequestParser parser;
  std::vector<std::vector<std::string>> commands;
  std::size_t begin = 0;
  for (;;) {
    std::vector<std::string_view> args;
    std::size_t consumed = 0;
    const auto status = parser.parse(std::span<char>(buffer.data() + begin, buffer.size() - begin),
                                     args, &consumed);
    begin += consumed;
    if (status != eddy::resp::ParseStatus::kCommand) return commands;
    commands.emplace_back(args.begin(), args.end());
  }
}

// Checks the reply stream against the commands: well-formed, at most one reply per command,
// RESP2 types only while the connection speaks RESP2. Returns how many replies there were.
std::size_t check_replies(std::string_view received,
                          const std::vector<std::vector<std::string>>& commands) {
  StrictReplies replies(received);
  int protocol = 2;
  bool protocol_known = true;
  bool multi_seen = false;
  std::size_t count = 0;
  for (;;) {
    const std::vector<std::string>* command = count < commands.size() ? &commands[count] : nullptr;
    // HELLO 3 answers in the protocol it switches to.
    const bool hello3 = command != nullptr && command->size() > 1 &&
                        iequals(command->front(), "hello") && (*command)[1] == "3";
    const std::optional<char> type = replies.next(protocol_known && !hello3 ? protocol : 3);
    if (!type) break;
    ++count;
    ASSERT_LE(count, commands.size() + 1);  // the one extra: a protocol error
    if (command == nullptr || command->empty()) continue;
    const std::string& name = command->front();
    if (iequals(name, "multi")) multi_seen = true;
    const bool switches = iequals(name, "hello") || iequals(name, "reset");
    // Inside MULTI a HELLO only queues; which replies it changes is not followed here.
    if (switches && multi_seen) protocol_known = false;
    if (switches && *type != '-') {
      if (iequals(name, "reset")) protocol = 2;
      if (iequals(name, "hello") && command->size() > 1) {
        const std::string& version = (*command)[1];
        if (version == "2" || version == "3") {
          protocol = version == "3" ? 3 : 2;
        } else {
          protocol_known = false;  // a version spelled otherwise, accepted: not followed
        }
      }
    }
  }
  ASSERT(replies.done());
  return count;
}

// The input as the client writes it: pieces ending at blank lines, each followed by a pause.
std::vector<std::string_view> pieces_of(std::string_view input) {
  std::vector<std::string_view> pieces;
  std::size_t begin = 0;
  for (std::size_t i = 0; i + 1 < input.size(); ++i) {
    if (input[i] != '\n') continue;
    std::size_t end = 0;
    if (input[i + 1] == '\n') end = i + 2;
    if (input[i + 1] == '\r' && i + 2 < input.size() && input[i + 2] == '\n') end = i + 3;
    if (end == 0) continue;
    pieces.push_back(input.substr(begin, end - begin));
    begin = end;
    i = end - 2;
  }
  if (begin < input.size()) pieces.push_back(input.substr(begin));
  return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace eddy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  sim::World world(XXH3_64bits(data, size), sim::WorldFaults{});
  sim::SimNode& server = world.add_node("n1", 1);
  sim::SimNode& clients = world.add_node("clients", 1);
  EngineOptions options;
  options.shard_count = 1;
  options.port = kPort;
  Engine engine(&server, options);
  Replica replica(engine);
  engine.shard(0).writes().add_observer(&replica);

  server.scheduler_of(0).spawn("start", [&server, &engine] {
    engine.start_core_services();
    std::string error;
    auto listener = server.listen("server", kPort, &error);
    ASSERT_MSG(listener != nullptr, error);
    while (auto stream = listener->accept()) Session::spawn(&engine, std::move(stream));
  });

  std::string received;
  bool writer_done = false;
  bool server_closed = false;
  bool client_gone = false;
  bool reader_done = false;
  std::unique_ptr<Stream> stream;
  clients.scheduler_of(0).spawn("writer", [&] {
    clients.sleep_for(kNanosPerMilli);  // after the server listens
    std::string error;
    stream = clients.connect("server", kPort, &error);
    ASSERT_MSG(stream != nullptr, error);
    clients.scheduler_of(0).spawn("reader", [&] {
      char chunk[4096];
      while (const std::size_t n = stream->read(std::span<char>(chunk, sizeof chunk))) {
        received.append(chunk, n);
      }
      server_closed = !client_gone;
      reader_done = true;
    });
    Nanos paused = 0;
    for (const std::string_view piece : pieces_of(input)) {
      if (!stream->write(piece)) break;
      const bool pause = piece.ends_with("\n\n") || piece.ends_with("\n\r\n");
      if (pause && paused < kPausesTotalMaxNs) {
        clients.sleep_for(kPauseNs);
        paused += kPauseNs;
      }
    }
    writer_done = true;
  });

  world.run_until(kWriteTimeLimitNs, [&] { return writer_done; });
  world.run_until(world.now() + kSettleNs);
  // Every command sent has been answered unless the server hung up or a client waits.
  const bool quiet = writer_done && !server_closed && engine.stats().blocked_clients.load() == 0;

  // Shutdown: the session answers nothing more; the reader sees the end of the stream.
  server.stop();
  const Nanos drain_until = world.now() + 10 * kNanosPerSecond;
  world.run_until(drain_until, [&] { return server.live_fibers() == 0; });
  ASSERT_EQ(server.live_fibers(), 0u);
  // What the session wrote last may still be on its way: read to the end before hanging up.
  world.run_until(world.now() + 10 * kNanosPerSecond, [&] { return reader_done || !stream; });
  ASSERT(reader_done || !stream);
  client_gone = true;
  if (stream) stream->close();
  clients.stop();
  world.run_until(world.now() + 10 * kNanosPerSecond, [&] { return clients.live_fibers() == 0; });
  ASSERT_EQ(clients.live_fibers(), 0u);

  const auto commands = reference_commands(input);
  const std::size_t replies = check_replies(received, commands);
  if (quiet) ASSERT_EQ(replies, commands.size());

  // The effects rebuilt the same keyspace, and memory is counted exactly on both sides.
  engine.shard(0).writes().remove_observer(&replica);
  const std::int64_t now_ms = server.unix_now_ms();
  ASSERT_EQ(testing::keyspace_digest(engine.shard(0), now_ms),
            testing::keyspace_digest(replica.shard(), now_ms));
  ASSERT(testing::memory_accounting_exact(engine.shard(0)));
  ASSERT(testing::memory_accounting_exact(replica.shard()));
  return 0;
}
