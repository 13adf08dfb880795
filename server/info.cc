// INFO and CLIENT LIST text, with Redis 7.0's section and field names (server.c genRedisInfoString,
// networking.c catClientInfoString). Fields that describe subsystems tandem does not have yet
// (RDB, AOF, replication links, modules) report their idle values, as Redis does when they are
// off.
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>

#include "server/arg_cursor.h"
#include "server/server.h"

namespace tandem::server {

namespace {

// bytesToHuman: B, K, M, G, T, P with two decimals.
std::string BytesToHuman(uint64_t n) {
  double d = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024ULL * 1024) return fmt::format("{:.2f}K", d / 1024);
  if (n < 1024ULL * 1024 * 1024) return fmt::format("{:.2f}M", d / (1024 * 1024));
  if (n < 1024ULL * 1024 * 1024 * 1024) return fmt::format("{:.2f}G", d / (1024.0 * 1024 * 1024));
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024) {
    return fmt::format("{:.2f}T", d / (1024.0 * 1024 * 1024 * 1024));
  }
  return fmt::format("{:.2f}P", d / (1024.0 * 1024 * 1024 * 1024 * 1024));
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t TotalSystemMemory() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
         static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

std::string Lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

}  // namespace

uint64_t& PeakMemory() {
  static uint64_t peak = 0;
  return peak;
}

std::string ClientInfoLine(Server& server, const Client& c, int64_t now_ms) {
  std::string flags;
  if (c.flags & kClientReplica) flags += 'S';
  if (c.flags & kClientMaster) flags += 'M';
  if (c.flags & kClientPubsub) flags += 'P';
  if (c.flags & kClientMonitor) flags += 'O';
  if (c.blocked) flags += 'b';
  if (c.conn().close_after_reply()) flags += 'c';
  if (c.conn().kind() == net::Connection::Kind::kUnix) flags += 'U';
  if (c.flags & kClientNoEvict) flags += 'e';
  if (flags.empty()) flags = "N";
  const net::Connection& conn = c.conn();
  size_t qbuf = const_cast<net::Connection&>(conn).read_buffer().size();
  size_t qbuf_cap = const_cast<net::Connection&>(conn).read_buffer().capacity();
  std::string cmd = c.last_command ? c.last_command->name : "NULL";
  std::string events = conn.closing() ? "" : "r";
  if (conn.pending_output() > 0) events += "w";
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 "
      "multi=-1 qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl={} oll=0 omem={} "
      "tot-mem={} events={} cmd={} user={} redir=-1 resp={}",
      c.id(), conn.peer(), conn.local(), conn.fd(), c.name, (now_ms - c.ctime_ms()) / 1000,
      (now_ms - c.last_interaction()) / 1000, flags, c.db_index, qbuf, qbuf_cap - qbuf, qbuf_cap,
      qbuf, conn.pending_output(), conn.pending_output(),
      sizeof(Client) + qbuf_cap + conn.pending_output(), events, cmd,
      c.user ? std::string_view(c.user->name) : std::string_view("(superuser)"), c.resp);
  (void)server;
}

std::string BuildInfo(Server& server, std::span<const std::string_view> sections) {
  std::set<std::string> want;
  bool all = false;
  bool everything = false;
  bool defaults = sections.empty();
  for (std::string_view s : sections) {
    std::string l = Lower(s);
    if (l == "all")
      all = true;
    else if (l == "everything")
      everything = true;
    else if (l == "default")
      defaults = true;
    else
      want.insert(l);
  }
  auto on = [&](std::string_view name, bool in_default) {
    if (everything) return true;
    if (all && name != "modules_list") return true;
    if (defaults && in_default) return true;
    return want.count(std::string(name)) > 0;
  };
  const ServerConfig& cfg = server.config();
  const ServerStats& st = server.stats();
  const int64_t now_ms = storage::SystemClockMs();
  std::string out;
  auto section = [&](std::string_view title) {
    if (!out.empty()) out += "\r\n";
    out += fmt::format("# {}\r\n", title);
  };
  auto field = [&](std::string_view k, const auto& v) { out += fmt::format("{}:{}\r\n", k, v); };

  if (on("server", true)) {
    section("Server");
    utsname u{};
    uname(&u);
    int64_t uptime = (now_ms - server.start_time_ms()) / 1000;
    field("redis_version", kRedisVersion);
    field("redis_git_sha1", "00000000");
    field("redis_git_dirty", 0);
    field("redis_build_id", "0");
    field("redis_mode", "standalone");
    field("tandem_version", kTandemVersion);
    field("os", fmt::format("{} {} {}", u.sysname, u.release, u.machine));
    field("arch_bits", sizeof(void*) * 8);
    field("monotonic_clock", server.command_clock().Describe());
    field("multiplexing_api", server.uses_io_uring() ? "io_uring" : "epoll");
    field("atomicvar_api", "c11-builtin");
    field("gcc_version", fmt::format("{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__));
    field("process_id", getpid());
    field("process_supervised", server.supervised() ? "systemd" : "no");
    field("run_id", server.run_id());
    field("tcp_port", cfg.port);
    field("server_time_usec", now_ms * 1000);
    field("uptime_in_seconds", uptime);
    field("uptime_in_days", uptime / 86400);
    field("hz", cfg.hz);
    field("configured_hz", cfg.hz);
    field("lru_clock", (now_ms / 1000) & ((1 << 24) - 1));
    field("executable", server.executable());
    field("config_file", server.config_file());
    field("io_threads_active", 0);
  }
  if (on("clients", true)) {
    section("Clients");
    field("connected_clients", server.client_count());
    field("cluster_connections", 0);
    field("maxclients", cfg.maxclients);
    field("client_recent_max_input_buffer", 0);
    field("client_recent_max_output_buffer", 0);
    field("blocked_clients", server.blocked_count());
    field("tracking_clients", 0);
    field("clients_in_timeout_table", 0);
  }
  if (on("memory", true)) {
    section("Memory");
    // The counting allocator's figure (server/alloc.cc): one atomic load. glibc keeps no
    // cheap "active" figure, so the allocator_* fields report the same count.
    uint64_t used = UsedMemory();
    uint64_t active = used;
    uint64_t& peak = PeakMemory();
    if (used > peak) peak = used;
    uint64_t rss = RssBytes();
    uint64_t sys = TotalSystemMemory();
    uint64_t clients_mem = 0;
    server.ForEachClient([&](Client& c) {
      clients_mem += sizeof(Client) + c.conn().read_buffer().capacity() + c.conn().pending_output();
    });
    uint64_t tables = 0;
    for (int i = 0; i < server.keyspace().databases(); ++i) {
      tables += server.keyspace().db(i).bucket_count() * sizeof(void*);
    }
    uint64_t startup = server.startup_memory();
    uint64_t overhead = startup + clients_mem + tables;
    uint64_t dataset = used > overhead ? used - overhead : 0;
    auto ratio = [](uint64_t a, uint64_t b) {
      return fmt::format("{:.2f}", b ? static_cast<double>(a) / static_cast<double>(b) : 0.0);
    };
    field("used_memory", used);
    field("used_memory_human", BytesToHuman(used));
    field("used_memory_rss", rss);
    field("used_memory_rss_human", BytesToHuman(rss));
    field("used_memory_peak", peak);
    field("used_memory_peak_human", BytesToHuman(peak));
    field("used_memory_peak_perc",
          fmt::format("{:.2f}%",
                      peak ? 100.0 * static_cast<double>(used) / static_cast<double>(peak) : 0.0));
    field("used_memory_overhead", overhead);
    field("used_memory_startup", startup);
    field("used_memory_dataset", dataset);
    field("used_memory_dataset_perc",
          fmt::format("{:.2f}%", used > startup ? 100.0 * static_cast<double>(dataset) /
                                                      static_cast<double>(used - startup)
                                                : 0.0));
    field("allocator_allocated", used);
    field("allocator_active", active);
    field("allocator_resident", rss);
    field("total_system_memory", sys);
    field("total_system_memory_human", BytesToHuman(sys));
    // No scripting engine: its memory is zero.
    field("used_memory_lua", 0);
    field("used_memory_vm_eval", 0);
    field("used_memory_lua_human", "0B");
    field("used_memory_scripts_eval", 0);
    field("number_of_cached_scripts", 0);
    field("number_of_functions", 0);
    field("number_of_libraries", 0);
    field("used_memory_vm_functions", 0);
    field("used_memory_vm_total", 0);
    field("used_memory_vm_total_human", "0B");
    field("used_memory_functions", 0);
    field("used_memory_scripts", 0);
    field("used_memory_scripts_human", "0B");
    field("maxmemory", cfg.maxmemory);
    field("maxmemory_human", BytesToHuman(static_cast<uint64_t>(cfg.maxmemory)));
    field("maxmemory_policy", server.schema().GetValue("maxmemory-policy").value_or("noeviction"));
    field("allocator_frag_ratio", ratio(active, used));
    field("allocator_frag_bytes", static_cast<int64_t>(active) - static_cast<int64_t>(used));
    field("allocator_rss_ratio", ratio(rss, active));
    field("allocator_rss_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(active));
    field("rss_overhead_ratio", "1.00");
    field("rss_overhead_bytes", 0);
    field("mem_fragmentation_ratio", ratio(rss, used));
    field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
    field("mem_not_counted_for_evict", 0);
    field("mem_replication_backlog", 0);
    field("mem_total_replication_buffers", 0);
    field("mem_clients_slaves", 0);
    field("mem_clients_normal", clients_mem);
    field("mem_cluster_links", 0);
    field("mem_aof_buffer", 0);
    field("mem_allocator", "libc");
    field("active_defrag_running", 0);
    field("lazyfree_pending_objects", 0);
    field("lazyfreed_objects", 0);
  }
  if (on("persistence", true)) {
    section("Persistence");
    const Server::StartupLoad& load = server.startup_load();
    field("loading", load.active ? 1 : 0);
    field("async_loading", 0);
    field("current_cow_peak", 0);
    field("current_cow_size", 0);
    field("current_cow_size_age", 0);
    field("current_fork_perc", "0.00");
    field("current_save_keys_processed", 0);
    field("current_save_keys_total", 0);
    server.persistence().AppendInfo(out, now_ms);
    server.aof().AppendInfo(out, now_ms);
    if (load.active) {
      // The same figures and ETA arithmetic as Redis 7.0.
      const int64_t elapsed = now_ms / 1000 - load.start_s;
      double perc = 0;
      uint64_t remaining = 1;
      if (load.total_bytes > 0) {
        const uint64_t done = std::min(load.loaded_bytes, load.total_bytes);
        perc = static_cast<double>(done) / static_cast<double>(load.total_bytes) * 100;
        remaining = load.total_bytes - done;
      }
      const int64_t eta = elapsed == 0 ? 1
                                       : static_cast<int64_t>(static_cast<uint64_t>(elapsed) *
                                                              remaining / (load.loaded_bytes + 1));
      field("loading_start_time", load.start_s);
      field("loading_total_bytes", load.total_bytes);
      field("loading_rdb_used_mem", 0);
      field("loading_loaded_bytes", load.loaded_bytes);
      field("loading_loaded_perc", fmt::format("{:.2f}", perc));
      field("loading_eta_seconds", eta);
    }
  }
  if (on("stats", true)) {
    section("Stats");
    uint64_t in = st.net_input_bytes;
    uint64_t outb = st.net_output_bytes;
    const_cast<Server&>(server).ForEachClient([&](Client& c) {
      in += c.conn().bytes_read();
      outb += c.conn().bytes_written();
    });
    field("total_connections_received", st.total_connections_received);
    field("total_commands_processed", st.total_commands_processed);
    field("instantaneous_ops_per_sec", st.instantaneous_ops);
    field("total_net_input_bytes", in);
    field("total_net_output_bytes", outb);
    field("total_net_repl_input_bytes", 0);
    field("total_net_repl_output_bytes", 0);
    field("instantaneous_input_kbps", "0.00");
    field("instantaneous_output_kbps", "0.00");
    field("instantaneous_input_repl_kbps", "0.00");
    field("instantaneous_output_repl_kbps", "0.00");
    field("rejected_connections", st.rejected_connections);
    field("sync_full", server.replication().sync_full);
    field("sync_partial_ok", server.replication().sync_partial_ok);
    field("sync_partial_err", server.replication().sync_partial_err);
    field("expired_keys", server.keyspace().expired_keys);
    field("expired_stale_perc", "0.00");
    field("expired_time_cap_reached_count", 0);
    field("expire_cycle_cpu_milliseconds", 0);
    field("evicted_keys", server.evicted_keys());
    field("evicted_clients", 0);
    field("total_eviction_exceeded_time", 0);
    field("current_eviction_exceeded_time", 0);
    field("keyspace_hits", st.keyspace_hits);
    field("keyspace_misses", st.keyspace_misses);
    field("pubsub_channels", 0);
    field("pubsub_patterns", 0);
    field("pubsubshard_channels", 0);
    field("latest_fork_usec", 0);
    field("total_forks", 0);
    field("migrate_cached_sockets", 0);
    field("slave_expires_tracked_keys", 0);
    field("active_defrag_hits", 0);
    field("active_defrag_misses", 0);
    field("active_defrag_key_hits", 0);
    field("active_defrag_key_misses", 0);
    field("total_active_defrag_time", 0);
    field("current_active_defrag_time", 0);
    field("tracking_total_keys", 0);
    field("tracking_total_items", 0);
    field("tracking_total_prefixes", 0);
    field("unexpected_error_replies", st.unexpected_error_replies);
    field("total_error_replies", st.total_error_replies);
    field("dump_payload_sanitizations", 0);
    field("total_reads_processed", st.total_reads_processed);
    field("total_writes_processed", st.total_writes_processed);
    field("io_threaded_reads_processed", 0);
    field("io_threaded_writes_processed", 0);
    field("reply_buffer_shrinks", 0);
    field("reply_buffer_expands", 0);
    // Not in Redis 7.0.15's INFO: Redis 7.2's names for the ACL denials (failed AUTH included).
    field("acl_access_denied_auth", server.acl().denied_auth);
    field("acl_access_denied_cmd", server.acl().denied_cmd);
    field("acl_access_denied_key", server.acl().denied_key);
    field("acl_access_denied_channel", server.acl().denied_channel);
  }
  if (on("replication", true)) {
    section("Replication");
    server.replication().AppendInfo(out, now_ms);
  }
  if (on("cpu", true)) {
    section("CPU");
    rusage self{};
    rusage children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& tv) {
      return fmt::format("{:.6f}",
                         static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6);
    };
    field("used_cpu_sys", secs(self.ru_stime));
    field("used_cpu_user", secs(self.ru_utime));
    field("used_cpu_sys_children", secs(children.ru_stime));
    field("used_cpu_user_children", secs(children.ru_utime));
    field("used_cpu_sys_main_thread", secs(self.ru_stime));
    field("used_cpu_user_main_thread", secs(self.ru_utime));
  }
  if (on("modules", true)) section("Modules");
  if (on("commandstats", false)) {
    section("Commandstats");
    server.commands().ForEachWithSubcommands([&](const Command& c) {
      const CommandStats& s = c.stats;
      if (s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0) return;
      out += fmt::format(
          "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
          c.name, s.calls, s.usec,
          s.calls ? static_cast<double>(s.usec) / static_cast<double>(s.calls) : 0.0,
          s.rejected_calls, s.failed_calls);
    });
  }
  if (on("errorstats", true)) {
    section("Errorstats");
    for (const auto& [code, n] : st.errorstats)
      out += fmt::format("errorstat_{}:count={}\r\n", code, n);
  }
  if (on("latencystats", false) && cfg.latency_tracking) {
    section("Latencystats");
    server.commands().ForEachWithSubcommands([&](const Command& c) {
      const LatencyHistogram& h = c.stats.latency;
      if (h.count() == 0) return;
      out += fmt::format("latency_percentiles_usec_{}:p50={:.3f},p99={:.3f},p99.9={:.3f}\r\n",
                         c.name, h.Percentile(50), h.Percentile(99), h.Percentile(99.9));
    });
  }
  if (on("cluster", true)) {
    section("Cluster");
    field("cluster_enabled", 0);
  }
  if (on("keyspace", true)) {
    section("Keyspace");
    storage::Keyspace& ks = server.keyspace();
    for (int i = 0; i < ks.databases(); ++i) {
      storage::Db& db = ks.db(i);
      if (db.size() == 0) continue;
      out += fmt::format("db{}:keys={},expires={},avg_ttl={}\r\n", i, db.size(), db.expires_count(),
                         db.avg_ttl);
    }
  }
  return out;
}

}  // namespace tandem::server
