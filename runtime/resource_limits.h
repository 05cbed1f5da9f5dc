// --ulimit, --add-host and --shm-size: how a build's RUN containers are set up beyond the image,
// as docker build has them. Parsed here once, for the CLI (to refuse a bad flag before the build)
// and for the builder (to fill each RUN's ContainerSpec).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/container.h"

namespace cairn::runtime {

// "nofile=1024:4096" or "nofile=4096" (soft = hard), with docker's names (core, cpu, data,
// fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack;
// -1 = unlimited). The hard limit may not exceed cairn's own (an unprivileged process cannot
// raise it, and a build must not fail halfway for that). Throws Error naming `--ulimit TEXT`.
ResourceLimit ParseUlimit(const std::string& text);

// "HOST:IP" (IPv6 may hold ':', split at the first) -> the /etc/hosts line "IP\tHOST". Throws
// Error naming `--add-host TEXT` when either part is empty or IP is not an address.
std::string ParseAddHost(const std::string& text);
// The HOST of an --add-host value (for the step cache key, which BuildKit keys without the IP).
std::string AddHostName(const std::string& text);

// "64m", "1g", "65536" (bytes), docker's units (b, k, m, g; case-insensitive) -> bytes. Throws
// Error naming `--shm-size TEXT` when it is no positive size.
uint64_t ParseShmSize(const std::string& text);

}  // namespace cairn::runtime
