// SHA-256 (FIPS 180-4), for ACL password hashes: Redis stores and shows passwords as the
// lower-case hex SHA-256 of the password.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::server {

std::array<uint8_t, 32> Sha256(std::string_view data);
// 64 lower-case hex characters.
std::string Sha256Hex(std::string_view data);

}  // namespace tandem::server
