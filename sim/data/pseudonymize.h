// Keyed pseudonymisation of identifiers (client ids, user ids) with HMAC-SHA256.
//
// Raw identifiers are turned into HMAC digests as they are read and never stored; dense integer ids
// are then assigned in sorted order of the digests, so neither the ids nor their order reveal the
// raw values to anyone without the key.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fedsim {

using Digest = std::array<uint8_t, 32>;

// HMAC-SHA256(key, value) as raw bytes / as 64 lowercase hex characters.
Digest hmac_sha256(std::string_view key, std::string_view value);
std::string hmac_sha256_hex(const std::string& key, const std::string& value);

// The bytes of a key file, exactly as stored (a trailing newline is part of the key).
// Throws std::runtime_error "PATH: ..." when it cannot be read or is empty.
std::string read_key_file(const std::string& path);

// Dense ids 0..K-1 for per-row digests, assigned in sorted order of the distinct digests.
// Returns the id of every row; *distinct (optional) receives K.
std::vector<int32_t> dense_ids_by_digest(const std::vector<Digest>& digests,
                                         int64_t* distinct = nullptr);

}  // namespace fedsim
