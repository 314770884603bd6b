#include "engine/acl/acl_file.h"

#include <algorithm>
#include <vector>

#include "engine/base/assert.h"

namespace eddy::acl {

namespace {

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

bool has_space_or_nul(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' || c == '\v' || c == '\f';
  });
}

// Words separated by single spaces, as Redis splits a line (two spaces make an empty word,
// which is no rule).
std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  for (;;) {
    const std::size_t space = line.find(' ');
    words.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return words;
}

}  // namespace

bool load_users(Registry& registry, std::string_view text, std::string_view filename,
                std::string* errors) {
  const CommandTable& table = registry.table();
  std::vector<UserPtr> loaded;
  std::string found;
  const std::string file(filename);
  std::size_t line_number = 0;
  bool more = true;
  while (more) {
    ++line_number;
    const std::size_t newline = text.find('\n');
    const std::string_view raw = text.substr(0, newline);
    more = newline != std::string_view::npos;
    if (more) text.remove_prefix(newline + 1);
    const std::string_view line = trim(raw);
    if (line.empty()) continue;
    const std::vector<std::string_view> words = split_words(line);
    const std::string where = file + ":" + std::to_string(line_number);
    if (words[0] != "user" || words.size() < 2) {
      found += where + " should start with user keyword followed by the username. ";
      continue;
    }
    const std::string_view name = words[1];
    if (has_space_or_nul(name)) {
      found += where + ": username '" + std::string(name) + "' contains invalid characters. ";
      continue;
    }
    if (std::any_of(loaded.begin(), loaded.end(),
                    [&](const UserPtr& u) { return u->name() == name; })) {
      found += "WARNING: Duplicate user '" + std::string(name) + "' found on line " +
               std::to_string(line_number) + ". ";
      continue;
    }
    auto user = std::make_shared<User>(std::string(name), registry.next_uid(), table);
    // As Redis reports them: every unknown name, and the first other error of the line.
    bool other_error = false;
    for (std::size_t i = 2; i < words.size(); ++i) {
      const std::string_view rule = trim(words[i]);
      std::string reason;
      if (user->apply(rule, table, &reason)) continue;
      if (reason == "Unknown command or category name in ACL") {
        found +=
            where + ": Error in applying operation '" + std::string(rule) + "': " + reason + ". ";
      } else if (!other_error) {
        found += where + ": " + reason + ". ";
        other_error = true;
      }
    }
    loaded.push_back(std::move(user));
  }
  if (!found.empty()) {
    *errors = found +
              "WARNING: ACL errors detected, no change to the previously active ACL rules was "
              "performed";
    return false;
  }
  std::string unused;
  return registry.edit(
      [&](std::vector<UserPtr>& users, std::string*) {
        const UserPtr* old_default = nullptr;
        for (const UserPtr& u : users) {
          if (u->name() == "default") old_default = &u;
        }
        ASSERT(old_default != nullptr);
        const std::uint64_t default_uid = (*old_default)->uid();
        auto it = std::find_if(loaded.begin(), loaded.end(),
                               [](const UserPtr& u) { return u->name() == "default"; });
        // The default user stays the same user (its connections go on) with the file's rules.
        UserPtr new_default = it != loaded.end() ? *it : make_default_user(table, default_uid);
        auto kept = std::make_shared<User>(*new_default);
        kept->set_uid(default_uid);
        if (it != loaded.end()) {
          *it = std::move(kept);
        } else {
          loaded.push_back(std::move(kept));
        }
        users = std::move(loaded);
        return true;
      },
      &unused);
}

std::string users_file_text(const UserDirectory& directory) {
  std::string out;
  for (const UserPtr& user : directory.users()) {
    out += "user ";
    out += user->name();
    out += ' ';
    out += user->describe();
    out += '\n';
  }
  return out;
}

}  // namespace eddy::acl
