// Archives: `cairn save` and `cairn import`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/platform.h"
#include "store/store.h"

namespace cairn::store {

// Writes one tar holding the OCI layout of the named images and docker's manifest.json pointing
// at the same blobs, as `docker save` writes since v25; docker load, podman load and skopeo's
// docker-archive: all read it. Deterministic: the same images give the same bytes.
// A multi-platform image is saved whole (its index and every platform's image); one pulled for a
// single platform (its index lists images the store lacks) is saved as that image alone, as
// before multi-platform support, and `note` (when given) is told so.
void SaveArchive(const Store& store, const std::vector<std::string>& names, const std::string& out_path,
                 const std::function<void(const std::string&)>& note = nullptr);

// The same images as an OCI image layout directory (blobs/sha256, oci-layout, index.json; no
// docker manifest.json): `-o type=oci,dest=DIR,tar=false`. dir must be new or empty.
void SaveLayoutDir(const Store& store, const std::vector<std::string>& names, const std::string& dir,
                   const std::function<void(const std::string&)>& note = nullptr);

// `docker import`: turns a root-filesystem tar (plain or compressed; "-" = stdin) into a
// one-layer image tagged `name`. The tree is normalised like any layer, so the same tree gives
// the same image. `changes` are Dockerfile instructions applied to the config, as `docker import
// -c` takes them: CMD, ENTRYPOINT (JSON or shell form), ENV, WORKDIR, USER, EXPOSE, LABEL.
// `platform` is what the config says the image is for (`--platform`; linux/amd64 unless given,
// whatever the host, so an import is the same image everywhere). Returns the manifest descriptor.
Descriptor ImportRootfs(Store& store, const std::string& tar_path, const std::string& name,
                        int64_t source_date_epoch, const std::vector<std::string>& changes = {},
                        const Platform& platform = {"linux", "amd64", ""});

// Applies one `--change` instruction to an image config's "config" object. Throws Error naming
// the instruction when it is not one of the kinds above or is malformed.
void ApplyImportChange(nlohmann::json& container_config, const std::string& change);

}  // namespace cairn::store
