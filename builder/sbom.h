// An SPDX 2.3 document of the packages an image's own package databases list (--attest
// type=sbom): dpkg's /var/lib/dpkg/status and apk's /lib/apk/db/installed, read from the final
// image's layers by cairn itself (no scanner runs). Reproducible: packages in name order, the
// documentNamespace derived from the package list's digest, `created` from the image epoch.
// An image without a package database (busybox, scratch) gives a valid document with no packages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace cairn::builder {

struct Package {
  std::string type;  // "deb" | "apk"
  std::string name, version, arch, supplier, license, source;
};

// The installed packages of a dpkg status file (Status: ... installed) and of apk's installed db.
std::vector<Package> ParseDpkgStatus(const std::string& text);
std::vector<Package> ParseApkInstalled(const std::string& text);

// The packages of the image whose layers (bottom first) and diff_ids are given: each database
// as the topmost layer that has (or deletes) it leaves it.
std::vector<Package> ImagePackages(store::Store& store, const std::vector<store::Descriptor>& layers,
                                   const std::vector<std::string>& diff_ids);

// The SPDX 2.3 JSON document; distro ("debian", "alpine") goes into purls.
nlohmann::json SpdxDocument(const std::vector<Package>& packages, const std::string& distro, int64_t epoch);

// The distribution's ID from /etc/os-release (or /usr/lib/os-release) of the image, "" if none.
std::string ImageDistro(store::Store& store, const std::vector<store::Descriptor>& layers,
                        const std::vector<std::string>& diff_ids);

}  // namespace cairn::builder
