// Rendering one host of a topology: its server config (master.conf's settings, the host's port,
// paths and role), its Sentinel config, and the two systemd units. Pure functions of the
// topology; `render` writes them to a directory, `up` writes them into its run directory.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "topology.h"

namespace tandem::deploy {

struct RenderedFile {
  std::string name;          // file name inside the output directory
  std::string install_path;  // where it belongs on the host ("" for nothing to install)
  std::string content;
  mode_t mode = 0644;
};

std::string RenderServerConfig(const Topology& t, const Host& h);
std::string RenderSentinelConfig(const Topology& t, const Host& h);
std::string RenderServerUnit(const Topology& t, const Host& h);
std::string RenderSentinelUnit(const Topology& t, const Host& h);

// The four files of a host, in the order above. Configs holding a password are mode 0640.
std::vector<RenderedFile> RenderHost(const Topology& t, const Host& h);

// The pid/log/config file paths a host's processes use (shared by render, up, down).
std::string ServerConfigPath(const Topology& t, const Host& h);
std::string SentinelConfigPath(const Topology& t, const Host& h);
std::string ServerPidPath(const Topology& t, const Host& h);
std::string SentinelPidPath(const Topology& t, const Host& h);
std::string ServerLogPath(const Topology& t, const Host& h);
std::string SentinelLogPath(const Topology& t, const Host& h);

// redis.conf quoting for a value that may hold spaces or quotes.
std::string ConfQuote(std::string_view s);

}  // namespace tandem::deploy
