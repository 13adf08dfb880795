// libFuzzer target: sentinel.conf text through LoadConfigText (the generic directives on the
// Sentinel's config::Schema, the queued `sentinel` lines in Redis's order) and, for a text that
// loads, the rewrite Sentinel performs after every state change: RenderSentinelConfig's output
// must load again into the same masters, replicas, Sentinels and epochs, or a Sentinel that
// rewrote its file could not restart. Texts with include lines are exempt from that check (their
// options are read twice after a rewrite, as in Redis).
//
// Name resolution is fenced: the target links with -Wl,--wrap=getaddrinfo, so state.cc's
// lookups reach __wrap_getaddrinfo below, which parses literal addresses and resolves only
// "localhost" and *.test (RFC 6761) names, to 127.0.0.1, without DNS. Includes and `dir` are
// fenced as in config_fuzz (config_fuzz_util.h).
#include <netdb.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/schema.h"
#include "config_fuzz_util.h"
#include "sentinel/config_file.h"
#include "sentinel/state.h"

extern "C" int __real_getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                                  addrinfo** res);

extern "C" int __wrap_getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                                  addrinfo** res) {
  addrinfo numeric = hints != nullptr ? *hints : addrinfo{};
  numeric.ai_flags |= AI_NUMERICHOST;
  const int rc = __real_getaddrinfo(node, service, &numeric, res);
  if (rc == 0 || node == nullptr || (hints != nullptr && (hints->ai_flags & AI_NUMERICHOST))) {
    return rc;
  }
  const std::string_view name(node);
  if (name == "localhost" || (name.size() > 5 && name.ends_with(".test"))) {
    return __real_getaddrinfo("127.0.0.1", service, &numeric, res);
  }
  return EAI_NONAME;
}

namespace {

namespace sn = tandem::sentinel;

// One Sentinel's configuration: options, schema (rows point into opts) and state.
struct Loaded {
  sn::ServerOptions opts;
  tandem::config::Schema schema;
  std::string dir;
  sn::GlobalState g;
  Loaded() {
    sn::RegisterServerOptions(schema, opts);
    tandem::fuzz::FenceDir(schema, &dir);
  }
};

// What a restart must find again.
std::string Summary(const sn::GlobalState& g) {
  std::string out = "myid " + g.myid + " epoch " + std::to_string(g.current_epoch) + "\n";
  for (const auto& m : g.masters) {
    out += "master " + m->name + " " + m->addr.ip + ":" + std::to_string(m->addr.port) + " q" +
           std::to_string(m->quorum) + " config-epoch " + std::to_string(m->config_epoch) +
           " replicas " + std::to_string(m->slaves.size()) + "\n";
    for (const auto& s : m->sentinels) {
      if (!s->runid.empty()) out += "  sentinel " + s->runid + "\n";
    }
  }
  return out;
}

[[noreturn]] void Fail(const std::string& what, const std::string& rendered) {
  std::fprintf(stderr, "sentinel_config_fuzz: %s\n--- rewritten\n%s---\n", what.c_str(),
               rendered.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tandem::fuzz::PrepareIncludeSandbox();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const tandem::fuzz::IncludeScan includes = tandem::fuzz::ScanIncludes(text);
  if (!includes.safe) return -1;

  Loaded a;
  if (!sn::LoadConfigText(text, a.schema, a.g) || includes.has_include) return 0;
  // Sentinel picks its id at start when the file has none, before it ever rewrites the file.
  if (a.g.myid.empty()) a.g.myid = std::string(sn::kRunIdSize, 'f');
  const std::string rendered = sn::RenderSentinelConfig(text, a.g);
  Loaded b;
  if (auto r = sn::LoadConfigText(rendered, b.schema, b.g); !r) {
    Fail("the rewritten config does not load: line " + std::to_string(r.error().line) + " '" +
             r.error().line_text + "': " + r.error().reason,
         rendered);
  }
  if (Summary(a.g) != Summary(b.g)) {
    Fail("the rewritten config loads differently:\n" + Summary(a.g) + "became\n" + Summary(b.g),
         rendered);
  }
  return 0;
}
