// `cairn load`: images from an archive into the store.
#pragma once

#include <string>
#include <vector>

#include "store/store.h"

namespace cairn::store {

// Reads a tar (plain or compressed; "-" = stdin) in one of three forms, tried in this order:
//  - an OCI layout (oci-layout, index.json, blobs/): every blob is copied with its digest
//    checked, so a `cairn save` archive loads with the same manifest digest; names come from
//    io.containerd.image.name, else org.opencontainers.image.ref.name when it is a full name;
//  - a docker-archive (manifest.json: Config, RepoTags, Layers), as docker save and skopeo
//    write it: the config is kept byte for byte (same image ID), each layer's uncompressed
//    digest must equal the config's diff_id, and an OCI manifest is written for them;
//  - the pre-1.10 `docker save` format (repositories, <id>/json, <id>/layer.tar, VERSION):
//    each layer's diffID is computed while loading and a v2 config made from the top v1 json,
//    as Docker's 1.10 migration did.
// Tags each image with its names and returns "Loaded image: NAME" (or "Loaded image ID: D") lines.
std::vector<std::string> LoadArchive(Store& store, const std::string& path);

}  // namespace cairn::store
