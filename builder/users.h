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
// primary group from /etc/passwd (or gid = uid when numeric and unknown, as docker does).
// Throws Error: `unable to find user app: no matching entries in passwd file`.
UserIds ResolveUser(const std::string& spec, const ImageFileReader& read);

// An ImageFileReader over a mounted root directory.
ImageFileReader ReaderInRoot(const std::string& root);
// An ImageFileReader over unpacked layers (top-most first): the first layer holding the file wins.
ImageFileReader ReaderInLayers(const std::vector<std::string>& layer_dirs);

}  // namespace cairn::builder
