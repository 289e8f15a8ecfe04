#include "sim/node_config_files.h"

#include <fstream>
#include <sstream>

#include "smtp/config_files.h"
#include "smtp/config_parser.h"

namespace tether::sim {
namespace {

std::string prefixed(const std::string& field, const std::string& message) {
  return field.empty() ? message : field + ": " + message;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::not_found, path.string() + ": cannot read");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::filesystem::path config_root(const std::filesystem::path& file) {
  for (std::filesystem::path p = file.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (p.filename() == "etc") return p.parent_path();
  return file.parent_path();
}

Result<tunnel::TunnelConfig> load_tunnel_file(const std::filesystem::path& file, const std::string& field,
                                              std::optional<std::uint16_t> keepalive) {
  auto text = read_file(file);
  if (!text.ok()) return Error(ErrorCode::invalid_argument, prefixed(field, text.error().message));
  auto parsed = tunnel::parse_tunnel_config(*text, file.filename().string());
  if (!parsed.ok()) return Error(ErrorCode::invalid_argument, prefixed(field, parsed.error().message));
  if (keepalive)
    for (auto& peer : parsed.config.peers) peer.persistent_keepalive = *keepalive;
  return std::move(parsed.config);
}

Result<SmtpdFile> load_smtpd_file(const std::filesystem::path& file, const std::string& field) {
  auto text = read_file(file);
  if (!text.ok()) return Error(ErrorCode::invalid_argument, prefixed(field, text.error().message));
  SmtpdFile loaded;
  loaded.root = config_root(file);
  auto parsed = smtp::parse_config(*text, file.filename().string(), smtp::rooted_file_loader(loaded.root.string()));
  if (!parsed.ok()) return Error(ErrorCode::invalid_argument, prefixed(field, parsed.error_text()));
  loaded.config = std::make_shared<const smtp::Config>(std::move(parsed.config));
  return loaded;
}

}  // namespace tether::sim
