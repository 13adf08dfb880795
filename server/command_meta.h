// Command introspection data (COMMAND INFO / COMMAND DOCS) for the commands tandem implements,
// taken from Redis 7.0.15 by gen_command_meta.py. Subcommands tandem lacks are filtered out.
#pragma once

#include <string_view>

#include "resp/value.h"

namespace tandem::server {

class CommandTable;

struct CommandMeta {
  resp::Value info;  // the COMMAND INFO entry
  resp::Value docs;  // the COMMAND DOCS value (a map)
};

// Metadata for a top-level command name (lower case), filtered to `table`; null if unknown.
const CommandMeta* FindCommandMeta(const CommandTable& table, std::string_view name);

}  // namespace tandem::server
