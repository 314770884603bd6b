// libFuzzer target: the RESP request parser (net/resp/request_parser.h), multibulk and inline.
//
// The input is a client's byte stream. It is parsed twice for each of the two modes
// (authenticated, and before AUTH with Redis's small-command limits): once as one buffer, and
// once fed in pieces whose sizes a generator seeded from the input picks (often one byte),
// with the unconsumed bytes moved to a freshly allocated buffer of exactly their size before
// every call, as a session's compaction moves them. Checked:
// - both feedings give the same commands, the same error at the same byte, and nothing else;
// - every argument is a view inside the buffer of its call, *consumed never passes the
//   buffer's end, kNeedMore appends nothing and asks for at least one byte;
// - before AUTH the parser accepts exactly what it accepts after, up to the first multibulk
//   command over Redis's limits (10 arguments, 16 KiB each), which it refuses;
// - a command re-encoded as multibulk parses back to the same arguments in one call.
// ASan catches a view that outlives its buffer (each buffer is freed after its call).

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/assert.h"
#include "engine/rng.h"
#include "net/resp/request_parser.h"

namespace {

using eddy::resp::ParseStatus;
using eddy::resp::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool failed = false;
  std::string error;
  std::size_t consumed = 0;  // bytes consumed before the end or the error
};

void check_command(const std::vector<std::string_view>& args, std::size_t first,
                   std::span<const char> buffer) {
  ASSERT_LT(first, args.size());  // a command always has a name
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.empty()) continue;
    ASSERT(arg.data() >= buffer.data());
    ASSERT(arg.data() + arg.size() <= buffer.data() + buffer.size());
  }
}

// The whole input in one buffer, parsed command after command.
Outcome parse_whole(std::string_view input, bool unauthenticated) {
  Outcome out;
  std::vector<char> buffer(input.begin(), input.end());
  RequestParser parser;
  parser.set_unauthenticated(unauthenticated);
  std::size_t begin = 0;
  for (;;) {
    std::vector<std::string_view> args;
    std::size_t consumed = 0;
    const std::span<char> rest(buffer.data() + begin, buffer.size() - begin);
    const ParseStatus status = parser.parse(rest, args, &consumed);
    ASSERT_LE(consumed, rest.size());
    begin += consumed;
    if (status == ParseStatus::kCommand) {
      check_command(args, 0, rest);
      out.commands.emplace_back(args.begin(), args.end());
      continue;
    }
    ASSERT(args.empty());
    if (status == ParseStatus::kError) {
      out.failed = true;
      out.error = std::string(parser.error());
      ASSERT(!out.error.empty());
      // Sticky: asking again reports the same error and consumes nothing.
      std::size_t again = 1;
      ASSERT(parser.parse(rest.subspan(consumed), args, &again) == ParseStatus::kError);
      ASSERT_EQ(again, 0u);
    } else {
      ASSERT_GE(parser.bytes_wanted(), 1u);
    }
    out.consumed = begin;
    return out;
  }
}

// The same input fed in pieces; the unconsumed bytes move to a new buffer before each call.
Outcome parse_in_pieces(std::string_view input, bool unauthenticated, eddy::Rng& rng) {
  Outcome out;
  RequestParser parser;
  parser.set_unauthenticated(unauthenticated);
  std::string pending;  // unconsumed bytes
  std::size_t fed = 0;
  std::size_t consumed_total = 0;
  while (true) {
    // Mostly tiny pieces (every resumption point), sometimes large ones.
    std::size_t piece = rng.chance(0.5) ? 1 + rng.below(4) : 1 + rng.below(4096);
    piece = std::min(piece, input.size() - fed);
    pending.append(input.substr(fed, piece));
    fed += piece;
    // Parse every command the bytes so far complete.
    for (;;) {
      auto buffer = std::make_unique<char[]>(pending.size());
      std::memcpy(buffer.get(), pending.data(), pending.size());
      const std::span<char> view(buffer.get(), pending.size());
      std::vector<std::string_view> args;
      std::size_t consumed = 0;
      const ParseStatus status = parser.parse(view, args, &consumed);
      ASSERT_LE(consumed, view.size());
      // Inline unescaping rewrites the buffer in place; what was consumed is gone either way.
      pending.assign(buffer.get() + consumed, view.size() - consumed);
      consumed_total += consumed;
      if (status == ParseStatus::kCommand) {
        check_command(args, 0, view);
        out.commands.emplace_back(args.begin(), args.end());
        continue;
      }
      ASSERT(args.empty());
      if (status == ParseStatus::kError) {
        out.failed = true;
        out.error = std::string(parser.error());
        out.consumed = consumed_total;
        return out;
      }
      ASSERT_GE(parser.bytes_wanted(), 1u);
      break;
    }
    if (fed == input.size()) {
      out.consumed = consumed_total;
      return out;
    }
  }
}

std::string encode_multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

void check_round_trip(const std::vector<std::string>& command) {
  std::string bytes = encode_multibulk(command);
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  const ParseStatus status =
      parser.parse(std::span<char>(bytes.data(), bytes.size()), args, &consumed);
  ASSERT(status == ParseStatus::kCommand);
  ASSERT_EQ(consumed, bytes.size());
  ASSERT_EQ(args.size(), command.size());
  for (std::size_t i = 0; i < args.size(); ++i) ASSERT(args[i] == command[i]);
}

// Before AUTH the parser refuses big multibulk commands and nothing else: what it accepts is
// what it accepts after AUTH, up to the first command over the limits.
void check_modes(const Outcome& authenticated, const Outcome& unauthenticated) {
  const auto& before = unauthenticated.commands;
  const auto& after = authenticated.commands;
  ASSERT_LE(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) ASSERT(before[i] == after[i]);
  if (!unauthenticated.failed ||
      !unauthenticated.error.starts_with("Protocol error: unauthenticated")) {
    ASSERT_EQ(before.size(), after.size());
    ASSERT_EQ(unauthenticated.failed, authenticated.failed);
    ASSERT(unauthenticated.error == authenticated.error);
    ASSERT_EQ(unauthenticated.consumed, authenticated.consumed);
    return;
  }
  if (after.size() > before.size()) {
    const auto& refused = after[before.size()];
    bool over = refused.size() > static_cast<std::size_t>(RequestParser::kUnauthenticatedCountMax);
    for (const std::string& arg : refused) {
      over = over || arg.size() > static_cast<std::size_t>(RequestParser::kUnauthenticatedBulkMax);
    }
    ASSERT(over);
  }
}

void check_same(const Outcome& whole, const Outcome& pieces) {
  ASSERT_EQ(whole.commands.size(), pieces.commands.size());
  for (std::size_t i = 0; i < whole.commands.size(); ++i) {
    ASSERT(whole.commands[i] == pieces.commands[i]);
  }
  ASSERT_EQ(whole.failed, pieces.failed);
  ASSERT_MSG(whole.error == pieces.error, whole.error + " | " + pieces.error);
  ASSERT_EQ(whole.consumed, pieces.consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  eddy::Rng rng(XXH3_64bits(data, size));
  Outcome by_mode[2];
  for (const bool unauthenticated : {false, true}) {
    const Outcome whole = parse_whole(input, unauthenticated);
    const Outcome pieces = parse_in_pieces(input, unauthenticated, rng);
    check_same(whole, pieces);
    by_mode[unauthenticated ? 1 : 0] = whole;
  }
  check_modes(by_mode[0], by_mode[1]);
  for (const auto& command : by_mode[0].commands) check_round_trip(command);
  return 0;
}
