#include "pcap/result_directory.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace tether::pcap {
namespace {

namespace fs = std::filesystem;

bool is_capture_file(const fs::path& p) {
  return p.extension() == ".pcap" || p.extension() == ".pcapng";
}

bool has_captures(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && is_capture_file(it->path())) return true;
  return false;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Why a directory gives no captures, in words a user can act on.
Error no_captures(const std::string& path) {
  std::error_code ec;
  const fs::path dir(path);
  if (fs::exists(dir / "results.json", ec) || fs::exists(dir / "events.csv", ec))
    return make_error(
        ErrorCode::not_found,
        path +
            ": a result directory without captures (no pcap/ in it): run the scenario again with "
            "--pcap; its events.csv alone is not read as a timeline");
  return make_error(ErrorCode::not_found, path + ": no captures: neither " + (dir / "pcap").string() +
                                              "/ nor the directory itself holds .pcap or .pcapng files");
}

}  // namespace

Result<ResultDirectory> open_result_directory(const std::string& path,
                                              const std::vector<std::string>& link_globs) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return make_error(ErrorCode::not_found, path + ": not a directory");
  ResultDirectory out;
  out.path = path;
  const fs::path pcap_dir = fs::path(path) / "pcap";
  if (fs::is_directory(pcap_dir, ec) && has_captures(pcap_dir))
    out.capture_dir = pcap_dir.string();
  else if (has_captures(path))
    out.capture_dir = path;
  else
    return no_captures(path);

  std::vector<fs::path> files;
  for (fs::directory_iterator it(out.capture_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path());
  if (ec) return make_error(ErrorCode::io, out.capture_dir + ": cannot be listed: " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<fs::path> captures;
  for (const fs::path& f : files) {
    if (is_capture_file(f)) {
      out.links.push_back(f.stem().string());
      captures.push_back(f);
    } else if (ends_with(f.filename().string(), "-wg-keys.log")) {
      out.key_logs.push_back(f.string());
    }
  }
  const std::vector<std::string> globs =
      link_globs.empty() ? std::vector<std::string>{kDefaultResultLink} : link_globs;
  for (std::size_t i = 0; i < captures.size(); ++i) {
    const std::string stem = out.links[i], name = captures[i].filename().string();
    const bool chosen = std::any_of(globs.begin(), globs.end(), [&](const std::string& g) {
      return fnmatch(g.c_str(), stem.c_str(), 0) == 0 || fnmatch(g.c_str(), name.c_str(), 0) == 0;
    });
    if (chosen) out.captures.push_back(captures[i].string());
  }
  if (out.captures.empty())
    return make_error(ErrorCode::not_found, path + ": no link matches --link " + joined(globs) +
                                                (link_globs.empty() ? " (the default)" : "") +
                                                "; its links are " + joined(out.links));
  return out;
}

Result<TimelineInputs> expand_timeline_inputs(const std::vector<std::string>& inputs,
                                              const std::vector<std::string>& link_globs) {
  TimelineInputs out;
  std::error_code ec;
  for (const std::string& input : inputs) {
    if (!fs::is_directory(input, ec)) {
      out.captures.push_back(input);
      continue;
    }
    auto dir = open_result_directory(input, link_globs);
    if (!dir.ok()) return dir.error();
    out.captures.insert(out.captures.end(), dir->captures.begin(), dir->captures.end());
    out.key_logs.insert(out.key_logs.end(), dir->key_logs.begin(), dir->key_logs.end());
  }
  return out;
}

Result<Timeline> build_timeline_of_inputs(const std::vector<std::string>& inputs,
                                          const std::vector<std::string>& key_logs,
                                          const std::vector<std::string>& link_globs,
                                          TimelineOptions options) {
  auto expanded = expand_timeline_inputs(inputs, link_globs);
  if (!expanded.ok()) return expanded.error();
  std::vector<std::string> logs = key_logs;
  logs.insert(logs.end(), expanded->key_logs.begin(), expanded->key_logs.end());
  if (!logs.empty()) {
    auto keys = WireGuardKeyLog::read_files(logs);
    if (!keys.ok()) return keys.error();
    options.keys = std::make_shared<const WireGuardKeyLog>(std::move(*keys));
  }
  return build_timeline(expanded->captures, options);
}

}  // namespace tether::pcap
