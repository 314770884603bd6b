#pragma once
// AUTH and HELLO ... AUTH: checks a user name and password against the calling core's users
// and, when they match, makes the connection run as that user. A failure is logged for
// ACL LOG (reason "auth") and the caller answers WRONGPASS.

#include <string_view>

namespace eddy {
struct SessionContext;
}

namespace eddy::acl {

bool authenticate(SessionContext& ctx, std::string_view username, std::string_view password);

// Points the default user's passwords at `password` (none: nopass), as requirepass does,
// and publishes the change to every core.
void set_default_password(SessionContext& ctx, std::string_view password, bool none);

}  // namespace eddy::acl
