// tandem-check-aof [--fix] <file.manifest | appendonlydir | single file>
// Walks every file the manifest names (or the one file), reports the first bad offset and what
// is wrong, and with --fix truncates the last file at the end of its last whole command (as
// redis-check-aof --fix does). Exit status: 0 valid (or fixed), 1 invalid.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/aof.h"
#include "storage/file_io.h"
#include "storage/keyspace.h"
#include "storage/rdb.h"

namespace aof = tandem::storage::aof;
namespace fs = std::filesystem;

namespace {

// Returns true when the file is valid; `cut` is set to the valid length when it is not.
bool CheckFile(const std::string& path, bool last, bool fix) {
  std::string data;
  if (!tandem::storage::ReadFile(path, data)) {
    fmt::print("Cannot open {}: {}\n", path, strerror(errno));
    return false;
  }
  size_t preamble = 0;
  if (aof::HasRdbPreamble(data)) {
    tandem::storage::Keyspace ks(16, [] { return int64_t{0}; });
    tandem::storage::rdb::LoadOptions opt;
    opt.drop_expired = false;
    auto r = tandem::storage::rdb::Load(data, ks, opt);
    if (!r) {
      fmt::print("{}: RDB preamble is invalid at offset {}: {}\n", path, r.error().offset,
                 r.error().what);
      return false;
    }
    preamble = r->bytes;
    fmt::print("{}: RDB preamble is OK ({} keys)\n", path, r->keys);
  }
  aof::ScanResult s = aof::Scan(std::string_view(data).substr(preamble), nullptr);
  size_t valid = preamble + s.valid_bytes;
  if (!s.truncated && !s.corrupt) {
    fmt::print("{}: AOF is valid ({} commands, {} bytes)\n", path, s.commands, data.size());
    return true;
  }
  fmt::print("{}: AOF {} at offset {}: {}\n", path, s.truncated ? "is truncated" : "is corrupt",
             valid, s.error);
  fmt::print("AOF analyzed: filename={}, size={}, ok_up_to={}, diff={}\n", path, data.size(), valid,
             data.size() - valid);
  if (!fix) return false;
  if (!last && s.corrupt) {
    fmt::print("Only the last file may be truncated; fix {} by hand.\n", path);
    return false;
  }
  if (::truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
    fmt::print("Failed to truncate {}: {}\n", path, strerror(errno));
    return false;
  }
  fmt::print("Successfully truncated AOF {}\n", path);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string target;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fix") {
      fix = true;
    } else if (a == "--help" || a == "-h") {
      fmt::print("Usage: {} [--fix] <file.manifest|appendonlydir|file.aof>\n", argv[0]);
      return 0;
    } else {
      target = a;
    }
  }
  if (target.empty()) {
    fmt::print("Usage: {} [--fix] <file.manifest|appendonlydir|file.aof>\n", argv[0]);
    return 1;
  }
  std::vector<std::string> files;
  fs::path p(target);
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p)) {
      if (e.path().extension() == ".manifest") p = e.path();
    }
  }
  if (p.extension() == ".manifest") {
    std::string text;
    if (!tandem::storage::ReadFile(p.string(), text)) {
      fmt::print("Cannot open {}\n", p.string());
      return 1;
    }
    auto m = aof::ParseManifest(text);
    if (!m) {
      fmt::print("{}: {}\n", p.string(), m.error());
      return 1;
    }
    if (const aof::ManifestEntry* b = m->base())
      files.push_back((p.parent_path() / b->name).string());
    for (const aof::ManifestEntry* e : m->incrs())
      files.push_back((p.parent_path() / e->name).string());
  } else {
    files.push_back(p.string());
  }
  for (size_t i = 0; i < files.size(); ++i) {
    if (!CheckFile(files[i], i + 1 == files.size(), fix)) return 1;
  }
  return 0;
}
