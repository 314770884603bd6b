#pragma once
// ACL command categories (@read, @write, @string ...), in Redis 7.0's order: ACL CAT lists
// them in this order. A command's categories come from its CommandSpec's acl_categories text
// (the same text COMMAND INFO shows), turned into bits once at registration.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace eddy::acl {

inline constexpr std::array<std::string_view, 21> kCategoryNames = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

// The bit of a category name (without '@', case-insensitive); nullopt for an unknown one.
std::optional<std::uint32_t> category_bit(std::string_view name);

// The bits of a space-separated "@read @string @fast" list; an unknown name is a programming
// error (the command table is written by us).
std::uint32_t category_bits_of(std::string_view acl_categories);

}  // namespace eddy::acl
