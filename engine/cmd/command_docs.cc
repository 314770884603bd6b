#include "engine/cmd/command_docs.h"

#include <cctype>
#include <utility>

#include "engine/base/assert.h"
#include "engine/cmd/command.h"

namespace eddy {

namespace {

struct Syntax {
  std::string_view name;
  std::string_view syntax;
};

// Argument syntax per command, in the notation of Redis's documentation.
constexpr Syntax kSyntax[] = {
    {"append", "key value"},
    {"copy", "source destination [DB destination-db] [REPLACE]"},
    {"memory", "subcommand [argument [argument ...]]"},
    {"object", "subcommand [argument [argument ...]]"},
    {"touch", "key [key ...]"},
    {"client", "subcommand [argument [argument ...]]"},
    {"command", "[subcommand [argument [argument ...]]]"},
    {"config", "subcommand [argument [argument ...]]"},
    {"dbsize", ""},
    {"save", ""},
    {"bgsave", "[SCHEDULE]"},
    {"lastsave", ""},
    {"shutdown", "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"},
    {"decr", "key"},
    {"decrby", "key decrement"},
    {"del", "key [key ...]"},
    {"echo", "message"},
    {"exists", "key [key ...]"},
    {"expire", "key seconds [NX|XX|GT|LT]"},
    {"expireat", "key unix-time-seconds [NX|XX|GT|LT]"},
    {"expiretime", "key"},
    {"flushall", "[ASYNC|SYNC]"},
    {"flushdb", "[ASYNC|SYNC]"},
    {"get", "key"},
    {"getdel", "key"},
    {"getex", "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
              "PXAT unix-time-milliseconds|PERSIST]"},
    {"getrange", "key start end"},
    {"getset", "key value"},
    {"hello", "[protover [AUTH username password] [SETNAME clientname]]"},
    {"incr", "key"},
    {"incrby", "key increment"},
    {"incrbyfloat", "key increment"},
    {"info", "[section [section ...]]"},
    {"keys", "pattern"},
    {"mget", "key [key ...]"},
    {"move", "key db"},
    {"mset", "key value [key value ...]"},
    {"msetnx", "key value [key value ...]"},
    {"persist", "key"},
    {"pexpire", "key milliseconds [NX|XX|GT|LT]"},
    {"pexpireat", "key unix-time-milliseconds [NX|XX|GT|LT]"},
    {"pexpiretime", "key"},
    {"ping", "[message]"},
    {"psetex", "key milliseconds value"},
    {"pttl", "key"},
    {"quit", ""},
    {"randomkey", ""},
    {"rename", "key newkey"},
    {"renamenx", "key newkey"},
    {"reset", ""},
    {"scan", "cursor [MATCH pattern] [COUNT count] [TYPE type]"},
    {"select", "index"},
    {"set", "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
            "PXAT unix-time-milliseconds|KEEPTTL]"},
    {"setex", "key seconds value"},
    {"setnx", "key value"},
    {"setrange", "key offset value"},
    {"strlen", "key"},
    {"swapdb", "index1 index2"},
    {"time", ""},
    {"ttl", "key"},
    {"type", "key"},
    {"unlink", "key [key ...]"},
};

std::string type_of_name(std::string_view name) {
  if (name == "key" || name == "newkey" || name == "source" || name == "destination") {
    return "key";
  }
  if (name == "pattern") return "pattern";
  if (name == "seconds" || name == "milliseconds" || name == "count" || name == "index" ||
      name == "index1" || name == "index2" || name == "db" || name == "start" || name == "end" ||
      name == "offset" || name == "decrement" || name == "protover" || name == "cursor" ||
      name == "numkeys" || name == "limit") {
    return "integer";
  }
  if (name == "increment") return "integer";
  if (name == "stop" || name == "numkeys" || name == "rank" || name == "num-matches" ||
      name == "len") {
    return "integer";
  }
  if (name.starts_with("unix-time")) return "unix-time";
  return "string";
}

bool is_token(std::string_view word) {
  bool any_alpha = false;
  for (char c : word) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    if (std::isalpha(static_cast<unsigned char>(c))) any_alpha = true;
  }
  return any_alpha;
}

// Recursive descent over the notation. Words are separated by spaces; '[' ']' group an
// optional part, '<' '>' a required choice ("<LEFT|RIGHT>"), '|' separates choices, "..."
// after an item repeats it.
class SyntaxParser {
 public:
  explicit SyntaxParser(std::string_view text) : text_(text) {}

  std::vector<DocArgument> parse_sequence() {
    std::vector<DocArgument> items;
    for (;;) {
      skip_spaces();
      if (done() || peek() == ']' || peek() == '>' || peek() == '|') return items;
      if (text_.substr(pos_).starts_with("...")) {
        pos_ += 3;
        continue;  // handled by the optional-repeat merge below
      }
      if (peek() == '[') {
        ++pos_;
        DocArgument group = parse_alternatives();
        expect(']');
        group.optional = true;
        skip_spaces();
        merge_or_push(items, std::move(group));
        continue;
      }
      if (peek() == '<') {
        ++pos_;
        DocArgument group = parse_alternatives();
        expect('>');
        items.push_back(std::move(group));
        continue;
      }
      items.push_back(parse_word_item());
    }
  }

 private:
  // "a|b|c" inside brackets: one item, a oneof, or a block when there is no '|'.
  DocArgument parse_alternatives() {
    std::vector<std::vector<DocArgument>> choices;
    choices.push_back(parse_sequence());
    bool repeated = false;
    while (!done() && peek() == '|') {
      ++pos_;
      choices.push_back(parse_sequence());
    }
    // A trailing "..." inside the brackets repeats the group ("[key ...]").
    if (last_sequence_repeated_) {
      repeated = true;
      last_sequence_repeated_ = false;
    }
    DocArgument group;
    if (choices.size() == 1) {
      if (choices[0].size() == 1) {
        group = std::move(choices[0][0]);
      } else {
        group.type = "block";
        group.name = block_name(choices[0]);
        group.arguments = std::move(choices[0]);
      }
    } else {
      group.type = "oneof";
      std::string name;
      for (auto& choice : choices) {
        DocArgument alternative;
        if (choice.size() == 1) {
          alternative = std::move(choice[0]);
        } else {
          alternative.type = "block";
          alternative.name = block_name(choice);
          alternative.arguments = std::move(choice);
        }
        if (!name.empty()) name += "-";
        name += alternative.name;
        group.arguments.push_back(std::move(alternative));
      }
      group.name = lower(name);
    }
    group.multiple = group.multiple || repeated;
    return group;
  }

  static std::string block_name(const std::vector<DocArgument>& parts) {
    std::string name;
    for (const auto& part : parts) {
      if (!name.empty()) name += "-";
      name += part.name;
    }
    return name;
  }

  static std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  // A word: a keyword alone (pure token), a keyword and its value ("EX seconds"), or a name.
  DocArgument parse_word_item() {
    std::string_view word = read_word();
    DocArgument item;
    if (is_token(word)) {
      skip_spaces();
      const std::size_t save = pos_;
      if (!done() && peek() != '[' && peek() != ']' && peek() != '<' && peek() != '>' &&
          peek() != '|') {
        std::string_view value = read_word();
        if (!is_token(value) && value != "...") {
          item.token = std::string(word);
          item.name = lower(std::string(word));
          item.type = type_of_name(value);
          if (value != item.name) item.name = std::string(value);
          check_repeat(item);
          return item;
        }
      }
      pos_ = save;
      item.name = lower(std::string(word));
      item.token = std::string(word);
      item.type = "pure-token";
      return item;
    }
    item.name = std::string(word);
    item.type = type_of_name(word);
    check_repeat(item);
    return item;
  }

  void check_repeat(DocArgument&) {
    skip_spaces();
    if (text_.substr(pos_).starts_with("...")) {
      pos_ += 3;
      last_sequence_repeated_ = true;
    }
  }

  // "key [key ...]": the optional repeat folds into the item before it as "multiple".
  static void merge_or_push(std::vector<DocArgument>& items, DocArgument group) {
    if (group.multiple && !items.empty()) {
      std::size_t n = group.type == "block" ? group.arguments.size() : 1;
      if (n <= items.size()) {
        bool same = true;
        for (std::size_t i = 0; i < n; ++i) {
          const DocArgument& a = items[items.size() - n + i];
          const DocArgument& b = group.type == "block" ? group.arguments[i] : group;
          same = same && a.name == b.name && a.type == b.type;
        }
        if (same) {
          if (n == 1) {
            items.back().multiple = true;
            items.back().multiple_token = !group.token.empty() && group.token == items.back().token;
          } else {
            DocArgument block;
            block.type = "block";
            block.name = "data";
            block.multiple = true;
            block.arguments.assign(items.end() - static_cast<std::ptrdiff_t>(n), items.end());
            for (auto& part : block.arguments) part.multiple = false;
            items.resize(items.size() - n);
            items.push_back(std::move(block));
          }
          return;
        }
      }
    }
    items.push_back(std::move(group));
  }

  std::string_view read_word() {
    const std::size_t start = pos_;
    while (!done() && peek() != ' ' && peek() != '[' && peek() != ']' && peek() != '<' &&
           peek() != '>' && peek() != '|') {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  void skip_spaces() {
    while (!done() && peek() == ' ') ++pos_;
  }
  void expect(char c) {
    ASSERT_MSG(!done() && peek() == c, "bad command syntax: " + std::string(text_));
    ++pos_;
  }
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool last_sequence_repeated_ = false;
};

}  // namespace

std::vector<DocArgument> parse_command_syntax(std::string_view syntax) {
  SyntaxParser parser(syntax);
  return parser.parse_sequence();
}

std::vector<std::string_view> commands_with_syntax() {
  std::vector<std::string_view> names;
  for (const Syntax& entry : kSyntax) names.push_back(entry.name);
  return names;
}

std::string_view command_syntax(std::string_view name) {
  for (const Syntax& entry : kSyntax) {
    if (entry.name == name) return entry.syntax;
  }
  return {};
}

void write_doc_arguments(ReplyBuilder& reply, const std::vector<DocArgument>& arguments) {
  reply.array(arguments.size());
  for (const DocArgument& arg : arguments) {
    std::size_t fields = 2;  // name, type
    if (!arg.token.empty()) ++fields;
    const bool has_flags = arg.optional || arg.multiple;
    if (has_flags) ++fields;
    if (!arg.arguments.empty()) ++fields;
    reply.map(fields);
    reply.bulk("name");
    reply.bulk(arg.name);
    reply.bulk("type");
    reply.bulk(arg.type);
    if (!arg.token.empty()) {
      reply.bulk("token");
      reply.bulk(arg.token);
    }
    if (has_flags) {
      reply.bulk("flags");
      reply.set((arg.optional ? 1 : 0) + (arg.multiple ? 1 : 0) + (arg.multiple_token ? 1 : 0));
      if (arg.optional) reply.simple("optional");
      if (arg.multiple) reply.simple("multiple");
      if (arg.multiple_token) reply.simple("multiple_token");
    }
    if (!arg.arguments.empty()) {
      reply.bulk("arguments");
      write_doc_arguments(reply, arg.arguments);
    }
  }
}

namespace {
std::string render_one(const DocArgument& arg);

std::string render_list(const std::vector<DocArgument>& arguments, std::string_view separator) {
  std::string out;
  for (const auto& arg : arguments) {
    if (!out.empty()) out += separator;
    out += render_one(arg);
  }
  return out;
}

std::string render_one(const DocArgument& arg) {
  std::string repeat;
  if (arg.type == "oneof") {
    repeat = render_list(arg.arguments, "|");
  } else if (arg.type == "block") {
    repeat = render_list(arg.arguments, " ");
  } else if (arg.type != "pure-token") {
    repeat = arg.name;
  }
  std::string token = arg.token;
  if (!token.empty() && arg.type != "pure-token") token += " ";
  std::string out;
  if (arg.optional) out += "[";
  // A required choice is written in angle brackets; an optional one's brackets say enough.
  const bool required_choice = arg.type == "oneof" && !arg.optional;
  if (required_choice) out += "<";
  out += token + repeat;
  if (required_choice) out += ">";
  if (arg.multiple) out += " [" + (arg.multiple_token ? token : std::string()) + repeat + " ...]";
  if (arg.optional) out += "]";
  return out;
}
}  // namespace

std::string render_syntax(const std::vector<DocArgument>& arguments) {
  return render_list(arguments, " ");
}

std::string_view syntax_of(const CommandSpec& spec) {
  return spec.syntax.empty() ? command_syntax(spec.name) : spec.syntax;
}

}  // namespace eddy
