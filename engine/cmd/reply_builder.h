#pragma once
// Writes RESP2 or RESP3 replies straight into a connection's (or a hop's) output bytes. The
// engine produces wire bytes directly: no intermediate reply objects, no allocation once the
// output string has grown to its working size.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace eddy {

class ReplyBuilder {
 public:
  // `out` must outlive the builder; bytes are appended, never cleared here.
  explicit ReplyBuilder(std::string* out, int protocol = 2) : out_(out), protocol_(protocol) {}

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }
  std::string* out() { return out_; }
  void set_out(std::string* out) { out_ = out; }

  // Bounds the output this builder writes to (Redis's hard output buffer limit, checked while
  // a reply is built, not after): once the output would hold `bytes_max` bytes, *reached is
  // set and everything written after that is dropped (into a small per-thread scratch buffer),
  // so one huge reply (LRANGE of a million elements, KEYS *) cannot grow memory past the
  // bound. The output then holds a cut reply: the caller closes the client and sends nothing.
  void limit_output(std::size_t bytes_max, bool* reached);
  // The limit was reached: out() is the scratch buffer, not the output.
  bool dropping() const;
  // RESP bytes built elsewhere (a hop's replies), under the same limit.
  void raw(std::string_view bytes);
  // How many more bytes the output may take before the limit: the bound for a part of the
  // reply built elsewhere (at least 1).
  std::size_t room() const;
  // A part built elsewhere under room() passed it: the reply is cut, the limit reached.
  void cut();

  void ok();                           // +OK
  void simple(std::string_view text);  // +text
  // `message` is the whole error line without '-', e.g. "ERR syntax error" or
  // "WRONGTYPE Operation against a key holding the wrong kind of value". CR/LF in it are
  // replaced by spaces, as Redis does, so an error can never break framing.
  void error(std::string_view message);
  void integer(std::int64_t value);       // :value
  void bulk(std::string_view bytes);      // $len bytes
  void bulk_integer(std::int64_t value);  // the decimal text of value as a bulk string
  // Null bulk: RESP2 "$-1", RESP3 "_".
  void null();
  // Null array: RESP2 "*-1", RESP3 "_".
  void null_array();
  void array(std::size_t count);  // *count
  // A map of `pairs` key/value pairs: RESP3 "%pairs", RESP2 a flat array of 2*pairs.
  void map(std::size_t pairs);
  // A set: RESP3 "~count", RESP2 "*count".
  void set(std::size_t count);
  // A double: RESP3 ",value", RESP2 a bulk string. Text as Redis prints doubles
  // (%.17g, "inf"/"-inf").
  void double_value(double value);
  // A boolean: RESP3 "#t"/"#f", RESP2 ":1"/":0".
  void boolean(bool value);
  // Verbatim text (INFO, CLIENT INFO under RESP3): RESP3 "=len\r\ntxt:..." , RESP2 a bulk.
  void verbatim(std::string_view text);
  // A push message header: RESP3 ">count", RESP2 "*count".
  void push(std::size_t count);

 private:
  void header(char type, std::int64_t value);
  // False when `bytes` more must be dropped: the output limit was reached.
  bool room_for(std::size_t bytes) {
    return __builtin_expect(out_->size() + bytes < bytes_max_, 1) || make_room(bytes);
  }
  bool make_room(std::size_t bytes);

  std::string* out_;
  int protocol_;
  std::size_t bytes_max_ = SIZE_MAX / 2;  // no limit: never reached by a real buffer
  bool* reached_ = nullptr;
};

}  // namespace eddy
