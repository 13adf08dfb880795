#include "storage/rdb.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "storage/crc64.h"
#include "storage/digest.h"
#include "storage/file_io.h"
#include "storage/hash.h"
#include "storage/keyspace.h"
#include "storage/list.h"
#include "storage/lzf.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace tandem::storage::rdb {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // fixed clock for every test keyspace

Keyspace NewKeyspace() {
  return Keyspace(16, [] { return kNow; });
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(TANDEM_RDB_FIXTURES_DIR) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string Join(std::vector<std::string> v, bool sort) {
  if (sort) std::sort(v.begin(), v.end());
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += v[i];
  }
  return out;
}

// The content of one value as make_fixtures.sh's canon() prints it from redis-cli replies.
std::string CanonValue(const Value& v) {
  std::vector<std::string> parts;
  switch (v.type) {
    case ObjType::kString:
      return Hex(v.str());
    case ObjType::kList:
      for (const auto& s : v.As<ListObject>().items()) parts.push_back(Hex(s));
      return Join(parts, false);
    case ObjType::kSet:
      v.As<SetObject>().ForEach([&](std::string_view m) { parts.push_back(Hex(m)); });
      return Join(parts, true);
    case ObjType::kHash:
      HashView(v).ForEach([&](std::string_view f, std::string_view val) {
        parts.push_back(Hex(f) + ":" + Hex(val));
      });
      return Join(parts, true);
    case ObjType::kZSet:
      ZSet::Read(v).ForEach(
          [&](std::string_view m, double s) { parts.push_back(Hex(m) + ":" + FormatScore(s)); });
      return Join(parts, false);
    case ObjType::kStream:
      break;
  }
  return "?";
}

std::string CanonLine(int db, const Db& d, const Entry& e) {
  return "db=" + std::to_string(db) + " key=" + Hex(e.key()) +
         " type=" + std::string(TypeName(e.value.type)) +
         " enc=" + std::string(EncodingName(e.value.encoding)) +
         " exp=" + std::to_string(d.ExpireOf(&e)) + " val=" + CanonValue(e.value);
}

// One sorted line per key: db, key, type, encoding, expire and content.
std::string Canon(Keyspace& ks) {
  std::vector<std::string> lines;
  for (int i = 0; i < ks.databases(); ++i) {
    ks.db(i).ForEach([&](Entry* e) { lines.push_back(CanonLine(i, ks.db(i), *e)); });
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// DEBUG DIGEST-style digest of the whole keyspace (order independent).
std::string DatasetDigest(Keyspace& ks) {
  DigestBytes all{};
  for (int i = 0; i < ks.databases(); ++i) {
    ks.db(i).ForEach([&](Entry* e) {
      DigestBytes d{};
      MixDigest(d, e->key());
      const uint32_t t = RedisTypeCode(static_cast<uint8_t>(e->value.type));
      MixDigest(d, &t, sizeof t);
      if (e->value.type == ObjType::kString) {
        MixDigest(d, e->value.str());
      } else {
        DigestAggregate(e->value, d);
      }
      if (ks.db(i).HasExpire(e)) MixDigest(d, "!!expire!!");
      for (size_t k = 0; k < d.size(); ++k) all[k] ^= d[k];
    });
  }
  return HexDigest(all);
}

std::string SaveToString(Keyspace& ks, SaveOptions opt = {}) {
  if (opt.now_ms == 0) opt.now_ms = kNow;
  StringSink sink;
  auto r = Save(ks, opt, sink);
  REQUIRE_MESSAGE(r.has_value(), r.error());
  return sink.out;
}

// A keyspace with every type in every encoding, several dbs and TTLs.
void Fill(Keyspace& ks) {
  Db& db = ks.db(0);
  db.Set("s:int", Value::String("12345"));
  db.Set("s:big-int", Value::String("-9223372036854775808"));
  db.Set("s:lead0", Value::String("0012"));
  db.Set("s:empty", Value::String(""));
  db.Set("s:lzf", Value::String(std::string(500, 'a') + "tail"));
  std::string bin;
  for (int i = 0; i < 1000; ++i) bin += static_cast<char>((i * 131) & 0xff);
  db.Set("s:bin", Value::RawString(bin));
  db.SetExpire(db.Set("s:ttl", Value::String("x")), kNow + 60'000);

  Value list = ListObject::NewValue();
  for (int i = 0; i < 3000; ++i) list.As<ListObject>().PushBack(std::to_string(i * 7 - 1000));
  list.As<ListObject>().PushBack(std::string(10'000, 'L'));
  list.As<ListObject>().PushBack("after-big");
  db.Set("l:big", std::move(list));
  Value small = ListObject::NewValue();
  for (const char* s : {"a", "", "-1", "4095", "x"}) small.As<ListObject>().PushBack(s);
  db.Set("l:small", std::move(small));

  auto iset = SetObject::CreateFor("1");
  for (int i = 0; i < 100; ++i) iset->Add(std::to_string(i * 1'000'003 - 5), 512);
  db.Set("set:int", SetObject::Wrap(std::move(iset)));
  auto hset = SetObject::CreateFor("a");
  for (int i = 0; i < 100; ++i) hset->Add("m" + std::to_string(i), 512);
  db.Set("set:ht", SetObject::Wrap(std::move(hset)));

  HashLimits hl{512, 64};
  Value h1 = Hash::NewValue();
  Hash(h1).Set("f", "v", hl);
  Hash(h1).Set("n", "-77", hl);
  db.Set("h:lp", std::move(h1));
  Value h2 = Hash::NewValue();
  for (int i = 0; i < 700; ++i) Hash(h2).Set("f" + std::to_string(i), "v", hl);
  db.Set("h:ht", std::move(h2));

  ZSetLimits zl{128, 64};
  Value z1 = ZSet::NewValue(Encoding::kListpack);
  ZSet(z1).Insert("a", 1.5, zl);
  ZSet(z1).Insert("b", -std::numeric_limits<double>::infinity(), zl);
  ZSet(z1).Insert("c", 1e18, zl);
  ZSet(z1).Insert("d", 0.1, zl);
  db.Set("z:lp", std::move(z1));
  Value z2 = ZSet::NewValue(Encoding::kSkiplist);
  for (int i = 0; i < 200; ++i) ZSet(z2).Insert("m" + std::to_string(i), i / 3.0, zl);
  db.Set("z:sl", std::move(z2));

  Db& db3 = ks.db(3);
  db3.SetExpire(db3.Set("in3", Value::String("three")), kNow + 1);
  ks.db(15).Set("in15", Value::Integer(15));
}

// A tiny file for the corruption tests: header, aux, one db with a few small keys.
std::string SmallFile(bool checksum = true) {
  Keyspace ks = NewKeyspace();
  ks.db(0).Set("k", Value::String("value-one"));
  Value l = ListObject::NewValue();
  l.As<ListObject>().PushBack("x");
  l.As<ListObject>().PushBack("12");
  ks.db(0).Set("list", std::move(l));
  HashLimits hl;
  Value h = Hash::NewValue();
  Hash(h).Set("f", "v", hl);
  ks.db(0).Set("h", std::move(h));
  ks.db(0).SetExpire(ks.db(0).Set("t", Value::String("1")), kNow + 5000);
  SaveOptions opt;
  opt.checksum = checksum;
  return SaveToString(ks, opt);
}

// Appends RDB length / string encodings for hand-built files.
std::string Len(uint64_t n) {
  std::string out;
  if (n < 64) {
    out += static_cast<char>(n);
  } else if (n < 16384) {
    out += static_cast<char>(0x40 | (n >> 8));
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(0x81);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  return out;
}
std::string Str(std::string_view s) { return Len(s.size()) + std::string(s); }

// "REDIS0010" + SELECTDB 0 + body + EOF + a correct checksum.
std::string HandFile(const std::string& body) {
  std::string f = "REDIS0010";
  f += '\xfe';
  f += Len(0);
  f += body;
  f += '\xff';
  const uint64_t crc = Crc64(0, f.data(), f.size());
  for (int i = 0; i < 8; ++i) f += static_cast<char>((crc >> (8 * i)) & 0xff);
  return f;
}

// ---------------------------------------------------------------------------------------------

TEST_CASE("crc64: Redis's check value and chunked updates") {
  CHECK(Crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64(0, "", 0) == 0);
  std::mt19937_64 rng(7);
  std::string data(1000, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  const uint64_t whole = Crc64(0, data.data(), data.size());
  for (size_t split : {0, 1, 7, 8, 9, 500, 999}) {
    uint64_t c = Crc64(0, data.data(), split);
    CHECK(Crc64(c, data.data() + split, data.size() - split) == whole);
  }
}

TEST_CASE("lzf: round trip of random compressible and incompressible data") {
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 300; ++iter) {
    const size_t n = 1 + rng() % 5000;
    std::string in(n, '\0');
    const int alphabet = 1 + static_cast<int>(rng() % 255);
    for (size_t i = 0; i < n; ++i) {
      // Mix fresh bytes with copies from earlier positions (long and overlapping matches).
      if (i > 10 && rng() % 4 == 0) {
        in[i] = in[i - 1 - rng() % std::min<size_t>(i - 1, 9000)];
      } else {
        in[i] = static_cast<char>(rng() % static_cast<uint64_t>(alphabet));
      }
    }
    std::string out(n + n / 16 + 64, '\0');
    const size_t c = lzf::Compress(in.data(), n, out.data(), out.size());
    REQUIRE(c > 0);
    std::string back(n, '\0');
    REQUIRE(lzf::Decompress(out.data(), c, back.data(), n) == n);
    CHECK(back == in);
    // Too small an output buffer reports failure instead of overflowing.
    if (c > 1) CHECK(lzf::Compress(in.data(), n, out.data(), c - 1) == 0);
  }
}

TEST_CASE("lzf: corrupt input is rejected without overruns") {
  char out[16];
  // A back reference before the start of the output.
  const char bad_ref[] = {'\x20', '\x05'};
  CHECK(lzf::Decompress(bad_ref, 2, out, sizeof out) == 0);
  // A literal run longer than the input.
  const char short_lit[] = {'\x05', 'a', 'b'};
  CHECK(lzf::Decompress(short_lit, 3, out, sizeof out) == 0);
  // Output larger than the buffer.
  const char lit[] = {'\x03', 'a', 'b', 'c', 'd'};
  CHECK(lzf::Decompress(lit, 5, out, 3) == 0);
  CHECK(lzf::Decompress(lit, 5, out, 4) == 4);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(1 + rng() % 40, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    (void)lzf::Decompress(junk.data(), junk.size(), out, sizeof out);  // must not crash
  }
}

TEST_CASE("listpack: encode/decode matches a model over random values") {
  std::mt19937_64 rng(3);
  auto random_value = [&]() -> std::string {
    switch (rng() % 9) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng() % 128));
      case 1:
        return std::to_string(static_cast<int64_t>(rng() % 8192) - 4096);
      case 2:
        return std::to_string(static_cast<int64_t>(rng() % 65536) - 32768);
      case 3:
        return std::to_string(static_cast<int64_t>(rng() % (1 << 24)) - (1 << 23));
      case 4:
        return std::to_string(static_cast<int64_t>(rng()));
      case 5: {
        static const char* kOdd[] = {
            "-0", "01", "+1", " 1", "1 ", "", "-", "9223372036854775808", "-9223372036854775809"};
        return kOdd[rng() % 9];
      }
      case 6: {
        static const size_t kEdges[] = {63, 64, 4095, 4096};
        return std::string(kEdges[rng() % 4], 'e');
      }
      default: {
        std::string s(rng() % 200, '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        return s;
      }
    }
  };
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<std::string> model(rng() % 50);
    for (auto& v : model) v = random_value();
    const std::string lp = EncodeListpack(model);
    auto back = DecodeListpack(lp);
    REQUIRE_MESSAGE(back.has_value(), back.error());
    CHECK(*back == model);
  }
  // Exact bytes for a few encodings (lpEncodeGetType, lpEncodeBacklen).
  CHECK(Hex(EncodeListpack({"5", "-1", "a", "300"})) == "1200000004000501dfff02816102c12c02ff");
  // More than 65535 elements: the header count reads "unknown".
  std::vector<std::string> many(70000, "1");
  const std::string big = EncodeListpack(many);
  CHECK(static_cast<uint8_t>(big[4]) == 0xff);
  CHECK(static_cast<uint8_t>(big[5]) == 0xff);
  REQUIRE(DecodeListpack(big).has_value());
  CHECK(DecodeListpack(big)->size() == 70000);
}

TEST_CASE("listpack: malformed blobs are rejected") {
  const std::string good = EncodeListpack({"abc", "12", std::string(200, 'z')});
  REQUIRE(DecodeListpack(good).has_value());
  for (size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(DecodeListpack(good.substr(0, n)).has_value());
  }
  std::mt19937_64 rng(9);
  for (int i = 0; i < 3000; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    (void)DecodeListpack(bad);  // must not crash; most flips are detected
  }
  std::string wrong_count = good;
  wrong_count[4] = 2;
  CHECK_FALSE(DecodeListpack(wrong_count).has_value());
}

TEST_CASE("intset: encode/decode matches a model, width as the values need") {
  std::mt19937_64 rng(4);
  for (int iter = 0; iter < 200; ++iter) {
    std::vector<int64_t> model(1 + rng() % 100);
    const int width_class = static_cast<int>(rng() % 3);
    for (auto& v : model) {
      const auto r = static_cast<int64_t>(rng());
      v = width_class == 0 ? r % 30000 : width_class == 1 ? r % 2'000'000'000 : r;
    }
    const std::string blob = EncodeIntset(model);
    std::sort(model.begin(), model.end());
    model.erase(std::unique(model.begin(), model.end()), model.end());
    auto back = DecodeIntset(blob);
    REQUIRE_MESSAGE(back.has_value(), back.error());
    CHECK(*back == model);
    const auto [lo, hi] = std::minmax_element(model.begin(), model.end());
    const uint8_t width = static_cast<uint8_t>(blob[0]);
    if (*lo >= -32768 && *hi <= 32767) {
      CHECK(width == 2);
    } else if (*lo >= std::numeric_limits<int32_t>::min() &&
               *hi <= std::numeric_limits<int32_t>::max()) {
      CHECK(width == 4);
    } else {
      CHECK(width == 8);
    }
  }
  CHECK_FALSE(DecodeIntset(EncodeIntset({})).has_value());  // empty intsets are corrupt
  std::string unsorted = EncodeIntset({1, 2});
  std::swap(unsorted[8], unsorted[10]);
  CHECK_FALSE(DecodeIntset(unsorted).has_value());
  CHECK_FALSE(DecodeIntset(EncodeIntset({1, 2}).substr(0, 11)).has_value());
}

TEST_CASE("rdb: loads a stock Redis 7.0 file with every type and encoding") {
  const std::string expected = ReadFixture("expected.txt");
  for (const char* name : {"all_types.rdb", "all_types_plain.rdb"}) {
    CAPTURE(name);
    const std::string data = ReadFixture(name);
    Keyspace ks = NewKeyspace();
    auto r = Load(data, ks, LoadOptions{});
    REQUIRE_MESSAGE(r.has_value(), r.error().what << " at " << r.error().offset);
    CHECK(r->bytes == data.size());
    CHECK(r->expired_skipped == 0);
    CHECK(r->keys == ks.TotalKeys());
    CHECK(Canon(ks) == expected);
    bool saw_version = false;
    for (const auto& [k, v] : r->aux.all) saw_version |= k == "redis-ver" && v == "7.0.15";
    CHECK(saw_version);
  }
}

TEST_CASE("rdb: loads legacy ziplist, zipmap, intset and quicklist forms like Redis 7.0") {
  const std::string data = ReadFixture("legacy.rdb");
  Keyspace ks = NewKeyspace();
  auto r = Load(data, ks, LoadOptions{});
  REQUIRE_MESSAGE(r.has_value(), r.error().what << " at " << r.error().offset);
  CHECK(Canon(ks) == ReadFixture("legacy_expected.txt"));
}

TEST_CASE("rdb: RESTORE of stock Redis DUMP payloads, and DUMP reproduces Redis's bytes") {
  std::istringstream lines(ReadFixture("dumps.txt"));
  Keyspace ref = NewKeyspace();
  REQUIRE(Load(ReadFixture("all_types.rdb"), ref, LoadOptions{}).has_value());
  std::string line;
  int checked = 0;
  int identical = 0;
  while (std::getline(lines, line)) {
    const size_t sp = line.find(' ');
    const std::string key = Unhex(line.substr(0, sp));
    const std::string payload = Unhex(line.substr(sp + 1));
    CAPTURE(key);
    auto v = RestorePayload(payload, EncodingLimits{});
    REQUIRE_MESSAGE(v.has_value(), v.error());
    Entry* e = ref.db(0).FindRaw(key);
    REQUIRE(e != nullptr);
    CHECK(CanonValue(*v) == CanonValue(e->value));
    CHECK(v->encoding == e->value.encoding);
    // Everything whose layout does not depend on hash-table order is byte-identical.
    const bool ordered = !(v->type == ObjType::kSet && v->encoding == Encoding::kHashtable) &&
                         !(v->type == ObjType::kHash && v->encoding == Encoding::kHashtable);
    if (ordered) {
      CHECK(Hex(DumpPayload(*v)) == Hex(payload));
      ++identical;
    }
    ++checked;
  }
  CHECK(checked >= 25);
  CHECK(identical >= 20);
}

TEST_CASE("rdb: RESTORE rejects a wrong version, a wrong checksum and bad data") {
  const std::string good = DumpPayload(Value::String("hello"));
  REQUIRE(RestorePayload(good, {}).has_value());
  CHECK(RestorePayload(good, {})->str() == "hello");
  std::string bad_crc = good;
  bad_crc.back() ^= 1;
  CHECK(RestorePayload(bad_crc, {}).error() == "DUMP payload version or checksum are wrong");
  CHECK(RestorePayload("short", {}).error() == "DUMP payload version or checksum are wrong");
  // Version 11 with a correct CRC.
  std::string v11 = good.substr(0, good.size() - 10) + std::string("\x0b\x00", 2);
  const uint64_t crc = Crc64(0, v11.data(), v11.size());
  for (int i = 0; i < 8; ++i) v11 += static_cast<char>((crc >> (8 * i)) & 0xff);
  CHECK(RestorePayload(v11, {}).error() == "DUMP payload version or checksum are wrong");
  // A body that does not parse, with a correct footer.
  std::string junk = std::string("\x04\x05", 2) + std::string("\x0a\x00", 2);
  const uint64_t jcrc = Crc64(0, junk.data(), junk.size());
  for (int i = 0; i < 8; ++i) junk += static_cast<char>((jcrc >> (8 * i)) & 0xff);
  CHECK(RestorePayload(junk, {}).error() == "Bad data format");
}

TEST_CASE("rdb: save then load round trips every type in every encoding") {
  Keyspace ks = NewKeyspace();
  Fill(ks);
  for (bool compression : {true, false}) {
    for (bool checksum : {true, false}) {
      CAPTURE(compression);
      CAPTURE(checksum);
      SaveOptions opt;
      opt.compression = compression;
      opt.checksum = checksum;
      const std::string file = SaveToString(ks, opt);
      Keyspace back = NewKeyspace();
      auto r = Load(file, back, LoadOptions{});
      REQUIRE_MESSAGE(r.has_value(), r.error().what << " at " << r.error().offset);
      CHECK(r->bytes == file.size());
      CHECK(Canon(back) == Canon(ks));
      CHECK(DatasetDigest(back) == DatasetDigest(ks));
      if (!checksum) CHECK(file.substr(file.size() - 8) == std::string(8, '\0'));
    }
  }
  // LZF really was used for the compressible string and the big list.
  SaveOptions off;
  off.compression = false;
  CHECK(SaveToString(ks).size() < SaveToString(ks, off).size());
}

TEST_CASE("rdb: a Redis file saved again by tandem loads back the same") {
  Keyspace ks = NewKeyspace();
  REQUIRE(Load(ReadFixture("all_types.rdb"), ks, LoadOptions{}).has_value());
  const std::string file = SaveToString(ks);
  Keyspace back = NewKeyspace();
  REQUIRE(Load(file, back, LoadOptions{}).has_value());
  CHECK(Canon(back) == ReadFixture("expected.txt"));
}

TEST_CASE("rdb: the file layout: magic, aux fields, SELECTDB/RESIZEDB, expiry, EOF, CRC") {
  Keyspace ks = NewKeyspace();
  ks.db(2).SetExpire(ks.db(2).Set("k", Value::String("v")), 0x0102030405LL);
  SaveOptions opt;
  opt.repl_id = std::string(40, 'a');
  opt.repl_offset = 1234;
  opt.repl_stream_db = 2;
  opt.used_mem = 999;
  opt.aof_base = 1;
  const std::string f = SaveToString(ks, opt);
  CHECK(f.substr(0, 9) == "REDIS0010");
  const std::string tail =
      std::string("\xfe\x02\xfb\x01\x01\xfc\x05\x04\x03\x02\x01\x00\x00\x00\x00\x01k\x01v\xff", 20);
  CHECK(f.find(tail) != std::string::npos);
  Keyspace loaded = NewKeyspace();
  auto r = Load(f, loaded, LoadOptions{});
  REQUIRE(r.has_value());
  CHECK(r->aux.repl_id == opt.repl_id);
  CHECK(r->aux.repl_offset == 1234);
  CHECK(r->aux.repl_stream_db == 2);
  CHECK(r->aux.aof_base);
  std::vector<std::string> names;
  for (const auto& [k, v] : r->aux.all) names.push_back(k);
  CHECK(names == std::vector<std::string>{"redis-ver", "redis-bits", "ctime", "used-mem",
                                          "repl-stream-db", "repl-id", "repl-offset", "aof-base"});
  const uint64_t crc = Crc64(0, f.data(), f.size() - 8);
  std::string want;
  for (int i = 0; i < 8; ++i) want += static_cast<char>((crc >> (8 * i)) & 0xff);
  CHECK(f.substr(f.size() - 8) == want);
}

TEST_CASE("rdb: encodings on load follow the limits, as rdbLoadObject decides them") {
  Keyspace ks = NewKeyspace();
  Fill(ks);
  const std::string file = SaveToString(ks);
  EncodingLimits tight;
  tight.hash_max_listpack_entries = 1;
  tight.zset_max_listpack_entries = 2;
  tight.set_max_intset_entries = 10;
  Keyspace back = NewKeyspace();
  LoadOptions tight_opt;
  tight_opt.limits = tight;
  REQUIRE(Load(file, back, tight_opt).has_value());
  Db& db = back.db(0);
  CHECK(db.FindRaw("h:lp")->value.encoding == Encoding::kHashtable);  // 2 entries > 1
  CHECK(db.FindRaw("z:lp")->value.encoding == Encoding::kSkiplist);   // 4 entries > 2
  CHECK(db.FindRaw("set:int")->value.encoding == Encoding::kHashtable);
  CHECK(Canon(back) != Canon(ks));                  // encodings differ...
  CHECK(DatasetDigest(back) == DatasetDigest(ks));  // ...content does not

  EncodingLimits loose;
  loose.hash_max_listpack_entries = 100000;
  loose.hash_max_listpack_value = 100000;
  loose.zset_max_listpack_entries = 1000;
  Keyspace back2 = NewKeyspace();
  LoadOptions loose_opt;
  loose_opt.limits = loose;
  REQUIRE(Load(file, back2, loose_opt).has_value());
  CHECK(back2.db(0).FindRaw("z:sl")->value.encoding == Encoding::kListpack);  // ZSET_2 fits
  CHECK(back2.db(0).FindRaw("h:ht")->value.encoding == Encoding::kListpack);  // HASH fits

  // A HASH (type 4) with a value longer than hash-max-listpack-value becomes a hash table.
  const std::string body =
      std::string("\x04", 1) + Str("h") + Len(1) + Str("f") + Str(std::string(65, 'v'));
  Keyspace k3 = NewKeyspace();
  REQUIRE(Load(HandFile(body), k3, LoadOptions{}).has_value());
  CHECK(k3.db(0).FindRaw("h")->value.encoding == Encoding::kHashtable);
}

TEST_CASE("rdb: expired keys are skipped on a master and kept on a replica") {
  Keyspace ks = NewKeyspace();
  ks.db(0).SetExpire(ks.db(0).Set("old", Value::String("x")), kNow - 1);
  ks.db(0).SetExpire(ks.db(0).Set("new", Value::String("y")), kNow + 1);
  ks.db(0).Set("forever", Value::String("z"));
  const std::string file = SaveToString(ks);
  LoadOptions master;
  master.now_ms = kNow;
  Keyspace a = NewKeyspace();
  auto ra = Load(file, a, master);
  REQUIRE(ra.has_value());
  CHECK(ra->keys == 2);
  CHECK(ra->expired_skipped == 1);
  CHECK(a.db(0).FindRaw("old") == nullptr);
  CHECK(a.db(0).ExpireOf(a.db(0).FindRaw("new")) == kNow + 1);
  LoadOptions replica = master;
  replica.drop_expired = false;
  Keyspace b = NewKeyspace();
  auto rb = Load(file, b, replica);
  REQUIRE(rb.has_value());
  CHECK(rb->keys == 3);
  CHECK(b.db(0).ExpireOf(b.db(0).FindRaw("old")) == kNow - 1);
}

TEST_CASE("rdb: a negative expire time loads as already expired, and the key can be deleted") {
  // Found by rdb_fuzz (tests/fuzz/corpus/rdb/negative-expire): the key entered the expiry index
  // with its negative time, which the keyspace reads as "no TTL", so deleting the key left a
  // dangling pointer in the index. Redis keeps such a key as expired (-1 alone means no TTL).
  const std::string magic = Unhex("524544495330303039");                      // REDIS0009
  const std::string key = Unhex("00016b0176");                                // string "k" = "v"
  const std::string tail = Unhex("ff0000000000000000");                       // EOF, no checksum
  const std::string secs = magic + Unhex("fd0094a9af") + key + tail;          // EXPIRETIME < 0
  const std::string ms = magic + Unhex("fc3bffffffffffffff") + key + tail;    // EXPIRETIME_MS -197
  const std::string none = magic + Unhex("fcffffffffffffffff") + key + tail;  // -1: no TTL
  LoadOptions replica;
  replica.now_ms = kNow;
  replica.drop_expired = false;
  for (const std::string& file : {secs, ms}) {
    Keyspace ks = NewKeyspace();
    auto r = Load(file, ks, replica);
    REQUIRE(r.has_value());
    CHECK(r->keys == 1);
    REQUIRE(ks.db(0).FindRaw("k") != nullptr);
    CHECK(ks.db(0).ExpireOf(ks.db(0).FindRaw("k")) == 0);
    CHECK(ks.db(0).expires_count() == 1);
    CHECK(ks.db(0).Delete("k"));
    CHECK(ks.db(0).expires_count() == 0);
    CHECK(ks.Lookup(ks.db(0), "k", kNow) == nullptr);

    LoadOptions master;
    master.now_ms = kNow;
    Keyspace m = NewKeyspace();
    auto rm = Load(file, m, master);
    REQUIRE(rm.has_value());
    CHECK(rm->expired_skipped == 1);
    CHECK(m.TotalKeys() == 0);
  }
  Keyspace ks = NewKeyspace();
  REQUIRE(Load(none, ks, replica).has_value());
  CHECK(ks.db(0).ExpireOf(ks.db(0).FindRaw("k")) == -1);
  CHECK(ks.db(0).expires_count() == 0);
}

TEST_CASE("rdb: loading replaces existing keys and keeps the others") {
  Keyspace ks = NewKeyspace();
  ks.db(0).Set("k", Value::String("new"));
  const std::string file = SaveToString(ks);
  Keyspace target = NewKeyspace();
  target.db(0).SetExpire(target.db(0).Set("k", Value::String("old")), kNow + 100);
  target.db(0).Set("other", Value::String("kept"));
  REQUIRE(Load(file, target, LoadOptions{}).has_value());
  CHECK(target.db(0).FindRaw("k")->value.str() == "new");
  CHECK(target.db(0).ExpireOf(target.db(0).FindRaw("k")) == -1);
  CHECK(target.db(0).FindRaw("other")->value.str() == "kept");
}

TEST_CASE("rdb: a truncated file reports the offset") {
  const std::string file = SmallFile();
  for (size_t n = 0; n < file.size(); ++n) {
    Keyspace ks = NewKeyspace();
    auto r = Load(std::string_view(file).substr(0, n), ks, LoadOptions{});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().offset <= n);
    CHECK_FALSE(r.error().what.empty());
  }
  Keyspace ks = NewKeyspace();
  auto r = Load(std::string_view(file).substr(0, file.size() - 3), ks, LoadOptions{});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().offset == file.size() - 8);  // the checksum could not be read
  CHECK(r.error().what == "unexpected end of data");
}

TEST_CASE("rdb: flipped bytes are detected, by the checksum when the structure survives") {
  const std::string file = SmallFile();
  int checksum_errors = 0;
  for (size_t i = 0; i < file.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      Keyspace ks = NewKeyspace();
      auto r = Load(bad, ks, LoadOptions{});
      CHECK_FALSE(r.has_value());
      if (!r && r.error().what == "Wrong RDB checksum") ++checksum_errors;
    }
  }
  CHECK(checksum_errors > static_cast<int>(file.size()));
  // Flipping a byte of a value's text is a checksum error.
  std::string bad = file;
  bad[bad.find("value-one")] = 'V';
  Keyspace ks = NewKeyspace();
  auto r = Load(bad, ks, LoadOptions{});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == "Wrong RDB checksum");
  // Without verification (rdbchecksum no) the same file loads.
  LoadOptions lax;
  lax.verify_checksum = false;
  Keyspace ks2 = NewKeyspace();
  CHECK(Load(bad, ks2, lax).has_value());
}

TEST_CASE("rdb: random corruption without a checksum never crashes") {
  Keyspace src = NewKeyspace();
  Fill(src);
  SaveOptions opt;
  opt.checksum = false;
  const std::string file = SaveToString(src, opt);
  std::mt19937_64 rng(17);
  for (int iter = 0; iter < 400; ++iter) {
    std::string bad = file;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
    Keyspace ks = NewKeyspace();
    (void)Load(bad, ks, LoadOptions{});
  }
}

TEST_CASE("rdb: huge lengths are refused before allocating") {
  struct Case {
    const char* name;
    std::string body;
  };
  const std::string huge =
      std::string("\x81", 1) + std::string("\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
  std::vector<Case> cases = {
      {"string length", std::string("\x00", 1) + Str("k") + huge},
      {"list count", std::string("\x01", 1) + Str("k") + huge},
      {"set count", std::string("\x02", 1) + Str("k") + huge},
      {"hash count", std::string("\x04", 1) + Str("k") + huge},
      {"zset count", std::string("\x05", 1) + Str("k") + huge},
      {"quicklist nodes", std::string("\x12", 1) + Str("k") + huge},
      {"key length", std::string("\x00", 1) + huge},
      {"lzf lengths", std::string("\x00", 1) + Str("k") + std::string("\xc3\x02", 2) + huge + "ab"},
      {"lzf ratio",
       std::string("\x00", 1) + Str("k") + std::string("\xc3\x02", 2) + Len(1'000'000) + "ab"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Keyspace ks = NewKeyspace();
    auto r = Load(HandFile(c.body), ks, LoadOptions{});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().offset > 9);
  }
}

TEST_CASE("rdb: duplicates inside a set, hash or zset are load errors") {
  std::vector<std::pair<const char*, std::string>> cases = {
      {"set", std::string("\x02", 1) + Str("k") + Len(2) + Str("a") + Str("a")},
      {"intset-ish set", std::string("\x02", 1) + Str("k") + Len(2) + Str("1") + Str("1")},
      {"hash",
       std::string("\x04", 1) + Str("k") + Len(2) + Str("f") + Str("1") + Str("f") + Str("2")},
      {"zset_2", std::string("\x05", 1) + Str("k") + Len(2) + Str("m") + std::string(8, '\0') +
                     Str("m") + std::string(8, '\0')},
      {"hash listpack",
       std::string("\x10", 1) + Str("k") + Str(EncodeListpack({"f", "1", "f", "2"}))},
      {"zset listpack",
       std::string("\x11", 1) + Str("k") + Str(EncodeListpack({"m", "1", "m", "2"}))},
  };
  for (const auto& [name, body] : cases) {
    CAPTURE(name);
    Keyspace ks = NewKeyspace();
    auto r = Load(HandFile(body), ks, LoadOptions{});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().what.find("dup") != std::string::npos);
  }
}

TEST_CASE("rdb: streams, modules and functions give clear errors; empty keys are skipped") {
  Keyspace ks = NewKeyspace();
  auto stream = Load(HandFile(std::string("\x13", 1) + Str("s") + Len(0)), ks, LoadOptions{});
  REQUIRE_FALSE(stream.has_value());
  CHECK(stream.error().what.find("stream") != std::string::npos);
  CHECK(stream.error().offset == 11);
  auto module = Load(HandFile(std::string("\x07", 1) + Str("m")), ks, LoadOptions{});
  REQUIRE_FALSE(module.has_value());
  CHECK(module.error().what.find("module") != std::string::npos);
  auto aux = Load(HandFile(std::string("\xf7", 1) + Len(1)), ks, LoadOptions{});
  REQUIRE_FALSE(aux.has_value());
  auto fn = Load(HandFile(std::string("\xf5", 1) + Str("#!lua name=x\n")), ks, LoadOptions{});
  REQUIRE_FALSE(fn.has_value());
  CHECK(fn.error().what == "functions are not supported");
  auto empty_fn = Load(HandFile(std::string("\xf5", 1) + Str("")), ks, LoadOptions{});
  CHECK(empty_fn.has_value());
  auto empty = Load(HandFile(std::string("\x02", 1) + Str("e") + Len(0) + std::string("\x00", 1) +
                             Str("k") + Str("v")),
                    ks, LoadOptions{});
  REQUIRE(empty.has_value());
  CHECK(empty->empty_skipped == 1);
  CHECK(empty->keys == 1);
  CHECK(ks.db(0).FindRaw("e") == nullptr);
  auto bad_db = Load("REDIS0010\xfe\x10\xff" + std::string(8, '\0'), ks, LoadOptions{});
  REQUIRE_FALSE(bad_db.has_value());
  CHECK(bad_db.error().offset == 9);
  auto bad_magic = Load("REDIX0010\xff", ks, LoadOptions{});
  REQUIRE_FALSE(bad_magic.has_value());
  auto future = Load("REDIS0011\xff", ks, LoadOptions{});
  REQUIRE_FALSE(future.has_value());
  CHECK(future.error().what == "Can't handle RDB format version 11");
}

TEST_CASE("rdb: quicklist nodes are split as Redis's RPUSH fills them") {
  // 1000 elements of 10 bytes: 681 per node at list-max-listpack-size -2 (measured on 7.0.15).
  Value list = ListObject::NewValue();
  for (int i = 0; i < 1000; ++i) list.As<ListObject>().PushBack(std::string(10, 'y'));
  const std::string dump = DumpPayload(list, false);
  CHECK(static_cast<uint8_t>(dump[0]) == 18);
  CHECK(dump[1] == 2);  // two nodes
  CHECK(dump[2] == 2);  // packed container
  // A 14-bit length, then the listpack header: 7 + 12 * 681 bytes, 681 elements.
  CHECK(Hex(dump.substr(3, 8)) == "5ff3f31f0000a902");
  auto back = RestorePayload(dump, {});
  REQUIRE(back.has_value());
  CHECK(back->As<ListObject>().size() == 1000);
}

TEST_CASE("rdb: SaveToFile replaces the file atomically and LoadFile reads it back") {
  char tmpl[] = "/tmp/tandem-rdb-test.XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/dump.rdb";
  Keyspace ks = NewKeyspace();
  Fill(ks);
  REQUIRE(SaveToFile(ks, SaveOptions{}, path).has_value());
  ks.db(0).Set("later", Value::String("v2"));
  REQUIRE(SaveToFile(ks, SaveOptions{}, path).has_value());
  Keyspace back = NewKeyspace();
  auto r = LoadFile(path, back, LoadOptions{});
  REQUIRE(r.has_value());
  CHECK(Canon(back) == Canon(ks));
  CHECK(::access((dir + "/temp-" + std::to_string(::getpid()) + ".rdb").c_str(), F_OK) != 0);
  auto missing = LoadFile(dir + "/nope.rdb", back, LoadOptions{});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().sys_errno == ENOENT);
  auto unwritable = SaveToFile(ks, SaveOptions{}, dir + "/no/such/dir/dump.rdb");
  CHECK_FALSE(unwritable.has_value());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("rdb: Load reports its progress between keys, about every progress_bytes") {
  Keyspace ks = NewKeyspace();
  for (int i = 0; i < 2000; ++i) {
    ks.db(0).Set("key:" + std::to_string(i), Value::String(std::string(100, 'v')));
  }
  const std::string file = SaveToString(ks);
  Keyspace back = NewKeyspace();
  LoadOptions opt;
  opt.progress_bytes = 4096;
  size_t calls = 0;
  size_t reported = 0;
  opt.progress = [&](size_t consumed) {
    CHECK(consumed >= 4096);
    CHECK(consumed < 4096 + 200);  // one key past the threshold at most
    ++calls;
    reported += consumed;
  };
  REQUIRE(Load(file, back, opt).has_value());
  CHECK(back.db(0).size() == 2000);
  CHECK(calls >= file.size() / (4096 + 200));
  CHECK(reported <= file.size());
  CHECK(file.size() - reported < 4096 + 200);
}

TEST_CASE("rdb: FileSink fdatasyncs every autosync bytes (incremental fsync)") {
  char path[] = "/tmp/tandem-autosync-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string chunk(1 << 20, 'x');
  // Every fdatasync fails: a sink that syncs on its own hits it after 4 MB, one that does not
  // never calls it.
  Io().InjectFault(IoOp::kFsync, EIO);
  {
    FileSink plain(fd);
    for (int i = 0; i < 6; ++i) CHECK(plain.Write(chunk.data(), chunk.size()));
    CHECK(plain.Flush());
  }
  {
    FileSink synced(fd);
    synced.set_autosync(kAutosyncBytes);
    bool ok = true;
    int writes = 0;
    while (ok && writes < 8) {
      ok = synced.Write(chunk.data(), chunk.size()) && synced.Flush();
      ++writes;
    }
    CHECK_FALSE(ok);
    CHECK(writes == 4);  // the fdatasync after the 4th MB
    CHECK(synced.error() == EIO);
  }
  Io().InjectFault(IoOp::kFsync, 0);
  ::close(fd);
  ::unlink(path);
}

}  // namespace
}  // namespace tandem::storage::rdb
