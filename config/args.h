// Argument splitting, number parsing and value rendering shared by the config file loader,
// CONFIG GET/SET/REWRITE and the command line. Every function mirrors one Redis 7.0 helper so
// that what tandem accepts and prints is byte-for-byte what redis-server accepts and prints.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::config {

// Splits one line the way Redis's sdssplitargs() does: blanks separate tokens; "double quotes"
// understand \n \r \t \b \a \\ \" and \xHH; 'single quotes' understand only \'; a closing quote
// must be followed by a blank or the end of the line. The line ends at the first NUL byte, as
// the C original does. An empty or all-blank line gives an empty vector. The only error is
// "unbalanced quotes".
std::expected<std::vector<std::string>, std::string> SplitArgs(std::string_view line);

// Splits on every single space like Redis's sdssplitlen(value, " "): "a  b" gives {"a","","b"}
// and "" gives {}. CONFIG SET uses this for multi-argument options ("save", "bind", ...).
std::vector<std::string> SplitOnSpaces(std::string_view value);

// Parses a memory value like Redis's memtoull(): digits followed by an optional unit among
// b k kb m mb g gb (case-insensitive; k = 1000, kb = 1024, ...). A leading '-' is rejected,
// an empty number means 0 ("" and "gb" are 0, as in Redis). Values above LLONG_MAX are
// rejected (Redis accepts up to ULLONG_MAX; no tandem option needs that range).
std::expected<long long, std::string> ParseMemory(std::string_view s);

// Strict integer parsing like Redis's string2ll(): optional '-', no '+', no blanks, no leading
// zeros, no "-0", no overflow.
std::expected<long long, std::string> ParseLongLong(std::string_view s);

// CONFIG REWRITE's rendering of a byte count (rewriteConfigFormatMemory): the largest of gb, mb,
// kb that divides it exactly, else plain bytes. 0 prints as "0". CONFIG GET prints plain bytes.
std::string FormatMemory(long long bytes);

// Quotes a string like Redis's sdscatrepr(): "..." with \\ \" \n \r \t \a \b escaped and other
// non-printable bytes as \xHH. CONFIG REWRITE uses it for string options.
std::string Repr(std::string_view s);

// One word of a CONFIG REWRITE line: `s` as it is when SplitArgs reads it back unchanged (what
// Redis writes), else Repr(s). Redis writes hosts, names and addresses raw, so an empty value or
// one with a blank, a quote or a non-printable byte made a line that no longer loaded, or loaded
// something else.
std::string RewriteWord(std::string_view s);

// Formats a double as "%f" with trailing zeros (and a trailing '.') removed, as Redis prints
// latency-tracking-info-percentiles.
std::string FormatTrimmedDouble(double value);

// ASCII lower-casing (directive names are case-insensitive).
std::string ToLower(std::string_view s);
bool EqualsNoCase(std::string_view a, std::string_view b);

}  // namespace tandem::config
