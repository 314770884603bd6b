#pragma once
// Tests read replies with the client-side reader the simulator uses.

#include "net/resp/reply_reader.h"

namespace eddy::testing {
using resp::parse_replies;
using resp::parse_reply;
using resp::Reply;
}  // namespace eddy::testing
