#pragma once
// Reads RESP2/RESP3 reply bytes into a small tree: what a client sees. Used by the simulator's
// clients and by tests (`CHECK(r.run({"GET", "k"}) == Reply::bulk("v"))`, with a readable
// diff). Malformed bytes throw std::runtime_error.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace eddy::resp {

struct Reply {
  enum class Kind : std::uint8_t {
    kSimple,     // +text
    kError,      // -text (also RESP3 blob errors "!")
    kInteger,    // :n
    kBulk,       // $n (RESP2 doubles and verbatim strings arrive as bulks too)
    kNull,       // $-1, or RESP3 _
    kNullArray,  // *-1
    kArray,      // *n
    kMap,        // RESP3 %n; elements are key, value, key, value, ...
    kSet,        // RESP3 ~n
    kPush,       // RESP3 >n
    kDouble,     // RESP3 ,text
    kBoolean,    // RESP3 #t / #f (number is 1 / 0)
    kVerbatim,   // RESP3 =n; text excludes the "txt:" prefix, kept in `format`
    kBigNumber,  // RESP3 (text
  };

  Kind kind = Kind::kNull;
  std::string text;             // simple, error, bulk, double, verbatim, big number
  std::int64_t number = 0;      // integer; boolean as 0/1
  std::vector<Reply> elements;  // array, map (flattened), set, push
  std::string format;           // verbatim only, e.g. "txt"

  static Reply simple(std::string_view text) { return with_text(Kind::kSimple, text); }
  static Reply ok() { return simple("OK"); }
  static Reply error(std::string_view text) { return with_text(Kind::kError, text); }
  static Reply integer(std::int64_t value) {
    Reply reply;
    reply.kind = Kind::kInteger;
    reply.number = value;
    return reply;
  }
  static Reply bulk(std::string_view text) { return with_text(Kind::kBulk, text); }
  static Reply null() { return Reply{}; }
  static Reply null_array() {
    Reply reply;
    reply.kind = Kind::kNullArray;
    return reply;
  }
  static Reply array(std::vector<Reply> elements) {
    Reply reply;
    reply.kind = Kind::kArray;
    reply.elements = std::move(elements);
    return reply;
  }
  static Reply boolean(bool value) {
    Reply reply;
    reply.kind = Kind::kBoolean;
    reply.number = value ? 1 : 0;
    return reply;
  }
  static Reply double_value(std::string_view text) { return with_text(Kind::kDouble, text); }

  bool is_error() const { return kind == Kind::kError; }

  bool operator==(const Reply& other) const {
    if (kind != other.kind || text != other.text || number != other.number ||
        format != other.format || elements.size() != other.elements.size()) {
      return false;
    }
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (!(elements[i] == other.elements[i])) return false;
    }
    return true;
  }
  bool operator!=(const Reply& other) const { return !(*this == other); }

  // Human-readable, redis-cli like: +OK, -ERR ..., :5, "bulk", (nil), [a, b], {k: v}.
  std::string to_string() const {
    std::ostringstream out;
    write(out);
    return out.str();
  }

 private:
  static Reply with_text(Kind kind, std::string_view text) {
    Reply reply;
    reply.kind = kind;
    reply.text = std::string(text);
    return reply;
  }

  static void write_quoted(std::ostream& out, std::string_view text) {
    out << '"';
    for (char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out << '\\' << c;
      } else if (byte < 0x20 || byte >= 0x7F) {
        constexpr char kHex[] = "0123456789abcdef";
        out << "\\x" << kHex[byte >> 4] << kHex[byte & 0xF];
      } else {
        out << c;
      }
    }
    out << '"';
  }

  void write_elements(std::ostream& out, char open, char close) const {
    out << open;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (i != 0) out << ", ";
      elements[i].write(out);
    }
    out << close;
  }

  void write(std::ostream& out) const {
    switch (kind) {
      case Kind::kSimple:
        out << '+' << text;
        return;
      case Kind::kError:
        out << '-' << text;
        return;
      case Kind::kInteger:
        out << ':' << number;
        return;
      case Kind::kBulk:
        write_quoted(out, text);
        return;
      case Kind::kNull:
        out << "(nil)";
        return;
      case Kind::kNullArray:
        out << "(nil array)";
        return;
      case Kind::kArray:
        write_elements(out, '[', ']');
        return;
      case Kind::kSet:
        out << "set";
        write_elements(out, '[', ']');
        return;
      case Kind::kPush:
        out << "push";
        write_elements(out, '[', ']');
        return;
      case Kind::kMap:
        out << '{';
        for (std::size_t i = 0; i + 1 < elements.size(); i += 2) {
          if (i != 0) out << ", ";
          elements[i].write(out);
          out << ": ";
          elements[i + 1].write(out);
        }
        out << '}';
        return;
      case Kind::kDouble:
        out << "(double) " << text;
        return;
      case Kind::kBoolean:
        out << (number != 0 ? "(true)" : "(false)");
        return;
      case Kind::kVerbatim:
        out << "(verbatim " << format << ") ";
        write_quoted(out, text);
        return;
      case Kind::kBigNumber:
        out << "(big) " << text;
        return;
    }
    out << "(?)";
  }
};

inline std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  return out << reply.to_string();
}

namespace detail {

[[noreturn]] inline void malformed(std::string_view why, std::size_t at) {
  throw std::runtime_error("malformed RESP at byte " + std::to_string(at) + ": " +
                           std::string(why));
}

// The line starting at *pos without its CRLF, or nullopt if the CRLF has not arrived.
inline std::optional<std::string_view> read_line(std::string_view bytes, std::size_t* pos) {
  const std::size_t end = bytes.find("\r\n", *pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = bytes.substr(*pos, end - *pos);
  *pos = end + 2;
  return line;
}

inline std::int64_t to_int64(std::string_view text, std::size_t at) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) malformed("bad number", at);
  return value;
}

}  // namespace detail

// Parses one reply starting at bytes[*pos] and advances *pos past it. nullopt (with *pos
// unchanged) when the bytes end before the reply does; throws on malformed bytes.
inline std::optional<Reply> parse_reply(std::string_view bytes, std::size_t* pos) {
  const std::size_t start = *pos;
  std::size_t at = start;
  if (at >= bytes.size()) return std::nullopt;
  const char type = bytes[at++];
  const std::optional<std::string_view> line = detail::read_line(bytes, &at);
  if (!line) return std::nullopt;
  Reply reply;
  auto read_payload = [&](std::int64_t length) -> bool {
    if (length < 0) detail::malformed("negative length", start);
    const auto n = static_cast<std::size_t>(length);
    if (bytes.size() - at < n + 2) return false;
    if (bytes.substr(at + n, 2) != "\r\n") detail::malformed("payload not ended by CRLF", at + n);
    reply.text = std::string(bytes.substr(at, n));
    at += n + 2;
    return true;
  };
  auto read_children = [&](std::size_t count) -> bool {
    for (std::size_t i = 0; i < count; ++i) {
      std::optional<Reply> child = parse_reply(bytes, &at);
      if (!child) return false;
      reply.elements.push_back(std::move(*child));
    }
    return true;
  };
  switch (type) {
    case '+':
      reply.kind = Reply::Kind::kSimple;
      reply.text = std::string(*line);
      break;
    case '-':
      reply.kind = Reply::Kind::kError;
      reply.text = std::string(*line);
      break;
    case ':':
      reply.kind = Reply::Kind::kInteger;
      reply.number = detail::to_int64(*line, start);
      break;
    case ',':
      reply.kind = Reply::Kind::kDouble;
      reply.text = std::string(*line);
      break;
    case '(':
      reply.kind = Reply::Kind::kBigNumber;
      reply.text = std::string(*line);
      break;
    case '_':
      if (!line->empty()) detail::malformed("null with payload", start);
      reply.kind = Reply::Kind::kNull;
      break;
    case '#':
      if (*line != "t" && *line != "f") detail::malformed("bad boolean", start);
      reply.kind = Reply::Kind::kBoolean;
      reply.number = *line == "t" ? 1 : 0;
      break;
    case '$': {
      const std::int64_t length = detail::to_int64(*line, start);
      if (length == -1) {
        reply.kind = Reply::Kind::kNull;
        break;
      }
      reply.kind = Reply::Kind::kBulk;
      if (!read_payload(length)) return std::nullopt;
      break;
    }
    case '!':
      reply.kind = Reply::Kind::kError;
      if (!read_payload(detail::to_int64(*line, start))) return std::nullopt;
      break;
    case '=': {
      reply.kind = Reply::Kind::kVerbatim;
      if (!read_payload(detail::to_int64(*line, start))) return std::nullopt;
      if (reply.text.size() < 4 || reply.text[3] != ':') {
        detail::malformed("verbatim without format", start);
      }
      reply.format = reply.text.substr(0, 3);
      reply.text.erase(0, 4);
      break;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      const std::int64_t count = detail::to_int64(*line, start);
      if (type == '*' && count == -1) {
        reply.kind = Reply::Kind::kNullArray;
        break;
      }
      if (count < 0) detail::malformed("negative count", start);
      reply.kind = type == '*'   ? Reply::Kind::kArray
                   : type == '~' ? Reply::Kind::kSet
                   : type == '>' ? Reply::Kind::kPush
                                 : Reply::Kind::kMap;
      const auto n = static_cast<std::size_t>(count) * (type == '%' ? 2 : 1);
      if (!read_children(n)) return std::nullopt;
      break;
    }
    default:
      detail::malformed(std::string("unknown type byte '") + type + "'", start);
  }
  *pos = at;
  return reply;
}

// Every reply in `bytes`, which must end exactly at a reply boundary.
inline std::vector<Reply> parse_replies(std::string_view bytes) {
  std::vector<Reply> replies;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::optional<Reply> reply = parse_reply(bytes, &pos);
    if (!reply) detail::malformed("truncated reply", pos);
    replies.push_back(std::move(*reply));
  }
  return replies;
}

}  // namespace eddy::resp
