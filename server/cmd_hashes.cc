// Hash commands. Registered rows appear here as the family is built; until then these
// commands answer -ERR unknown command, as a command tandem lacks must.
#include "server/command.h"

namespace tandem::server {

void RegisterHashCommands(CommandTable& /*table*/) {}

}  // namespace tandem::server
