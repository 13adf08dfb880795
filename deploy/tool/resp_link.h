// A tiny blocking RESP client for the tool: connect with a deadline, send one command, read one
// reply. Built on tandem_resp's codec (EncodeCommand / Decode); every call is bounded by the
// timeout given at connect time.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "resp/value.h"

namespace tandem::deploy {

class RespLink {
 public:
  RespLink() = default;
  RespLink(const RespLink&) = delete;
  RespLink& operator=(const RespLink&) = delete;
  ~RespLink();

  // Connects to host:port (IP literal or name) within timeout_ms; the same timeout bounds every
  // later Call. The error text is suitable for a status table cell.
  std::expected<void, std::string> Connect(const std::string& host, int port, int timeout_ms);

  // Sends one command and returns its reply. Error replies come back as values (is_error()),
  // transport failures as the unexpected string (and close the link).
  std::expected<resp::Value, std::string> Call(const std::vector<std::string_view>& args);

  // Convenience: AUTH when password is non-empty. Returns the error text if it failed.
  std::expected<void, std::string> Auth(const std::string& password);

 private:
  void Close();
  int fd_ = -1;
  int timeout_ms_ = 1000;
  std::string buffer_;
};

// INFO text -> value of `field` ("" when absent).
std::string InfoField(std::string_view info, std::string_view field);

}  // namespace tandem::deploy
