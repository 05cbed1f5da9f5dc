// CommitLayerFromDir: a directory tree -> a deterministic tar -> compressor -> a blob.
// The header rules live in tar_rules.cc; this file decides WHICH entries exist and in what order.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "base/owner.h"
#include "store/byte_sink.h"
#include "store/compressor.h"
#include "store/layer.h"
#include "store/tar_rules.h"

namespace cairn::store {

namespace {

struct Node {
  std::string tar_name;
  std::string path;  // absolute, on disk
  struct stat st {};
  bool whiteout = false;  // overlay whiteout (base/overlay_marks.h): written as ".wh.<name>"
  bool opaque = false;    // overlay opaque dir: followed by "<dir>/.wh..wh..opq"
  bool unchanged = false;  // copied up from a lower entry and still identical to it
};


// An unchanged copy-up has the lower's owner record too (base/owner.h): compared with the rest.
bool IsLayerOrOwnerXattr(std::string_view name) { return IsLayerXattr(name) || name == kOwnerXattr; }

struct stat Owned(const std::string& path, struct stat st) {
  ApplyRecordedOwner(path, st);
  return st;
}

// Sorted by name (the tar rules sort them too).
Xattrs LayerXattrs(const std::string& path) { return ListXattrs(path, IsLayerXattr); }

class Walker {
 public:
  Walker(const std::string& root, const SnapshotOptions& o) : root_(root), o_(o) {}

  std::vector<Node> Run() {
    Walk(root_, "", o_.overlay_upper ? o_.lowerdirs : std::vector<std::string>{});
    // Rule: entries in bytewise order of their tar names. A prefix sorts first, so parents come
    // before children; the order depends on names only, never on readdir or the file system.
    std::sort(nodes_.begin(), nodes_.end(), [](const Node& a, const Node& b) { return a.tar_name < b.tar_name; });
    return DropNonChanges(std::move(nodes_));
  }

 private:
  // lowers: the lower directories merged at rel (empty when nothing of the lowers shows there).
  void Walk(const std::string& abs, const std::string& rel, const std::vector<std::string>& lowers) {
    for (const std::string& name : ListDir(abs)) {
      std::string child_rel = rel.empty() ? name : rel + "/" + name;
      std::string child = JoinPath(abs, name);
      if (o_.exclude.count("/" + child_rel)) {
        MarkStubParents(rel);
        continue;
      }
      Node n;
      n.path = child;
      if (::lstat(child.c_str(), &n.st) != 0) throw SysError("lstat", child);
      ApplyRecordedOwner(child, n.st);
      // Rule: sockets cannot be archived (tar has no type for them); docker skips them too.
      if (S_ISSOCK(n.st.st_mode)) continue;
      if (o_.overlay_upper && IsWhiteout(child, n.st)) {
        n.whiteout = true;
        n.tar_name = TarName(rel.empty() ? ".wh." + name : rel + "/.wh." + name, false);
        nodes_.push_back(std::move(n));
        continue;
      }
      bool dir = S_ISDIR(n.st.st_mode);
      n.tar_name = TarName(child_rel, dir);
      if (dir && o_.overlay_upper) n.opaque = IsOpaqueDir(child);
      std::vector<std::string> below_dirs;
      if (!lowers.empty()) {
        // What the copy-up hides: the entry overlay showed at this path before the step.
        auto below = FindInLowers(lowers, name, dir && !n.opaque ? &below_dirs : nullptr);
        n.unchanged = below && !n.opaque && SameEntry(n.path, n.st, below->path, Owned(below->path, below->st), IsLayerOrOwnerXattr);
      }
      nodes_.push_back(std::move(n));
      if (dir) Walk(child, child_rel, below_dirs);
    }
  }

  void MarkStubParents(const std::string& rel) {
    if (!rel.empty()) stub_parents_.insert(TarName(rel, true));
    size_t slash = rel.rfind('/');
    if (slash != std::string::npos) MarkStubParents(rel.substr(0, slash));
  }

  // Rules: what is in the upper dir but is no change of the step is left out.
  //  - An entry overlay copied up and the step left as it was (a file opened for writing, a chmod
  //    to the mode it had, a directory whose entries came and went): its type, mode, owner,
  //    mtime, xattrs and content are the lower's. Were it kept, the layer would depend on how a
  //    step opened files, which a copying snapshotter (runtime/snapshotter.h) cannot see.
  //  - A directory that holds nothing but excluded mount-point stubs (e.g. "etc/" created only so
  //    /etc/hosts could be bind-mounted).
  // A directory goes only when nothing below it is kept, and never when it is opaque (that IS a
  // change). A file stays when a kept name shares its inode: the step linked to it (`ln
  // /bin/busybox /h/bb`), and the layer keeps the link as the container saw it.
  std::vector<Node> DropNonChanges(std::vector<Node> nodes) {
    std::set<std::pair<dev_t, ino_t>> linked_to_changes;
    for (const Node& n : nodes)
      if (!n.unchanged && !n.whiteout && !S_ISDIR(n.st.st_mode) && n.st.st_nlink > 1)
        linked_to_changes.insert({n.st.st_dev, n.st.st_ino});
    std::vector<Node> kept;
    for (size_t i = nodes.size(); i-- > 0;) {
      Node& n = nodes[i];
      bool has_child = !kept.empty() && kept.back().tar_name.rfind(n.tar_name, 0) == 0;
      if (S_ISDIR(n.st.st_mode)) {
        if (!n.opaque && !has_child && (n.unchanged || stub_parents_.count(n.tar_name))) continue;
      } else if (n.unchanged && !linked_to_changes.count({n.st.st_dev, n.st.st_ino})) {
        continue;
      }
      kept.push_back(std::move(n));
    }
    std::reverse(kept.begin(), kept.end());
    return kept;
  }

  const std::string& root_;
  const SnapshotOptions& o_;
  std::vector<Node> nodes_;
  std::set<std::string> stub_parents_;
};

// tar bytes -> sha256 (diffID) -> compressor -> BlobWriter (which hashes the digest).
class LayerSink : public ByteSink {
 public:
  LayerSink(BlobWriter& blob, const Compression& c) : compressor_(MakeCompressor(c, blob)) {}

  void Write(const void* data, size_t size) override {
    diff_id_.Update(data, size);
    compressor_->Write(data, size);
  }
  std::string Finish() {
    compressor_->Finish();
    return diff_id_.Finish();
  }
  const Compressor& compressor() const { return *compressor_; }

 private:
  Sha256 diff_id_;
  std::unique_ptr<Compressor> compressor_;
};

class TarWriter {
 public:
  explicit TarWriter(ByteSink& sink) : c_locale_(), sink_(sink), a_(archive_write_new()), e_(archive_entry_new()) {
    if (!a_ || !e_) throw Error("libarchive: out of memory");
    ConfigureTarWriter(a_);
    if (archive_write_open2(a_, this, nullptr, &TarWriter::OnWrite, nullptr, nullptr) != ARCHIVE_OK) Fail("open");
  }
  ~TarWriter() {
    archive_entry_free(e_);
    archive_write_free(a_);
  }

  void WriteNode(const Node& n, const std::string& hardlink_to, int64_t epoch) {
    archive_entry_clear(e_);
    if (n.whiteout) {
      FillWhiteoutHeader(e_, n.tar_name, epoch);
      return WriteHeader(n.tar_name);
    }
    std::string link;
    if (S_ISLNK(n.st.st_mode)) link = ReadSymlink(n.path);
    FillHeader(e_, n.tar_name, n.st, link, LayerXattrs(n.path), hardlink_to, epoch);
    WriteHeader(n.tar_name);
    if (S_ISREG(n.st.st_mode) && hardlink_to.empty()) WriteData(n);
    if (n.opaque) {
      // Rule: the opaque marker comes right after its directory (not at its sorted place), so
      // an applier that works in stream order clears the lower children before this layer's
      // own children arrive.
      archive_entry_clear(e_);
      std::string marker = n.tar_name + ".wh..wh..opq";
      FillWhiteoutHeader(e_, marker, epoch);
      WriteHeader(marker);
    }
  }

  void Close() {
    if (archive_write_close(a_) != ARCHIVE_OK) Fail("close");
  }

 private:
  static la_ssize_t OnWrite(archive*, void* self, const void* data, size_t size) {
    auto* w = static_cast<TarWriter*>(self);
    try {
      w->sink_.Write(data, size);
      return static_cast<la_ssize_t>(size);
    } catch (...) {
      w->error_ = std::current_exception();  // rethrown in Fail: exceptions must not cross C code
      return -1;
    }
  }

  [[noreturn]] void Fail(const std::string& what) {
    if (error_) std::rethrow_exception(error_);
    throw Error("writing layer tar (" + what + "): " + archive_error_string(a_));
  }

  void WriteHeader(const std::string& name) {
    if (!HeaderWritten(archive_write_header(a_, e_))) Fail("header of " + name);
  }

  void WriteData(const Node& n) {
    UniqueFd fd(::open(n.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw SysError("open", n.path);
    char buf[1 << 16];
    int64_t total = 0;
    for (;;) {
      ssize_t r = ::read(fd.get(), buf, sizeof buf);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw SysError("read", n.path);
      }
      if (r == 0) break;
      total += r;
      if (total > n.st.st_size) break;
      if (archive_write_data(a_, buf, static_cast<size_t>(r)) != r) Fail("data of " + n.path);
    }
    if (total != n.st.st_size)
      throw Error(n.path + " changed size while its layer was written (is a process still writing to it?)");
  }

  CLocaleScope c_locale_;  // first member: alive before libarchive sees any name
  ByteSink& sink_;
  archive* a_;
  archive_entry* e_;
  std::exception_ptr error_;
};

// Rule: hard links inside the tar: the first path in sorted order carries the data, later paths
// with the same inode become link entries to it.
void WriteNodes(TarWriter& tar, const std::vector<Node>& nodes, int64_t epoch) {
  std::map<std::pair<dev_t, ino_t>, std::string> first_path;
  for (const Node& n : nodes) {
    std::string link_to;
    if (!n.whiteout && !S_ISDIR(n.st.st_mode) && n.st.st_nlink > 1) {
      auto [it, inserted] = first_path.try_emplace({n.st.st_dev, n.st.st_ino}, n.tar_name);
      if (!inserted) link_to = it->second;
    }
    tar.WriteNode(n, link_to, epoch);
  }
  tar.Close();
}

// The xattrs an extracted layer has: the tar's, the owner record, overlay's markers.
bool IsUnpackedXattr(std::string_view name) {
  return IsLayerXattr(name) || name == kOwnerXattr || IsMarkerXattr(name);
}

// SnapshotOptions::adopt: `dir` made in place the tree ExtractLayer makes of the layer written
// from `nodes` (see layer_extract.cc): what the tar leaves out is removed (unchanged copy-ups,
// mount-point stubs, sockets), each entry gets the tar's time as both atime and mtime (directory
// times last, children first, since removing a child changes them), xattrs the tar does not
// carry (overlay's origin or impure records, others a step set) go, and the root is 0755.
class TreeToLayer {
 public:
  TreeToLayer(const std::vector<Node>& nodes, int64_t epoch) : epoch_(epoch) {
    for (const Node& n : nodes) kept_.emplace(n.path, &n);
  }

  void Apply(const std::string& dir) {
    Below(dir);
    DropForeignXattrs(dir);  // the root too: overlay records its uuid and impure mark there
    if (::chmod(dir.c_str(), 0755) != 0) throw SysError("chmod", dir);
  }

 private:
  static void DropForeignXattrs(const std::string& path) {
    for (auto& [xattr, value] : ListXattrs(path, [](std::string_view x) { return !IsUnpackedXattr(x); }))
      if (::lremovexattr(path.c_str(), xattr.c_str()) != 0) throw SysError("removexattr " + xattr, path);
  }

  void Below(const std::string& dir) {
    for (const std::string& name : ListDir(dir)) {
      std::string path = JoinPath(dir, name);
      auto it = kept_.find(path);
      if (it == kept_.end()) {
        RemoveAll(path);
        continue;
      }
      const Node& n = *it->second;
      if (!n.whiteout && S_ISDIR(n.st.st_mode)) Below(path);
      DropForeignXattrs(path);
      if (n.whiteout) continue;  // a whiteout's times are no part of the layer
      // The tar's rule (tar_rules.cc): whole seconds, clamped to the epoch.
      struct timespec t = {static_cast<time_t>(std::min<int64_t>(n.st.st_mtim.tv_sec, epoch_)), 0};
      struct timespec times[2] = {t, t};
      if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) throw SysError("utimens", path);
    }
  }

  int64_t epoch_;
  std::map<std::string, const Node*> kept_;
};

}  // namespace

void WriteTreeTar(const std::string& dir, ByteSink& out) {
  SnapshotOptions o;
  o.overlay_upper = false;
  // No clamping: the tree's times are the image's, already clamped when its layers were made.
  o.source_date_epoch = INT64_MAX;
  try {
    TarWriter tar(out);
    WriteNodes(tar, Walker(dir, o).Run(), o.source_date_epoch);
  } catch (const std::exception& e) {
    throw Wrap("writing a tar of " + dir, e);
  }
}

std::optional<Layer> CommitLayerFromDir(Store& store, const std::string& dir, const SnapshotOptions& options) {
  try {
    std::vector<Node> nodes = Walker(dir, options).Run();
    if (nodes.empty()) return std::nullopt;
    auto blob = store.NewBlobWriter();
    std::string diff_id, media_type, description;
    {
      LayerSink sink(*blob, options.compression);
      media_type = sink.compressor().MediaType();
      description = sink.compressor().Description();
      TarWriter tar(sink);
      WriteNodes(tar, nodes, options.source_date_epoch);
      diff_id = sink.Finish();
    }
    Layer layer;
    layer.descriptor = blob->Commit(media_type);
    layer.descriptor.annotations["io.cairn.layer.compression"] = description;
    layer.diff_id = diff_id;
    if (options.adopt && !store.HasUnpackedLayer(diff_id)) {
      TreeToLayer(nodes, options.source_date_epoch).Apply(dir);
      store.AdoptUnpackedLayer(dir, diff_id);
    }
    return layer;
  } catch (const std::exception& e) {
    throw Wrap("snapshotting " + dir, e);
  }
}

}  // namespace cairn::store
