#include "storage/aof_rewrite.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "storage/aof.h"
#include "storage/file_io.h"
#include "storage/hash.h"
#include "storage/keyspace.h"
#include "storage/list.h"
#include "storage/set.h"
#include "storage/zset.h"

namespace tandem::storage::aof {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Keyspace NewKeyspace() {
  return Keyspace(16, [] { return kNow; });
}

std::string Rewrite(Keyspace& ks, const RewriteOptions& opt = {}) {
  rdb::StringSink sink;
  auto r = WriteCommands(ks, opt, sink);
  REQUIRE_MESSAGE(r.has_value(), r.error());
  return sink.out;
}

// The commands of a rewritten base, each as its arguments.
struct Parsed {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> annotations;
  ScanResult result;
};

Parsed Parse(std::string_view data) {
  Parsed p;
  p.result = Scan(
      data,
      [&](std::span<const std::string_view> args) {
        p.commands.emplace_back(args.begin(), args.end());
      },
      [&](std::string_view text) { p.annotations.emplace_back(text); });
  return p;
}

// Applies the commands a rewrite emits to `ks`, as the server's loader would.
void Apply(Keyspace& ks, const std::vector<std::vector<std::string>>& commands) {
  int db = 0;
  for (const auto& c : commands) {
    REQUIRE(!c.empty());
    const std::string& name = c[0];
    if (name == "SELECT") {
      REQUIRE(c.size() == 2);
      db = std::stoi(c[1]);
      continue;
    }
    REQUIRE(c.size() >= 3);
    Db& d = ks.db(db);
    Entry* e = d.FindRaw(c[1]);
    if (name == "SET") {
      REQUIRE(c.size() == 3);
      d.Set(c[1], Value::String(c[2]));
    } else if (name == "RPUSH") {
      if (e == nullptr) e = d.Set(c[1], ListObject::NewValue());
      for (size_t i = 2; i < c.size(); ++i) e->value.As<ListObject>().PushBack(c[i]);
    } else if (name == "SADD") {
      if (e == nullptr) e = d.Set(c[1], SetObject::Wrap(SetObject::CreateFor(c[2])));
      for (size_t i = 2; i < c.size(); ++i) e->value.As<SetObject>().Add(c[i], 512);
    } else if (name == "ZADD") {
      REQUIRE(c.size() % 2 == 0);
      if (e == nullptr) e = d.Set(c[1], ZSet::NewValue(Encoding::kSkiplist));
      for (size_t i = 2; i < c.size(); i += 2) {
        ZSet(e->value).Insert(c[i + 1], std::strtod(c[i].c_str(), nullptr), {});
      }
    } else if (name == "HMSET") {
      REQUIRE(c.size() % 2 == 0);
      if (e == nullptr) e = d.Set(c[1], Hash::NewValue());
      for (size_t i = 2; i < c.size(); i += 2) Hash(e->value).Set(c[i], c[i + 1], {});
    } else if (name == "PEXPIREAT") {
      REQUIRE(c.size() == 3);
      REQUIRE(e != nullptr);
      d.SetExpire(e, std::stoll(c[2]));
    } else {
      FAIL("unexpected command " << name);
    }
  }
}

// One sorted line per key: db, key, type, expire and content (encodings aside).
std::string Canon(Keyspace& ks) {
  std::vector<std::string> lines;
  for (int i = 0; i < ks.databases(); ++i) {
    ks.db(i).ForEach([&](Entry* e) {
      std::vector<std::string> parts;
      bool sorted = true;
      const Value& v = e->value;
      switch (v.type) {
        case ObjType::kString:
          parts.push_back(std::string(v.str()));
          break;
        case ObjType::kList:
          for (const auto& s : v.As<ListObject>().items()) parts.emplace_back(s.view());
          sorted = false;
          break;
        case ObjType::kSet:
          v.As<SetObject>().ForEach([&](std::string_view m) { parts.emplace_back(m); });
          break;
        case ObjType::kHash:
          HashView(v).ForEach([&](std::string_view f, std::string_view val) {
            parts.push_back(std::string(f) + "=" + std::string(val));
          });
          break;
        case ObjType::kZSet:
          ZSet::Read(v).ForEach([&](std::string_view m, double s) {
            parts.push_back(std::string(m) + "@" + FormatScore(s));
          });
          sorted = false;
          break;
        case ObjType::kStream:
          break;
      }
      if (sorted) std::sort(parts.begin(), parts.end());
      std::string line = std::to_string(i) + " " + std::string(e->key()) + " " +
                         std::string(TypeName(v.type)) +
                         " exp=" + std::to_string(ks.db(i).ExpireOf(e)) + ":";
      for (const auto& p : parts) line += " " + p;
      lines.push_back(line);
    });
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Every type, small and large (both encodings of each), binary bytes, TTLs, several dbs.
void Fill(Keyspace& ks) {
  Db& db = ks.db(0);
  db.Set("s:int", Value::String("12345"));
  db.Set("s:empty", Value::String(""));
  std::string bin;
  for (int i = 0; i < 1000; ++i) bin += static_cast<char>((i * 131) & 0xff);
  db.Set("s:bin\r\n", Value::RawString(bin));
  db.SetExpire(db.Set("s:ttl", Value::String("x")), kNow + 60'000);
  db.SetExpire(db.Set("s:past", Value::String("gone")), kNow - 1);  // written as it is

  Value list = ListObject::NewValue();
  for (int i = 0; i < 1000; ++i) list.As<ListObject>().PushBack(std::to_string(i * 7 - 500));
  list.As<ListObject>().PushBack("");
  db.SetExpire(db.Set("l:big", std::move(list)), kNow + 5);

  auto iset = SetObject::CreateFor("1");
  for (int i = 0; i < 100; ++i) iset->Add(std::to_string(i * 1'000'003 - 5), 512);
  db.Set("set:int", SetObject::Wrap(std::move(iset)));
  auto hset = SetObject::CreateFor("a");
  for (int i = 0; i < 700; ++i) hset->Add("m" + std::to_string(i), 512);
  db.Set("set:ht", SetObject::Wrap(std::move(hset)));

  HashLimits hl{128, 64};
  Value h1 = Hash::NewValue();
  Hash(h1).Set("f", "v", hl);
  Hash(h1).Set("", "-77", hl);
  db.Set("h:lp", std::move(h1));
  Value h2 = Hash::NewValue();
  for (int i = 0; i < 300; ++i) {
    Hash(h2).Set("f" + std::to_string(i), std::string(100, 'v'), hl);
  }
  db.SetExpire(db.Set("h:ht", std::move(h2)), kNow + 1000);

  ZSetLimits zl{128, 64};
  Value z1 = ZSet::NewValue(Encoding::kListpack);
  ZSet(z1).Insert("a", 1.5, zl);
  ZSet(z1).Insert("b", -std::numeric_limits<double>::infinity(), zl);
  ZSet(z1).Insert("c", std::numeric_limits<double>::infinity(), zl);
  ZSet(z1).Insert("d", 0.1, zl);
  ZSet(z1).Insert("e", 1e300, zl);
  ZSet(z1).Insert("f", -0.0, zl);
  db.Set("z:lp", std::move(z1));
  Value z2 = ZSet::NewValue(Encoding::kSkiplist);
  for (int i = 0; i < 200; ++i) ZSet(z2).Insert("m" + std::to_string(i), i / 7.0, zl);
  db.Set("z:sl", std::move(z2));

  Db& db3 = ks.db(3);
  db3.SetExpire(db3.Set("in3", Value::String("three")), kNow + 1);
  ks.db(15).Set("in15", Value::Integer(15));
}

TEST_CASE("aof rewrite: every type, expiries and several dbs load back as the same dataset") {
  Keyspace ks = NewKeyspace();
  Fill(ks);
  const std::string data = Rewrite(ks);
  CHECK(data.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
  Parsed p = Parse(data);
  CHECK(!p.result.truncated);
  CHECK(!p.result.corrupt);
  CHECK(p.result.valid_bytes == data.size());
  CHECK(p.annotations.empty());

  Keyspace loaded = NewKeyspace();
  Apply(loaded, p.commands);
  CHECK(Canon(loaded) == Canon(ks));

  // One SELECT per non-empty db, in db order; each key's PEXPIREAT follows its value.
  std::vector<std::string> selects;
  for (const auto& c : p.commands) {
    if (c[0] == "SELECT") selects.push_back(c[1]);
  }
  CHECK(selects == std::vector<std::string>{"0", "3", "15"});
  for (size_t i = 0; i < p.commands.size(); ++i) {
    if (p.commands[i][0] != "PEXPIREAT") continue;
    REQUIRE(i > 0);
    CHECK(p.commands[i - 1][1] == p.commands[i][1]);
  }
}

TEST_CASE("aof rewrite: collections are split into commands of 64 items") {
  Keyspace ks = NewKeyspace();
  Db& db = ks.db(0);
  Value list = ListObject::NewValue();
  for (int i = 0; i < 130; ++i) list.As<ListObject>().PushBack(std::to_string(i));
  db.Set("list", std::move(list));
  auto set = SetObject::CreateFor("a");
  for (int i = 0; i < 64; ++i) set->Add("m" + std::to_string(i), 512);
  db.Set("set", SetObject::Wrap(std::move(set)));
  Value zset = ZSet::NewValue(Encoding::kSkiplist);
  for (int i = 0; i < 129; ++i) ZSet(zset).Insert("m" + std::to_string(i), i, {});
  db.Set("zset", std::move(zset));
  Value hash = Hash::NewValue();
  for (int i = 0; i < 65; ++i) Hash(hash).Set("f" + std::to_string(i), "v", {});
  db.Set("hash", std::move(hash));

  Parsed p = Parse(Rewrite(ks));
  std::vector<std::string> shapes;  // "<command> <key> <argc>"
  for (const auto& c : p.commands) {
    if (c[0] == "SELECT") continue;
    shapes.push_back(c[0] + " " + c[1] + " " + std::to_string(c.size()));
  }
  std::sort(shapes.begin(), shapes.end());
  CHECK(shapes == std::vector<std::string>{
                      "HMSET hash 130", "HMSET hash 4",                  // 64 + 1 pairs
                      "RPUSH list 4", "RPUSH list 66", "RPUSH list 66",  // 64 + 64 + 2
                      "SADD set 66",                                     // exactly 64: one
                      "ZADD zset 130", "ZADD zset 130", "ZADD zset 4",   // 64 + 64 + 1
                  });
  // List order survives the split.
  std::vector<std::string> items;
  for (const auto& c : p.commands) {
    if (c[0] == "RPUSH") items.insert(items.end(), c.begin() + 2, c.end());
  }
  REQUIRE(items.size() == 130);
  for (int i = 0; i < 130; ++i) CHECK(items[static_cast<size_t>(i)] == std::to_string(i));
}

TEST_CASE("aof rewrite: the bytes are Redis's rewriteAppendOnlyFileRio's") {
  Keyspace ks = NewKeyspace();
  Db& db = ks.db(2);
  db.SetExpire(db.Set("k", Value::String("v")), kNow + 60'000);
  Value z = ZSet::NewValue(Encoding::kListpack);
  ZSet(z).Insert("a", 0.1, {});
  ZSet(z).Insert("b", -std::numeric_limits<double>::infinity(), {});
  ZSet(z).Insert("c", 3, {});
  ks.db(9).Set("z", std::move(z));
  const std::string data = Rewrite(ks);
  CHECK(data ==
        "*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
        "*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n1700000060000\r\n"
        "*2\r\n$6\r\nSELECT\r\n$1\r\n9\r\n"
        "*8\r\n$4\r\nZADD\r\n$1\r\nz\r\n"
        "$4\r\n-inf\r\n$1\r\nb\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nc\r\n");
}

TEST_CASE("aof rewrite: the replication position ends the file as an annotation") {
  Keyspace ks = NewKeyspace();
  RewriteOptions opt;
  opt.end_annotation = "tandem-repl " + std::string(40, 'a') + " 99";
  CHECK(Rewrite(ks, opt) == "#tandem-repl " + std::string(40, 'a') + " 99\r\n");

  ks.db(0).Set("k", Value::String("v"));
  Parsed p = Parse(Rewrite(ks, opt));
  CHECK(p.commands.size() == 2);
  CHECK(p.annotations == std::vector<std::string>{opt.end_annotation});
  CHECK(!p.result.truncated);
}

TEST_CASE("aof rewrite: an empty keyspace is an empty file") {
  Keyspace ks = NewKeyspace();
  CHECK(Rewrite(ks).empty());
}

TEST_CASE("aof rewrite: a value with no command form is an error, not a silent gap") {
  Keyspace ks = NewKeyspace();
  ks.db(0).Set("stream", Value::Of(ObjType::kStream, Encoding::kRaw, nullptr));
  rdb::StringSink sink;
  auto r = WriteCommands(ks, {}, sink);
  REQUIRE(!r.has_value());
  CHECK(r.error().find("stream") != std::string::npos);
}

class FailingSink : public rdb::Sink {
 public:
  bool Write(const void*, size_t) override { return false; }
};

TEST_CASE("aof rewrite: a sink error is reported") {
  Keyspace ks = NewKeyspace();
  Fill(ks);
  FailingSink sink;
  CHECK(!WriteCommands(ks, {}, sink).has_value());
}

TEST_CASE("aof rewrite: the file is written through a temp file and replaced atomically") {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "aof-rewrite-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path dir = tmpl;
  const std::string path = (dir / "appendonly.aof.1.base.aof").string();
  Keyspace ks = NewKeyspace();
  Fill(ks);
  REQUIRE(WriteCommandsToFile(ks, {}, path).has_value());
  std::string data;
  REQUIRE(ReadFile(path, data));
  CHECK(data == Rewrite(ks));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);  // no temp file left

  // A missing directory fails cleanly.
  CHECK(!WriteCommandsToFile(ks, {}, (dir / "missing" / "x.aof").string()).has_value());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tandem::storage::aof
