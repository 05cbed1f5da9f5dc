// The copying snapshotter (runtime/snapshotter.h): a merged copy of layer directories, changed
// by a step, gives the upper dir a kernel overlay would have given for the same changes. Each
// test also runs the same changes through a real overlay mount and compares the two upper dirs,
// so the expectations are overlay's behaviour, not this code's idea of it. Needs root (mknod,
// trusted.* xattrs, mounts), as the other runtime tests.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "base/fs.h"
#include "base/overlay_marks.h"
#include "runtime/merged_tree.h"
#include "runtime/snapshotter.h"
#include "runtime/tree_copy.h"
#include "runtime/upper_diff.h"

namespace cairn::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
  MakeDirs(path.substr(0, path.rfind('/')));
  ::unlink(path.c_str());
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw SysError("create", path);
  WriteAll(fd.get(), text.data(), text.size(), path);
  if (::fchmod(fd.get(), mode) != 0) throw SysError("chmod", path);
}

void Check(int rc, const std::string& what) {
  if (rc != 0) throw SysError(what, "");
}

// What a layer would say of a tree, one line per entry in sorted order: type, mode, owner,
// content or link target, the opaque marker, and which entries share an inode. No times: the
// overlay run and the copy run happen at different moments.
std::string Describe(const std::string& root) {
  std::ostringstream out;
  std::map<std::pair<dev_t, ino_t>, std::string> first;
  std::function<void(const std::string&)> walk = [&](const std::string& rel) {
    for (const std::string& name : ListDir(rel.empty() ? root : JoinPath(root, rel))) {
      std::string r = rel.empty() ? name : rel + "/" + name;
      std::string p = JoinPath(root, r);
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) throw SysError("lstat", p);
      out << r << " ";
      if (IsWhiteout(p, st)) {
        out << "whiteout\n";
        continue;
      }
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
      out << (S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : "file") << " " << mode << " " << st.st_uid
          << ":" << st.st_gid;
      if (S_ISREG(st.st_mode)) {
        std::string text = ReadFile(p);
        for (size_t at; (at = text.find('\n')) != std::string::npos;) text.replace(at, 1, "\\n");
        out << " \"" << text << "\"";
      }
      if (S_ISLNK(st.st_mode)) {
        char target[256] = {};
        ssize_t n = ::readlink(p.c_str(), target, sizeof target - 1);
        out << " -> " << std::string(target, n > 0 ? static_cast<size_t>(n) : 0);
      }
      if (S_ISDIR(st.st_mode) && IsOpaqueDir(p)) out << " opaque";
      if (!S_ISDIR(st.st_mode)) {
        auto [it, fresh] = first.try_emplace({st.st_dev, st.st_ino}, r);
        if (!fresh) out << " same-inode-as " << it->second;
      }
      out << "\n";
      if (S_ISDIR(st.st_mode)) walk(r);
    }
  };
  walk("");
  return out.str();
}

class CopySnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mknod whiteouts, trusted.* xattrs, overlay mounts)";
    dir_ = MakeTempDir("/tmp", "cairn-copysnap-");
  }
  void TearDown() override {
    if (!dir_.empty()) RemoveAll(dir_);
  }
  std::string D(const std::string& name) const { return JoinPath(dir_, name); }

  // Materialise, change, diff: the copying snapshotter's upper dir.
  std::string CopyUpper(const std::vector<std::string>& lowers, const std::function<void(const std::string&)>& change) {
    MergedRecord made = MaterialiseMerged(lowers, D("merged"), FileCopies::kCopy);
    change(D("merged"));
    MakeDirs(D("upper"));
    WriteUpperDiff(D("merged"), made, D("upper"));
    return D("upper");
  }

  // The same change through a kernel overlay (in a child's own mount namespace).
  std::string OverlayUpper(const std::vector<std::string>& lowers, const std::function<void(const std::string&)>& change) {
    for (const char* d : {"ovl-upper", "ovl-work", "ovl-merged"}) MakeDirs(D(d));
    std::string options = "lowerdir=";
    for (size_t i = 0; i < lowers.size(); ++i) options += (i ? ":" : "") + lowers[i];
    options += ",upperdir=" + D("ovl-upper") + ",workdir=" + D("ovl-work") + ",index=off,redirect_dir=off,metacopy=off";
    pid_t pid = ::fork();
    if (pid == 0) {
      int code = 0;
      try {
        Check(::unshare(CLONE_NEWNS), "unshare");
        Check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make private");
        Check(::mount("overlay", D("ovl-merged").c_str(), "overlay", 0, options.c_str()), "mount overlay");
        change(D("ovl-merged"));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "overlay run: %s\n", e.what());
        code = 1;
      }
      ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return D("ovl-upper");
  }

  std::string dir_;
};

// A base layer with a bit of everything a step may touch.
void MakeBase(const std::string& l) {
  Write(l + "/etc/conf", "old\n");
  Write(l + "/etc/same", "same\n");
  Write(l + "/etc/touched", "touched\n");
  Write(l + "/etc/old-name", "moved\n");
  Write(l + "/etc/mode", "mode\n", 0644);
  Write(l + "/bin/tool", "tool\n", 0755);
  Write(l + "/bin/pair-a", "pair\n", 0755);
  Check(::link((l + "/bin/pair-a").c_str(), (l + "/bin/pair-b").c_str()), "link");
  Check(::symlink("tool", (l + "/bin/alias").c_str()), "symlink");
  Check(::lchown((l + "/bin/alias").c_str(), 7, 8), "lchown");
  Write(l + "/opt/d/a", "a\n");
  Write(l + "/opt/d/sub/deep", "deep\n");
  Write(l + "/opt/file-then-dir", "file\n");
  Write(l + "/opt/moved-dir/x", "x\n");
  Write(l + "/var/gone/g", "g\n");
  MakeDirs(l + "/tmp");
  Check(::chown((l + "/etc/conf").c_str(), 1000, 1000), "chown");
  Check(::lsetxattr((l + "/etc/conf").c_str(), "user.origin", "base", 4, 0), "setxattr");
}

// What a RUN step might do, as plain system calls (and mv's fallback where overlay refuses).
void Change(const std::string& r) {
  Write(r + "/new.txt", "new\n");                                            // a new file
  Write(r + "/etc/conf", "new\n");                                           // a changed file
  Check(::chown((r + "/etc/conf").c_str(), 1000, 1000), "chown");
  Check(::unlink((r + "/bin/tool").c_str()), "unlink");                       // a deleted file
  RemoveAll(r + "/opt/d");                                                   // a replaced directory
  Write(r + "/opt/d/b", "b\n");
  RemoveAll(r + "/var/gone");                                                // a deleted directory
  Check(::utimensat(AT_FDCWD, (r + "/etc/touched").c_str(), nullptr, 0), "touch");  // touched, same bytes
  (void)ReadFile(r + "/etc/same");                                           // only read
  Check(::chmod((r + "/etc/mode").c_str(), 0600), "chmod");
  Write(r + "/usr/new-a", "linked\n");                                       // new hard links
  Check(::link((r + "/usr/new-a").c_str(), (r + "/usr/new-b").c_str()), "link");
  Check(::unlink((r + "/bin/pair-b").c_str()), "unlink");                    // one name of a lower pair
  Check(::unlink((r + "/bin/alias").c_str()), "unlink");                     // a symlink retargeted
  Check(::symlink("/bin/sh", (r + "/bin/alias").c_str()), "symlink");
  Check(::symlink("../new.txt", (r + "/etc/new-link").c_str()), "symlink");  // a new symlink
  Check(::unlink((r + "/opt/file-then-dir").c_str()), "unlink");             // a file replaced by a dir
  Check(::mkdir((r + "/opt/file-then-dir").c_str(), 0750), "mkdir");
  Write(r + "/tmp/scratch", "x");                                            // made and removed again
  Check(::unlink((r + "/tmp/scratch").c_str()), "unlink");
  Check(::rename((r + "/etc/old-name").c_str(), (r + "/etc/new-name").c_str()), "rename");
  // mv of a directory: overlay without redirect_dir refuses (EXDEV) and mv copies instead.
  std::string from = r + "/opt/moved-dir", to = r + "/srv/moved-dir";
  MakeDirs(r + "/srv");
  if (::rename(from.c_str(), to.c_str()) != 0) {
    if (errno != EXDEV) throw SysError("rename", from);
    LinkMap links;
    CopyTree(from, to, links);
    RemoveAll(from);
  }
}

TEST_F(CopySnapshotTest, UpperDirMatchesWhatKernelOverlayLeaves) {
  MakeBase(D("base"));
  std::string copy = Describe(CopyUpper({D("base")}, Change));
  std::string overlay = Describe(OverlayUpper({D("base")}, Change));
  EXPECT_EQ(copy, overlay);
  // And the individual rules, in the words of a layer:
  EXPECT_THAT(copy, HasSubstr("new.txt file 0644 0:0 \"new\\n\"\n"));
  EXPECT_THAT(copy, HasSubstr("etc/conf file 0644 1000:1000 \"new\\n\"\n"));
  EXPECT_THAT(copy, HasSubstr("bin/tool whiteout\n"));
  EXPECT_THAT(copy, HasSubstr("opt/d dir 0755 0:0 opaque\nopt/d/b file"));
  EXPECT_THAT(copy, Not(HasSubstr("opt/d/a")));
  EXPECT_THAT(copy, HasSubstr("var/gone whiteout\n"));
  EXPECT_THAT(copy, Not(HasSubstr("var/gone/")));
  EXPECT_THAT(copy, Not(HasSubstr("etc/same")));
  // A touched file is copied up by overlay, and the layer committer keeps it: so here too.
  EXPECT_THAT(copy, HasSubstr("etc/touched file 0644 0:0 \"touched\\n\"\n"));
  EXPECT_THAT(copy, HasSubstr("etc/mode file 0600"));
  EXPECT_THAT(copy, HasSubstr("usr/new-b file 0644 0:0 \"linked\\n\" same-inode-as usr/new-a\n"));
  EXPECT_THAT(copy, HasSubstr("bin/pair-b whiteout\n"));
  EXPECT_THAT(copy, Not(HasSubstr("bin/pair-a")));
  EXPECT_THAT(copy, HasSubstr("bin/alias link 0777 0:0 -> /bin/sh\n"));
  EXPECT_THAT(copy, HasSubstr("etc/new-link link 0777 0:0 -> ../new.txt\n"));
  EXPECT_THAT(copy, HasSubstr("opt/file-then-dir dir 0750 0:0 opaque\n"));
  EXPECT_THAT(copy, HasSubstr("tmp dir 0755 0:0\n"));  // its entry came and went: overlay copied it up
  EXPECT_THAT(copy, Not(HasSubstr("tmp/scratch")));
  EXPECT_THAT(copy, HasSubstr("etc/old-name whiteout\n"));
  EXPECT_THAT(copy, HasSubstr("etc/new-name file 0644 0:0 \"moved\\n\"\n"));
  EXPECT_THAT(copy, HasSubstr("opt/moved-dir whiteout\n"));
  EXPECT_THAT(copy, HasSubstr("srv/moved-dir/x file"));
}

TEST_F(CopySnapshotTest, AStepThatChangesNothingLeavesAnEmptyUpperDir) {
  MakeBase(D("base"));
  auto read_only = [](const std::string& r) {
    (void)ReadFile(r + "/etc/conf");
    (void)ListDir(r + "/opt/d");
  };
  EXPECT_EQ(Describe(CopyUpper({D("base")}, read_only)), "");
}

TEST_F(CopySnapshotTest, UnchangedFilesKeepTheirLowerMetadataWhenTheirDirectoryIsCopiedUp) {
  MakeBase(D("base"));
  struct timespec old_time[2] = {{1000, 0}, {1000, 0}};
  Check(::utimensat(AT_FDCWD, D("base/etc").c_str(), old_time, 0), "utimens");
  std::string upper = CopyUpper({D("base")}, [](const std::string& r) {
    UniqueFd fd(::open((r + "/etc/conf").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));  // in place
    WriteAll(fd.get(), "changed\n", 8, "etc/conf");
  });
  EXPECT_EQ(Describe(upper), "etc dir 0755 0:0\netc/conf file 0644 1000:1000 \"changed\\n\"\n");
  struct stat st;
  ASSERT_EQ(::lstat(D("upper/etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000);  // a file changed in place leaves its directory's times alone
}

// Two layers the way the layer extractor leaves them: whiteouts, an opaque directory, a file
// over a directory. The merged copy shows what a read-only overlay of them shows.
TEST_F(CopySnapshotTest, MergedCopyIsWhatOverlayShows) {
  std::string bottom = D("bottom"), top = D("top");
  Write(bottom + "/etc/hidden", "hidden\n");
  Write(bottom + "/etc/kept", "kept\n");
  Write(bottom + "/opt/o/lower-only", "lower\n");
  Write(bottom + "/opt/merge/lower", "lower\n");
  Write(bottom + "/usr/file-over-dir/inner", "inner\n");
  Write(bottom + "/usr/h1", "hard\n");
  Check(::link((bottom + "/usr/h1").c_str(), (bottom + "/usr/h2").c_str()), "link");
  MakeDirs(top + "/etc");
  MakeWhiteoutAt(AT_FDCWD, top + "/etc/hidden");
  Write(top + "/opt/o/upper-only", "upper\n");
  Check(::lsetxattr((top + "/opt/o").c_str(), "trusted.overlay.opaque", "y", 1, 0), "setxattr");
  Write(top + "/opt/merge/upper", "upper\n");
  Write(top + "/usr/file-over-dir", "file\n", 0600);
  Write(top + "/etc/kept", "kept on top\n", 0640);

  MaterialiseMerged({top, bottom}, D("merged"), FileCopies::kCopy);
  std::string copy = Describe(D("merged"));
  std::string overlay = Describe(OverlayUpper({top, bottom}, [this](const std::string& r) {
    LinkMap links;
    CopyTree(r, D("overlay-view"), links);  // what a container would see, copied out
  }) + "/../overlay-view");
  EXPECT_EQ(copy, overlay);
  EXPECT_THAT(copy, Not(HasSubstr("etc/hidden")));
  EXPECT_THAT(copy, HasSubstr("etc/kept file 0640 0:0 \"kept on top\\n\"\n"));
  EXPECT_THAT(copy, Not(HasSubstr("lower-only")));
  EXPECT_THAT(copy, HasSubstr("opt/merge/lower file"));
  EXPECT_THAT(copy, HasSubstr("opt/merge/upper file"));
  EXPECT_THAT(copy, HasSubstr("usr/file-over-dir file 0600"));
  EXPECT_THAT(copy, HasSubstr("usr/h2 file 0644 0:0 \"hard\\n\" same-inode-as usr/h1\n"));
  EXPECT_THAT(copy, Not(HasSubstr("opaque")));  // overlay's markers describe layers, not files
}

TEST(SnapshotterTest, OverlayProbeSucceedsWhereOverlayWorks) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  std::string dir = MakeTempDir("/tmp", "cairn-probe-");
  EXPECT_TRUE(OverlayWorksIn(dir));
  EXPECT_TRUE(ListDir(dir).empty());  // the probe leaves nothing behind
  RemoveAll(dir);
}

// fn's exit code, run in a forked child in a mount namespace of its own where an overlay (of
// fresh directories) is mounted on dir/m: a store inside an overlay, as for cairn run in a
// container whose root is overlay. The namespace and the mount vanish with the child.
int InChildOnAnOverlay(const std::string& dir, const std::function<int()>& fn) {
  for (const char* d : {"l", "u", "w", "m"}) MakeDirs(JoinPath(dir, d));
  std::string options = "lowerdir=" + dir + "/l,upperdir=" + dir + "/u,workdir=" + dir + "/w";
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("overlay", (dir + "/m").c_str(), "overlay", 0, options.c_str()) != 0)
      ::_exit(100);
    try {
      ::_exit(fn());
    } catch (...) {
      ::_exit(101);
    }
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);  // 100: the overlay could not be mounted; 101: fn threw
}

// Overlay cannot use an overlay as its upper dir, and the probe says so (and leaves nothing).
TEST(SnapshotterTest, OverlayProbeFailsOnAnOverlay) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  std::string dir = MakeTempDir("/tmp", "cairn-probe-");
  int code = InChildOnAnOverlay(dir, [&] {
    if (OverlayWorksIn(dir + "/m")) return 1;
    return ListDir(dir + "/m").empty() ? 0 : 2;
  });
  EXPECT_EQ(code, 0) << "1: overlay worked on an overlay; 2: the probe left files";
  RemoveAll(dir);
}

// Overlay refuses to make a whiteout device through itself: the marked empty file stands in for
// it (base/overlay_marks.h), and is read back as a whiteout, not as a file.
TEST(SnapshotterTest, WhiteoutInAStoreOnOverlayIsAMarkedEmptyFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  std::string dir = MakeTempDir("/tmp", "cairn-whiteout-");
  int code = InChildOnAnOverlay(dir, [&] {
    std::string path = dir + "/m/gone";
    MakeWhiteoutAt(AT_FDCWD, path);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return 1;
    if (!S_ISREG(st.st_mode) || st.st_size != 0) return 2;
    if (!IsWhiteout(path, st)) return 3;
    WriteFileAtomic(dir + "/m/empty", "");  // an ordinary empty file is not one
    if (::lstat((dir + "/m/empty").c_str(), &st) != 0 || IsWhiteout(dir + "/m/empty", st)) return 4;
    MarkOpaque(dir + "/m");
    return IsOpaqueDir(dir + "/m") ? 0 : 5;
  });
  EXPECT_EQ(code, 0) << "1: not made; 2: not an empty file; 3: not read as a whiteout; 4: a plain file read as one; "
                        "5: opaque marker lost";
  RemoveAll(dir);
}

}  // namespace
}  // namespace cairn::runtime
