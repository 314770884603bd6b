#include "sim/check/history.h"

#include <cstdio>

namespace eddy::sim {

namespace {

// Values from APPEND can grow long; the head and tail are where two versions differ in practice.
constexpr std::size_t kShownBytesMax = 48;
constexpr std::size_t kShownEdgeBytes = 20;

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  if (text.size() <= kShownBytesMax) {
    append_escaped(out, text);
    out += '"';
    return out;
  }
  append_escaped(out, text.substr(0, kShownEdgeBytes));
  out += "\"...\"";
  append_escaped(out, text.substr(text.size() - kShownEdgeBytes));
  out += "\"(" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kGet:
      return "GET";
    case OpKind::kSet:
      return "SET";
    case OpKind::kDel:
      return "DEL";
    case OpKind::kIncr:
      return "INCR";
    case OpKind::kAppend:
      return "APPEND";
    case OpKind::kSetNx:
      return "SETNX";
    case OpKind::kGetDel:
      return "GETDEL";
    case OpKind::kGetSet:
      return "GETSET";
    case OpKind::kExpire:
      return "EXPIRE";
    case OpKind::kTtl:
      return "TTL";
    case OpKind::kPersist:
      return "PERSIST";
    case OpKind::kHSet:
      return "HSET";
    case OpKind::kHDel:
      return "HDEL";
    case OpKind::kHGet:
      return "HGET";
    case OpKind::kHGetAll:
      return "HGETALL";
    case OpKind::kLPush:
      return "LPUSH";
    case OpKind::kRPop:
      return "RPOP";
    case OpKind::kLRange:
      return "LRANGE";
    case OpKind::kSAdd:
      return "SADD";
    case OpKind::kSRem:
      return "SREM";
    case OpKind::kSMembers:
      return "SMEMBERS";
    case OpKind::kZAdd:
      return "ZADD";
    case OpKind::kZScore:
      return "ZSCORE";
    case OpKind::kZRange:
      return "ZRANGE";
  }
  return "?";
}

std::string render_elements(const std::vector<std::string>& elements) {
  std::string out;
  for (const std::string& element : elements) {
    out += std::to_string(element.size());
    out += ':';
    out += element;
  }
  return out;
}

std::string describe_value(const std::optional<std::string>& value) {
  return value.has_value() ? quoted(*value) : "nil";
}

std::string describe(const Op& op) {
  std::string out = "c" + std::to_string(op.client) + " #" + std::to_string(op.id) + " [" +
                    std::to_string(op.invoke_ns) + ",";
  out += op.outcome == OpOutcome::kUnknown ? std::string("?") : std::to_string(op.complete_ns);
  out += "] ";
  if (op.kind == OpKind::kIncr && op.argument != "1") {
    out += "INCRBY ";
  } else if (op.kind == OpKind::kSet && op.expected.has_value()) {
    out += "CAS ";
  } else if ((op.kind == OpKind::kExpire || op.kind == OpKind::kTtl) && op.milliseconds) {
    out += 'P';
    out += op_kind_name(op.kind);
    out += ' ';
  } else {
    out += op_kind_name(op.kind);
    out += ' ';
  }
  std::string key;
  append_escaped(key, op.key);
  out += key;
  if (op.kind == OpKind::kSet && op.expected.has_value()) out += " " + quoted(*op.expected);
  switch (op.kind) {
    case OpKind::kSet:
    case OpKind::kAppend:
    case OpKind::kSetNx:
    case OpKind::kGetSet:
      out += " " + quoted(op.argument);
      break;
    case OpKind::kIncr:
      if (op.argument != "1") out += " " + op.argument;
      break;
    case OpKind::kExpire: {
      std::string amount;
      append_escaped(amount, op.argument);
      out += " " + amount;
      break;
    }
    case OpKind::kGet:
    case OpKind::kDel:
    case OpKind::kGetDel:
    case OpKind::kTtl:
    case OpKind::kPersist:
    case OpKind::kHGetAll:
    case OpKind::kRPop:
    case OpKind::kLRange:
    case OpKind::kSMembers:
    case OpKind::kZRange:
      break;
    case OpKind::kHSet:
      out += " " + quoted(op.field) + " " + quoted(op.argument);
      break;
    case OpKind::kHDel:
    case OpKind::kHGet:
    case OpKind::kZScore:
      out += " " + quoted(op.field);
      break;
    case OpKind::kLPush:
    case OpKind::kSAdd:
    case OpKind::kSRem:
      out += " " + quoted(op.argument);
      break;
    case OpKind::kZAdd:
      out += std::string(op.greater ? " GT" : "") + " CH " + op.argument + " " + quoted(op.field);
      break;
  }
  out += " -> ";
  switch (op.outcome) {
    case OpOutcome::kFailed:
      return out + "FAILED";
    case OpOutcome::kUnknown:
      return out + "?";
    case OpOutcome::kOk:
      break;
  }
  switch (op.kind) {
    case OpKind::kGet:
    case OpKind::kGetDel:
    case OpKind::kGetSet:
      return out + describe_value(op.value);
    case OpKind::kSet:
      return out + "OK";
    case OpKind::kIncr:
      return out + (op.error ? std::string("ERR not an integer") : std::to_string(op.integer));
    case OpKind::kDel:
    case OpKind::kAppend:
    case OpKind::kSetNx:
    case OpKind::kExpire:
    case OpKind::kTtl:
    case OpKind::kPersist:
    case OpKind::kHSet:
    case OpKind::kHDel:
    case OpKind::kLPush:
    case OpKind::kSAdd:
    case OpKind::kSRem:
    case OpKind::kZAdd:
      return out + std::to_string(op.integer);
    case OpKind::kHGet:
    case OpKind::kRPop:
    case OpKind::kZScore:
    case OpKind::kHGetAll:
    case OpKind::kLRange:
    case OpKind::kSMembers:
    case OpKind::kZRange:
      return out + describe_value(op.value);
  }
  return out;
}

}  // namespace eddy::sim
