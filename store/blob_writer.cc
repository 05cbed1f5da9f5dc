#include "store/blob_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "store/scratch.h"

namespace cairn::store {
namespace {

void FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) throw SysError("fsync", dir);
}

class FileBlobWriter : public BlobWriter {
 public:
  FileBlobWriter(const std::string& tmp_dir, std::string blobs_dir) : blobs_dir_(std::move(blobs_dir)) {
    std::string tmpl = JoinPath(tmp_dir, ScratchPrefix("blob-") + "XXXXXX");
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    fd_.Reset(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd_) throw SysError("create", tmpl);
    temp_path_ = name.data();
  }

  ~FileBlobWriter() override {
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  }

  void Write(const void* data, size_t size) override {
    if (done_) throw Error("blob writer: write after commit");
    WriteAll(fd_.get(), data, size, temp_path_);
    hash_.Update(data, size);
    written_ += static_cast<int64_t>(size);
  }

  Descriptor Commit(const std::string& media_type, const std::string& expected_digest) override {
    if (done_) throw Error("blob writer: committed twice");
    done_ = true;
    std::string digest = hash_.Finish();
    if (!expected_digest.empty() && digest != expected_digest)
      throw Error("blob digest mismatch: expected " + expected_digest + ", got " + digest + " (" +
                  std::to_string(written_) + " bytes); the content was discarded");
    // 0444: a blob never changes after it is committed.
    if (::fchmod(fd_.get(), 0444) != 0) throw SysError("chmod", temp_path_);
    if (::fsync(fd_.get()) != 0) throw SysError("fsync", temp_path_);
    fd_.Reset();
    std::string final_path = JoinPath(blobs_dir_, DigestHex(digest));
    // An existing blob has the same bytes (same digest): keep it, drop ours.
    if (!PathExists(final_path)) {
      if (::rename(temp_path_.c_str(), final_path.c_str()) != 0) throw SysError("rename to", final_path);
      temp_path_.clear();
      FsyncDir(blobs_dir_);
    }
    return Descriptor{media_type, digest, written_, {}};
  }

  int64_t BytesWritten() const override { return written_; }

 private:
  std::string blobs_dir_;
  std::string temp_path_;
  UniqueFd fd_;
  Sha256 hash_;
  int64_t written_ = 0;
  bool done_ = false;  // Commit was called (successfully or not): the hash is spent
};

}  // namespace

std::unique_ptr<BlobWriter> NewFileBlobWriter(const std::string& tmp_dir, const std::string& blobs_dir) {
  return std::make_unique<FileBlobWriter>(tmp_dir, blobs_dir);
}

}  // namespace cairn::store
