// The hash family (to be filled in).

#include "engine/cmd/command.h"

namespace eddy {

void register_hash_commands(CommandTable& table) { (void)table; }

}  // namespace eddy
