// The proxy settings RUN steps get, as docker and BuildKit pass them: BuildKit's predefined proxy
// args (HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY, each in both spellings) taken,
// per family, from the first of
//   1. --build-arg (either spelling; the upper-case one wins when both differ),
//   2. the cairn process's environment (HTTP_PROXY, else http_proxy),
//   3. docker's config.json `proxies.default` (httpProxy, httpsProxy, ftpProxy, noProxy,
//      allProxy), as the docker CLI turns them into build args.
// Like BuildKit's ProxyEnv they are how a step reaches the network, not what it builds: they stay
// out of the step cache key, the history and the image config.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cairn::cli {

// "K=V" for both spellings of every family that has a value. docker_config_path: docker's
// config.json (a missing file gives nothing). Throws Error naming the file when it is no JSON.
std::vector<std::string> ProxyEnv(const std::map<std::string, std::string>& build_args,
                                  const std::string& docker_config_path);

}  // namespace cairn::cli
