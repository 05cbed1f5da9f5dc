#include "builder/context_index.h"

#include <time.h>

#include <charconv>
#include <string_view>

#include "base/digest.h"
#include "base/error.h"
#include "base/fs.h"
#include "builder/unsynced_write.h"

namespace cairn::builder {

namespace {

constexpr std::string_view kHeader = "cairn context index 1\n";
// Entries a build did not use survive while the index stays below this many entries; beyond it
// only the ones this build used are kept (a context whose files come and go cannot grow it forever).
constexpr size_t kMaxEntries = 200000;

int64_t Ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

int64_t NowNs() {
  struct timespec t;
  ::clock_gettime(CLOCK_REALTIME, &t);
  return Ns(t);
}

// Parses one unsigned/signed integer followed by a space; advances text.
template <typename T>
bool TakeNumber(std::string_view& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end == text.data() + text.size() || *end != ' ') return false;
  text.remove_prefix(static_cast<size_t>(end - text.data()) + 1);
  return true;
}

}  // namespace

ContextIndex::ContextIndex(const std::string& store_root, const std::string& context_dir,
                           std::chrono::nanoseconds settle)
    : context_dir_(context_dir),
      file_(JoinPath(JoinPath(store_root, "cache-hints/context-index"), DigestHex(DigestOf(context_dir)))),
      settle_ns_(settle.count()),
      persist_(context_dir.rfind(JoinPath(store_root, "tmp") + "/", 0) != 0) {}

ContextIndex::Entry ContextIndex::EntryOf(const struct stat& st) {
  Entry e;
  e.size = st.st_size;
  e.mtime_ns = Ns(st.st_mtim);
  e.ctime_ns = Ns(st.st_ctim);
  e.ino = st.st_ino;
  e.dev = st.st_dev;
  return e;
}

bool ContextIndex::Matches(const Entry& e, const Entry& now) {
  return e.size == now.size && e.mtime_ns == now.mtime_ns && e.ctime_ns == now.ctime_ns && e.ino == now.ino &&
         e.dev == now.dev;
}

// A missing or damaged index is an empty one: every file is read, nothing fails.
void ContextIndex::LoadLocked() {
  loaded_ = true;
  std::string text;
  try {
    if (!PathExists(file_)) return;
    text = ReadFile(file_);
  } catch (const Error&) {
    return;
  }
  std::string_view rest(text);
  if (rest.substr(0, kHeader.size()) != kHeader) return;
  rest.remove_prefix(kHeader.size());
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // a torn last line: ignore it
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    Entry e;
    e.digest = std::string(line.substr(0, sp));
    line.remove_prefix(sp + 1);
    if (!IsValidDigest(e.digest) || !TakeNumber(line, e.size) || !TakeNumber(line, e.mtime_ns) ||
        !TakeNumber(line, e.ctime_ns) || !TakeNumber(line, e.ino) || !TakeNumber(line, e.dev) || line.empty())
      continue;
    entries_[std::string(line)] = std::move(e);
  }
}

std::string ContextIndex::FileDigest(const std::string& path, const struct stat& st) {
  std::string prefix = context_dir_ + "/";
  bool inside = path.compare(0, prefix.size(), prefix) == 0 && path.find('\n') == std::string::npos;
  if (!inside) return DigestOfFile(path);
  std::string rel = path.substr(prefix.size());
  Entry now = EntryOf(st);
  {
    std::lock_guard lock(mu_);
    if (!loaded_) LoadLocked();
    auto it = entries_.find(rel);
    if (it != entries_.end() && Matches(it->second, now)) {
      it->second.used = true;
      return it->second.digest;
    }
    files_read_++;
  }
  int64_t started = NowNs();
  now.digest = DigestOfFile(path);  // outside the lock: stages may hash in parallel
  if (std::max(now.mtime_ns, now.ctime_ns) > started - settle_ns_) return now.digest;  // too fresh to trust
  now.used = true;
  std::lock_guard lock(mu_);
  entries_[rel] = now;
  dirty_ = true;
  return now.digest;
}

void ContextIndex::Save() {
  std::lock_guard lock(mu_);
  if (!dirty_ || !persist_) return;
  bool keep_unused = entries_.size() <= kMaxEntries;
  std::string out(kHeader);
  out.reserve(entries_.size() * 120);
  for (auto& [rel, e] : entries_) {
    if (!e.used && !keep_unused) continue;
    out += e.digest + ' ' + std::to_string(e.size) + ' ' + std::to_string(e.mtime_ns) + ' ' +
           std::to_string(e.ctime_ns) + ' ' + std::to_string(e.ino) + ' ' + std::to_string(e.dev) + ' ' + rel + '\n';
  }
  MakeDirs(file_.substr(0, file_.rfind('/')));
  WriteFileUnsynced(file_, out);
  dirty_ = false;
}

int64_t ContextIndex::files_read() const {
  std::lock_guard lock(mu_);
  return files_read_;
}

}  // namespace cairn::builder
