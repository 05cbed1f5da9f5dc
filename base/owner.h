// Who owns a file in cairn's trees (unpacked layers, a step's upper dir, its copies).
//
// Root, and rootless cairn (uid 0 of its user namespace, runtime/userns.h), set owners with
// lchown, and a file's owner is its st_uid/st_gid. A non-root process without a user namespace
// (a CI container that refuses them: runtime/isolation.h, kNone) cannot chown: every file it
// makes is its own. There the owner a build gives a file is recorded in the xattr kOwnerXattr
// ("UID:GID"), and a file without one is root's, 0:0, as a COPY without --chown makes it. So a
// COPY-only build gives the same layers, bit for bit, as root's. The xattr never reaches a
// layer (store/tar_rules.h) and is never taken from one.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace cairn {

inline constexpr const char* kOwnerXattr = "user.cairn.owner";

// Whether owners are recorded rather than set: this process is not root (in its namespace).
bool OwnersRecorded();

// lchown, or where OwnersRecorded(), the record. A symlink cannot carry a user xattr: there only
// 0:0 can be given, and another owner is an Error saying what allows it. Throws cairn::Error.
void SetOwner(const std::string& path, uid_t uid, gid_t gid);

// Where OwnersRecorded(): st's owner becomes the recorded one (0:0 without a record). No-op for
// root.
void ApplyRecordedOwner(const std::string& path, struct stat& st);

}  // namespace cairn
