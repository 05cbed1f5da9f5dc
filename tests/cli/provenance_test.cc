// --attest type=provenance / type=sbom and `cairn verify IMAGE-REF` through the real binary,
// Debian's docker-registry on 127.0.0.1 and skopeo reading what was pushed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <set>

#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "base/fs.h"
#include "tests/store/registry/test_registry.h"
#include "tests/support/git_server.h"
#include "tests/support/harness.h"

namespace cairn {
namespace {

using cairn::testing::Cairn;
using cairn::testing::CommandResult;
using cairn::testing::RunCommand;
using cairn::testing::TempDir;
using cairn::testing::WriteTextFile;
using nlohmann::json;
namespace treg = cairn::store::registry::testing;

class Provenance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    cairn::testing::ImportBusybox(Root());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Root() { return *dir_ / "store"; }
  std::vector<std::string> Env() const { return {"DOCKER_CONFIG=" + (tmp_ / "docker"), "CAIRN_REGISTRIES_CONFIG="}; }

  // The base pushed as REG/lib/base:1 and a context on it (a.txt read, skip.txt ignored).
  std::string PushBase(const treg::TestRegistry& registry) {
    std::string base = registry.host() + "/lib/base:1";
    EXPECT_EQ(Cairn(Root(), {"tag", "busybox", base}).exit_code, 0);
    auto push = Cairn(Root(), {"push", base}, Env());
    EXPECT_EQ(push.exit_code, 0) << push.err;
    return base;
  }
  void WriteContext(const std::string& dir, const std::string& base) {
    WriteTextFile(dir + "/Dockerfile", "FROM " + base + "\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n");
    WriteTextFile(dir + "/a.txt", "hello provenance\n");
    WriteTextFile(dir + "/skip.txt", "not read\n");
    WriteTextFile(dir + "/.dockerignore", "skip.txt\n");
  }
  CommandResult Build(const std::string& root, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"build", "--progress", "plain"};
    all.insert(all.end(), args.begin(), args.end());
    return Cairn(root, all, Env());
  }
  static json Raw(const std::string& transport) {
    auto r = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", transport});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // The attestation manifest's statement, copied out of the registry with skopeo.
  json StatementFromRegistry(const std::string& repo, const std::string& att_digest, json* layer = nullptr) {
    std::string layout = tmp_ / ("layout-" + att_digest.substr(7, 12));
    auto copy = RunCommand({"skopeo", "copy", "--src-tls-verify=false", "docker://" + repo + "@" + att_digest,
                            "oci:" + layout + ":att"});
    EXPECT_EQ(copy.exit_code, 0) << copy.err;
    json manifest = json::parse(ReadFile(layout + "/blobs/sha256/" + att_digest.substr(7)));
    if (layer) *layer = manifest["layers"][0];
    std::string blob = manifest["layers"][0]["digest"].get<std::string>();
    return json::parse(ReadFile(layout + "/blobs/sha256/" + blob.substr(7)));
  }
  static json Metadata(const std::string& path) { return json::parse(ReadFile(path)); }

  static TempDir* dir_;
  TempDir tmp_;
};
TempDir* Provenance::dir_ = nullptr;

TEST_F(Provenance, PushedIndexHoldsTheStatementAsBuildxAttachesItAndAWarmBuildWritesTheSameOne) {
  treg::TestRegistry registry;
  std::string base = PushBase(registry);
  WriteContext(tmp_ / "ctx", base);
  std::string app = registry.host() + "/team/app:1";
  auto build = Build(Root(), {"--push", "--attest", "type=provenance,mode=max", "-t", app, "--metadata-file",
                              tmp_ / "meta.json", "--iidfile", tmp_ / "iid", tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err << registry.log();

  auto raw = RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + app});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  json index = json::parse(raw.out);
  ASSERT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json") << raw.out;
  ASSERT_EQ(index["manifests"].size(), 2u) << raw.out;
  json image = index["manifests"][0], att = index["manifests"][1];
  EXPECT_EQ(image["platform"]["os"], "linux");
  EXPECT_EQ(att["platform"], json({{"architecture", "unknown"}, {"os", "unknown"}}));
  EXPECT_EQ(att["annotations"]["vnd.docker.reference.type"], "attestation-manifest");
  EXPECT_EQ(att["annotations"]["vnd.docker.reference.digest"], image["digest"]);
  // buildx's metadata: the index digest; the image ID stays the config digest.
  json meta = Metadata(tmp_ / "meta.json");
  EXPECT_EQ(meta["containerimage.digest"], DigestOf(raw.out));
  json plain_image = json::parse(Cairn(Root(), {"inspect", index["manifests"][0]["digest"]}).out)[0];
  EXPECT_EQ(ReadFile(tmp_ / "iid"), plain_image["Id"].get<std::string>());

  json layer;
  json st = StatementFromRegistry(registry.host() + "/team/app", att["digest"], &layer);
  EXPECT_EQ(layer["mediaType"], "application/vnd.in-toto+json");
  EXPECT_EQ(layer["annotations"]["in-toto.io/predicate-type"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(st["_type"], "https://in-toto.io/Statement/v0.1");
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ("sha256:" + st["subject"][0]["digest"]["sha256"].get<std::string>(), image["digest"]);
  const json& def = st["predicate"]["buildDefinition"];
  EXPECT_EQ("sha256:" + def["externalParameters"]["configSource"]["digest"]["sha256"].get<std::string>(),
            DigestOf(ReadFile(tmp_ / "ctx/Dockerfile")));
  EXPECT_EQ(def["externalParameters"]["request"]["args"]["platform"], "linux/amd64");
  // The base by the digest the registry has for it.
  json base_raw = Raw("docker://" + base);
  bool found_base = false;
  for (auto& d : def["resolvedDependencies"])
    if (d.value("uri", "") == "docker-image://" + base) {
      found_base = true;
      EXPECT_EQ("sha256:" + d["digest"]["sha256"].get<std::string>(),
                DigestOf(RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + base}).out));
    }
  EXPECT_TRUE(found_base) << def.dump(2);
  // Max mode: the files read (not the ignored one), and each step with its network.
  const json& cairn = def["internalParameters"]["cairn"];
  ASSERT_EQ(cairn["contextFiles"].size(), 1u) << cairn.dump(2);
  EXPECT_EQ(cairn["contextFiles"][0]["path"], "a.txt");
  EXPECT_EQ(cairn["contextFiles"][0]["digest"], DigestOf("hello provenance\n"));
  EXPECT_EQ(cairn["compression"], "gzip,level=1");
  ASSERT_EQ(cairn["steps"].size(), 3u) << cairn.dump(2);
  EXPECT_EQ(cairn["steps"][2]["instruction"], "RUN cat /a.txt > /b.txt");
  EXPECT_EQ(cairn["steps"][2]["network"], "default");
  EXPECT_EQ(st.dump().find("cached"), std::string::npos);
  // cairn inspect --provenance prints the same statement.
  auto inspect = Cairn(Root(), {"inspect", "--provenance", app});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(json::parse(inspect.out), st);
  // A pull brings the image's attestation along: inspect in a fresh store reads the same.
  ASSERT_EQ(Cairn(tmp_ / "pulled", {"pull", app}, Env()).exit_code, 0);
  auto pulled = Cairn(tmp_ / "pulled", {"inspect", "--provenance", app});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_EQ(json::parse(pulled.out), st);

  // Warm (every step cached) and cold (a fresh store) builds attest the same: one index digest.
  auto warm = Build(Root(), {"--attest", "type=provenance,mode=max", "-t", app, "--metadata-file", tmp_ / "warm.json", tmp_ / "ctx"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_NE(warm.err.find("CACHED"), std::string::npos) << warm.err;
  EXPECT_EQ(Metadata(tmp_ / "warm.json")["containerimage.digest"], meta["containerimage.digest"]);
  auto cold = Build(tmp_ / "cold", {"--attest", "type=provenance,mode=max", "-t", app, "--metadata-file", tmp_ / "cold.json", tmp_ / "ctx"});
  ASSERT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_EQ(Metadata(tmp_ / "cold.json")["containerimage.digest"], meta["containerimage.digest"]);
  // Without --attest: one manifest, the index's image (attestations are opt-in).
  auto off = Build(Root(), {"--metadata-file", tmp_ / "off.json", tmp_ / "ctx"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(Metadata(tmp_ / "off.json")["containerimage.digest"], image["digest"]);
}

TEST_F(Provenance, VerifyRebuildsThePushedImageFromAFreshStoreAndNamesAChangedContextFile) {
  treg::TestRegistry registry;
  std::string base = PushBase(registry);
  WriteContext(tmp_ / "ctx", base);
  std::string app = registry.host() + "/team/verify:1";
  auto build = Build(Root(), {"--push", "--provenance", "mode=max", "-t", app, tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err;

  WriteContext(tmp_ / "copy", base);  // a fresh copy: new files, new times
  auto verify = Cairn(tmp_ / "fresh", {"verify", app, "--context", tmp_ / "copy"}, Env());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("reproduced, bit for bit"), std::string::npos) << verify.out;
  // Said before the rebuild: the RUN used the network, which the provenance cannot record.
  EXPECT_NE(verify.err.find("RUN cat /a.txt > /b.txt used the network"), std::string::npos) << verify.err;

  WriteTextFile(tmp_ / "copy/a.txt", "hello provenancE\n");  // one byte
  auto changed = Cairn(tmp_ / "fresh2", {"verify", app, "--context", tmp_ / "copy"}, Env());
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.err.find("a.txt differs"), std::string::npos) << changed.err;
  EXPECT_EQ(changed.out.find("reproduced"), std::string::npos) << changed.out;
}

TEST_F(Provenance, VerifyUsesTheRecordedBaseDigestWhenTheTagHasMoved) {
  treg::TestRegistry registry;
  std::string base = PushBase(registry);
  WriteContext(tmp_ / "ctx", base);
  std::string app = registry.host() + "/team/moved:1";
  ASSERT_EQ(Build(Root(), {"--push", "--attest", "type=provenance", "-t", app, tmp_ / "ctx"}).exit_code, 0);
  std::string before = DigestOf(RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + base}).out);

  // The tag now names another image.
  WriteTextFile(tmp_ / "other/Dockerfile", "FROM busybox\nRUN echo moved > /moved\n");
  ASSERT_EQ(Build(Root(), {"--push", "-t", base, tmp_ / "other"}).exit_code, 0);
  std::string after = DigestOf(RunCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + base}).out);
  ASSERT_NE(before, after);

  auto verify = Cairn(tmp_ / "fresh", {"verify", app, "--context", tmp_ / "ctx"}, Env());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("reproduced, bit for bit"), std::string::npos) << verify.out;
  EXPECT_NE(verify.err.find(base.substr(0, base.find(':', base.find('/'))) + "@" + before), std::string::npos) << verify.err;
  // mode=min: no steps recorded, and verify says what that means.
  EXPECT_NE(verify.err.find("mode=min"), std::string::npos) << verify.err;
}

TEST_F(Provenance, HoldsNoSecretValueSshAgentCredentialOrUrlUserinfo) {
  treg::TestRegistry registry;
  // A registry credential in docker's config (the push reads it).
  WriteTextFile(tmp_ / "docker/config.json",
                json({{"auths", {{registry.host(), {{"auth", "Ym9iOmNyM2RlbnRpYWwteHl6"}}}}}}).dump());  // bob:cr3dential-xyz
  WriteTextFile(tmp_ / "secret.txt", "s3cr3t-value-123\n");
  auto key = RunCommand({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "prov-test-key", "-f", tmp_ / "key"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  auto agent = RunCommand({"ssh-agent", "-s", "-a", tmp_ / "agent.sock"});
  ASSERT_EQ(agent.exit_code, 0) << agent.err;
  std::string pid = agent.out.substr(agent.out.find("SSH_AGENT_PID=") + 14);
  pid = pid.substr(0, pid.find(';'));
  struct KillAgent {
    std::string pid;
    ~KillAgent() { RunCommand({"kill", pid}); }
  } kill_agent{pid};
  ASSERT_EQ(RunCommand({"ssh-add", tmp_ / "key"}, {"SSH_AUTH_SOCK=" + (tmp_ / "agent.sock")}).exit_code, 0);
  // A git source with userinfo in its URL (the server asks for none).
  WriteTextFile(tmp_ / "work/f.txt", "from git\n");
  cairn::testing::Git(tmp_ / "work", {"init", "-q"});
  cairn::testing::Git(tmp_ / "work", {"add", "-A"});
  cairn::testing::Git(tmp_ / "work", {"commit", "-q", "-m", "one"});
  cairn::testing::Git(tmp_.path(), {"clone", "-q", "--bare", tmp_ / "work", tmp_ / "srv/repo.git"});
  cairn::testing::GitServer server(tmp_ / "srv");
  std::string git_url = server.HttpUrl("repo.git", "gituser:g1t-pa55");

  WriteTextFile(tmp_ / "ctx/Dockerfile",
                "FROM busybox\nARG URL\nADD " + git_url + " /src\n"
                "RUN --mount=type=secret,id=tok --mount=type=ssh,id=agent --network=none cat /run/secrets/tok > /dev/null\n");
  std::string app = registry.host() + "/team/secret:1";
  auto build = Build(Root(), {"--push", "--attest", "type=provenance,mode=max", "-t", app, "--secret",
                              "id=tok,src=" + (tmp_ / "secret.txt"), "--ssh", "agent=" + (tmp_ / "agent.sock"),
                              "--build-arg", "URL=https://argus:ar9-pa55@example.com/x", tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  json index = Raw("docker://" + app);
  ASSERT_EQ(index["manifests"].size(), 2u);
  std::string text = StatementFromRegistry(registry.host() + "/team/secret", index["manifests"][1]["digest"]).dump();
  for (const std::string& needle : std::vector<std::string>{"s3cr3t-value-123", "agent.sock", "prov-test-key", ReadFile(tmp_ / "key.pub").substr(12, 40),
                             "cr3dential", "Ym9iOmNyM2RlbnRpYWwteHl6", "bob", "g1t-pa55", "gituser", "ar9-pa55", "argus"})
    EXPECT_EQ(text.find(needle), std::string::npos) << needle << " in " << text;
  // What is recorded instead: the URLs without userinfo, the git commit, the arg's name.
  EXPECT_NE(text.find(server.HttpUrl("repo.git")), std::string::npos) << text;
  EXPECT_NE(text.find("https://example.com/x"), std::string::npos) << text;
  EXPECT_NE(text.find("gitCommit"), std::string::npos) << text;
  // The arg whose value lost its userinfo is named, and verify asks for it up front.
  EXPECT_NE(text.find("\"redacted\":[\"build-arg:URL\"]"), std::string::npos) << text;
  std::vector<std::string> args = {"verify", app, "--context", tmp_ / "ctx", "--secret", "id=tok,src=" + (tmp_ / "secret.txt"),
                                   "--ssh", "agent=" + (tmp_ / "agent.sock")};
  auto without = Cairn(Root(), args, Env());
  EXPECT_EQ(without.exit_code, 1) << without.out << without.err;
  EXPECT_NE(without.err.find("give its value with --build-arg URL=VALUE"), std::string::npos) << without.err;
  // verify hands the secret, the agent and the arg to the rebuild, which then reproduces the image.
  args.insert(args.end(), {"--build-arg", "URL=https://argus:ar9-pa55@example.com/x"});
  auto verify = Cairn(Root(), args, Env());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("reproduced, bit for bit"), std::string::npos) << verify.out;
}

TEST_F(Provenance, VerifyFetchesAGitContextByItsRecordedCommit) {
  treg::TestRegistry registry;
  WriteTextFile(tmp_ / "work/sub/Dockerfile", "FROM busybox\nCOPY a.txt /a.txt\n");
  WriteTextFile(tmp_ / "work/sub/a.txt", "one\n");
  cairn::testing::Git(tmp_ / "work", {"init", "-q"});
  cairn::testing::Git(tmp_ / "work", {"add", "-A"});
  cairn::testing::Git(tmp_ / "work", {"commit", "-q", "-m", "one"});
  cairn::testing::Git(tmp_.path(), {"clone", "-q", "--bare", tmp_ / "work", tmp_ / "srv/repo.git"});
  cairn::testing::GitServer server(tmp_ / "srv");
  std::string app = registry.host() + "/team/git:1";
  auto build = Build(Root(), {"--push", "--attest", "type=provenance,mode=max", "-t", app,
                              server.HttpUrl("repo.git") + "#main:sub"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  // The branch moves on; verify checks out the recorded commit, not the branch.
  WriteTextFile(tmp_ / "work/sub/a.txt", "two\n");
  cairn::testing::Git(tmp_ / "work", {"commit", "-q", "-am", "two"}, "2022-01-01T00:00:00Z");
  cairn::testing::Git(tmp_ / "work", {"push", "-q", tmp_ / "srv/repo.git", "main"});
  // The local store has the image (and busybox); a fresh one pulls it but lacks busybox, which
  // was never pushed: verify from the build's store.
  auto verify = Cairn(Root(), {"verify", app}, Env());
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("reproduced, bit for bit"), std::string::npos) << verify.out;
  EXPECT_NE(verify.err.find("the context is " + server.HttpUrl("repo.git") + "#"), std::string::npos) << verify.err;
}

TEST_F(Provenance, SbomOfBusyboxIsAValidEmptyDocument) {
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\nRUN echo x > /x\n");
  auto build = Build(Root(), {"--attest", "type=sbom", "-t", "sbom-bb:1", "--source-date-epoch", "1700000000", tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto inspect = Cairn(Root(), {"inspect", "--sbom", "sbom-bb:1"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  json st = json::parse(inspect.out);
  EXPECT_EQ(st["predicateType"], "https://spdx.dev/Document");
  const json& doc = st["predicate"];
  EXPECT_EQ(doc["spdxVersion"], "SPDX-2.3");
  EXPECT_EQ(doc["SPDXID"], "SPDXRef-DOCUMENT");
  EXPECT_EQ(doc["dataLicense"], "CC0-1.0");
  EXPECT_EQ(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");  // the epoch, not the clock
  EXPECT_EQ(doc["packages"], json::array());
  EXPECT_EQ(doc["documentNamespace"].get<std::string>().rfind("https://", 0), 0u);
  // No provenance was asked for.
  EXPECT_NE(Cairn(Root(), {"inspect", "--provenance", "sbom-bb:1"}).exit_code, 0);
}

TEST_F(Provenance, SbomOfADebianImageListsItsDpkgPackages) {
  std::string why = cairn::testing::LoadDebianBase(tmp_ / "deb");
  if (!why.empty()) GTEST_SKIP() << why;
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM debian:bookworm\nRUN rm -rf /usr/share/doc/gcc-12-base\n");
  auto build = Build(tmp_ / "deb", {"--attest", "type=sbom", "-t", "sbom-deb:1", tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  auto inspect = Cairn(tmp_ / "deb", {"inspect", "--sbom", "sbom-deb:1"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  json doc = json::parse(inspect.out)["predicate"];
  // dpkg itself reads the same database: every package it lists is in the document.
  auto rootfs = Cairn(tmp_ / "deb", {"run", "--rm", "sbom-deb:1", "dpkg-query", "-W", "-f", "${Package} ${Version}\\n"});
  ASSERT_EQ(rootfs.exit_code, 0) << rootfs.err;
  std::set<std::string> listed;
  for (auto& p : doc["packages"]) listed.insert(p["name"].get<std::string>() + " " + p["versionInfo"].get<std::string>());
  size_t count = 0;
  for (size_t at = 0; at < rootfs.out.size();) {
    size_t nl = rootfs.out.find('\n', at);
    std::string line = rootfs.out.substr(at, nl - at);
    at = nl == std::string::npos ? rootfs.out.size() : nl + 1;
    if (line.empty()) continue;
    count++;
    EXPECT_TRUE(listed.count(line)) << line;
  }
  EXPECT_GT(count, 50u);
  EXPECT_EQ(doc["packages"].size(), count);
  bool gcc = false;
  for (auto& p : doc["packages"])
    if (p["name"] == "gcc-12") {
      gcc = true;
      EXPECT_EQ(p["externalRefs"][0]["referenceLocator"].get<std::string>().rfind("pkg:deb/debian/gcc-12@", 0), 0u);
    }
  EXPECT_TRUE(gcc) << inspect.out.substr(0, 2000);
}

TEST_F(Provenance, FilesARunBindMountReadAreRecordedToo) {
  WriteTextFile(tmp_ / "ctx/Dockerfile",
                "FROM busybox\nRUN --mount=type=bind,source=m.txt,target=/m.txt --network=none cat /m.txt > /m\n");
  WriteTextFile(tmp_ / "ctx/m.txt", "mounted\n");
  WriteTextFile(tmp_ / "ctx/other.txt", "never read\n");
  auto build = Build(Root(), {"--attest", "type=provenance,mode=max", "-t", "bind:1", tmp_ / "ctx"});
  ASSERT_EQ(build.exit_code, 0) << build.err;
  json st = json::parse(Cairn(Root(), {"inspect", "--provenance", "bind:1"}).out);
  const json& files = st["predicate"]["buildDefinition"]["internalParameters"]["cairn"]["contextFiles"];
  ASSERT_EQ(files.size(), 1u) << files.dump();
  EXPECT_EQ(files[0]["path"], "m.txt");
  EXPECT_EQ(files[0]["digest"], DigestOf("mounted\n"));
}

TEST_F(Provenance, AttestFlagsAreHonouredOrRefused) {
  WriteTextFile(tmp_ / "ctx/Dockerfile", "FROM busybox\n");
  auto unknown = Build(Root(), {"--attest", "type=vex", tmp_ / "ctx"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("--attest type=vex: unknown type"), std::string::npos) << unknown.err;
  auto key = Build(Root(), {"--attest", "type=provenance,builder-id=x", tmp_ / "ctx"});
  EXPECT_NE(key.exit_code, 0);
  EXPECT_NE(key.err.find("unknown key \"builder-id\""), std::string::npos) << key.err;
  auto mode = Build(Root(), {"--provenance", "mode=full", tmp_ / "ctx"});
  EXPECT_NE(mode.exit_code, 0);
  EXPECT_NE(mode.err.find("--provenance mode=full"), std::string::npos) << mode.err;
  auto load = Build(Root(), {"--attest", "type=provenance", "--load", "-t", "x:1", tmp_ / "ctx"});
  EXPECT_NE(load.exit_code, 0);
  EXPECT_NE(load.err.find("--load with --attest"), std::string::npos) << load.err;
  // --provenance=false after --attest turns it off again: a plain manifest.
  auto off = Build(Root(), {"--attest", "type=provenance", "--provenance", "false", "-t", "off:1", tmp_ / "ctx"});
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(json::parse(Cairn(Root(), {"inspect", "off:1"}).out)[0].count("Index"), 0u);
}

}  // namespace
}  // namespace cairn
