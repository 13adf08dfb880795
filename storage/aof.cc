#include "storage/aof.h"

#include <fmt/format.h>

#include <charconv>

namespace tandem::storage::aof {

// ---------------------------------------------------------------------------------------------
// Manifest
// ---------------------------------------------------------------------------------------------

const ManifestEntry* Manifest::base() const {
  for (const ManifestEntry& e : files) {
    if (e.type == 'b') return &e;
  }
  return nullptr;
}

std::vector<const ManifestEntry*> Manifest::incrs() const {
  std::vector<const ManifestEntry*> out;
  for (const ManifestEntry& e : files) {
    if (e.type == 'i') out.push_back(&e);
  }
  return out;
}

int64_t Manifest::max_incr_seq() const {
  int64_t m = 0;
  for (const ManifestEntry& e : files) {
    if (e.type == 'i' && e.seq > m) m = e.seq;
  }
  return m;
}

std::string Manifest::Serialize() const {
  std::string out;
  for (const ManifestEntry& e : files) {
    out += fmt::format("file {} seq {} type {}\n", e.name, e.seq, e.type);
  }
  return out;
}

std::expected<Manifest, std::string> ParseManifest(std::string_view text) {
  Manifest m;
  size_t lineno = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ') ++j;
      if (j > i) words.push_back(line.substr(i, j - i));
      i = j;
    }
    if (words.size() % 2 != 0 || words.empty()) {
      return std::unexpected(fmt::format("Invalid AOF manifest file format (line {})", lineno));
    }
    ManifestEntry e;
    bool has_type = false;
    for (size_t k = 0; k < words.size(); k += 2) {
      std::string_view key = words[k];
      std::string_view val = words[k + 1];
      if (key == "file") {
        if (val.find('/') != std::string_view::npos) {
          return std::unexpected(
              fmt::format("File can't be a path, just a filename (line {})", lineno));
        }
        e.name = std::string(val);
      } else if (key == "seq") {
        auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), e.seq);
        if (ec != std::errc() || p != val.data() + val.size() || e.seq < 0) {
          return std::unexpected(fmt::format("Invalid AOF sequence number (line {})", lineno));
        }
      } else if (key == "type") {
        if (val.size() != 1 || (val[0] != 'b' && val[0] != 'h' && val[0] != 'i')) {
          return std::unexpected(fmt::format("Unknown AOF file type (line {})", lineno));
        }
        e.type = val[0];
        has_type = true;
      }
      // Unknown keys are ignored, as Redis does (forward compatibility).
    }
    if (e.name.empty() || !has_type) {
      return std::unexpected(fmt::format("Invalid AOF manifest file format (line {})", lineno));
    }
    if (e.type == 'b' && m.base() != nullptr) {
      return std::unexpected(
          fmt::format("Found duplicate base file information (line {})", lineno));
    }
    m.files.push_back(std::move(e));
  }
  return m;
}

std::string BaseName(std::string_view appendfilename, int64_t seq, bool rdb_preamble) {
  return fmt::format("{}.{}.base.{}", appendfilename, seq, rdb_preamble ? "rdb" : "aof");
}

std::string IncrName(std::string_view appendfilename, int64_t seq) {
  return fmt::format("{}.{}.incr.aof", appendfilename, seq);
}

std::string ManifestName(std::string_view appendfilename) {
  return fmt::format("{}.manifest", appendfilename);
}

bool HasRdbPreamble(std::string_view data) { return data.starts_with("REDIS"); }

// ---------------------------------------------------------------------------------------------
// Scanner
// ---------------------------------------------------------------------------------------------

namespace {

enum class Step { kOk, kNeedMore, kBad };

// Reads "<prefix><integer>\r\n" at `pos`.
Step ReadHeader(std::string_view d, size_t& pos, char prefix, int64_t& n, std::string& err) {
  if (pos >= d.size()) return Step::kNeedMore;
  if (d[pos] != prefix) {
    err = fmt::format("expected '{}', got '{}'", prefix, d[pos]);
    return Step::kBad;
  }
  size_t cr = d.find('\r', pos);
  if (cr == std::string_view::npos) {
    // A header is short; if 32 bytes pass with no CR it is not a header.
    if (d.size() - pos > 32) {
      err = "header too long";
      return Step::kBad;
    }
    return Step::kNeedMore;
  }
  if (cr + 1 >= d.size()) return Step::kNeedMore;
  if (d[cr + 1] != '\n') {
    err = "expected CRLF after a header";
    return Step::kBad;
  }
  auto [p, ec] = std::from_chars(d.data() + pos + 1, d.data() + cr, n);
  if (ec != std::errc() || p != d.data() + cr || n < 0) {
    err = "bad length in a header";
    return Step::kBad;
  }
  pos = cr + 2;
  return Step::kOk;
}

// Parses one multibulk command at `pos`.
Step ReadCommand(std::string_view d, size_t& pos, std::vector<std::string_view>& args,
                 std::string& err) {
  args.clear();
  int64_t argc = 0;
  Step s = ReadHeader(d, pos, '*', argc, err);
  if (s != Step::kOk) return s;
  if (argc < 1 || argc > 1024 * 1024) {
    err = "invalid argument count";
    return Step::kBad;
  }
  for (int64_t i = 0; i < argc; ++i) {
    int64_t len = 0;
    s = ReadHeader(d, pos, '$', len, err);
    if (s != Step::kOk) return s;
    if (static_cast<uint64_t>(len) + 2 > d.size() - pos) return Step::kNeedMore;
    if (d[pos + static_cast<size_t>(len)] != '\r' ||
        d[pos + static_cast<size_t>(len) + 1] != '\n') {
      err = "expected CRLF after an argument";
      return Step::kBad;
    }
    args.push_back(d.substr(pos, static_cast<size_t>(len)));
    pos += static_cast<size_t>(len) + 2;
  }
  return Step::kOk;
}

bool IsWord(std::string_view a, std::string_view word) {
  if (a.size() != word.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != word[i]) return false;
  }
  return true;
}

}  // namespace

ScanResult Scan(std::string_view data, const CommandFn& on_command,
                const AnnotationFn& on_annotation) {
  ScanResult r;
  size_t pos = 0;
  std::vector<std::string_view> args;
  // A transaction is applied only once its EXEC is read.
  bool in_multi = false;
  size_t multi_start = 0;
  std::vector<std::vector<std::string_view>> queued;
  while (pos < data.size()) {
    size_t start = pos;
    if (data[pos] == '#') {
      const size_t nl = data.find('\n', pos);
      if (nl == std::string_view::npos) {
        r.truncated = true;
        r.valid_bytes = in_multi ? multi_start : start;
        r.error = "the file ends in the middle of an annotation";
        return r;
      }
      std::string_view text = data.substr(pos + 1, nl - pos - 1);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (on_annotation) on_annotation(text);
      pos = nl + 1;
      if (!in_multi) r.valid_bytes = pos;
      continue;
    }
    std::string err;
    Step s = ReadCommand(data, pos, args, err);
    if (s == Step::kNeedMore) {
      r.truncated = true;
      r.valid_bytes = in_multi ? multi_start : start;
      r.error = "the file ends in the middle of a command";
      return r;
    }
    if (s == Step::kBad) {
      r.corrupt = true;
      r.valid_bytes = in_multi ? multi_start : start;
      r.error = err;
      return r;
    }
    if (!in_multi && IsWord(args[0], "multi")) {
      in_multi = true;
      multi_start = start;
      queued.clear();
      queued.push_back(args);
      continue;
    }
    if (in_multi) {
      queued.push_back(args);
      if (IsWord(args[0], "exec")) {
        for (const auto& q : queued) {
          if (on_command) on_command(q);
          ++r.commands;
        }
        in_multi = false;
        queued.clear();
        r.valid_bytes = pos;
      }
      continue;
    }
    if (on_command) on_command(args);
    ++r.commands;
    r.valid_bytes = pos;
  }
  if (in_multi) {
    r.truncated = true;
    r.valid_bytes = multi_start;
    r.error = "the file ends inside a MULTI/EXEC block";
  }
  return r;
}

}  // namespace tandem::storage::aof
