// The hyperloglog family (to be filled in).

#include "engine/cmd/command.h"

namespace eddy {

void register_hyperloglog_commands(CommandTable& table) { (void)table; }

}  // namespace eddy
