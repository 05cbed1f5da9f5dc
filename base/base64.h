// Standard base64 (RFC 4648, with '=' padding), as docker's config.json "auth" field and HTTP
// basic authentication use it. One home for the codec (OpenSSL's EVP block functions).
#pragma once

#include <string>

namespace cairn {

std::string Base64Encode(const std::string& bytes);
// Throws Error on malformed input (the message does not repeat the input: it may be a password).
std::string Base64Decode(const std::string& text);

}  // namespace cairn
