// The kChroot isolation level (runtime/isolation.h): what a RUN gets where no namespace can be
// made. The step's tree is the copying snapshotter's copy (runtime/copied_root.h); before the
// command is chrooted into it, this makes in the copy what a container's mounts would have shown:
// /dev with the standard device nodes, empty /proc and /sys, and the generated /etc/hosts,
// /etc/hostname and /etc/resolv.conf. All of them are mount-point stubs (MountPointStubs()), so
// none reaches the layer, exactly as with namespaces.
#pragma once

#include <string>

#include "runtime/container.h"

namespace cairn::runtime {

// Throws cairn::Error, naming the option, for what needs a mount or network namespace: RUN
// --mount (binds, tmpfs, layered trees), a terminal, --network none. why: the isolation's reason.
void CheckChrootable(const ContainerSpec& spec, const std::string& why);

// Fills `root` (a copied tree) as described above. Device nodes are made where CAP_MKNOD allows
// (docker's default set has it); elsewhere /dev holds only what the image had. Never follows a
// symlink of the image out of root. Throws cairn::Error naming the path.
void PrepareChrootRoot(const std::string& root, const ContainerSpec& spec);

}  // namespace cairn::runtime
