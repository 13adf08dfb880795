// tandem-check-rdb <dump.rdb>: loads the file with tandem's RDB reader and reports the keys, the
// aux fields, or the first bad offset and what is wrong. Exit status 0 when valid.
#include <fmt/format.h>

#include <string_view>

#include "storage/keyspace.h"
#include "storage/rdb.h"

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    fmt::print("Usage: {} <dump.rdb>\n", argv[0]);
    return 0;
  }
  if (argc != 2) {
    fmt::print("Usage: {} <dump.rdb>\n", argv[0]);
    return 1;
  }
  tandem::storage::Keyspace ks(16, [] { return int64_t{0}; });
  tandem::storage::rdb::LoadOptions opt;
  opt.drop_expired = false;
  auto r = tandem::storage::rdb::LoadFile(argv[1], ks, opt);
  if (!r) {
    fmt::print("[offset {}] {}\n", r.error().offset, r.error().what);
    fmt::print("RDB ERROR DETECTED in {}\n", argv[1]);
    return 1;
  }
  for (const auto& [k, v] : r->aux.all) fmt::print("[info] aux {} = '{}'\n", k, v);
  fmt::print("[info] {} keys read, {} bytes\n", r->keys, r->bytes);
  fmt::print("\\o/ RDB looks OK! \\o/\n");
  return 0;
}
