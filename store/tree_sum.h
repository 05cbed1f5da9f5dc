// Digests that prove an unpacked layer and a layer blob are what their diffID says.
//
// How `cairn check` verifies layers/<hex> against its diffID, cheaply and correctly: when a
// layer is unpacked, the tree's TreeDigest is recorded in layers/<hex>.sum (written before the
// tree is renamed into place, so a tree never exists without its sum). check recomputes the
// tree digest and compares it to the record (one walk, no re-tar: a layer from another builder
// is not byte-identical after re-taring with cairn's normalisation), and checks the layer blob
// itself against the diffID with BlobDiffId. The two together chain tree -> blob -> diffID.
// A tree without a record (unpacked by an older cairn) is compared against a fresh extraction
// of its blob instead.
#pragma once

#include <string>

namespace cairn::store {

// sha256 over every entry of dir in bytewise path order: relative path, type, permission bits,
// owner, size and content (files), target (symlinks), device number, xattrs (sorted), and the
// mtime of regular files. Throws Error naming the path when the tree cannot be read.
std::string TreeDigest(const std::string& dir);

// sha256 of a layer blob's uncompressed bytes (gzip, zstd or plain tar): its diffID.
std::string BlobDiffId(const std::string& blob_path);

// layers/<hex> -> layers/<hex>.sum
std::string TreeSumPath(const std::string& layer_dir);

}  // namespace cairn::store
