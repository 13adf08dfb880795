// Google Benchmark microbenchmarks of the request path's internals: RESP parsing and reply
// encoding, keyspace lookup/insert, expiry sampling, the sorted-set skiplist, the packed (listpack)
// hash and sorted-set encodings, the replication backlog and the command clock.
// Run: build-release/bench/tandem_micro_bench
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "resp/reply_builder.h"
#include "resp/request_parser.h"
#include "server/clock.h"
#include "server/replication.h"
#include "storage/hash.h"
#include "storage/keyspace.h"
#include "storage/zset.h"

namespace {

using tandem::resp::ParseResult;

std::string Pipeline(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "*3\r\n$3\r\nSET\r\n$10\r\nkey:" + std::to_string(100000 + i) + "\r\n$100\r\n" +
         std::string(100, 'x') + "\r\n";
  }
  return s;
}

void BM_ParsePipelinedSet(benchmark::State& state) {
  std::string input = Pipeline(static_cast<int>(state.range(0)));
  tandem::resp::RequestParser parser;
  for (auto _ : state) {
    size_t off = 0;
    while (parser.Parse(std::string_view(input).substr(off), {}) == ParseResult::kCommand) {
      benchmark::DoNotOptimize(parser.args().data());
      off += parser.consumed();
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}
BENCHMARK(BM_ParsePipelinedSet)->Arg(1)->Arg(16)->Arg(1000);

void BM_ParseInline(benchmark::State& state) {
  std::string input = "SET key:1 somevalue\r\n";
  tandem::resp::RequestParser parser;
  for (auto _ : state) {
    parser.Parse(input, {});
    benchmark::DoNotOptimize(parser.args().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseInline);

void BM_EncodeBulkReplies(benchmark::State& state) {
  std::string out;
  tandem::resp::ReplyBuilder r(&out);
  std::string value(100, 'v');
  for (auto _ : state) {
    out.clear();
    for (int i = 0; i < 16; ++i) r.Bulk(value);
    r.Ok();
    r.Integer(123456);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 18);
}
BENCHMARK(BM_EncodeBulkReplies);

void BM_KeyspaceInsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("key:" + std::to_string(i));
  for (auto _ : state) {
    tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
    for (const auto& k : keys) ks.db(0).Set(k, tandem::storage::Value::String("v"));
    benchmark::DoNotOptimize(ks.db(0).size());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_KeyspaceInsert)->Arg(1 << 16)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void BM_KeyspaceLookup(benchmark::State& state) {
  const int n = 1 << 20;
  tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back("key:" + std::to_string(i));
    ks.db(0).Set(keys.back(), tandem::storage::Value::String("v"));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ks.Lookup(ks.db(0), keys[i], 0));
    i = (i + 7919) & (n - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyspaceLookup);

// A pipelined batch of 16 GETs over 1M keys holding 100-byte strings, in random order: each
// lookup misses the cache on its bucket and on its entry. Arg 1 first warms the batch's keys with
// Db::Prefetch, as the server does before running a pipeline; Arg 0 looks them up one by one.
void BM_KeyspaceLookupBatch16(benchmark::State& state) {
  const bool prefetch = state.range(0) != 0;
  const int n = 1 << 20;
  tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
  std::vector<std::string> keys;
  const std::string value(100, 'x');
  for (int i = 0; i < n; ++i) {
    keys.push_back("key:" + std::to_string(100000000 + i));
    ks.db(0).SetString(keys.back(), value, tandem::storage::Encoding::kRaw);
  }
  std::vector<std::string_view> order(keys.begin(), keys.end());
  std::mt19937_64 rng(42);
  std::shuffle(order.begin(), order.end(), rng);
  size_t at = 0;
  std::string reply;
  for (auto _ : state) {
    std::span<const std::string_view> batch(order.data() + at, 16);
    if (prefetch) ks.db(0).Prefetch(batch);
    reply.clear();
    for (std::string_view k : batch) {
      reply.append(ks.Lookup(ks.db(0), k, 0)->value.str());  // a GET copies the value's bytes
    }
    benchmark::DoNotOptimize(reply.data());
    at = (at + 16) & (n - 1);
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_KeyspaceLookupBatch16)->Arg(0)->Arg(1);

void BM_ActiveExpireCycle(benchmark::State& state) {
  int64_t now = 1000;
  for (auto _ : state) {
    state.PauseTiming();
    tandem::storage::Keyspace ks(1, [&] { return now; });
    for (int i = 0; i < 100000; ++i) {
      auto* e = ks.db(0).Set("k" + std::to_string(i), tandem::storage::Value::String("v"));
      ks.db(0).SetExpire(e, now + (i % 4 == 0 ? 1 : 1000000));
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(ks.ActiveExpireCycle(now + 10, 25000));
  }
}
BENCHMARK(BM_ActiveExpireCycle)->Unit(benchmark::kMillisecond);

// The incremental-rehash promise: growing one db to 10 million keys, the slowest single insert
// (the one that starts a resize, or moves buckets) stays far below a millisecond.
void BM_GrowTo10MKeysMaxInsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    tandem::storage::Keyspace ks(1, [] { return int64_t{0}; });
    int64_t worst_ns = 0;
    int64_t over_1ms = 0;
    std::string key;
    for (int i = 0; i < n; ++i) {
      key = "key:" + std::to_string(i);
      auto t0 = std::chrono::steady_clock::now();
      ks.db(0).Set(key, tandem::storage::Value::String("v"));
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
      if (ns > worst_ns) worst_ns = ns;
      if (ns > 1'000'000) ++over_1ms;
    }
    state.counters["inserts_over_1ms"] = static_cast<double>(over_1ms);
    state.counters["max_insert_us"] = static_cast<double>(worst_ns) / 1000.0;
    state.counters["keys"] = static_cast<double>(ks.db(0).size());
  }
}
BENCHMARK(BM_GrowTo10MKeysMaxInsert)->Arg(10'000'000)->Iterations(1)->Unit(benchmark::kSecond);

// ---- sorted sets

// ZADD of n members with distinct pseudo-random scores into a skiplist (insert + member table).
void BM_SkiplistInsert(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::string> members;
  for (int i = 0; i < n; ++i) members.push_back("member:" + std::to_string(i));
  for (auto _ : state) {
    tandem::storage::Value v =
        tandem::storage::ZSet::NewValue(tandem::storage::Encoding::kSkiplist);
    tandem::storage::ZSet z(v);
    for (int i = 0; i < n; ++i) z.Insert(members[i], static_cast<double>((i * 7919) % n), {});
    benchmark::DoNotOptimize(z.size());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SkiplistInsert)->Arg(1000)->Arg(100000)->Arg(1000000);

tandem::storage::Value FilledZSet(int n, tandem::storage::Encoding enc) {
  tandem::storage::Value v = tandem::storage::ZSet::NewValue(enc);
  tandem::storage::ZSet z(v);
  for (int i = 0; i < n; ++i) z.Insert("member:" + std::to_string(i), i * 1.5, {1u << 20, 64});
  return v;
}

// ZRANK: member -> node through the hash table, then the rank through the spans.
void BM_SkiplistRank(benchmark::State& state) {
  const int n = 100000;
  tandem::storage::Value v = FilledZSet(n, tandem::storage::Encoding::kSkiplist);
  const tandem::storage::ZSet z(v);
  std::vector<std::string> members;
  for (int i = 0; i < n; ++i) members.push_back("member:" + std::to_string(i));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(z.Rank(members[i]));
    i = (i + 7919) % n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SkiplistRank);

// ZRANGE key 0 99 of a 1,000-member sorted set, as bench/compare.py's zrange_100 workload, walked
// without the reply (the reply encoding has its own benchmark).
void BM_SkiplistRange100(benchmark::State& state) {
  tandem::storage::Value v = FilledZSet(1000, tandem::storage::Encoding::kSkiplist);
  const tandem::storage::ZSet z(v);
  for (auto _ : state) {
    size_t bytes = 0;
    int left = 100;
    z.Walk(0, false, [&](std::string_view m, double) {
      bytes += m.size();
      return --left > 0;
    });
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_SkiplistRange100);

// A 10-member sorted set in the packed (listpack) encoding: built by ZADD, then ZSCORE.
void BM_PackedZSetBuild10(benchmark::State& state) {
  for (auto _ : state) {
    tandem::storage::Value v = FilledZSet(10, tandem::storage::Encoding::kListpack);
    benchmark::DoNotOptimize(v.str().size());
  }
  state.SetItemsProcessed(state.iterations() * 10);
}
BENCHMARK(BM_PackedZSetBuild10);

void BM_PackedZSetScore(benchmark::State& state) {
  tandem::storage::Value v = FilledZSet(10, tandem::storage::Encoding::kListpack);
  const tandem::storage::ZSet z(v);
  int i = 0;
  const std::string members[] = {"member:0", "member:5", "member:9"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(z.Score(members[i]));
    i = (i + 1) % 3;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PackedZSetScore);

// ---- hashes

// HSET of 5 fields into a new packed (listpack) hash, as bench/memory.py's data set.
void BM_PackedHashBuild5(benchmark::State& state) {
  const std::string fields[] = {"field0", "field1", "field2", "field3", "field4"};
  for (auto _ : state) {
    tandem::storage::Value v = tandem::storage::Hash::NewValue();
    tandem::storage::Hash h(v);
    for (const auto& f : fields) h.Set(f, "value00012", {});
    benchmark::DoNotOptimize(v.str().size());
  }
  state.SetItemsProcessed(state.iterations() * 5);
}
BENCHMARK(BM_PackedHashBuild5);

void BM_PackedHashGet(benchmark::State& state) {
  tandem::storage::Value v = tandem::storage::Hash::NewValue();
  tandem::storage::Hash h(v);
  for (int i = 0; i < 5; ++i) h.Set("field" + std::to_string(i), "value00012", {});
  const std::string fields[] = {"field0", "field2", "field4"};
  int i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.Get(fields[i]));
    i = (i + 1) % 3;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PackedHashGet);

// ---- replication backlog

// The replication stream of SET commands appended to a 1 MB circular backlog
// (feedReplicationBuffer).
void BM_BacklogAppend(benchmark::State& state) {
  tandem::server::Backlog backlog;
  backlog.Create(1 << 20, 0);
  const std::string set_cmd =
      "*3\r\n$3\r\nSET\r\n$10\r\nkey:100000\r\n$100\r\n" + std::string(100, 'x') + "\r\n";
  for (auto _ : state) {
    backlog.Append(set_cmd);
    benchmark::DoNotOptimize(backlog.histlen());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(set_cmd.size()));
}
BENCHMARK(BM_BacklogAppend);

// ---- the command clock

// One reading of the time a command runs at (server/clock.h): Arg(1) from the timestamp counter
// where the kernel keeps time with it (label "tsc"), Arg(0) clock_gettime(CLOCK_REALTIME).
void BM_CommandClockNowUs(benchmark::State& state) {
  tandem::server::CommandClock clock;
  clock.Init(state.range(0) != 0);
  state.SetLabel(clock.uses_tsc() ? "tsc" : "clock_gettime");
  for (auto _ : state) benchmark::DoNotOptimize(clock.NowUs());
}
BENCHMARK(BM_CommandClockNowUs)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
