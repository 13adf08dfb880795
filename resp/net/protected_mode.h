#pragma once

// Redis 7.0's protected mode, shared by tandem-server and tandem-sentinel: with it on and no
// password for the default user, a TCP client that is not local gets this error and is closed.

#include <string_view>

#include "resp/net/connection.h"

namespace tandem::net {

// A peer ("ip:port") on the loopback interface as Redis 7.0 counts it for protected mode and
// `enable-debug-command local`: exactly 127.0.0.1 or ::1, not the rest of 127.0.0.0/8.
inline bool IsLocalPeer(std::string_view peer) {
  return peer.starts_with("127.0.0.1:") || peer.starts_with("::1:");
}

// True when protected mode refuses `conn`: on, no password for the default user, and a TCP
// peer that is not local.
inline bool ProtectedModeRefuses(const Connection& conn, bool protected_mode, bool no_password) {
  return protected_mode && no_password && conn.kind() == Connection::Kind::kTcp &&
         !IsLocalPeer(conn.peer());
}

inline constexpr std::string_view kProtectedModeDenied =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
    "Redis from the same host the server is running, however MAKE SURE Redis is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the "
    "Redis configuration file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for testing, "
    "restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in "
    "order for the server to start accepting connections from the outside.\r\n";

}  // namespace tandem::net
