// USER and --chown: names resolved against the image's own /etc/passwd and /etc/group, as
// docker does; numbers are taken as they are.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cairn::builder {

struct UserIds {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> supplementary_groups;  // from /etc/group membership
  std::string home = "/";
};

// Reads a file of the image ("/etc/passwd"); nullopt if the image has none.
using ImageFileReader = std::function<std::optional<std::string>(const std::string& path)>;

// Resolves "user", "user:group", "uid", "uid:gid" (empty = root). A user given alone gets its
// primary group from /etc/passwd (or gid = uid when numeric and unknown, as docker does for
// --chown; a process run as USER follows ResolveProcessUser instead).
// Throws Error: `unable to find user app: no matching entries in passwd file`.
UserIds ResolveUser(const std::string& spec, const ImageFileReader& read);

// The identity a process runs as for USER (RUN steps and `cairn run`), by runc's rules after
// the CVE-2023-25173 fix, which docker and BuildKit share: a uid without a passwd entry runs
// with gid 0; supplementary_groups always holds the primary gid first, then, when no group was
// written, every /etc/group entry that lists the user (root keeps group 0 this way too); an
// explicit group ("app:staff", "1001:1001") drops the memberships.
UserIds ResolveProcessUser(const std::string& spec, const ImageFileReader& read);

// An ImageFileReader over a mounted root directory.
ImageFileReader ReaderInRoot(const std::string& root);
// An ImageFileReader over unpacked layers (top-most first): the first layer holding the file wins.
ImageFileReader ReaderInLayers(const std::vector<std::string>& layer_dirs);

}  // namespace cairn::builder
