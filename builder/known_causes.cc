#include "builder/known_causes.h"

#include <string_view>

namespace cairn::builder {

namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

}  // namespace

// One rule per known source, most specific first. Each names the tool that writes the file and
// the line to add at the end of the RUN that installed things.
std::optional<KnownCause> KnownCauseOf(const std::string& raw, bool mentions_host) {
  std::string_view path = raw;
  while (StartsWith(path, "./") || StartsWith(path, "/")) path.remove_prefix(path[0] == '.' ? 2 : 1);
  if (StartsWith(path, "var/cache/apt/") && EndsWith(path, ".bin"))
    return KnownCause{"apt's binary package cache (pkgcache.bin, srcpkgcache.bin) is rebuilt with the time of the build",
                      "rm -f /var/cache/apt/*.bin at the end of the RUN that calls apt-get (apt-get clean does it too)"};
  if (path == "var/cache/ldconfig/aux-cache")
    return KnownCause{"ldconfig's auxiliary cache records the inode numbers and times of the libraries it scanned",
                      "rm -f /var/cache/ldconfig/aux-cache at the end of the RUN (ldconfig rebuilds it when needed)"};
  if (StartsWith(path, "var/log/apt/"))
    return KnownCause{"apt's log (history.log, term.log) records the start and end time of every apt-get run",
                      "rm -rf /var/log/apt/* (or all of /var/log/*) at the end of the RUN that calls apt-get"};
  if (StartsWith(path, "var/log/"))
    return KnownCause{"a log file (dpkg.log, alternatives.log, ...) with the time of each line written during the build",
                      "rm -rf /var/log/* at the end of the RUN, or remove just the logs you do not need"};
  if (EndsWith(path, ".pyc") || EndsWith(path, ".pyo"))
    return KnownCause{"Python byte code records the source file's time, or was compiled in another order",
                      "compile with SOURCE_DATE_EPOCH set (cairn sets it in every RUN; do not override it) or "
                      "python3 -m compileall --invalidation-mode checked-hash; else delete the __pycache__ directories"};
  if (mentions_host)
    return KnownCause{"the file contains the name of the host the build ran on",
                      "do not write `hostname` or $HOSTNAME into files; pass a fixed name with --build-arg if one is needed"};
  return std::nullopt;
}

}  // namespace cairn::builder
