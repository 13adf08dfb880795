// Process-level settings shared by tandem-server and tandem-sentinel: `daemonize`, `pidfile` and
// `supervised systemd` (sd_notify without libsystemd), as Redis's server.c does them.
#pragma once

#include <string>

namespace tandem::config {

// sd_notify(3): one datagram to $NOTIFY_SOCKET ("READY=1\n", "STATUS=...\n", "STOPPING=1\n").
// False when not supervised or the datagram could not be sent.
bool NotifySystemd(const std::string& message);
// The classic double-detach: the parent exits, the child starts a session and points stdio at
// /dev/null.
void Daemonize();
// Writes "<pid>\n" to `path` (no-op when empty); a failure is logged, not fatal, as in Redis.
void WritePidFile(const std::string& path);
// In a forked child: closes every descriptor from 3 up except `keep` (-1 for none), so the child
// does not hold the parent's listening sockets or client connections (a restarted parent could
// not bind its port while a snapshot child lives on).
void CloseInheritedFds(int keep);

}  // namespace tandem::config
