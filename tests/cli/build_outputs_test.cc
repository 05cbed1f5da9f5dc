// `cairn build -o type=local,dest=DIR` and `-o type=tar,dest=FILE|-`: the image's filesystem,
// checked against what the image itself shows (cairn run) and read back with GNU tar.
#include <gtest/gtest.h>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

class BuildOutputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ImportBusybox(Root());
    WriteTextFile(Context() + "/Dockerfile",
                  "FROM busybox\n"
                  "COPY exec.sh data.txt /app/\n"
                  "RUN ln -s data.txt /app/link && chown 1234:5678 /app/data.txt && rm /bin/vi\n");
    WriteTextFile(Context() + "/exec.sh", "#!/bin/sh\necho run\n");
    WriteTextFile(Context() + "/data.txt", "the data\n");
    ::chmod((Context() + "/exec.sh").c_str(), 0755);
    ::chmod((Context() + "/data.txt").c_str(), 0644);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Root() { return *dir_ / "store"; }
  static std::string Context() { return *dir_ / "ctx"; }
  static CommandResult Build(const std::vector<std::string>& outputs) {
    std::vector<std::string> args = {"build", "--progress", "plain", "-t", "outputs:1"};
    for (auto& o : outputs) args.insert(args.end(), {"-o", o});
    args.push_back(Context());
    return Cairn(Root(), args);
  }
  // What the image shows at path, from inside a container: "MODE UID:GID".
  static std::string StatInImage(const std::string& path) {
    auto r = Cairn(Root(), {"run", "--rm", "outputs:1", "stat", "-c", "%a %u:%g", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  static std::string StatOnDisk(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%o %u:%u", st.st_mode & 07777, st.st_uid, st.st_gid);
    return buf;
  }
  // `tar -tvf` line for a member ("-rwxr-xr-x 0/0 ... app/exec.sh"), "" when absent.
  static std::string Listed(const std::string& listing, const std::string& member) {
    size_t start = 0;
    while (start < listing.size()) {
      size_t end = std::min(listing.find('\n', start), listing.size());
      std::string line = listing.substr(start, end - start);
      for (const std::string& tail : {std::string(""), std::string(" -> "), std::string(" link to ")}) {
        size_t at = line.find(" " + member + tail);
        if (at == std::string::npos) continue;
        size_t after = at + 1 + member.size();
        if (tail.empty() ? after == line.size() : true) return line;
      }
      start = end + 1;
    }
    return "";
  }

  static TempDir* dir_;
  TempDir tmp_;
};
TempDir* BuildOutputs::dir_ = nullptr;

TEST_F(BuildOutputs, LocalOutputIsTheImagesFilesystem) {
  std::string dest = tmp_ / "out";
  auto r = Build({"type=local,dest=" + dest});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* path : {"/app/exec.sh", "/app/data.txt", "/app", "/bin/busybox"})
    EXPECT_EQ(StatOnDisk(dest + path), StatInImage(path)) << path;
  EXPECT_EQ(StatOnDisk(dest + "/app/exec.sh").substr(0, 4), "755 ");
  EXPECT_EQ(StatOnDisk(dest + "/app/data.txt"), "644 1234:5678");
  EXPECT_EQ(ReadSymlink(dest + "/app/link"), "data.txt");
  EXPECT_EQ(ReadFile(dest + "/app/data.txt"), "the data\n");
  EXPECT_EQ(ReadFile(dest + "/app/exec.sh"), "#!/bin/sh\necho run\n");
  EXPECT_TRUE(PathExists(dest + "/bin/sh"));
  EXPECT_FALSE(PathExists(dest + "/bin/vi")) << "a file the RUN removed (a whiteout) is not in the output";
  for (auto& name : ListDir(dest + "/bin")) EXPECT_EQ(name.rfind(".wh.", 0), std::string::npos) << name;
}

TEST_F(BuildOutputs, LocalOutputRefusesADirectoryThatIsNotEmpty) {
  WriteTextFile(tmp_ / "full/keep.txt", "mine");
  auto r = Build({"type=local,dest=" + (tmp_ / "full")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not an empty directory"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(tmp_ / "full/keep.txt"), "mine");
}

TEST_F(BuildOutputs, TarOutputFileReadsBackWithTar) {
  std::string file = tmp_ / "rootfs.tar";
  auto r = Build({"type=tar,dest=" + file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto list = RunCommand({"tar", "--numeric-owner", "-tvf", file});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(Listed(list.out, "app/exec.sh").rfind("-rwxr-xr-x 0/0", 0), 0u) << list.out;
  EXPECT_EQ(Listed(list.out, "app/data.txt").rfind("-rw-r--r-- 1234/5678", 0), 0u) << list.out;
  EXPECT_NE(Listed(list.out, "app/link").find("app/link -> data.txt"), std::string::npos) << list.out;
  EXPECT_NE(Listed(list.out, "bin/sh"), "") << list.out;
  EXPECT_EQ(Listed(list.out, "bin/vi"), "") << list.out;
  EXPECT_EQ(list.out.find(".wh."), std::string::npos) << list.out;
  auto content = RunCommand({"tar", "-xOf", file, "app/data.txt"});
  EXPECT_EQ(content.out, "the data\n");
}

TEST_F(BuildOutputs, TarOutputToStdoutIsTheOnlyThingOnStdout) {
  auto r = Build({"type=tar,dest=-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("sha256:"), std::string::npos) << "the image ID would corrupt the stream";
  std::string file = tmp_ / "stdout.tar";
  WriteFileAtomic(file, r.out);
  auto content = RunCommand({"tar", "-xOf", file, "app/exec.sh"});
  ASSERT_EQ(content.exit_code, 0) << content.err;
  EXPECT_EQ(content.out, "#!/bin/sh\necho run\n");
}

// `cairn build -o type=docker,dest=- . | docker load`: the archive alone on stdout, which skopeo
// reads as a docker archive (the image ID would corrupt the stream).
TEST_F(BuildOutputs, DockerArchiveToStdoutIsTheOnlyThingOnStdout) {
  auto r = Build({"type=docker,dest=-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Whole tar blocks ending in the zero blocks: no image ID line after the archive.
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.size() % 512, 0u);
  EXPECT_EQ(r.out.back(), '\0');
  std::string file = tmp_ / "docker.tar";
  WriteFileAtomic(file, r.out);
  auto list = RunCommand({"tar", "-tf", file});
  EXPECT_EQ(list.out.rfind("sha256:", 0), std::string::npos) << list.out.substr(0, 200);
  EXPECT_NE(list.out.find("manifest.json"), std::string::npos) << list.out;
  auto config = RunCommand({"skopeo", "inspect", "--config", "docker-archive:" + file});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_NE(config.out.find("\"architecture\""), std::string::npos) << config.out;
  auto two = Build({"type=docker,dest=-", "type=tar,dest=-"});
  EXPECT_NE(two.exit_code, 0);
  EXPECT_NE(two.err.find("only one output can go to stdout"), std::string::npos) << two.err;
}

// -o type=oci,dest=DIR,tar=false: an OCI layout directory, which skopeo reads.
TEST_F(BuildOutputs, OciLayoutDirectoryIsWhatSkopeoReads) {
  std::string dir = tmp_ / "layout";
  auto r = Build({"type=oci,dest=" + dir + ",tar=false"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json")) << "docker's manifest.json is the archive's only";
  EXPECT_TRUE(std::filesystem::exists(dir + "/oci-layout"));
  auto config = RunCommand({"skopeo", "inspect", "--config", "oci:" + dir + ":1"});
  ASSERT_EQ(config.exit_code, 0) << config.err;
  EXPECT_NE(config.out.find("\"architecture\""), std::string::npos) << config.out;
  // The same image as the archive holds: skopeo reads one manifest from both.
  auto archive = Build({"type=oci,dest=" + (tmp_ / "image.tar")});
  ASSERT_EQ(archive.exit_code, 0) << archive.err;
  EXPECT_EQ(RunCommand({"skopeo", "inspect", "--raw", "oci:" + dir + ":1"}).out,
            RunCommand({"skopeo", "inspect", "--raw", "oci-archive:" + (tmp_ / "image.tar")}).out);
  // Every blob is there and checks: skopeo copies the image out of the layout.
  auto copy = RunCommand({"skopeo", "copy", "oci:" + dir + ":1", "dir:" + (tmp_ / "copied")});
  EXPECT_EQ(copy.exit_code, 0) << copy.err;
  auto again = Build({"type=oci,dest=" + dir + ",tar=false"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("not an empty directory"), std::string::npos) << again.err;
  auto docker = Build({"type=docker,dest=" + (tmp_ / "d") + ",tar=false"});
  EXPECT_NE(docker.exit_code, 0);
  EXPECT_NE(docker.err.find("unknown key \"tar\" for type=docker"), std::string::npos) << docker.err;
}

TEST_F(BuildOutputs, UnknownTypeOrKeyIsAnErrorNamingIt) {
  auto type = Build({"type=tarball,dest=x"});
  EXPECT_NE(type.exit_code, 0);
  EXPECT_NE(type.err.find("\"tarball\""), std::string::npos) << type.err;
  auto key = Build({"type=local,dest=" + (tmp_ / "k") + ",platform-split=true"});
  EXPECT_NE(key.exit_code, 0);
  EXPECT_NE(key.err.find("\"platform-split\""), std::string::npos) << key.err;
  auto nodest = Build({"type=tar"});
  EXPECT_NE(nodest.exit_code, 0);
  EXPECT_NE(nodest.err.find("dest="), std::string::npos) << nodest.err;
  EXPECT_FALSE(PathExists(tmp_ / "k"));
}

}  // namespace
}  // namespace cairn::testing
