#include "sim/check/collection_model.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "engine/base/assert.h"

namespace eddy::sim {

namespace {

// Type bytes: no value the workload writes to a string starts with a control byte.
constexpr char kHashTag = '\x01';
constexpr char kListTag = '\x02';
constexpr char kSetTag = '\x03';
constexpr char kZSetTag = '\x04';

char type_of(OpKind kind) {
  switch (kind) {
    case OpKind::kHSet:
    case OpKind::kHDel:
    case OpKind::kHGet:
    case OpKind::kHGetAll:
      return kHashTag;
    case OpKind::kLPush:
    case OpKind::kRPop:
    case OpKind::kLRange:
      return kListTag;
    case OpKind::kSAdd:
    case OpKind::kSRem:
    case OpKind::kSMembers:
      return kSetTag;
    case OpKind::kZAdd:
    case OpKind::kZScore:
    case OpKind::kZRange:
      return kZSetTag;
    default:
      return 0;
  }
}

// Elements of a model value (after its type byte).
std::vector<std::string> decode(const std::string& value) {
  std::vector<std::string> out;
  std::size_t at = 1;
  while (at < value.size()) {
    const std::size_t colon = value.find(':', at);
    ASSERT_MSG(colon != std::string::npos, "malformed collection model value");
    const std::size_t length = std::strtoull(value.c_str() + at, nullptr, 10);
    out.push_back(value.substr(colon + 1, length));
    at = colon + 1 + length;
  }
  return out;
}

std::optional<std::string> encode(char tag, const std::vector<std::string>& elements) {
  if (elements.empty()) return std::nullopt;  // an empty collection is no key
  return std::string(1, tag) + render_elements(elements);
}

// A score as Redis prints it in a RESP2 reply (%.17g).
std::string format_score(double score) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", score);
  return text;
}

using Pairs = std::map<std::string, std::string>;  // hash: field -> value; zset: member -> score

Pairs to_pairs(const std::vector<std::string>& elements) {
  ASSERT_EQ(elements.size() % 2, 0u);
  Pairs pairs;
  for (std::size_t i = 0; i < elements.size(); i += 2) pairs[elements[i]] = elements[i + 1];
  return pairs;
}

std::vector<std::string> flatten(const Pairs& pairs) {
  std::vector<std::string> out;
  for (const auto& [a, b] : pairs) {
    out.push_back(a);
    out.push_back(b);
  }
  return out;
}

// ZRANGE 0 -1 WITHSCORES: by score, then member.
std::vector<std::string> zrange(const Pairs& zset) {
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [member, score] : zset)
    order.emplace_back(std::strtod(score.c_str(), nullptr), member);
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  for (const auto& [score, member] : order) {
    out.push_back(member);
    out.push_back(format_score(score));
  }
  return out;
}

struct Outcome {
  std::optional<std::string> reply_text;  // bulk replies (nullopt: nil)
  std::int64_t reply_integer = 0;
  bool integer_reply = false;
  std::vector<std::string> elements;  // the value after the op
};

// The op's effect and reply from `elements` (the current value, empty if no key).
Outcome run(const Op& op, std::vector<std::string> elements) {
  Outcome out;
  switch (op.kind) {
    case OpKind::kHSet: {
      Pairs hash = to_pairs(elements);
      out.integer_reply = true;
      out.reply_integer = hash.count(op.field) == 0 ? 1 : 0;
      hash[op.field] = op.argument;
      out.elements = flatten(hash);
      return out;
    }
    case OpKind::kHDel: {
      Pairs hash = to_pairs(elements);
      out.integer_reply = true;
      out.reply_integer = static_cast<std::int64_t>(hash.erase(op.field));
      out.elements = flatten(hash);
      return out;
    }
    case OpKind::kHGet: {
      const Pairs hash = to_pairs(elements);
      const auto it = hash.find(op.field);
      if (it != hash.end()) out.reply_text = it->second;
      break;
    }
    case OpKind::kHGetAll:
      out.reply_text = render_elements(elements);  // pairs by field, as the reader sorts them
      break;
    case OpKind::kLPush:
      elements.insert(elements.begin(), op.argument);
      out.integer_reply = true;
      out.reply_integer = static_cast<std::int64_t>(elements.size());
      out.elements = std::move(elements);
      return out;
    case OpKind::kRPop:
      if (!elements.empty()) {
        out.reply_text = elements.back();
        elements.pop_back();
      }
      out.elements = std::move(elements);
      return out;
    case OpKind::kLRange:
      out.reply_text = render_elements(elements);
      break;
    case OpKind::kSAdd: {
      const auto it = std::lower_bound(elements.begin(), elements.end(), op.argument);
      const bool add = it == elements.end() || *it != op.argument;
      if (add) elements.insert(it, op.argument);
      out.integer_reply = true;
      out.reply_integer = add ? 1 : 0;
      out.elements = std::move(elements);
      return out;
    }
    case OpKind::kSRem: {
      const auto it = std::lower_bound(elements.begin(), elements.end(), op.argument);
      const bool found = it != elements.end() && *it == op.argument;
      if (found) elements.erase(it);
      out.integer_reply = true;
      out.reply_integer = found ? 1 : 0;
      out.elements = std::move(elements);
      return out;
    }
    case OpKind::kSMembers:
      out.reply_text = render_elements(elements);
      break;
    case OpKind::kZAdd: {
      // ZADD key [GT] CH score member: the reply counts added or changed members.
      Pairs zset = to_pairs(elements);
      const double score = std::strtod(op.argument.c_str(), nullptr);
      const auto it = zset.find(op.field);
      out.integer_reply = true;
      if (it == zset.end()) {
        zset[op.field] = format_score(score);
        out.reply_integer = 1;
      } else {
        const double old = std::strtod(it->second.c_str(), nullptr);
        if (score != old && (!op.greater || score > old)) {
          it->second = format_score(score);
          out.reply_integer = 1;
        }
      }
      out.elements = flatten(zset);
      return out;
    }
    case OpKind::kZScore: {
      const Pairs zset = to_pairs(elements);
      const auto it = zset.find(op.field);
      if (it != zset.end()) out.reply_text = it->second;
      break;
    }
    case OpKind::kZRange:
      out.reply_text = render_elements(zrange(to_pairs(elements)));
      break;
    default:
      ASSERT_MSG(false, "not a collection op");
  }
  out.elements = std::move(elements);
  return out;
}

}  // namespace

bool is_collection_op(OpKind kind) {
  return type_of(kind) != 0;
}

bool is_collection_read(OpKind kind) {
  switch (kind) {
    case OpKind::kHGet:
    case OpKind::kHGetAll:
    case OpKind::kLRange:
    case OpKind::kSMembers:
    case OpKind::kZScore:
    case OpKind::kZRange:
      return true;
    default:
      return false;
  }
}

bool is_collection_value(const std::string& value) {
  return !value.empty() && value[0] >= kHashTag && value[0] <= kZSetTag;
}

CollectionStep apply_collection_op(const Op& op, const std::optional<std::string>& current,
                                   bool any) {
  const char tag = type_of(op.kind);
  ASSERT_NE(tag, 0);
  CollectionStep result;
  // WRONGTYPE: never expected of the workload, whose keys each hold one type.
  if (current.has_value() && (*current)[0] != tag) return result;
  const Outcome outcome = run(op, current ? decode(*current) : std::vector<std::string>());
  result.next = encode(tag, outcome.elements);
  result.changed = result.next != current;
  if (any) {
    result.legal = true;
  } else if (outcome.integer_reply) {
    result.legal = !op.error && op.integer == outcome.reply_integer;
  } else {
    result.legal = !op.error && op.value == outcome.reply_text;
  }
  return result;
}

std::string collection_expected_reply(const Op& op, const std::optional<std::string>& current) {
  const char tag = type_of(op.kind);
  if (current.has_value() && (*current)[0] != tag) return "WRONGTYPE";
  const Outcome outcome = run(op, current ? decode(*current) : std::vector<std::string>());
  if (outcome.integer_reply) return std::to_string(outcome.reply_integer);
  return describe_value(outcome.reply_text);
}

std::string describe_collection(const std::string& value) {
  const std::vector<std::string> elements = decode(value);
  std::string out;
  switch (value[0]) {
    case kHashTag:
      out = "hash{";
      break;
    case kListTag:
      out = "list[";
      break;
    case kSetTag:
      out = "set{";
      break;
    default:
      out = "zset{";
      break;
  }
  const bool pairs = value[0] == kHashTag || value[0] == kZSetTag;
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += pairs && i % 2 == 1 ? "=" : ", ";
    out += describe_value(elements[i]);
  }
  out += value[0] == kListTag ? "]" : "}";
  return out;
}

}  // namespace eddy::sim
