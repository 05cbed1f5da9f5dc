#include "builder/export_rootfs.h"

#include "base/error.h"
#include "base/fs.h"
#include "base/scope_guard.h"
#include "builder/layer_stack.h"
#include "runtime/merged_tree.h"
#include "store/image.h"
#include "store/layer.h"

namespace cairn::builder {
namespace {

std::vector<std::string> Lowers(store::Store& store, const std::string& image) {
  store::Image img = store::LoadImage(store, image);
  return LowerDirsFor(store, img.layers, img.diff_ids);
}

}  // namespace

void ExportRootfsToDir(store::Store& store, const std::string& image, const std::string& dest_dir) {
  if (PathExists(dest_dir) && (!IsDirectory(dest_dir) || !ListDir(dest_dir).empty()))
    throw Error("--output type=local,dest=" + dest_dir + ": not an empty directory; give a new or empty one");
  MakeDirs(dest_dir, 0755);
  // Copies, never hard links into the store: the user may change what lands in dest_dir.
  runtime::MaterialiseMerged(Lowers(store, image), dest_dir, runtime::FileCopies::kCopy);
}

void ExportRootfsTar(store::Store& store, const std::string& image, store::ByteSink& out) {
  std::vector<std::string> lowers = Lowers(store, image);
  std::string scratch = store.NewScratchDir("export-");
  ScopeExit remove([&] { RemoveAll(scratch); });
  std::string tree = JoinPath(scratch, "rootfs");
  // Hard links into the unpacked layers: nothing writes to the tree, and only names that share
  // an inode in a layer share one here, so the tar's hard links are the image's.
  runtime::MaterialiseMerged(lowers, tree, runtime::FileCopies::kHardLink);
  store::WriteTreeTar(tree, out);
}

}  // namespace cairn::builder
