// libFuzzer target: what the server reads when it loads an AOF (server/aof.cc Aof::LoadFile):
// an optional RDB preamble through rdb::Load, then the RESP commands after it through aof::Scan.
// The same bytes also go through ParseManifest (the appendonly.aof.manifest file).
// Contracts checked besides "no crash, no hang":
// - every argument Scan hands out lies inside the data, and the valid prefix it reports scans
//   again to the same number of commands with no error (what tandem-check-aof --fix keeps);
// - a manifest that parses serializes to text that parses to the same files.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "storage/aof.h"
#include "storage/keyspace.h"
#include "storage/rdb.h"

namespace {

namespace st = tandem::storage;
namespace aof = tandem::storage::aof;

constexpr int64_t kNow = 1'700'000'000'000;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "aof_fuzz: %s\n", what);
  std::abort();
}

void FuzzCommands(std::string_view data) {
  std::string_view rest = data;
  if (aof::HasRdbPreamble(rest)) {
    st::rdb::LoadOptions opt;
    opt.now_ms = kNow;
    opt.drop_expired = false;
    opt.verify_checksum = false;
    st::Keyspace ks(16, [] { return kNow; });
    auto res = st::rdb::Load(rest, ks, opt);
    if (!res) return;
    if (res->bytes > rest.size()) Fail("the preamble consumed more bytes than given");
    rest = rest.substr(res->bytes);
  }
  const char* begin = rest.data();
  const char* end = rest.data() + rest.size();
  auto inside = [&](std::string_view s) { return s.data() >= begin && s.data() + s.size() <= end; };
  aof::ScanResult r = aof::Scan(
      rest,
      [&](std::span<const std::string_view> args) {
        if (args.empty()) Fail("a command with no arguments");
        for (std::string_view a : args) {
          if (!inside(a)) Fail("an argument outside the data");
        }
      },
      [&](std::string_view text) {
        if (!inside(text)) Fail("an annotation outside the data");
      });
  if (r.valid_bytes > rest.size()) Fail("valid_bytes past the end of the data");
  if (r.truncated && r.corrupt) Fail("both truncated and corrupt");
  if ((r.truncated || r.corrupt) == r.error.empty()) Fail("error text and flags disagree");
  const aof::ScanResult prefix = aof::Scan(rest.substr(0, r.valid_bytes), nullptr);
  if (prefix.truncated || prefix.corrupt || prefix.valid_bytes != r.valid_bytes ||
      prefix.commands != r.commands) {
    Fail("the valid prefix does not scan to the same commands");
  }
}

void FuzzManifest(std::string_view text) {
  auto m = aof::ParseManifest(text);
  if (!m) return;
  auto again = aof::ParseManifest(m->Serialize());
  if (!again || again->files.size() != m->files.size()) Fail("a manifest does not round-trip");
  for (size_t i = 0; i < m->files.size(); ++i) {
    const aof::ManifestEntry& a = m->files[i];
    const aof::ManifestEntry& b = again->files[i];
    if (a.name != b.name || a.seq != b.seq || a.type != b.type) {
      Fail("a manifest entry does not round-trip");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzCommands(input);
  FuzzManifest(input);
  return 0;
}
