#pragma once
// The aclfile: one "user <name> <rule> <rule> ..." line per user, as Redis reads and writes it.
// Loading is all or nothing: any bad line leaves the users as they were and the error names
// the file and the line. Text in, text out: the callers do the file I/O (eddy-server's start-up
// reads the file itself; ACL LOAD and ACL SAVE go through the runtime's Disk).

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/acl/registry.h"

namespace eddy::acl {

// An aclfile larger than this is refused rather than read into memory.
inline constexpr std::size_t kAclFileBytesMax = 64 * 1024 * 1024;

// Replaces every user with the file's (a file without "default" gets a fresh default user).
// The default user keeps its identity, so its connections stay; every other user is new, so
// connections logged in as one are closed when published, as Redis's ACL LOAD does. False
// with Redis's error text (without "ERR ") when any line is bad.
bool load_users(Registry& registry, std::string_view text, std::string_view filename,
                std::string* errors);

// The file's text for the users of `directory`.
std::string users_file_text(const UserDirectory& directory);

}  // namespace eddy::acl
