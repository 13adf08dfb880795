#include "server/command_meta.h"

#include <map>
#include <string>

#include "server/command.h"

namespace tandem::server {

namespace {

struct RawMeta {
  const char* name;
  const char* info;
  const char* docs;
};

const RawMeta kRawMeta[] = {
#include "server/command_meta.inc"
};

resp::Value DecodeOrNull(const char* text) {
  resp::Value v;
  size_t consumed = 0;
  std::string error;
  if (resp::Decode(text, v, consumed, error) != resp::DecodeResult::kValue) return resp::Value{};
  return v;
}

// The stored COMMAND DOCS entry is the command's name followed by its docs map; keep the map.
resp::Value DecodeDocs(const char* text) {
  std::string_view in(text);
  resp::Value name;
  size_t consumed = 0;
  std::string error;
  if (resp::Decode(in, name, consumed, error) != resp::DecodeResult::kValue) return {};
  resp::Value docs;
  size_t rest = 0;
  if (resp::Decode(in.substr(consumed), docs, rest, error) != resp::DecodeResult::kValue) {
    return {};
  }
  return docs;
}

// Keeps only the subcommands present in the table: COMMAND INFO element 10 (an array of
// entries named "container|sub"), COMMAND DOCS "subcommands" (a map keyed by that name).
void FilterSubcommands(const Command* cmd, CommandMeta& meta) {
  auto known = [&](const std::string& full) {
    size_t bar = full.find('|');
    return cmd != nullptr && bar != std::string::npos &&
           cmd->FindSubcommand(full.substr(bar + 1)) != nullptr;
  };
  if (meta.info.elements.size() >= 10) {
    auto& subs = meta.info.elements[9].elements;
    std::vector<resp::Value> kept;
    for (auto& s : subs) {
      if (!s.elements.empty() && known(s.elements[0].str)) kept.push_back(std::move(s));
    }
    subs = std::move(kept);
  }
  auto& kv = meta.docs.elements;
  for (size_t i = 0; i + 1 < kv.size(); i += 2) {
    if (kv[i].str != "subcommands") continue;
    auto& subs = kv[i + 1].elements;
    std::vector<resp::Value> kept;
    for (size_t j = 0; j + 1 < subs.size(); j += 2) {
      if (known(subs[j].str)) {
        kept.push_back(std::move(subs[j]));
        kept.push_back(std::move(subs[j + 1]));
      }
    }
    subs = std::move(kept);
  }
}

}  // namespace

const CommandMeta* FindCommandMeta(const CommandTable& table, std::string_view name) {
  static std::map<std::string, CommandMeta, std::less<>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return &it->second;
  const Command* cmd = table.Find(name);
  if (cmd == nullptr) return nullptr;
  for (const RawMeta& raw : kRawMeta) {
    if (name != raw.name) continue;
    CommandMeta meta{DecodeOrNull(raw.info), DecodeDocs(raw.docs)};
    FilterSubcommands(cmd, meta);
    return &cache.emplace(std::string(name), std::move(meta)).first->second;
  }
  return nullptr;
}

}  // namespace tandem::server
