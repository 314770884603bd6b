#include "net/resp/request_parser.h"

#include "engine/base/fault.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "engine/base/assert.h"
#include "engine/limits.h"

namespace eddy::resp {

namespace {

// A header may announce a million arguments before sending any; growing towards that only as
// arguments really arrive keeps a lying client from making us allocate for them.
constexpr std::size_t kArgsReserveMax = 1024;
// The offsets of a finished huge multibulk are not kept around for the next command.
constexpr std::size_t kSpansKeptMax = 1024;

// Accepts exactly the integers Redis's string2ll accepts: an optional '-', then "0" alone
// (unsigned only) or a digit 1-9 followed by digits, within int64; no spaces, '+' or leading
// zeros. Anything else in a length line is a protocol error, as in Redis.
bool parse_int64(const char* text, std::size_t length, std::int64_t* value) {
  if (length == 0 || length > 20) return false;
  if (length == 1 && text[0] == '0') {
    *value = 0;
    return true;
  }
  const bool negative = text[0] == '-';
  std::size_t i = negative ? 1 : 0;
  if (i == length || text[i] < '1' || text[i] > '9') return false;
  std::uint64_t magnitude = 0;
  for (; i < length; ++i) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(text[i]) - '0');
    if (digit > 9) return false;
    if (magnitude > (UINT64_MAX - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  constexpr auto kMax = static_cast<std::uint64_t>(INT64_MAX);
  if (magnitude > (negative ? kMax + 1 : kMax)) return false;
  // Modular conversion (defined since C++20) turns the magnitude 2^63 into INT64_MIN.
  *value =
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

// Blanks skipped between inline arguments: C isspace() in the "C" locale.
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Ends an unquoted inline argument. Narrower than is_blank(): Redis keeps \v and \f inside a
// bare word.
bool ends_bare_word(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits an inline line into arguments the way Redis's sdssplitargs does, appending them to
// `args`, but unescaping in place: each argument is rewritten starting at its own first source
// byte, and every output byte consumes at least one input byte, so writing never overtakes
// reading nor touches an earlier argument. Returns false on unbalanced quotes, including a
// closing quote followed by anything but a blank.
//
// Unlike Redis, which sees the line as a C string, a NUL byte is an ordinary character here.
bool split_inline(char* p, char* const end, std::vector<std::string_view>& args) {
  enum class Quote { kNone, kDouble, kSingle };
  while (true) {
    while (p != end && is_blank(*p)) ++p;
    if (p == end) return true;
    char* const word = p;
    char* out = p;
    Quote quote = Quote::kNone;
    bool done = false;
    while (!done) {
      if (p == end) {
        if (quote != Quote::kNone) return false;  // unterminated quotes
        break;
      }
      const char c = *p;
      switch (quote) {
        case Quote::kNone:
          if (ends_bare_word(c)) {
            ++p;
            done = true;
          } else if (c == '"') {
            quote = Quote::kDouble;
            ++p;
          } else if (c == '\'') {
            quote = Quote::kSingle;
            ++p;
          } else {
            *out++ = c;
            ++p;
          }
          break;
        case Quote::kDouble:
          if (c == '\\' && end - p >= 4 && p[1] == 'x' && hex_value(p[2]) >= 0 &&
              hex_value(p[3]) >= 0) {
            *out++ = static_cast<char>(hex_value(p[2]) * 16 + hex_value(p[3]));
            p += 4;
          } else if (c == '\\' && end - p >= 2) {
            char escaped = p[1];
            switch (escaped) {
              case 'n':
                escaped = '\n';
                break;
              case 'r':
                escaped = '\r';
                break;
              case 't':
                escaped = '\t';
                break;
              case 'b':
                escaped = '\b';
                break;
              case 'a':
                escaped = '\a';
                break;
              default:
                break;  // any other escaped byte stands for itself
            }
            *out++ = escaped;
            p += 2;
          } else if (c == '"') {
            if (end - p >= 2 && !is_blank(p[1])) return false;
            ++p;
            done = true;
          } else {
            *out++ = c;
            ++p;
          }
          break;
        case Quote::kSingle:
          if (c == '\\' && end - p >= 2 && p[1] == '\'') {
            *out++ = '\'';
            p += 2;
          } else if (c == '\'') {
            if (end - p >= 2 && !is_blank(p[1])) return false;
            ++p;
            done = true;
          } else {
            *out++ = c;
            ++p;
          }
          break;
      }
    }
    args.emplace_back(word, static_cast<std::size_t>(out - word));
  }
}

// Reserves room for `more` arguments without defeating the vector's geometric growth: a bare
// reserve(size() + more) per command would reallocate on every command of a batch.
void reserve_args(std::vector<std::string_view>& args, std::size_t more) {
  const std::size_t wanted = args.size() + more;
  if (wanted > args.capacity()) args.reserve(std::max(wanted, 2 * args.capacity()));
}

}  // namespace

void RequestParser::reset() {
  stage_ = Stage::kIdle;
  scan_ = 0;
  pos_ = 0;
  bulks_left_ = 0;
  bulk_len_ = 0;
  spans_.clear();
  if (spans_.capacity() > kSpansKeptMax) std::vector<Span>().swap(spans_);
  bytes_wanted_ = 1;
  error_.clear();
}

ParseStatus RequestParser::parse(std::span<char> buf, std::vector<std::string_view>& args,
                                 std::size_t* consumed) {
  ASSERT(consumed != nullptr);
  *consumed = 0;
  if (stage_ == Stage::kFailed) return ParseStatus::kError;
  std::size_t start = 0;  // first byte of the command being parsed
  while (true) {
    if (stage_ == Stage::kIdle) {
      if (start == buf.size()) {
        bytes_wanted_ = 1;
        *consumed = start;
        return ParseStatus::kNeedMore;
      }
      // As in Redis, the first byte alone decides between the two protocols.
      stage_ = buf[start] == '*' ? Stage::kCount : Stage::kInline;
      scan_ = 0;
      pos_ = 0;
    }
    const std::span<char> cmd = buf.subspan(start);
    std::size_t length = 0;
    const Step step = stage_ == Stage::kInline ? parse_inline(cmd, args, &length)
                                               : parse_multibulk(cmd, args, &length);
    switch (step) {
      case Step::kDone:
        stage_ = Stage::kIdle;
        *consumed = start + length;
        return ParseStatus::kCommand;
      case Step::kEmpty:
        stage_ = Stage::kIdle;
        start += length;
        break;
      case Step::kNeedMore:
        *consumed = start;
        return ParseStatus::kNeedMore;
      case Step::kError:
        *consumed = start;
        return ParseStatus::kError;
    }
  }
}

RequestParser::Step RequestParser::fail(std::string message) {
  stage_ = Stage::kFailed;
  spans_.clear();
  error_ = std::move(message);
  return Step::kError;
}

// Lines of the multibulk framing end at the first '\r'; like Redis, the byte after it is taken
// as the '\n' without being checked. A line may hold at most inline_command_bytes_max bytes
// before its '\r', whatever way the bytes arrive: Redis reports "too big" when that many bytes
// sit in its buffer with no '\r', so a complete longer line is refused here too, which keeps
// the outcome independent of how the stream was split into reads.
RequestParser::Line RequestParser::find_line_end(std::span<const char> cmd, std::size_t line_start,
                                                 std::size_t* cr) {
  const std::size_t n = cmd.size();
  ASSERT_LE(line_start, scan_);
  ASSERT_LE(scan_, n);
  const std::size_t limit = std::min(n, line_start + limits::inline_command_bytes_max + 1);
  const void* found =
      scan_ < limit ? std::memchr(cmd.data() + scan_, '\r', limit - scan_) : nullptr;
  if (found == nullptr) {
    if (n - line_start > limits::inline_command_bytes_max) return Line::kTooLong;
    scan_ = n;
    bytes_wanted_ = 2;
    return Line::kPartial;
  }
  const auto at = static_cast<std::size_t>(static_cast<const char*>(found) - cmd.data());
  if (at + 1 >= n) {
    scan_ = at;
    bytes_wanted_ = 1;
    return Line::kPartial;
  }
  *cr = at;
  return Line::kComplete;
}

RequestParser::Step RequestParser::parse_inline(std::span<char> cmd,
                                                std::vector<std::string_view>& args,
                                                std::size_t* length) {
  const std::size_t n = cmd.size();
  ASSERT_LE(scan_, n);
  // Same bound as find_line_end(): at most inline_command_bytes_max bytes before the '\n'.
  const std::size_t limit = std::min(n, limits::inline_command_bytes_max + 1);
  const void* found =
      scan_ < limit ? std::memchr(cmd.data() + scan_, '\n', limit - scan_) : nullptr;
  if (found == nullptr) {
    if (n > limits::inline_command_bytes_max) {
      return fail("Protocol error: too big inline request");
    }
    scan_ = n;
    bytes_wanted_ = 1;
    return Step::kNeedMore;
  }
  std::size_t line_end = static_cast<std::size_t>(static_cast<const char*>(found) - cmd.data());
  *length = line_end + 1;
  if (line_end > 0 && cmd[line_end - 1] == '\r') --line_end;
  const std::size_t before = args.size();
  if (!split_inline(cmd.data(), cmd.data() + line_end, args)) {
    args.resize(before);
    return fail("Protocol error: unbalanced quotes in request");
  }
  return args.size() == before ? Step::kEmpty : Step::kDone;
}

RequestParser::Step RequestParser::parse_multibulk(std::span<char> cmd,
                                                   std::vector<std::string_view>& args,
                                                   std::size_t* length) {
  const std::size_t n = cmd.size();
  if (stage_ == Stage::kCount) {
    std::size_t cr = 0;
    const Line line = find_line_end(cmd, 0, &cr);
    if (line == Line::kTooLong) return fail("Protocol error: too big mbulk count string");
    if (line == Line::kPartial) return Step::kNeedMore;
    std::int64_t count = 0;
    if (!parse_int64(cmd.data() + 1, cr - 1, &count) || count > limits::multibulk_count_max) {
      return fail("Protocol error: invalid multibulk length");
    }
    if (unauthenticated_ && count > kUnauthenticatedCountMax) {
      return fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    if (count <= 0) {
      *length = pos_;
      return Step::kEmpty;
    }
    bulks_left_ = count;
    stage_ = Stage::kBulkHeader;
    scan_ = pos_;
    ASSERT(spans_.empty());
    reserve_args(args, std::min(static_cast<std::size_t>(count), kArgsReserveMax));
  }

  // Arguments found by this call go straight into `args`; if the command is still incomplete
  // at the end of the call they are moved to spans_ (each argument at most once, so a huge
  // command arriving in many pieces costs linear time overall).
  const std::size_t args_base = args.size();
  while (bulks_left_ > 0) {
    if (stage_ == Stage::kBulkHeader) {
      std::size_t cr = 0;
      const Line line = find_line_end(cmd, pos_, &cr);
      if (line == Line::kPartial) break;
      if (line == Line::kTooLong) {
        args.resize(args_base);
        return fail("Protocol error: too big bulk count string");
      }
      if (cmd[pos_] != '$') {
        args.resize(args_base);
        return fail(std::string("Protocol error: expected '$', got '") + cmd[pos_] + "'");
      }
      std::int64_t bulk_len = 0;
      if (!parse_int64(cmd.data() + pos_ + 1, cr - pos_ - 1, &bulk_len) || bulk_len < 0 ||
          bulk_len > bulk_bytes_max_) {
        args.resize(args_base);
        return fail("Protocol error: invalid bulk length");
      }
      if (unauthenticated_ && bulk_len > kUnauthenticatedBulkMax) {
        args.resize(args_base);
        return fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = bulk_len;
      pos_ = cr + 2;
      stage_ = Stage::kBulkPayload;
    }
    // Like Redis, the two bytes after the payload are skipped without being checked.
    const std::size_t next = pos_ + static_cast<std::size_t>(bulk_len_) + 2;
    if (n < next) {
      bytes_wanted_ = next - n;
      break;
    }
    args.emplace_back(cmd.data() + pos_, static_cast<std::size_t>(bulk_len_));
    pos_ = next;
    scan_ = next;
    --bulks_left_;
    stage_ = Stage::kBulkHeader;
  }

  if (bulks_left_ > 0) {
    // The planted bug forgets the arguments found so far when a command arrives split.
    if (!PLANTED(PlantedBug::kPartialReadParser)) {
      for (std::size_t i = args_base; i < args.size(); ++i) {
        spans_.push_back({static_cast<std::size_t>(args[i].data() - cmd.data()), args[i].size()});
      }
    }
    args.resize(args_base);
    return Step::kNeedMore;
  }

  if (!spans_.empty()) {
    // Earlier arguments come first: open a gap for them in front of this call's arguments.
    args.insert(args.begin() + static_cast<std::ptrdiff_t>(args_base), spans_.size(),
                std::string_view());
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      args[args_base + i] = std::string_view(cmd.data() + spans_[i].offset, spans_[i].length);
    }
    spans_.clear();
    if (spans_.capacity() > kSpansKeptMax) std::vector<Span>().swap(spans_);
  }
  *length = pos_;
  return Step::kDone;
}

}  // namespace eddy::resp
