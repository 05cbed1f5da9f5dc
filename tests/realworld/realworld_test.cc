// Real-world Dockerfiles, as popular projects write them, built with `cairn build -t` and no
// other flag on a plain Debian 12 base: RUN reaches Debian's archive and npm's registry through
// the default network (runtime/network.h). Each test checks what a user would: the program
// runs, the module loads, the file is there and whose it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/fs.h"
#include "tests/support/harness.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RealWorld : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DebianArchiveReachable()) GTEST_SKIP() << "deb.debian.org:80 is not reachable from this machine";
    if (std::string why = LoadDebianBase(root()); !why.empty()) GTEST_SKIP() << why;
  }
  std::string root() const { return dir_ / "store"; }

  // `cairn build -t tag ctx`, nothing else: the point is that no flag is needed.
  CommandResult Build(const std::string& tag, const std::string& dockerfile,
                      const std::vector<std::pair<std::string, std::string>>& files = {}) {
    std::string ctx = dir_ / ("ctx-" + std::to_string(++contexts_));
    WriteTextFile(ctx + "/Dockerfile", dockerfile);
    for (auto& [name, text] : files) WriteTextFile(ctx + "/" + name, text);
    return Cairn(root(), {"build", "-t", tag, ctx});
  }
  CommandResult Run(const std::string& tag, const std::string& script) {
    return Cairn(root(), {"run", "--rm", tag, "sh", "-c", script});
  }

  TempDir dir_;
  int contexts_ = 0;
};

// docker-library's buildpack-deps:bookworm-curl, as published, then an image FROM it that
// installs more, as its bookworm-scm variant does.
TEST_F(RealWorld, AptInstallsCurlAndASecondImageBuildsOnTheFirst) {
  auto curl = Build("buildpack-deps:bookworm-curl",
                    "FROM debian:bookworm\n"
                    "RUN set -eux; \\\n"
                    "\tapt-get update; \\\n"
                    "\tapt-get install -y --no-install-recommends \\\n"
                    "\t\tca-certificates \\\n"
                    "\t\tcurl \\\n"
                    "\t\tnetbase \\\n"
                    "\t\twget \\\n"
                    "\t; \\\n"
                    "\trm -rf /var/lib/apt/lists/*\n");
  ASSERT_EQ(curl.exit_code, 0) << curl.err;
  auto scm = Build("buildpack-deps:bookworm-scm",
                   "FROM buildpack-deps:bookworm-curl\n"
                   "RUN set -eux; apt-get update; apt-get install -y --no-install-recommends jq; "
                   "rm -rf /var/lib/apt/lists/*\n");
  ASSERT_EQ(scm.exit_code, 0) << scm.err;
  auto r = Run("buildpack-deps:bookworm-scm", "curl --version | head -1; echo '{\"a\":7}' | jq .a; ls /var/lib/apt/lists");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::StartsWith("curl 7."));
  EXPECT_THAT(r.out, HasSubstr("\n7\n"));
  EXPECT_THAT(r.out, ::testing::EndsWith("\n7\n"));  // the lists were removed, as the Dockerfile says
}

// A Node.js project's Dockerfile: Debian's node and npm, then `npm ci` of a lock file whose
// package comes from npm's registry. This machine reaches the registry through a TLS-inspecting
// proxy, as many CI machines do: the host's CA bundle is bound in for npm only (it stays out
// of the image), which is how such pipelines pass theirs.
TEST_F(RealWorld, NpmCiInstallsAPackageFromTheRegistry) {
  if (!TcpReachable("registry.npmjs.org", "443")) GTEST_SKIP() << "registry.npmjs.org:443 is not reachable";
  std::string package = R"({"name": "app", "version": "1.0.0", "dependencies": {"is-number": "7.0.0"}}
)";
  std::string lock = R"({
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0", "dependencies": {"is-number": "7.0.0"}},
    "node_modules/is-number": {
      "version": "7.0.0",
      "resolved": "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
      "integrity": "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
      "engines": {"node": ">=0.12.0"}
    }
  }
}
)";
  std::string ca = ReadFile("/etc/ssl/certs/ca-certificates.crt");
  auto r = Build("app:node",
                 "FROM debian:bookworm\n"
                 "RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm "
                 "&& rm -rf /var/lib/apt/lists/*\n"
                 "WORKDIR /app\n"
                 "COPY package.json package-lock.json ./\n"
                 "RUN --mount=type=bind,source=host-ca.crt,target=/run/host-ca.crt "
                 "NODE_EXTRA_CA_CERTS=/run/host-ca.crt npm ci --no-audit --no-fund\n"
                 "CMD [\"node\", \"-e\", \"console.log(require('is-number')(7))\"]\n",
                 {{"package.json", package}, {"package-lock.json", lock}, {"host-ca.crt", ca}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto run = Cairn(root(), {"run", "--rm", "app:node"});
  EXPECT_EQ(run.out, "true\n") << run.err;
  auto files = Run("app:node", "cat node_modules/is-number/package.json | grep '\"version\"'; ls /run");
  EXPECT_THAT(files.out, HasSubstr("\"version\": \"7.0.0\""));
  EXPECT_THAT(files.out, Not(HasSubstr("host-ca.crt")));
}

// A C program built in one stage with a library from apt, shipped alone in the next.
TEST_F(RealWorld, MultiStageBuildCompilesCWithAptPackages) {
  std::string program = R"(#include <stdio.h>
#include <zlib.h>
int main(void) { printf("zlib %s\n", zlibVersion()); return 0; }
)";
  auto r = Build("app:c",
                 "FROM debian:bookworm AS build\n"
                 "RUN apt-get update && apt-get install -y --no-install-recommends zlib1g-dev\n"
                 "WORKDIR /src\n"
                 "COPY main.c .\n"
                 "RUN gcc -O2 -o /hello main.c -lz\n"
                 "FROM debian:bookworm\n"
                 "COPY --from=build /hello /usr/local/bin/hello\n"
                 "CMD [\"hello\"]\n",
                 {{"main.c", program}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto run = Cairn(root(), {"run", "--rm", "app:c"});
  EXPECT_THAT(run.out, ::testing::MatchesRegex("zlib 1\\.[0-9.]+\n")) << run.err;
  auto headers = Run("app:c", "test -e /usr/include/zlib.h && echo has-dev-headers || echo runtime-only");
  EXPECT_EQ(headers.out, "runtime-only\n");
}

// apt downloads as its _apt sandbox user (setuid/setgroups inside the step must work), then the
// image switches to a user of its own, as most application images do.
TEST_F(RealWorld, UserStepAfterAptRunsAsThatUser) {
  auto r = Build("app:user",
                 "FROM debian:bookworm\n"
                 "RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates "
                 "&& rm -rf /var/lib/apt/lists/*\n"
                 "RUN useradd --create-home --uid 1001 app\n"
                 "USER app\n"
                 "WORKDIR /home/app\n"
                 "RUN echo mine > note.txt\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("unsandboxed")));  // apt: "Download is performed unsandboxed as root"
  auto run = Run("app:user", "id -un; pwd; stat -c '%U %a' note.txt; ls /etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(run.out, "app\n/home/app\napp 644\n/etc/ssl/certs/ca-certificates.crt\n") << run.err;
}

}  // namespace
}  // namespace cairn::testing
