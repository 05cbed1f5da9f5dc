#include "builder/provenance.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

#include "base/digest.h"
#include "builder/run_step.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

namespace cairn::builder {

using nlohmann::json;

std::string CairnVersion() { return CAIRN_VERSION; }

std::string RedactUserinfo(const std::string& text) {
  std::string out;
  size_t at = 0;
  for (;;) {
    size_t scheme = text.find("://", at);
    if (scheme == std::string::npos) break;
    size_t host = scheme + 3;
    size_t end = text.find_first_of("/?# \t\n\"'", host);
    if (end == std::string::npos) end = text.size();
    size_t user = text.rfind('@', end == 0 ? 0 : end - 1);
    out += text.substr(at, host - at);
    at = host;
    if (user != std::string::npos && user >= host && user < end) at = user + 1;
  }
  return out + text.substr(at);
}

bool IsProxyArg(const std::string& name) {
  std::string up = name;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const char* p : {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"})
    if (up == p) return true;
  return false;
}

namespace {

// "MODE SIZE CONTENT" -> (mode, content); content may hold spaces (a symlink's target).
std::pair<unsigned long, std::string> SplitEntry(const std::string& entry) {
  size_t a = entry.find(' ');
  size_t b = a == std::string::npos ? a : entry.find(' ', a + 1);
  unsigned long mode = std::stoul(entry.substr(0, a));
  return {mode, b == std::string::npos ? "" : entry.substr(b + 1)};
}

bool IsRegular(unsigned long mode) { return (mode & 0170000) == 0100000; }
bool IsSymlink(unsigned long mode) { return (mode & 0170000) == 0120000; }

std::string Octal(unsigned long mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04lo", mode & 07777);
  return buf;
}

json Hex(const std::string& digest) {
  return {{"sha256", digest.rfind("sha256:", 0) == 0 ? digest.substr(7) : digest}};
}

// A text that reaches the statement: userinfo removed, secret values masked.
std::string Clean(const std::string& text, const ProvenanceRequest& r) {
  return MaskSecrets(RedactUserinfo(text), r.secret_values);
}

json Epoch(const SourceDateEpoch& e) {
  // A git HEAD's source names a host path; the statement says where it came from, not where.
  std::string from = e.from.rfind("git HEAD", 0) == 0 ? "git HEAD of the context" : e.from;
  return {{"seconds", e.seconds}, {"from", from}};
}

json Request(const ProvenanceRequest& r, json& redacted) {
  json args = json::object();
  for (auto& [k, v] : r.build_args) {
    if (IsProxyArg(k)) continue;
    args["build-arg:" + k] = Clean(v, r);
    // Named, so that verify can ask for the value instead of rebuilding with another one.
    if (Clean(v, r) != v) redacted.push_back("build-arg:" + k);
  }
  for (auto& [k, v] : r.labels) args["label:" + k] = Clean(v, r);
  for (auto& [k, v] : r.annotations) args["annotation:" + k] = Clean(v, r);
  if (!r.target.empty()) args["target"] = r.target;
  args["platform"] = r.platform;
  args["filename"] = r.dockerfile;
  if (r.network != "default") args["network"] = r.network;
  if (!r.add_hosts.empty()) args["add-hosts"] = r.add_hosts;
  if (!r.ulimits.empty()) args["ulimit"] = r.ulimits;
  if (!r.allow.empty()) args["allow"] = r.allow;
  if (!r.shm_size.empty()) args["shm-size"] = r.shm_size;
  if (r.docker_media_types) args["oci-mediatypes"] = "false";
  for (auto& name : r.named_contexts) args["context:" + name] = "named context";
  return {{"frontend", "dockerfile.v0"}, {"args", args}};
}

}  // namespace

std::string ContextDigest(const std::map<std::string, std::string>& context_files) {
  std::string text;
  for (auto& [path, entry] : context_files) {
    auto [mode, content] = SplitEntry(entry);
    if (IsRegular(mode) || IsSymlink(mode)) text += path + " " + Octal(mode) + " " + content + "\n";
  }
  return DigestOf(text);
}

json ProvenanceStatement(const ProvenanceRequest& r, const BuildMaterials& m) {
  json deps = json::array();
  for (auto& b : m.bases)
    deps.push_back({{"uri", "docker-image://" + Clean(b.ref, r)},
                    {"digest", Hex(b.digest)},
                    {"annotations", {{"platform", b.platform}}}});
  for (auto& [url, digest] : m.urls) {
    if (digest.rfind("git ", 0) == 0)
      deps.push_back({{"uri", Clean(url, r)}, {"digest", {{"gitCommit", digest.substr(4)}}}});
    else
      deps.push_back({{"uri", Clean(url, r)}, {"digest", Hex(digest)}});
  }
  json context = {{"name", "context"}, {"digest", Hex(ContextDigest(m.context_files))}};
  if (!r.git_commit.empty()) {
    context["uri"] = Clean(r.git_remote, r);
    context["digest"]["gitCommit"] = r.git_commit;
    if (!r.git_subdir.empty()) context["annotations"] = {{"subdir", r.git_subdir}};
  }
  deps.push_back(context);
  json redacted = json::array();
  json external = {{"configSource", {{"path", r.dockerfile}, {"digest", Hex(m.dockerfile_digest)}}},
                   {"request", Request(r, redacted)}};
  json cairn = {{"compression", r.compression},
                {"epoch", {{"layer", Epoch(r.epochs.layer)}, {"image", Epoch(r.epochs.image)},
                           {"explicit", r.explicit_epoch_flag}}},
                {"mode", r.mode}};
  if (!redacted.empty()) cairn["redacted"] = redacted;
  if (r.mode == "max") {
    json files = json::array();
    for (auto& [path, entry] : m.context_files) {
      auto [mode, content] = SplitEntry(entry);
      if (IsRegular(mode)) files.push_back({{"path", path}, {"mode", Octal(mode)}, {"digest", content}});
      else if (IsSymlink(mode)) files.push_back({{"path", path}, {"symlink", content}});
    }
    cairn["contextFiles"] = files;
    json steps = json::array();
    for (auto& s : m.steps) {
      json step = {{"stage", s.stage}, {"instruction", Clean(s.instruction, r)}};
      if (!s.network.empty()) step["network"] = s.network;
      steps.push_back(step);
    }
    cairn["steps"] = steps;
  }
  json predicate = {
      {"buildDefinition",
       {{"buildType", kCairnBuildType},
        {"externalParameters", external},
        {"internalParameters", {{"cairn", cairn}}},
        {"resolvedDependencies", deps}}},
      {"runDetails", {{"builder", {{"id", kCairnBuilderId}, {"version", {{"cairn", CairnVersion()}}}}}}}};
  return InTotoStatement(kSlsaProvenanceV1, r.subject, std::move(predicate));
}

json InTotoStatement(const std::string& predicate_type, const store::Descriptor& subject, json predicate) {
  return {{"_type", kInTotoStatement},
          {"predicateType", predicate_type},
          {"subject", json::array({{{"name", "_"}, {"digest", Hex(subject.digest)}}})},
          {"predicate", std::move(predicate)}};
}

}  // namespace cairn::builder
