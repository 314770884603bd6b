// RESP request parsing and reply writing: the edge cases of Redis's tests/unit/protocol.tcl,
// the inline splitting rules of sdssplitargs, and properties that the parser's result does not
// depend on how the stream is cut into reads.

#include <rapidcheck.h>
#include <rapidcheck/catch.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cmd/reply_builder.h"
#include "engine/limits.h"
#include "net/resp/request_parser.h"

namespace {

using eddy::ReplyBuilder;
using eddy::resp::ParseStatus;
using eddy::resp::RequestParser;
using Command = std::vector<std::string>;
using namespace std::string_literals;

// ---------------------------------------------------------------------------------------------
// Request-side helpers.

// Everything a connection would observe from parsing a stream.
struct Outcome {
  std::vector<Command> commands;
  ParseStatus last = ParseStatus::kNeedMore;  // status that stopped parsing the final chunk
  std::string error;
  std::string anomaly;  // a broken parser contract, described; empty when all was well

  bool operator==(const Outcome&) const = default;
};

std::string status_name(ParseStatus status) {
  switch (status) {
    case ParseStatus::kCommand:
      return "kCommand";
    case ParseStatus::kNeedMore:
      return "kNeedMore";
    case ParseStatus::kError:
      return "kError";
  }
  return "?";
}

std::string show(std::string_view bytes) {
  std::string text;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      text += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      text += hex;
    }
  }
  return text;
}

std::string show(const Outcome& outcome) {
  std::string text = "commands:";
  for (const Command& command : outcome.commands) {
    text += " [";
    for (const std::string& arg : command) text += " \"" + show(arg) + "\"";
    text += " ]";
  }
  text += " last: " + status_name(outcome.last) + " error: " + outcome.error +
          " anomaly: " + outcome.anomaly;
  return text;
}

// Feeds `chunks` to a parser the way a connection does: append what was read, parse as many
// commands as the bytes allow into one batch (args are never cleared in between, so views from
// earlier commands of the batch must stay valid), take the batch, then drop the consumed bytes.
// The buffer is moved to a fresh allocation and the old one scribbled over at every compaction,
// so a parser that kept a pointer instead of an offset would produce garbage.
Outcome parse_chunks(const std::vector<std::string>& chunks) {
  Outcome outcome;
  RequestParser parser;
  std::string buffer;
  for (const std::string& chunk : chunks) {
    buffer += chunk;
    std::vector<std::string_view> args;
    std::vector<std::size_t> ends;  // args.size() after each command of the batch
    std::size_t offset = 0;
    ParseStatus status;
    while (true) {
      std::size_t consumed = std::numeric_limits<std::size_t>::max();
      const std::size_t args_before = args.size();
      status = parser.parse(std::span<char>(buffer.data() + offset, buffer.size() - offset), args,
                            &consumed);
      if (consumed > buffer.size() - offset) {
        outcome.anomaly = "consumed beyond the buffer";
        return outcome;
      }
      offset += consumed;
      if (status != ParseStatus::kCommand) {
        if (args.size() != args_before) outcome.anomaly = "args appended without a command";
        break;
      }
      if (args.size() <= args_before) outcome.anomaly = "a command without arguments";
      if (consumed == 0) outcome.anomaly = "a command of zero bytes";
      ends.push_back(args.size());
    }
    for (const std::string_view arg : args) {
      if (arg.data() < buffer.data() || arg.data() + arg.size() > buffer.data() + buffer.size()) {
        outcome.anomaly = "an argument outside the input buffer";
        return outcome;
      }
    }
    std::size_t begin = 0;
    for (const std::size_t end : ends) {
      Command command;
      for (std::size_t i = begin; i < end; ++i) command.emplace_back(args[i]);
      outcome.commands.push_back(std::move(command));
      begin = end;
    }
    std::string rest = buffer.substr(offset);
    std::fill(buffer.begin(), buffer.end(), '#');
    buffer.swap(rest);
    if (status == ParseStatus::kError) {
      outcome.last = ParseStatus::kError;
      outcome.error = std::string(parser.error());
      return outcome;
    }
  }
  outcome.last = ParseStatus::kNeedMore;
  return outcome;
}

Outcome parse_whole(const std::string& input) {
  return parse_chunks({input});
}

std::vector<std::string> split_at(const std::string& input, std::vector<std::size_t> cuts) {
  std::sort(cuts.begin(), cuts.end());
  std::vector<std::string> chunks;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    chunks.push_back(input.substr(from, cut - from));
    from = cut;
  }
  chunks.push_back(input.substr(from));
  return chunks;
}

std::vector<std::string> bytes_one_by_one(const std::string& input) {
  std::vector<std::string> chunks;
  for (const char c : input) chunks.emplace_back(1, c);
  return chunks;
}

// Test-side writer of the multibulk framing, independent of the code under test.
std::string multibulk(const Command& command) {
  std::string out = "*" + std::to_string(command.size()) + "\r\n";
  for (const std::string& arg : command) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

Outcome commands_then(std::vector<Command> commands, ParseStatus last,
                      std::string error = std::string()) {
  Outcome outcome;
  outcome.commands = std::move(commands);
  outcome.last = last;
  outcome.error = std::move(error);
  return outcome;
}

// Checks that `input` parses to `expected` whole, byte by byte, and cut in two everywhere.
void check_stream(const std::string& input, const Outcome& expected) {
  INFO("input: " << show(input));
  const Outcome whole = parse_whole(input);
  INFO("whole: " << show(whole));
  CHECK(whole == expected);
  const Outcome bytes = parse_chunks(bytes_one_by_one(input));
  INFO("byte by byte: " << show(bytes));
  CHECK(bytes == expected);
  for (std::size_t cut = 1; cut < input.size(); ++cut) {
    const Outcome halves = parse_chunks(split_at(input, {cut}));
    if (!(halves == expected)) {
      INFO("cut at " << cut << ": " << show(halves));
      CHECK(halves == expected);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Random streams.

rc::Gen<char> gen_arg_byte() {
  // Bias towards bytes that mean something to one of the two framings.
  return rc::gen::oneOf(
      rc::gen::elementOf(std::vector<char>{'\r', '\n', ' ', '\t', '"', '\'', '\\', '*', '$', 'x',
                                           '\0', '\v', '\f', '0', '9', 'a', 'F'}),
      rc::gen::arbitrary<char>(), rc::gen::inRange<char>('a', static_cast<char>('z' + 1)));
}

rc::Gen<std::string> gen_arg() {
  return rc::gen::scale(0.5, rc::gen::container<std::string>(gen_arg_byte()));
}

rc::Gen<Command> gen_command() {
  return rc::gen::scale(0.1, rc::gen::nonEmpty(rc::gen::container<Command>(gen_arg())));
}

bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// One argument in inline syntax, choosing at random among the spellings that denote it.
// `first` marks the first argument of a line, which must not start with '*' (the line would
// then be read as a multibulk).
std::string encode_inline_arg(const std::string& arg, bool first) {
  const bool bare_ok = !arg.empty() && !(first && arg[0] == '*') &&
                       std::none_of(arg.begin(), arg.end(),
                                    [](char c) { return is_c_space(c) || c == '"' || c == '\''; });
  // Inside single quotes only \' is an escape, so an argument ending in a backslash cannot be
  // written there (its backslash would escape the closing quote), nor can a newline, which
  // would end the line.
  const bool single_ok = arg.find('\n') == std::string::npos && (arg.empty() || arg.back() != '\\');
  int form = *rc::gen::inRange(0, 3);
  if (form == 0 && !bare_ok) form = 1;
  if (form == 2 && !single_ok) form = 1;
  std::string out;
  if (form == 0) return arg;
  if (form == 2) {
    out += '\'';
    for (const char c : arg) {
      if (c == '\'') {
        out += "\\'";
      } else {
        out += c;
      }
    }
    out += '\'';
    return out;
  }
  out += '"';
  for (const char c : arg) {
    const int how = *rc::gen::inRange(0, 3);  // 0 literal, 1 \xHH, 2 named or identity escape
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned char>(c));
    if (c == '"' || c == '\\') {
      out += how == 1 ? std::string(hex) : "\\"s + c;
    } else if (c == '\n') {
      out += how == 1 ? std::string(hex) : "\\n"s;
    } else if (how == 1) {
      out += hex;
    } else if (how == 2 && c == '\r') {
      out += "\\r";
    } else if (how == 2 && c == '\t') {
      out += "\\t";
    } else if (how == 2 && c == '\b') {
      out += "\\b";
    } else if (how == 2 && c == '\a') {
      out += "\\a";
    } else if (how == 2 && std::string_view("nrtbax").find(c) == std::string_view::npos) {
      out += "\\"s + c;  // an unknown escape stands for the byte itself
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string encode_inline(const Command& command) {
  std::string line;
  line += *rc::gen::elementOf(std::vector<std::string>{"", "", " ", "\t \v\f"});
  for (std::size_t i = 0; i < command.size(); ++i) {
    if (i > 0) line += *rc::gen::elementOf(std::vector<std::string>{" ", " ", "\t", "  \t"});
    line += encode_inline_arg(command[i], i == 0 && line.empty());
  }
  line += *rc::gen::elementOf(std::vector<std::string>{"", "", " ", "\t "});
  line += *rc::gen::elementOf(std::vector<std::string>{"\r\n", "\n"});
  return line;
}

// Bytes that encode no command at all, which the parser skips.
rc::Gen<std::string> gen_empty_command() {
  return rc::gen::elementOf(
      std::vector<std::string>{"\r\n", "\n", "*0\r\n", "*-1\r\n", "*-7\r\n", " \t \r\n"});
}

// A random stream of commands, each spelled as multibulk or inline; `commands` receives what
// it denotes.
std::string gen_stream(std::vector<Command>* commands) {
  *commands = *rc::gen::scale(0.6, rc::gen::container<std::vector<Command>>(gen_command()));
  std::string stream;
  for (const Command& command : *commands) {
    if (*rc::gen::inRange(0, 5) == 0) stream += *gen_empty_command();
    stream += *rc::gen::arbitrary<bool>() ? multibulk(command) : encode_inline(command);
  }
  if (*rc::gen::arbitrary<bool>()) stream += *gen_empty_command();
  return stream;
}

std::vector<std::string> gen_chunks(const std::string& stream) {
  const auto cuts = *rc::gen::container<std::vector<std::size_t>>(
      rc::gen::inRange<std::size_t>(0, stream.size() + 1));
  return split_at(stream, cuts);
}

// ---------------------------------------------------------------------------------------------
// Reply-side helpers: a small RESP2/RESP3 reader, only for tests.

struct Reply {
  char type = '?';
  std::string text;  // payload of a scalar
  std::vector<Reply> elements;

  bool operator==(const Reply&) const = default;
};

// Reads one reply starting at *pos; false when the bytes are not exactly one well-formed reply
// prefix.
bool read_reply(std::string_view in, std::size_t* pos, Reply* reply) {
  const std::size_t eol = in.find("\r\n", *pos);
  if (*pos >= in.size() || eol == std::string_view::npos) return false;
  const char type = in[*pos];
  const std::string line(in.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  reply->type = type;
  switch (type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '#':
    case '_':
      reply->text = line;
      return true;
    case '$':
    case '=': {
      if (line == "-1" && type == '$') {
        reply->type = '_';  // the RESP2 null bulk
        reply->text.clear();
        return true;
      }
      const long long length = std::stoll(line);
      if (length < 0 || *pos + static_cast<std::size_t>(length) + 2 > in.size()) return false;
      reply->text = std::string(in.substr(*pos, static_cast<std::size_t>(length)));
      *pos += static_cast<std::size_t>(length);
      if (in.substr(*pos, 2) != "\r\n") return false;
      *pos += 2;
      return true;
    }
    case '*':
    case '%':
    case '~':
    case '>': {
      if (line == "-1" && type == '*') {
        reply->type = '_';  // the RESP2 null array
        return true;
      }
      const long long count = std::stoll(line) * (type == '%' ? 2 : 1);
      for (long long i = 0; i < count; ++i) {
        Reply element;
        if (!read_reply(in, pos, &element)) return false;
        reply->elements.push_back(std::move(element));
      }
      return true;
    }
    default:
      return false;
  }
}

// A reply to write, as a tree of builder calls.
struct Node {
  enum Kind {
    kOk,
    kSimple,
    kError,
    kInteger,
    kBulk,
    kBulkInteger,
    kNull,
    kNullArray,
    kDouble,
    kBoolean,
    kVerbatim,
    kArray,
    kMap,
    kSet,
    kPush,
    kKinds
  };
  Kind kind = kOk;
  std::string text;
  std::int64_t number = 0;
  double real = 0;
  bool flag = false;
  std::vector<Node> children;  // for kMap: keys and values alternating
};

std::string printf_double(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  return buf;
}

void write_node(const Node& node, ReplyBuilder& out) {
  switch (node.kind) {
    case Node::kOk:
      out.ok();
      break;
    case Node::kSimple:
      out.simple(node.text);
      break;
    case Node::kError:
      out.error(node.text);
      break;
    case Node::kInteger:
      out.integer(node.number);
      break;
    case Node::kBulk:
      out.bulk(node.text);
      break;
    case Node::kBulkInteger:
      out.bulk_integer(node.number);
      break;
    case Node::kNull:
      out.null();
      break;
    case Node::kNullArray:
      out.null_array();
      break;
    case Node::kDouble:
      out.double_value(node.real);
      break;
    case Node::kBoolean:
      out.boolean(node.flag);
      break;
    case Node::kVerbatim:
      out.verbatim(node.text);
      break;
    case Node::kArray:
      out.array(node.children.size());
      break;
    case Node::kMap:
      out.map(node.children.size() / 2);
      break;
    case Node::kSet:
      out.set(node.children.size());
      break;
    case Node::kPush:
      out.push(node.children.size());
      break;
    case Node::kKinds:
      break;
  }
  for (const Node& child : node.children) write_node(child, out);
}

// What a client reading `protocol` should see for `node`: the specification of ReplyBuilder,
// written independently of it.
Reply expected_reply(const Node& node, int protocol) {
  const bool resp3 = protocol == 3;
  Reply reply;
  switch (node.kind) {
    case Node::kOk:
      reply = {'+', "OK", {}};
      break;
    case Node::kSimple:
      reply = {'+', node.text, {}};
      break;
    case Node::kError: {
      std::string text = node.text;
      std::replace(text.begin(), text.end(), '\r', ' ');
      std::replace(text.begin(), text.end(), '\n', ' ');
      reply = {'-', text, {}};
      break;
    }
    case Node::kInteger:
      reply = {':', std::to_string(node.number), {}};
      break;
    case Node::kBulk:
      reply = {'$', node.text, {}};
      break;
    case Node::kBulkInteger:
      reply = {'$', std::to_string(node.number), {}};
      break;
    case Node::kNull:
    case Node::kNullArray:
      reply = {'_', "", {}};
      break;
    case Node::kDouble:
      reply = {resp3 ? ',' : '$', printf_double(node.real), {}};
      break;
    case Node::kBoolean:
      reply = resp3 ? Reply{'#', node.flag ? "t" : "f", {}} : Reply{':', node.flag ? "1" : "0", {}};
      break;
    case Node::kVerbatim:
      reply = resp3 ? Reply{'=', "txt:" + node.text, {}} : Reply{'$', node.text, {}};
      break;
    case Node::kArray:
      reply.type = '*';
      break;
    case Node::kMap:
      reply.type = resp3 ? '%' : '*';
      break;
    case Node::kSet:
      reply.type = resp3 ? '~' : '*';
      break;
    case Node::kPush:
      reply.type = resp3 ? '>' : '*';
      break;
    case Node::kKinds:
      break;
  }
  for (const Node& child : node.children) reply.elements.push_back(expected_reply(child, protocol));
  return reply;
}

Node gen_node(int depth) {
  Node node;
  const int kinds = depth > 0 ? Node::kKinds : Node::kArray;  // containers only above leaves
  node.kind = static_cast<Node::Kind>(*rc::gen::inRange(0, kinds));
  switch (node.kind) {
    case Node::kSimple:
      // Simple strings are the caller's to keep free of CR/LF.
      node.text = *rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~'));
      break;
    case Node::kError:
    case Node::kBulk:
    case Node::kVerbatim:
      node.text = *gen_arg();
      break;
    case Node::kInteger:
    case Node::kBulkInteger:
      node.number = *rc::gen::oneOf(
          rc::gen::arbitrary<std::int64_t>(),
          rc::gen::element(std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max(), std::int64_t{0},
                           std::int64_t{-1}, std::int64_t{9}, std::int64_t{10}));
      break;
    case Node::kDouble:
      node.real = *rc::gen::oneOf(
          rc::gen::arbitrary<double>(),
          rc::gen::element(
              std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
              std::numeric_limits<double>::quiet_NaN(), 0.0, -0.0, 3.14,
              std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max()));
      break;
    case Node::kBoolean:
      node.flag = *rc::gen::arbitrary<bool>();
      break;
    case Node::kArray:
    case Node::kSet:
    case Node::kPush:
    case Node::kMap: {
      const int count = *rc::gen::inRange(0, 4) * (node.kind == Node::kMap ? 2 : 1);
      for (int i = 0; i < count; ++i) node.children.push_back(gen_node(depth - 1));
      break;
    }
    default:
      break;
  }
  return node;
}

std::string written(int protocol, void (*write)(ReplyBuilder&)) {
  std::string out;
  ReplyBuilder builder(&out, protocol);
  write(builder);
  return out;
}

}  // namespace

// =============================================================================================
// Request parser: protocol.tcl.

TEST_CASE("protocol.tcl: handle an empty query", "[resp]") {
  check_stream("\r\n" + multibulk({"PING"}), commands_then({{"PING"}}, ParseStatus::kNeedMore));
  check_stream("\r\nPING\r\n", commands_then({{"PING"}}, ParseStatus::kNeedMore));
}

TEST_CASE("protocol.tcl: negative multibulk length", "[resp]") {
  check_stream("*-10\r\n" + multibulk({"PING"}), commands_then({{"PING"}}, ParseStatus::kNeedMore));
}

TEST_CASE("protocol.tcl: out of range multibulk length", "[resp]") {
  const std::string error = "Protocol error: invalid multibulk length";
  check_stream("*3000000000\r\n", commands_then({}, ParseStatus::kError, error));
  check_stream("*" + std::to_string(eddy::limits::multibulk_count_max + 1) + "\r\n",
               commands_then({}, ParseStatus::kError, error));
  // The limit itself is allowed: the parser waits for the arguments.
  check_stream("*" + std::to_string(eddy::limits::multibulk_count_max) + "\r\n",
               commands_then({}, ParseStatus::kNeedMore));
  check_stream("*99999999999999999999999\r\n", commands_then({}, ParseStatus::kError, error));
}

TEST_CASE("protocol.tcl: wrong multibulk payload header", "[resp]") {
  check_stream("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: expected '$', got 'f'"));
}

TEST_CASE("protocol.tcl: negative multibulk payload length", "[resp]") {
  check_stream("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: invalid bulk length"));
}

TEST_CASE("protocol.tcl: out of range multibulk payload length", "[resp]") {
  const std::string error = "Protocol error: invalid bulk length";
  check_stream("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
               commands_then({}, ParseStatus::kError, error));
  check_stream("*1\r\n$" + std::to_string(eddy::limits::bulk_bytes_max + 1) + "\r\n",
               commands_then({}, ParseStatus::kError, error));

  // The limit itself is allowed, and the parser says how much it still needs.
  RequestParser parser;
  std::string input = "*1\r\n$" + std::to_string(eddy::limits::bulk_bytes_max) + "\r\nabc";
  std::vector<std::string_view> args;
  std::size_t consumed = 1;
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);
  CHECK(args.empty());
  CHECK(parser.bytes_wanted() == static_cast<std::size_t>(eddy::limits::bulk_bytes_max) + 2 - 3);
}

TEST_CASE("protocol.tcl: non-number multibulk payload length", "[resp]") {
  check_stream("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: invalid bulk length"));
}

TEST_CASE("protocol.tcl: multi bulk request not followed by bulk arguments", "[resp]") {
  check_stream("*1\r\nfoo\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: expected '$', got 'f'"));
}

TEST_CASE("protocol.tcl: generic wrong number of args is the command layer's", "[resp]") {
  // Arity is checked by the command table, not the parser: the parser passes all arguments.
  check_stream("PING x y z\r\n", commands_then({{"PING", "x", "y", "z"}}, ParseStatus::kNeedMore));
  check_stream(multibulk({"PING", "x", "y", "z"}),
               commands_then({{"PING", "x", "y", "z"}}, ParseStatus::kNeedMore));
}

TEST_CASE("protocol.tcl: unbalanced number of quotes", "[resp]") {
  check_stream(
      "set \"\"\"test-key\"\"\" test-value\r\nping\r\n",
      commands_then({}, ParseStatus::kError, "Protocol error: unbalanced quotes in request"));
}

TEST_CASE("protocol.tcl: protocol desync regression", "[resp]") {
  // A stream that never completes a line must be refused once it exceeds the inline limit,
  // not buffered forever. The Tcl test sends the literal word "payload" over and over.
  struct Case {
    std::string prefix;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"\x00"s, "Protocol error: too big inline request"},
      {"*\x00"s, "Protocol error: too big mbulk count string"},
      {"$\x00"s, "Protocol error: too big inline request"},
  };
  for (const Case& c : cases) {
    RequestParser parser;
    std::string buffer = c.prefix;
    std::vector<std::string_view> args;
    ParseStatus status = ParseStatus::kNeedMore;
    while (buffer.size() < 4 * eddy::limits::inline_command_bytes_max) {
      std::size_t consumed = 0;
      status = parser.parse(buffer, args, &consumed);
      REQUIRE(consumed == 0);
      if (status != ParseStatus::kNeedMore) break;
      for (int i = 0; i < 100; ++i) buffer += "payload";
    }
    INFO("prefix " << show(c.prefix));
    REQUIRE(status == ParseStatus::kError);
    CHECK(std::string(parser.error()) == c.error);
    CHECK(buffer.size() <= eddy::limits::inline_command_bytes_max + 701);
    CHECK(args.empty());
  }
}

// =============================================================================================
// Request parser: framing details.

TEST_CASE("multibulk: basic commands and batching", "[resp]") {
  std::string input = multibulk({"SET", "key", "value"}) + multibulk({"GET", "key"}) +
                      "*-1\r\n*0\r\n" + multibulk({""});
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  std::span<char> rest(input);

  REQUIRE(parser.parse(rest, args, &consumed) == ParseStatus::kCommand);
  CHECK(consumed == multibulk({"SET", "key", "value"}).size());
  rest = rest.subspan(consumed);
  REQUIRE(parser.parse(rest, args, &consumed) == ParseStatus::kCommand);
  CHECK(consumed == multibulk({"GET", "key"}).size());
  rest = rest.subspan(consumed);
  // The two empty commands are skipped within the call; consumed covers them.
  REQUIRE(parser.parse(rest, args, &consumed) == ParseStatus::kCommand);
  CHECK(consumed == 5 + 4 + multibulk({""}).size());
  rest = rest.subspan(consumed);
  REQUIRE(rest.empty());
  REQUIRE(parser.parse(rest, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(consumed == 0);

  // args accumulated over the batch, every view pointing into the input.
  REQUIRE(args.size() == 6);
  CHECK(args == std::vector<std::string_view>{"SET", "key", "value", "GET", "key", ""});
  for (const std::string_view arg : args) {
    CHECK(arg.data() >= input.data());
    CHECK(arg.data() + arg.size() <= input.data() + input.size());
  }
  CHECK(args[2].data() == input.data() + input.find("value"));
}

TEST_CASE("multibulk: binary payloads, lines and trailing bytes as Redis reads them", "[resp]") {
  check_stream(multibulk({"a\r\nb", "\0\0"s, "*3\r\n", "$"}),
               commands_then({{"a\r\nb", "\0\0"s, "*3\r\n", "$"}}, ParseStatus::kNeedMore));
  // Redis ends header lines at '\r' and skips the next byte, and skips the two bytes after a
  // payload, without checking any of them; eddy is exactly as tolerant.
  check_stream("*2\rX$3\r?foo..$1\r\nz!!", commands_then({{"foo", "z"}}, ParseStatus::kNeedMore));
}

TEST_CASE("multibulk: lengths are parsed like Redis's string2ll", "[resp]") {
  for (const std::string count : {"", "+1", "01", " 1", "1 ", "-0", "1x", "0x1", "--1"}) {
    INFO("count '" << count << "'");
    check_stream(
        "*" + count + "\r\n$1\r\na\r\n",
        commands_then({}, ParseStatus::kError, "Protocol error: invalid multibulk length"));
  }
  for (const std::string length : {"", "+1", "01", " 1", "1 ", "-0", "-1", "1x", "00"}) {
    INFO("length '" << length << "'");
    check_stream("*1\r\n$" + length + "\r\na\r\n",
                 commands_then({}, ParseStatus::kError, "Protocol error: invalid bulk length"));
  }
  check_stream("*1\r\n$0\r\n\r\n", commands_then({{""}}, ParseStatus::kNeedMore));
  check_stream("*1\r\n$10\r\n0123456789\r\n",
               commands_then({{"0123456789"}}, ParseStatus::kNeedMore));
  check_stream("*-9223372036854775808\r\n*1\r\n$1\r\na\r\n",
               commands_then({{"a"}}, ParseStatus::kNeedMore));
  check_stream("*-9223372036854775809\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: invalid multibulk length"));
}

TEST_CASE("multibulk: header without '$' reports the byte", "[resp]") {
  check_stream("*2\r\n$1\r\na\r\n:1\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: expected '$', got ':'"));
  // An empty header line: the byte is the '\r' itself (the reply writer blanks it out).
  check_stream("*1\r\n\r\n",
               commands_then({}, ParseStatus::kError, "Protocol error: expected '$', got '\r'"));
}

TEST_CASE("multibulk: length lines have the inline size limit", "[resp]") {
  const std::size_t max = eddy::limits::inline_command_bytes_max;
  // A count line of exactly max bytes before its '\r' is still read (and then found invalid).
  const std::string at_limit = "*" + std::string(max - 1, '1') + "\r\n";
  CHECK(parse_whole(at_limit) ==
        commands_then({}, ParseStatus::kError, "Protocol error: invalid multibulk length"));
  CHECK(parse_chunks({at_limit.substr(0, max), at_limit.substr(max)}) ==
        commands_then({}, ParseStatus::kError, "Protocol error: invalid multibulk length"));
  // One more byte is too long, whether or not the '\r' already arrived.
  const std::string over = "*" + std::string(max, '1') + "\r\n";
  const Outcome too_big =
      commands_then({}, ParseStatus::kError, "Protocol error: too big mbulk count string");
  CHECK(parse_whole(over) == too_big);
  CHECK(parse_chunks({over.substr(0, max + 1), over.substr(max + 1)}) == too_big);
  CHECK(parse_whole(over.substr(0, max)) == commands_then({}, ParseStatus::kNeedMore));

  const std::string bulk_over = "*1\r\n$" + std::string(max, '1') + "\r\n";
  const Outcome bulk_too_big =
      commands_then({}, ParseStatus::kError, "Protocol error: too big bulk count string");
  CHECK(parse_whole(bulk_over) == bulk_too_big);
  CHECK(parse_chunks({bulk_over.substr(0, 4 + max + 1), bulk_over.substr(4 + max + 1)}) ==
        bulk_too_big);
  const std::string bulk_at_limit = "*1\r\n$" + std::string(max - 1, '1') + "\r\n";
  CHECK(parse_whole(bulk_at_limit) ==
        commands_then({}, ParseStatus::kError, "Protocol error: invalid bulk length"));
}

TEST_CASE("multibulk: partial command keeps its progress and reports what it wants", "[resp]") {
  RequestParser parser;
  std::string input = "\r\n\r\n*2\r\n$3\r\nGET\r\n$5\r\nab";
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(consumed == 4);  // only the two empty commands may be dropped
  CHECK(args.empty());
  CHECK(parser.bytes_wanted() == 5);  // "cde" + "\r\n"

  // The caller drops the consumed bytes, moves the rest elsewhere and appends more.
  std::string moved = input.substr(consumed) + "cde\r\n";
  std::fill(input.begin(), input.end(), '#');
  args.push_back("earlier");
  REQUIRE(parser.parse(moved, args, &consumed) == ParseStatus::kCommand);
  CHECK(consumed == moved.size());
  CHECK(args == std::vector<std::string_view>{"earlier", "GET", "abcde"});
  CHECK(args[1].data() == moved.data() + 8);
}

TEST_CASE("multibulk: a partial header waits for its line", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  std::string input = "*1\r\n$12";
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(parser.bytes_wanted() == 2);
  input += "\r";
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(parser.bytes_wanted() == 1);
  input += "\n";
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(parser.bytes_wanted() == 14);
  input += "hello world!\r\n";
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kCommand);
  CHECK(args == std::vector<std::string_view>{"hello world!"});
}

TEST_CASE("multibulk: a huge announced count does not preallocate", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  std::string input =
      "*" + std::to_string(eddy::limits::multibulk_count_max) + "\r\n$1\r\na\r\n$1\r\n";
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kNeedMore);
  CHECK(args.empty());
  CHECK(args.capacity() <= 2048);
}

TEST_CASE("multibulk: a million arguments in small reads take linear time", "[resp]") {
  const std::size_t count = static_cast<std::size_t>(eddy::limits::multibulk_count_max);
  std::string stream = "*" + std::to_string(count) + "\r\n";
  for (std::size_t i = 0; i < count; ++i) {
    const char c = static_cast<char>('a' + i % 26);
    stream += "$1\r\n";
    stream += c;
    stream += "\r\n";
  }
  RequestParser parser;
  std::string buffer;
  std::vector<std::string_view> args;
  const auto started = std::chrono::steady_clock::now();
  std::size_t calls = 0;
  ParseStatus status = ParseStatus::kNeedMore;
  bool consumed_as_expected = true;
  constexpr std::size_t kRead = 64;  // tiny reads: rescanning per read would be ~10^11 steps
  for (std::size_t at = 0; at < stream.size(); at += kRead) {
    buffer.append(stream, at, kRead);
    std::size_t consumed = 0;
    status = parser.parse(buffer, args, &consumed);
    ++calls;
    // The whole stream is one command: nothing may be dropped until it completes.
    if (consumed != (status == ParseStatus::kCommand ? buffer.size() : 0)) {
      consumed_as_expected = false;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(consumed_as_expected);
  REQUIRE(status == ParseStatus::kCommand);
  REQUIRE(args.size() == count);
  for (std::size_t i = 0; i < count; i += 9973) {
    REQUIRE(args[i] == std::string_view(std::string(1, static_cast<char>('a' + i % 26))));
  }
  CHECK(args.back() == std::string(1, static_cast<char>('a' + (count - 1) % 26)));
  CHECK(calls > 100000);
  CHECK(elapsed < std::chrono::seconds(20));
}

TEST_CASE("parser: errors are sticky until reset", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  std::string bad = "*x\r\n";
  REQUIRE(parser.parse(bad, args, &consumed) == ParseStatus::kError);
  CHECK(parser.error() == "Protocol error: invalid multibulk length");
  std::string good = multibulk({"PING"});
  CHECK(parser.parse(good, args, &consumed) == ParseStatus::kError);
  parser.reset();
  CHECK(parser.error().empty());
  REQUIRE(parser.parse(good, args, &consumed) == ParseStatus::kCommand);
  CHECK(args == std::vector<std::string_view>{"PING"});
}

TEST_CASE("parser: reset forgets a partial command", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  std::string partial = "*3\r\n$3\r\nSET\r\n$1\r\n";
  REQUIRE(parser.parse(partial, args, &consumed) == ParseStatus::kNeedMore);
  parser.reset();
  std::string fresh = "GET k\n";
  REQUIRE(parser.parse(fresh, args, &consumed) == ParseStatus::kCommand);
  CHECK(args == std::vector<std::string_view>{"GET", "k"});
  CHECK(consumed == fresh.size());
}

TEST_CASE("parser: an error in a later bulk leaves args untouched", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> args = {"x"};
  std::size_t consumed = 0;
  std::string first = "*3\r\n$1\r\na\r\n";
  REQUIRE(parser.parse(first, args, &consumed) == ParseStatus::kNeedMore);
  std::string more = first + "$1\r\nb\r\n%";
  std::string line = more + "\r\n";
  REQUIRE(parser.parse(line, args, &consumed) == ParseStatus::kError);
  CHECK(parser.error() == "Protocol error: expected '$', got '%'");
  CHECK(args == std::vector<std::string_view>{"x"});
}

// =============================================================================================
// Request parser: inline commands (sdssplitargs rules).

TEST_CASE("inline: splitting, quoting and escapes", "[resp]") {
  struct Case {
    std::string line;
    Command args;
  };
  const std::vector<Case> cases = {
      {"SET a \"b c\"", {"SET", "a", "b c"}},
      {"  GET\t\tkey  ", {"GET", "key"}},
      {"\v\fPING", {"PING"}},     // leading blanks include \v and \f
      {"a\vb c", {"a\vb", "c"}},  // ...but they do not end a bare word
      {"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\"", {"\n\r\t\b\a\\\"q"}},
      {"\"\\x41\\x4a\\x4b\\xff\\x00\"", {"AJK\xff\0"s}},
      {"\"\\x4\" \"\\xg1\" \"\\x\"", {"x4", "xg1", "x"}},  // not two hex digits: \x is 'x'
      {"'it\\'s' 'a\\b' '\\n'", {"it's", "a\\b", "\\n"}},
      {"\"\" ''", {"", ""}},
      {"foo\"bar baz\" x", {"foobar baz", "x"}},  // a quote may open mid-word
      {"a'b c'", {"ab c"}},
      {"\"a\"\v'b'\f\"c\"", {"a", "b", "c"}},  // any isspace() may follow a closing quote
      {"\"a b\"\t'c d'", {"a b", "c d"}},
      {"back\\slash \\x41", {"back\\slash", "\\x41"}},  // no escapes outside quotes
      {"nul\0inside \"q\0\""s, {"nul\0inside"s, "q\0"s}},
  };
  for (const Case& c : cases) {
    INFO("line: " << show(c.line));
    check_stream(c.line + "\r\n", commands_then({c.args}, ParseStatus::kNeedMore));
    check_stream(c.line + "\n", commands_then({c.args}, ParseStatus::kNeedMore));
  }
}

TEST_CASE("inline: unbalanced quotes", "[resp]") {
  const std::string error = "Protocol error: unbalanced quotes in request";
  for (const std::string line : {"\"foo", "'foo", "\"foo\"bar", "'foo'bar", "\"foo\\\"", "'foo\\'",
                                 "a \"b", "\"a\\", "x \"\"\"", "\"a\"'b'"}) {
    INFO("line: " << show(line));
    check_stream(line + "\r\n", commands_then({}, ParseStatus::kError, error));
  }
  // Commands before the bad line are still delivered.
  check_stream("PING\r\n\"x\r\n", commands_then({{"PING"}}, ParseStatus::kError, error));
}

TEST_CASE("inline: line endings and empty lines", "[resp]") {
  check_stream("PING\n", commands_then({{"PING"}}, ParseStatus::kNeedMore));
  check_stream("PING\r\r\n", commands_then({{"PING"}}, ParseStatus::kNeedMore));
  check_stream("\n\r\n   \r\n\t\nPING\r\n", commands_then({{"PING"}}, ParseStatus::kNeedMore));
  check_stream("PING", commands_then({}, ParseStatus::kNeedMore));
  check_stream("a\rb\r\n", commands_then({{"a", "b"}}, ParseStatus::kNeedMore));
  check_stream("\"a\rb\"\n", commands_then({{"a\rb"}}, ParseStatus::kNeedMore));
  // Inline and multibulk freely alternate.
  check_stream("GET a\n" + multibulk({"GET", "b"}) + "GET c\r\n",
               commands_then({{"GET", "a"}, {"GET", "b"}, {"GET", "c"}}, ParseStatus::kNeedMore));
}

TEST_CASE("inline: unescaping happens in place, within the line", "[resp]") {
  RequestParser parser;
  std::string input = "SET \"k\\x41\" 'v\\'w'\r\nrest";
  std::vector<std::string_view> args;
  std::size_t consumed = 0;
  REQUIRE(parser.parse(input, args, &consumed) == ParseStatus::kCommand);
  CHECK(consumed == input.find("rest"));
  REQUIRE(args == std::vector<std::string_view>{"SET", "kA", "v'w"});
  for (const std::string_view arg : args) {
    CHECK(arg.data() >= input.data());
    CHECK(arg.data() + arg.size() <= input.data() + consumed);
  }
  CHECK(input.substr(consumed) == "rest");
}

TEST_CASE("inline: line length limit", "[resp]") {
  const std::size_t max = eddy::limits::inline_command_bytes_max;
  const std::string at_limit = "GET " + std::string(max - 5, 'k') + " \n";  // max bytes + \n
  REQUIRE(at_limit.size() == max + 1);
  const Outcome ok = commands_then({{"GET", std::string(max - 5, 'k')}}, ParseStatus::kNeedMore);
  CHECK(parse_whole(at_limit) == ok);
  CHECK(parse_chunks({at_limit.substr(0, max), at_limit.substr(max)}) == ok);

  // One byte more is refused whether or not the newline arrived with it.
  const std::string over = "GET " + std::string(max - 4, 'k') + " \n";
  const Outcome too_big =
      commands_then({}, ParseStatus::kError, "Protocol error: too big inline request");
  CHECK(parse_whole(over) == too_big);
  CHECK(parse_chunks({over.substr(0, max), over.substr(max)}) == too_big);
  CHECK(parse_chunks({over.substr(0, max + 1), over.substr(max + 1)}) == too_big);
  CHECK(parse_whole(over.substr(0, max)) == commands_then({}, ParseStatus::kNeedMore));
}

// =============================================================================================
// Request parser: properties.

TEST_CASE("parser properties", "[resp]") {
  rc::prop("any cutting of a command stream yields the same commands as parsing it whole", [] {
    std::vector<Command> commands;
    const std::string stream = gen_stream(&commands);
    const Outcome expected = commands_then(commands, ParseStatus::kNeedMore);
    const Outcome whole = parse_whole(stream);
    RC_ASSERT(whole == expected);
    const Outcome cut = parse_chunks(gen_chunks(stream));
    RC_ASSERT(cut == expected);
  });

  rc::prop("byte-by-byte delivery yields the same commands", [] {
    std::vector<Command> commands;
    const std::string stream = gen_stream(&commands);
    RC_ASSERT(parse_chunks(bytes_one_by_one(stream)) ==
              commands_then(commands, ParseStatus::kNeedMore));
  });

  rc::prop("multibulk writer and parser round-trip any argument vectors",
           [](const std::vector<Command>& raw) {
             std::vector<Command> commands;
             for (const Command& command : raw) {
               if (!command.empty()) commands.push_back(command);
             }
             std::string stream;
             for (const Command& command : commands) stream += multibulk(command);
             RC_ASSERT(parse_whole(stream) == commands_then(commands, ParseStatus::kNeedMore));
           });

  rc::prop("garbage after valid commands: outcome independent of cutting", [] {
    std::vector<Command> commands;
    std::string stream = gen_stream(&commands);
    stream += *rc::gen::oneOf(rc::gen::container<std::string>(gen_arg_byte()),
                              rc::gen::map(rc::gen::container<std::string>(gen_arg_byte()),
                                           [](std::string s) { return "*" + s; }),
                              rc::gen::map(rc::gen::container<std::string>(gen_arg_byte()),
                                           [](std::string s) { return "*2\r\n$1\r\nx\r\n" + s; }));
    const Outcome whole = parse_whole(stream);
    RC_ASSERT(whole.anomaly.empty());
    // The valid prefix is always delivered.
    RC_ASSERT(whole.commands.size() >= commands.size());
    RC_ASSERT(std::equal(commands.begin(), commands.end(), whole.commands.begin()));
    RC_ASSERT(parse_chunks(gen_chunks(stream)) == whole);
    if (whole.last == ParseStatus::kError) RC_ASSERT(whole.error.starts_with("Protocol error: "));
  });
}

// =============================================================================================
// Reply builder.

TEST_CASE("reply builder: every method, RESP2 and RESP3 bytes", "[resp]") {
  struct Case {
    const char* name;
    void (*write)(ReplyBuilder&);
    std::string resp2;
    std::string resp3;
  };
  const std::vector<Case> cases = {
      {"ok", [](ReplyBuilder& r) { r.ok(); }, "+OK\r\n", "+OK\r\n"},
      {"simple", [](ReplyBuilder& r) { r.simple("PONG"); }, "+PONG\r\n", "+PONG\r\n"},
      {"simple empty", [](ReplyBuilder& r) { r.simple(""); }, "+\r\n", "+\r\n"},
      {"error", [](ReplyBuilder& r) { r.error("ERR syntax error"); }, "-ERR syntax error\r\n",
       "-ERR syntax error\r\n"},
      {"error with CR LF", [](ReplyBuilder& r) { r.error("ERR bad\r\nthing\nhere\r"); },
       "-ERR bad  thing here \r\n", "-ERR bad  thing here \r\n"},
      {"integer 0", [](ReplyBuilder& r) { r.integer(0); }, ":0\r\n", ":0\r\n"},
      {"integer digits",
       [](ReplyBuilder& r) {
         r.integer(9);
         r.integer(10);
         r.integer(99);
         r.integer(100);
         r.integer(-1);
         r.integer(1234567);
       },
       ":9\r\n:10\r\n:99\r\n:100\r\n:-1\r\n:1234567\r\n",
       ":9\r\n:10\r\n:99\r\n:100\r\n:-1\r\n:1234567\r\n"},
      {"integer INT64_MIN",
       [](ReplyBuilder& r) { r.integer(std::numeric_limits<std::int64_t>::min()); },
       ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
      {"integer INT64_MAX",
       [](ReplyBuilder& r) { r.integer(std::numeric_limits<std::int64_t>::max()); },
       ":9223372036854775807\r\n", ":9223372036854775807\r\n"},
      {"bulk", [](ReplyBuilder& r) { r.bulk("a\r\nb"); }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
      {"bulk empty", [](ReplyBuilder& r) { r.bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n"},
      {"bulk binary", [](ReplyBuilder& r) { r.bulk("\0\xff"s); }, "$2\r\n\0\xff\r\n"s,
       "$2\r\n\0\xff\r\n"s},
      {"bulk_integer", [](ReplyBuilder& r) { r.bulk_integer(-42); }, "$3\r\n-42\r\n",
       "$3\r\n-42\r\n"},
      {"bulk_integer 0", [](ReplyBuilder& r) { r.bulk_integer(0); }, "$1\r\n0\r\n", "$1\r\n0\r\n"},
      {"bulk_integer INT64_MIN",
       [](ReplyBuilder& r) { r.bulk_integer(std::numeric_limits<std::int64_t>::min()); },
       "$20\r\n-9223372036854775808\r\n", "$20\r\n-9223372036854775808\r\n"},
      {"null", [](ReplyBuilder& r) { r.null(); }, "$-1\r\n", "_\r\n"},
      {"null_array", [](ReplyBuilder& r) { r.null_array(); }, "*-1\r\n", "_\r\n"},
      {"array", [](ReplyBuilder& r) { r.array(3); }, "*3\r\n", "*3\r\n"},
      {"array empty", [](ReplyBuilder& r) { r.array(0); }, "*0\r\n", "*0\r\n"},
      {"map",
       [](ReplyBuilder& r) {
         r.map(2);
         r.bulk("a");
         r.integer(1);
         r.bulk("b");
         r.integer(2);
       },
       "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n"},
      {"map empty", [](ReplyBuilder& r) { r.map(0); }, "*0\r\n", "%0\r\n"},
      {"set", [](ReplyBuilder& r) { r.set(12); }, "*12\r\n", "~12\r\n"},
      {"double", [](ReplyBuilder& r) { r.double_value(3.14); }, "$18\r\n3.1400000000000001\r\n",
       ",3.1400000000000001\r\n"},
      {"double short", [](ReplyBuilder& r) { r.double_value(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n"},
      {"double zero", [](ReplyBuilder& r) { r.double_value(0.0); }, "$1\r\n0\r\n", ",0\r\n"},
      {"double negative zero", [](ReplyBuilder& r) { r.double_value(-0.0); }, "$2\r\n-0\r\n",
       ",-0\r\n"},
      {"double exponent", [](ReplyBuilder& r) { r.double_value(1e300); },
       "$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n"},
      {"double 1e17", [](ReplyBuilder& r) { r.double_value(1e17); }, "$5\r\n1e+17\r\n",
       ",1e+17\r\n"},
      {"double 1e16", [](ReplyBuilder& r) { r.double_value(1e16); }, "$17\r\n10000000000000000\r\n",
       ",10000000000000000\r\n"},
      {"double subnormal", [](ReplyBuilder& r) { r.double_value(-2.5e-310); },
       "$24\r\n-2.5000000000000171e-310\r\n", ",-2.5000000000000171e-310\r\n"},
      {"double inf",
       [](ReplyBuilder& r) { r.double_value(std::numeric_limits<double>::infinity()); },
       "$3\r\ninf\r\n", ",inf\r\n"},
      {"double -inf",
       [](ReplyBuilder& r) { r.double_value(-std::numeric_limits<double>::infinity()); },
       "$4\r\n-inf\r\n", ",-inf\r\n"},
      {"double nan",
       [](ReplyBuilder& r) { r.double_value(std::numeric_limits<double>::quiet_NaN()); },
       "$3\r\nnan\r\n", ",nan\r\n"},
      {"double -nan",
       [](ReplyBuilder& r) { r.double_value(-std::numeric_limits<double>::quiet_NaN()); },
       "$3\r\nnan\r\n", ",nan\r\n"},
      {"boolean true", [](ReplyBuilder& r) { r.boolean(true); }, ":1\r\n", "#t\r\n"},
      {"boolean false", [](ReplyBuilder& r) { r.boolean(false); }, ":0\r\n", "#f\r\n"},
      {"verbatim", [](ReplyBuilder& r) { r.verbatim("hello"); }, "$5\r\nhello\r\n",
       "=9\r\ntxt:hello\r\n"},
      {"verbatim multiline", [](ReplyBuilder& r) { r.verbatim("# Server\r\nx:1\r\n"); },
       "$15\r\n# Server\r\nx:1\r\n\r\n", "=19\r\ntxt:# Server\r\nx:1\r\n\r\n"},
      {"push",
       [](ReplyBuilder& r) {
         r.push(3);
         r.bulk("message");
         r.bulk("ch");
         r.bulk("hi");
       },
       "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
       ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"},
  };
  for (const Case& c : cases) {
    INFO("case " << c.name);
    CHECK(show(written(2, c.write)) == show(c.resp2));
    CHECK(show(written(3, c.write)) == show(c.resp3));
  }
}

TEST_CASE("reply builder: appends, and follows protocol and output changes", "[resp]") {
  std::string first = "existing";
  std::string second;
  ReplyBuilder builder(&first);
  CHECK(builder.protocol() == 2);
  builder.null();
  builder.set_protocol(3);
  CHECK(builder.protocol() == 3);
  builder.null();
  builder.set_out(&second);
  CHECK(builder.out() == &second);
  builder.boolean(true);
  CHECK(first == "existing$-1\r\n_\r\n");
  CHECK(second == "#t\r\n");
}

TEST_CASE("reply builder properties", "[resp]") {
  rc::prop("integers are written as std::to_string writes them", [](std::int64_t value) {
    std::string out;
    ReplyBuilder builder(&out);
    builder.integer(value);
    builder.bulk_integer(value);
    const std::string text = std::to_string(value);
    RC_ASSERT(out == ":" + text + "\r\n$" + std::to_string(text.size()) + "\r\n" + text + "\r\n");
  });

  rc::prop("doubles are written as printf %.17g writes them and read back exactly",
           [](double value) {
             std::string out2;
             std::string out3;
             ReplyBuilder(&out2, 2).double_value(value);
             ReplyBuilder(&out3, 3).double_value(value);
             const std::string text = printf_double(value);
             RC_ASSERT(out3 == "," + text + "\r\n");
             RC_ASSERT(out2 == "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n");
             if (std::isfinite(value)) RC_ASSERT(std::strtod(text.c_str(), nullptr) == value);
           });

  rc::prop("reply trees read back as their RESP2 and RESP3 meaning", [] {
    const Node node = gen_node(3);
    for (const int protocol : {2, 3}) {
      std::string out;
      ReplyBuilder builder(&out, protocol);
      write_node(node, builder);
      std::size_t pos = 0;
      Reply reply;
      RC_ASSERT(read_reply(out, &pos, &reply));
      RC_ASSERT(pos == out.size());
      RC_ASSERT(reply == expected_reply(node, protocol));
    }
  });
}
