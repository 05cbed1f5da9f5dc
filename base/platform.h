// Platforms ("linux/arm64", "linux/arm/v7"): what an image is built for and what a base image
// index is searched by. One parser and one normal form for the whole of cairn, so that a
// platform written by a user, read from an image config or from an index entry compares equal
// when it means the same machine.
#pragma once

#include <string>
#include <vector>

namespace cairn {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH spelling: "amd64", "arm64", "arm", "386", ...
  std::string variant;       // "v7" for arm; empty when the architecture has none

  bool operator==(const Platform&) const = default;
};

// Parses "os/arch[/variant]" into the normal form containerd uses (platforms.Normalize), so
// aliases compare equal: x86_64 -> amd64, aarch64 and arm64/v8 -> arm64, armhf and arm -> arm/v7,
// armel -> arm/v6, i386/i686 -> 386. Case does not matter. Only the platforms cairn can build
// for are accepted (KnownPlatforms); anything else throws Error naming the text and listing them.
Platform ParsePlatform(const std::string& text);

// The same normal form for the fields of an image config or an index entry, which may carry
// aliases (an "aarch64" config); never throws: unknown values are kept, lower-cased.
Platform NormalizePlatform(const Platform& p);

// "linux/arm/v7", "linux/amd64": the text form, variant only when there is one.
std::string ToString(const Platform& p);

// The machine cairn runs on (uname's machine field, normalised).
Platform HostPlatform();

// Every platform --platform accepts, in the order the README lists them.
const std::vector<std::string>& KnownPlatforms();

// "linux/amd64,linux/arm64" -> both, parsed; repeats are an error (each platform is built once).
std::vector<Platform> ParsePlatformList(const std::string& text);

// The name binfmt_misc and Debian's qemu-user-static give the emulator of p ("aarch64" for
// linux/arm64, "arm" for linux/arm/v7): /proc/sys/fs/binfmt_misc/qemu-<name>, qemu-<name>-static.
std::string QemuName(const Platform& p);

}  // namespace cairn
