// ssh host keys of git sources, checked as ssh checks them: libgit2 1.5 accepts any host key
// unless told otherwise, so cairn compares the key a server presents with ~/.ssh/known_hosts and
// /etc/ssh/ssh_known_hosts (plain and hashed `|1|salt|hash` host names, `*`/`?` patterns,
// `[host]:port` for another port than 22) and refuses an unknown or changed key, as
// StrictHostKeyChecking=yes does.
#pragma once

#include <string>

namespace cairn::cli {

enum class HostKeyVerdict { kKnown, kUnknown, kChanged };

// What known_hosts_text (a known_hosts file's content) says of key_blob (the key in ssh's wire
// form, as the server sent it) for host at port.
HostKeyVerdict CheckKnownHost(const std::string& known_hosts_text, const std::string& host, int port,
                              const std::string& key_blob);

// The name known_hosts gives host at port: "host" for 22, else "[host]:port".
std::string KnownHostName(const std::string& host, int port);

}  // namespace cairn::cli
