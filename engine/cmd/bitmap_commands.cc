// The bitmap family (to be filled in).

#include "engine/cmd/command.h"

namespace eddy {

void register_bitmap_commands(CommandTable& table) { (void)table; }

}  // namespace eddy
