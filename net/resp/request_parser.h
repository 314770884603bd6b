#pragma once
// Incremental, zero-copy parser of client requests: RESP multibulk ("*N\r\n$len\r\n...") and
// inline commands ("SET a \"b c\"\r\n", as telnet and redis-cli send), with Redis 7's rules
// and error messages. Multibulk arguments are views straight into the caller's buffer; inline
// arguments with quotes or escapes are unescaped in place in that buffer (the unescaped text is
// never longer than its source), so no argument is ever copied.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/limits.h"

namespace eddy::resp {

enum class ParseStatus { kCommand, kNeedMore, kError };

class RequestParser {
 public:
  // Parses the next command at the start of `buf` (the unconsumed input). Between calls the
  // caller may move these bytes (compacting its buffer) and append more, but the next call's
  // `buf` must begin with the byte that was at buf[*consumed].
  //
  // kCommand: the command's arguments are appended to `args` (not cleared first, so a caller
  //   can batch many commands) as views into `buf`; *consumed is the number of bytes up to and
  //   including the command (any empty commands skipped before it included). Commands with no
  //   argument ("\r\n", "*0\r\n", "*-1\r\n") are skipped and parsing goes on in the same call.
  // kNeedMore: nothing is appended; *consumed counts the leading skipped empty commands only.
  //   The parser keeps its progress (as offsets, never pointers), so the next call resumes
  //   where this one stopped instead of rescanning; bytes_wanted() is a lower bound on the
  //   bytes still missing (exact for a bulk payload).
  // kError: error() holds Redis's exact message, e.g. "Protocol error: invalid multibulk
  //   length"; the caller replies "-ERR " + error() and closes the connection. The error is
  //   sticky until reset(). `buf` may have been partly rewritten by inline unescaping.
  ParseStatus parse(std::span<char> buf, std::vector<std::string_view>& args,
                    std::size_t* consumed);

  std::string_view error() const { return error_; }
  std::size_t bytes_wanted() const { return bytes_wanted_; }

  // Forgets any partial command and error, e.g. when a connection is reused.
  void reset();

  // A client that must still AUTH may send only small commands (Redis's limits: at most 10
  // arguments of at most 16 KiB each), so it cannot make the server buffer much before
  // logging in.
  void set_unauthenticated(bool unauthenticated) { unauthenticated_ = unauthenticated; }
  // The longest bulk argument accepted (Redis's proto-max-bulk-len; default
  // limits::bulk_bytes_max): a session passes CONFIG's live value before each batch.
  void set_bulk_bytes_max(std::int64_t bytes) { bulk_bytes_max_ = bytes; }
  static constexpr std::int64_t kUnauthenticatedCountMax = 10;
  static constexpr std::int64_t kUnauthenticatedBulkMax = 16384;

 private:
  enum class Stage : std::uint8_t {
    kIdle,         // between commands
    kInline,       // waiting for the end of an inline line
    kCount,        // waiting for the end of the "*N" line
    kBulkHeader,   // waiting for the end of a "$len" line
    kBulkPayload,  // waiting for bulk_len_ + 2 bytes
    kFailed,       // a protocol error was reported
  };
  enum class Step : std::uint8_t { kDone, kEmpty, kNeedMore, kError };
  enum class Line : std::uint8_t { kComplete, kPartial, kTooLong };
  // An argument parsed by an earlier call, relative to the command's first byte.
  struct Span {
    std::size_t offset;
    std::size_t length;
  };

  Step parse_inline(std::span<char> cmd, std::vector<std::string_view>& args, std::size_t* length);
  Step parse_multibulk(std::span<char> cmd, std::vector<std::string_view>& args,
                       std::size_t* length);
  Line find_line_end(std::span<const char> cmd, std::size_t line_start, std::size_t* cr);
  Step fail(std::string message);

  Stage stage_ = Stage::kIdle;
  // Offsets below are relative to the first byte of the command being parsed.
  std::size_t scan_ = 0;  // the current line holds no terminator before this offset
  std::size_t pos_ = 0;   // start of the multibulk element (header or payload) being parsed
  std::int64_t bulks_left_ = 0;
  std::int64_t bulk_len_ = 0;
  // Arguments of an unfinished multibulk found by earlier calls; kept as offsets because the
  // caller may move its buffer between calls.
  std::vector<Span> spans_;
  std::size_t bytes_wanted_ = 1;
  bool unauthenticated_ = false;
  std::int64_t bulk_bytes_max_ = limits::bulk_bytes_max;
  std::string error_;
};

}  // namespace eddy::resp
