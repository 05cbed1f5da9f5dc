// libFuzzer target: any byte string given as a Dockerfile either lowers to a Plan or throws
// cairn::Error (ParseError). Anything else (a crash, a sanitizer report, another exception type,
// an ANTLR message on stderr) is a bug.
//   cmake -DCAIRN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ ...; parser_fuzz CORPUS_DIR
// Seed with CAIRN_CONFORMANCE_DIR/buildkit/frontend/dockerfile/parser/testfiles/*/Dockerfile.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "frontend/frontend.h"
#include "frontend/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    cairn::frontend::Dump(cairn::frontend::Parse(text));
  } catch (const cairn::Error&) {
  }
  cairn::frontend::Options options;
  options.build_args["A"] = "1";
  options.build_args["IMG"] = "busybox";
  auto resolver = [](const std::string& ref, const cairn::Platform&) {
    if (ref.size() > 40) throw cairn::Error("no such image: " + ref);
    cairn::plan::ImageConfig config;
    config.env = {"PATH=/bin"};
    // Exercise base-image ONBUILD triggers too.
    if (ref == "busybox") config.onbuild = {"RUN make", "COPY . /src"};
    return config;
  };
  try {
    cairn::frontend::BuildPlan(text, options, resolver);
  } catch (const cairn::Error&) {
  }
  return 0;
}
