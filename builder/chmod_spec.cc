#include "builder/chmod_spec.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/error.h"

namespace cairn::builder {

namespace {

// BuildKit's own words (a user greps for them), then what cairn also accepts.
[[noreturn]] void Invalid(const std::string& text) {
  throw Error("invalid chmod parameter: '" + text +
              "'. it should be octal string and between 0 and 07777 (or symbolic such as u+x, go-w, u=rwx,go=rx)");
}

// The rwx bits of one class ('u', 'g', 'o') of mode, as a 3-bit value.
mode_t ClassBits(mode_t mode, char cls) {
  switch (cls) {
    case 'u': return (mode >> 6) & 7;
    case 'g': return (mode >> 3) & 7;
    default: return mode & 7;
  }
}

// Spreads a 3-bit rwx value over the classes in who.
mode_t Spread(mode_t rwx, mode_t who) { return (rwx << 6 | rwx << 3 | rwx) & who & 0777; }

}  // namespace

ChmodSpec ChmodSpec::Parse(const std::string& text) {
  ChmodSpec spec;
  if (text.empty()) Invalid(text);
  if (text.find_first_not_of("01234567") == std::string::npos) {
    size_t digits = text.size() - std::min(text.find_first_not_of('0'), text.size());
    if (digits > 4) Invalid(text);  // BuildKit's range: 0 to 07777, leading zeros allowed
    spec.octal_ = true;
    spec.mode_ = static_cast<mode_t>(std::stoul(text, nullptr, 8));
    return spec;
  }
  size_t i = 0;
  while (true) {
    // who
    mode_t who = 0;
    for (; i < text.size() && std::string_view("ugoa").find(text[i]) != std::string_view::npos; i++) {
      if (text[i] == 'u') who |= S_IRWXU | S_ISUID;
      if (text[i] == 'g') who |= S_IRWXG | S_ISGID;
      if (text[i] == 'o') who |= S_IRWXO;
      if (text[i] == 'a') who |= 07777;
    }
    if (who == 0) who = 07777;
    // one or more op+perm actions
    if (i >= text.size() || std::string_view("+-=").find(text[i]) == std::string_view::npos) Invalid(text);
    while (i < text.size() && std::string_view("+-=").find(text[i]) != std::string_view::npos) {
      Op op{text[i++], who, 0, false, 0};
      if (i < text.size() && std::string_view("ugo").find(text[i]) != std::string_view::npos) {
        op.copy_from = text[i++];
      } else {
        for (; i < text.size() && std::string_view("rwxXst").find(text[i]) != std::string_view::npos; i++) {
          switch (text[i]) {
            case 'r': op.perm |= Spread(4, who); break;
            case 'w': op.perm |= Spread(2, who); break;
            case 'x': op.perm |= Spread(1, who); break;
            case 'X': op.cap_x = true; break;
            case 's': op.perm |= who & (S_ISUID | S_ISGID); break;
            case 't': op.perm |= (who & S_IRWXO) ? S_ISVTX : 0; break;
          }
        }
      }
      spec.ops_.push_back(op);
    }
    if (i == text.size()) break;
    if (text[i] != ',' || ++i == text.size()) Invalid(text);
  }
  return spec;
}

mode_t ChmodSpec::Apply(mode_t source_mode, bool is_dir) const {
  if (octal_) return mode_;
  mode_t mode = source_mode & 07777;
  for (const Op& op : ops_) {
    mode_t bits = op.perm;
    if (op.copy_from) bits |= Spread(ClassBits(mode, op.copy_from), op.who);
    if (op.cap_x && (is_dir || (mode & 0111))) bits |= Spread(1, op.who);
    switch (op.op) {
      case '+': mode |= bits; break;
      case '-': mode &= ~bits; break;
      // '=' clears the addressed classes' rwx (and their s bits, not t unless o is addressed).
      default: mode = (mode & ~(op.who & 0777) & ~(op.who & (S_ISUID | S_ISGID)) &
                       ~((op.who & S_IRWXO) ? S_ISVTX : 0)) | bits;
    }
  }
  return mode;
}

}  // namespace cairn::builder
