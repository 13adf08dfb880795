// libFuzzer target: the RDB loader, on the two ways untrusted RDB bytes come in.
// - An input starting with "REDIS" is a whole file (a dump.rdb, a replica's full sync, an AOF
//   preamble): rdb::Load, checksum off so that mutations reach the decoder. What loads must
//   survive a round trip: Save, then Load (checksum on) gives the same keys, types, TTLs and
//   contents (Redis's DEBUG DIGEST of each value).
// - Any other input is a RESTORE payload without its footer (<type><value>): the target appends
//   the RDB version and the CRC64, as DUMP would, so that mutations reach the value decoder
//   instead of stopping at the checksum. A payload that restores must DUMP and RESTORE again to
//   the same content.
// Huge declared lengths must be refused before any allocation: run with -malloc_limit_mb.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "storage/crc64.h"
#include "storage/digest.h"
#include "storage/keyspace.h"
#include "storage/rdb.h"
#include "storage/value.h"

namespace {

namespace st = tandem::storage;
namespace rdb = tandem::storage::rdb;

constexpr int64_t kNow = 1'700'000'000'000;

st::DigestBytes ValueDigest(const st::Value& v) {
  st::DigestBytes d{};
  const uint32_t type = static_cast<uint32_t>(v.type);
  st::MixDigest(d, &type, sizeof type);
  if (v.type == st::ObjType::kString) {
    st::MixDigest(d, v.str());
  } else {
    st::DigestAggregate(v, d);
  }
  return d;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "rdb_fuzz: %s\n", what.c_str());
  std::abort();
}

void FuzzFile(std::string_view data) {
  rdb::LoadOptions opt;
  opt.now_ms = kNow;
  opt.drop_expired = false;  // keep every key, so the round trip sees all of them
  opt.verify_checksum = false;
  st::Keyspace ks(16, [] { return kNow; });
  auto loaded = rdb::Load(data, ks, opt);
  if (!loaded) {
    if (loaded.error().offset > data.size()) Fail("error offset past the end of the data");
    return;
  }
  if (loaded->bytes > data.size()) Fail("consumed more bytes than given");

  rdb::SaveOptions so;
  so.now_ms = kNow;
  rdb::StringSink sink;
  if (auto saved = rdb::Save(ks, so, sink); !saved) Fail("Save failed: " + saved.error());
  st::Keyspace again(16, [] { return kNow; });
  opt.verify_checksum = true;
  auto reloaded = rdb::Load(sink.out, again, opt);
  if (!reloaded) {
    Fail("the saved RDB does not load: " + reloaded.error().what + " at offset " +
         std::to_string(reloaded.error().offset));
  }
  if (again.TotalKeys() != ks.TotalKeys()) Fail("the round trip changed the number of keys");
  for (int i = 0; i < ks.databases(); ++i) {
    st::Db& other = again.db(i);
    ks.db(i).ForEach([&](st::Entry* e) {
      st::Entry* o = other.FindRaw(e->key());
      if (o == nullptr) Fail("the round trip lost a key");
      if (other.ExpireOf(o) != ks.db(i).ExpireOf(e)) Fail("the round trip changed a TTL");
      if (ValueDigest(o->value) != ValueDigest(e->value)) {
        Fail("the round trip changed the value of a key");
      }
    });
  }
}

void FuzzRestore(std::string_view body) {
  std::string payload(body);
  payload += static_cast<char>(rdb::kRdbVersion);
  payload += '\0';
  const uint64_t crc = st::Crc64(0, payload.data(), payload.size());
  for (int i = 0; i < 8; ++i) payload += static_cast<char>(crc >> (8 * i));
  const rdb::EncodingLimits limits;
  auto v = rdb::RestorePayload(payload, limits);
  if (!v) return;
  const std::string dumped = rdb::DumpPayload(*v);
  auto again = rdb::RestorePayload(dumped, limits);
  if (!again) Fail("DUMP of a restored value does not RESTORE: " + again.error());
  if (ValueDigest(*again) != ValueDigest(*v)) Fail("DUMP/RESTORE changed a value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.starts_with("REDIS")) {
    FuzzFile(input);
  } else {
    FuzzRestore(input);
  }
  return 0;
}
