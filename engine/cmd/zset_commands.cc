// The zset family (to be filled in).

#include "engine/cmd/command.h"

namespace eddy {

void register_zset_commands(CommandTable& table) { (void)table; }

}  // namespace eddy
