// The list family (to be filled in).

#include "engine/cmd/command.h"

namespace eddy {

void register_list_commands(CommandTable& table) { (void)table; }

}  // namespace eddy
