// ADD of a local tar archive: docker extracts it (plain, gzip, bzip2, xz or zstd) into the
// destination directory instead of copying the file.
#pragma once

#include <string>

namespace cairn::builder {

// True if the file is a tar archive, possibly compressed, that libarchive can read.
bool IsTarArchive(const std::string& path);

// Extracts the archive into dest_dir (an existing directory), keeping modes, owners, times and
// links. Nothing is written outside dest_dir: entries with "..", absolute names or a path through
// a symlink are refused with an Error naming the entry and the archive.
void ExtractArchiveInto(const std::string& archive_path, const std::string& dest_dir);

}  // namespace cairn::builder
