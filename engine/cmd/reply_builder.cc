#include "engine/cmd/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

#include "engine/base/assert.h"

namespace eddy {

namespace {

// Two digits per table lookup halves the divisions, which dominate integer formatting; every
// reply header goes through here, so this is the hottest formatting path of the server.
constexpr char kDigitPairs[] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

// Longest decimal int64: a sign and 19 digits.
constexpr std::size_t kInt64CharsMax = 20;

// Writes the digits of `value` so that they end just before `end`; returns where they start.
char* format_digits(std::uint64_t value, char* end) {
  char* p = end;
  while (value >= 100) {
    const std::size_t pair = static_cast<std::size_t>(value % 100) * 2;
    value /= 100;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  }
  if (value >= 10) {
    const std::size_t pair = static_cast<std::size_t>(value) * 2;
    *--p = kDigitPairs[pair + 1];
    *--p = kDigitPairs[pair];
  } else {
    *--p = static_cast<char>('0' + value);
  }
  return p;
}

// Signed variant; the magnitude is taken in unsigned arithmetic so INT64_MIN, whose magnitude
// has no int64 representation, needs no special case.
char* format_int64(std::int64_t value, char* end) {
  const bool negative = value < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
  char* p = format_digits(magnitude, end);
  if (negative) *--p = '-';
  return p;
}

std::int64_t checked_count(std::size_t count) {
  ASSERT_LE(count, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()));
  return static_cast<std::int64_t>(count);
}

// Where a builder past its output limit drops what it writes: small, reused, per thread (a
// builder runs on one core's thread and never suspends while writing).
constexpr std::size_t kScratchBytesMax = 4096;
// The scratch buffer's address once it exists, else null: a trivially initialised thread_local,
// so the check on every limit_output() is one load (the std::string's own thread_local goes
// through an initialisation guard, ~25 instructions per command in callgrind).
constinit thread_local std::string* t_scratch = nullptr;
std::string& scratch() {
  thread_local std::string buffer;
  t_scratch = &buffer;
  return buffer;
}

// Upper bound of a header line: type, sign, 19 digits, CRLF.
constexpr std::size_t kHeaderBytesMax = 1 + kInt64CharsMax + 2;

}  // namespace

void ReplyBuilder::limit_output(std::size_t bytes_max, bool* reached) {
  ASSERT(reached != nullptr);
  ASSERT(bytes_max > 0);
  // Into the scratch buffer (a builder for what a cut reply still runs, EXEC's later
  // commands): it keeps the scratch bound, so the scratch never grows to the client's limit.
  bytes_max_ = out_ == t_scratch ? kScratchBytesMax : bytes_max;
  reached_ = reached;
}

bool ReplyBuilder::dropping() const {
  return reached_ != nullptr && out_ == t_scratch;
}

bool ReplyBuilder::make_room(std::size_t bytes) {
  std::string& drop = scratch();
  if (out_ != &drop) {
    ASSERT(reached_ != nullptr);
    *reached_ = true;
    out_ = &drop;
    bytes_max_ = kScratchBytesMax;
  }
  drop.clear();
  return bytes < kScratchBytesMax;
}

std::size_t ReplyBuilder::room() const {
  if (dropping()) return 1;
  return out_->size() + 1 < bytes_max_ ? bytes_max_ - out_->size() : 1;
}

void ReplyBuilder::cut() {
  ASSERT(reached_ != nullptr);
  if (!dropping()) make_room(0);
}

void ReplyBuilder::raw(std::string_view bytes) {
  if (!room_for(bytes.size())) return;
  out_->append(bytes);
}

void ReplyBuilder::header(char type, std::int64_t value) {
  // Built back to front in one stack buffer so the string grows by a single append.
  char buf[1 + kInt64CharsMax + 2];
  char* end = buf + sizeof(buf);
  end[-2] = '\r';
  end[-1] = '\n';
  char* p = format_int64(value, end - 2);
  *--p = type;
  if (!room_for(kHeaderBytesMax)) return;
  out_->append(p, static_cast<std::size_t>(end - p));
}

void ReplyBuilder::ok() {
  if (!room_for(5)) return;
  out_->append("+OK\r\n", 5);
}

void ReplyBuilder::simple(std::string_view text) {
  if (!room_for(text.size() + 3)) return;
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyBuilder::error(std::string_view message) {
  if (!room_for(message.size() + 3)) return;
  out_->push_back('-');
  const std::size_t from = out_->size();
  out_->append(message);
  // A CR or LF inside the text would end the error line early and desynchronise the client.
  char* text = out_->data() + from;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') text[i] = ' ';
  }
  out_->append("\r\n", 2);
}

void ReplyBuilder::integer(std::int64_t value) {
  header(':', value);
}

void ReplyBuilder::bulk(std::string_view bytes) {
  if (!room_for(kHeaderBytesMax + bytes.size() + 2)) return;
  header('$', checked_count(bytes.size()));
  out_->append(bytes);
  out_->append("\r\n", 2);
}

void ReplyBuilder::bulk_integer(std::int64_t value) {
  // "$20\r\n" + 20 chars + "\r\n" at most.
  char buf[1 + 2 + 2 + kInt64CharsMax + 2];
  char* end = buf + sizeof(buf);
  end[-2] = '\r';
  end[-1] = '\n';
  char* p = format_int64(value, end - 2);
  const auto length = static_cast<std::uint64_t>(end - 2 - p);
  *--p = '\n';
  *--p = '\r';
  p = format_digits(length, p);
  *--p = '$';
  if (!room_for(sizeof(buf))) return;
  out_->append(p, static_cast<std::size_t>(end - p));
}

void ReplyBuilder::null() {
  if (!room_for(5)) return;
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::null_array() {
  if (!room_for(5)) return;
  if (protocol_ >= 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::array(std::size_t count) {
  header('*', checked_count(count));
}

void ReplyBuilder::map(std::size_t pairs) {
  if (protocol_ >= 3) {
    header('%', checked_count(pairs));
  } else {
    ASSERT_LE(pairs, std::numeric_limits<std::size_t>::max() / 2);
    header('*', checked_count(pairs * 2));
  }
}

void ReplyBuilder::set(std::size_t count) {
  header(protocol_ >= 3 ? '~' : '*', checked_count(count));
}

void ReplyBuilder::double_value(double value) {
  // Longest %.17g output is "-1.2345678901234567e-308", 24 chars.
  char buf[32];
  std::string_view text;
  if (std::isinf(value)) {
    // Spelled out rather than left to the formatter, as Redis does, so every platform agrees.
    text = value > 0 ? std::string_view("inf") : std::string_view("-inf");
  } else if (std::isnan(value)) {
    // Redis 7.0 prints whatever libc gives ("nan" or "-nan" by sign bit); RESP3 names it "nan",
    // and a sign on NaN means nothing to a client.
    text = "nan";
  } else {
    // to_chars with general format and a precision is specified as printf("%.17g") in the C
    // locale, without printf's locale lookup and format parsing.
    const std::to_chars_result result =
        std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general, 17);
    ASSERT(result.ec == std::errc());
    text = std::string_view(buf, static_cast<std::size_t>(result.ptr - buf));
  }
  if (protocol_ >= 3) {
    if (!room_for(text.size() + 3)) return;
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    bulk(text);
  }
}

void ReplyBuilder::boolean(bool value) {
  if (!room_for(4)) return;
  if (protocol_ >= 3) {
    out_->append(value ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(value ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyBuilder::verbatim(std::string_view text) {
  if (protocol_ >= 3) {
    if (!room_for(kHeaderBytesMax + text.size() + 6)) return;
    // The length counts the "txt:" format prefix.
    header('=', checked_count(text.size() + 4));
    out_->append("txt:", 4);
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    bulk(text);
  }
}

void ReplyBuilder::push(std::size_t count) {
  header(protocol_ >= 3 ? '>' : '*', checked_count(count));
}

}  // namespace eddy
