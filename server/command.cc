#include "server/command.h"

#include <cctype>

namespace tandem::server {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {
std::unique_ptr<Command> MakeCommand(const CommandRow& row, std::string name) {
  auto c = std::make_unique<Command>();
  c->name = std::move(name);
  c->arity = row.arity;
  c->flags = row.flags;
  c->first_key = row.first_key;
  c->last_key = row.last_key;
  c->key_step = row.key_step;
  c->handler = row.handler;
  c->acl_categories = row.acl_categories;
  c->group = row.group;
  c->summary = row.summary;
  c->since = row.since;
  c->complexity = row.complexity;
  return c;
}
}  // namespace

Command* Command::FindSubcommand(std::string_view lower_name) const {
  for (const auto& s : subcommands) {
    if (s->short_name() == lower_name) return s.get();
  }
  return nullptr;
}

Command* CommandTable::Add(const CommandRow& row) {
  auto c = MakeCommand(row, ToLower(row.name));
  Command* raw = c.get();
  by_name_[raw->name] = std::move(c);
  ordered_.push_back(raw);
  return raw;
}

Command* CommandTable::AddSubcommand(Command* container, const CommandRow& row) {
  auto c = MakeCommand(row, container->name + "|" + ToLower(row.name));
  c->parent = container;
  Command* raw = c.get();
  container->subcommands.push_back(std::move(c));
  return raw;
}

Command* CommandTable::Find(std::string_view name) const {
  char buf[64] = {};
  if (name.size() >= sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    buf[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
  }
  auto it = by_name_.find(std::string_view(buf, name.size()));
  return it == by_name_.end() ? nullptr : it->second.get();
}

}  // namespace tandem::server
