#include "engine/acl/categories.h"

#include <string>

#include "engine/base/assert.h"

namespace eddy::acl {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}
}  // namespace

std::optional<std::uint32_t> category_bit(std::string_view name) {
  for (std::size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (iequals(kCategoryNames[i], name)) return 1u << i;
  }
  return std::nullopt;
}

std::uint32_t category_bits_of(std::string_view text) {
  std::uint32_t bits = 0;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    std::string_view word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (word.empty()) continue;
    ASSERT_MSG(word[0] == '@', std::string(word));
    const auto bit = category_bit(word.substr(1));
    ASSERT_MSG(bit.has_value(), "unknown ACL category " + std::string(word));
    bits |= *bit;
  }
  return bits;
}

}  // namespace eddy::acl
