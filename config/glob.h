// Glob-style matching with the exact semantics of Redis's stringmatchlen(): used by CONFIG GET
// and by KEYS / SCAN MATCH / PSUBSCRIBE in the server.
#pragma once

#include <string_view>

namespace tandem::config {

// '*' any run, '?' one byte, '[abc]' '[^abc]' '[a-z]' (reversed ranges like [z-a] work, an
// unterminated '[' treats the rest of the pattern as the set), '\x' a literal x (also inside
// brackets). With nocase, ASCII letters compare case-insensitively (except after '\' inside
// brackets, as in Redis). Patterns nesting '*' deeper than 1000 never match, as in Redis.
bool GlobMatch(std::string_view pattern, std::string_view s, bool nocase);

}  // namespace tandem::config
