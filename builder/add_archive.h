// ADD of a local tar archive: docker extracts it (plain, gzip, bzip2, xz or zstd) into the
// destination directory instead of copying the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cairn::builder {

// True if the file is a tar archive, possibly compressed, that libarchive can read.
bool IsTarArchive(const std::string& path);

// Extracts the archive into dest_dir (an existing directory inside root, as a host path),
// keeping modes, times and links, and owners unless uid/gid are given (ADD --chown). Entries are
// placed as docker does, as if root were "/": a symlink already in the image on an entry's path
// ("var/run" -> "/run") is followed within root and kept, never replaced by a directory.
// Nothing is written outside root: entries with "..", absolute names or hard links out of the
// archive are refused with an Error naming the entry and the archive.
void ExtractArchiveInto(const std::string& archive_path, const std::string& root, const std::string& dest_dir,
                        std::optional<uint32_t> uid = std::nullopt, std::optional<uint32_t> gid = std::nullopt);

}  // namespace cairn::builder
