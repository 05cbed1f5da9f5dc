// Layers: a directory tree <-> a deterministic, compressed tar blob.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "store/byte_sink.h"
#include "store/compressor.h"
#include "store/store.h"

namespace cairn::store {

struct SnapshotOptions {
  // Every mtime is clamped to this (whole seconds); see the rules in layer.cc.
  int64_t source_date_epoch = 0;
  // The tree is an overlay upper dir: char-device 0/0 is a whiteout, the opaque xattr marks an
  // opaque directory. When false, the tree is a plain root filesystem.
  bool overlay_upper = true;
  // The overlay's lower dirs (top-most first, as lowerdir=): an upper entry identical to what
  // they show at its path (type, mode, owner, mtime, xattrs, content) was copied up without a
  // change and is left out. Empty: every entry is a change.
  std::vector<std::string> lowerdirs;
  // Paths (absolute, e.g. "/etc/hosts") never written to the layer: mount-point stubs.
  std::set<std::string> exclude;
  // Codec and level of the blob (default: gzip, libdeflate level 1); see store/compressor.h.
  Compression compression;
  // The tree becomes the layer's unpacked tree (Store::AdoptUnpackedLayer) instead of being
  // extracted again from the blob when a later step needs it: after the blob is written, it is
  // made in place what ExtractLayer would make of the blob (what the tar leaves out removed,
  // times clamped as the tar has them, only the xattrs the tar keeps) and moved into layers/.
  // dir is gone afterwards, unless the store had that layer unpacked already.
  bool adopt = false;
};

struct Layer {
  Descriptor descriptor;  // the compressed blob (tar+gzip or tar+zstd), with compressor annotation
  std::string diff_id;    // sha256 of the uncompressed tar
};

// Walks `dir` in bytewise path order and streams a normalised tar through the
// options' compressor into the store; with options.adopt, dir then becomes its unpacked tree.
// Returns nullopt if the tree holds no entries (an empty change makes no layer).
std::optional<Layer> CommitLayerFromDir(Store& store, const std::string& dir, const SnapshotOptions& options);

// Writes `dir`, a plain root filesystem, as an uncompressed tar to out, by the same rules as a
// layer's tar (sorted names, numeric owners, allowed xattrs, hard links) but with every mtime
// kept: `-o type=tar` of a built image. Throws Error naming the path that could not be read.
void WriteTreeTar(const std::string& dir, ByteSink& out);

// Extracts a layer blob (gzip, zstd or plain tar, detected from its bytes) into `dir`, which
// must exist. `.wh.` whiteouts become overlay whiteouts (char 0/0) and opaque xattrs. Nothing is
// ever written outside `dir`: absolute names, "..", symlinked parents and hardlinks that point
// outside are rejected with an Error naming the entry.
void ExtractLayer(const std::string& blob_path, const std::string& dir);

}  // namespace cairn::store
