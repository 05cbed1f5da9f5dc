// The ssh agent protocol (draft-miller-ssh-agent), the side an agent speaks, for the keys of
// `--ssh ID=KEYFILE` (builder/ssh_keys.h): SSH_AGENTC_REQUEST_IDENTITIES is answered with the
// keys' public blobs and comments, SSH_AGENTC_SIGN_REQUEST with a signature by the named key;
// every other request (adding, removing, locking keys, extensions) with SSH_AGENT_FAILURE, so a
// step can use the keys and never change or read them.
#pragma once

#include <string>
#include <string_view>

#include "builder/ssh_keys.h"

namespace cairn::builder {

// The reply to one request. Both are message bodies (the type byte and its contents), without
// the uint32 length that frames them on the socket.
std::string AnswerAgentRequest(const SshKeyring& keys, std::string_view request);

// Takes the complete framed messages at the front of buffer (bytes read from a connection),
// answers each and appends the framed replies to out. False when a frame is longer than an agent
// accepts (256 KiB): the caller closes the connection.
bool ServeAgentBytes(const SshKeyring& keys, std::string& buffer, std::string& out);

}  // namespace cairn::builder
