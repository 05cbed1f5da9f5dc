// `cairn build -` and `cairn build -f -`: build inputs read from standard input, as docker reads
// them. `build -` takes a tar of the context (plain, gzip, bzip2, xz or zstd), which may hold the
// Dockerfile; when stdin is no archive at all it is the Dockerfile itself and the context is
// empty (`docker build - < Dockerfile`). `-f -` takes the Dockerfile's text, with a context
// directory as usual.
#pragma once

#include <string>

#include "store/store.h"

namespace cairn::cli {

// Where a build finds what stdin gave it, in a scratch directory under the store's tmp/ that
// is removed when this object dies.
class StdinInputs {
 public:
  // Reads all of fd. As a context: the tar is extracted safely (no entry is written outside the
  // scratch directory: absolute names, "..", links through which a name would escape are an
  // Error naming the entry). Throws Error naming stdin when it cannot be read.
  static StdinInputs Context(store::Store& store, int fd);
  static StdinInputs Dockerfile(store::Store& store, int fd);

  StdinInputs(StdinInputs&& other) noexcept;
  ~StdinInputs();

  // `build -`: the extracted context (empty when stdin was a Dockerfile).
  const std::string& context_dir() const { return context_dir_; }
  // The Dockerfile stdin gave (`-f -`, or `build - < Dockerfile`); "" for a context tar, whose
  // Dockerfile is found in it as in a context directory.
  const std::string& dockerfile_path() const { return dockerfile_path_; }

 private:
  explicit StdinInputs(std::string scratch) : scratch_(std::move(scratch)) {}
  std::string scratch_, context_dir_, dockerfile_path_;
};

}  // namespace cairn::cli
