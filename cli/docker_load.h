// `cairn build --load`, as buildx: the image goes into the local docker daemon through its API
// socket (POST /images/load, docker's image load endpoint, with the archive cairn save writes),
// spoken with libcurl over the unix socket. cairn runs no docker client.
#pragma once

#include <string>

namespace cairn::cli {

// The daemon's unix socket from $DOCKER_HOST ("unix:///path"; unset or empty: /var/run/docker.sock).
// Throws Error for another scheme (tcp://, ssh://), which cairn does not speak to.
std::string DockerSocket(const char* docker_host);

// Sends the archive at archive_path to the daemon at socket and returns what it said it loaded
// ("Loaded image: NAME" lines). Throws Error naming the socket: not reachable, an HTTP error or
// an error in the daemon's answer (its message).
std::string LoadIntoDocker(const std::string& socket, const std::string& archive_path);

}  // namespace cairn::cli
