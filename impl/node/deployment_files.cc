#include "node/deployment_files.h"

#include "smtp/config_files.h"
#include "smtp/config_parser.h"
#include "tunnel/tunnel_config_file.h"

namespace tether::node {
namespace {

std::string lines(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : "\n") + item;
  return out;
}

}  // namespace

std::string TunnelFile::error_text() const { return lines(errors); }
std::string RelayFile::error_text() const { return lines(errors); }

TunnelFile load_tunnel_file(const std::string& path, const std::string& shown_as) {
  TunnelFile file;
  file.interface_name = interface_name_from_path(path);
  auto loaded = tunnel::load_tunnel_config_file(path, shown_as);
  if (!loaded) {
    file.errors.push_back(loaded.error().message);  // names the file
    return file;
  }
  for (const auto& e : loaded->errors) file.errors.push_back(e.to_string());
  for (const auto& w : loaded->warnings) {
    tunnel::ConfigDiagnostic tagged = w;
    tagged.message = "warning: " + tagged.message;
    file.warnings.push_back(tagged.to_string());
  }
  if (loaded->ok() && !loaded->config.interface.private_key)
    file.errors.push_back((shown_as.empty() ? path : shown_as) + ": [Interface] has no PrivateKey");
  file.config = std::move(loaded->config);
  return file;
}

RelayFile load_relay_file(const std::string& path, const std::filesystem::path& root, const std::string& shown_as) {
  RelayFile file;
  file.root = root;
  auto text = smtp::read_text_file(path);
  if (!text) {
    file.errors.push_back(text.error().message);  // names the file
    return file;
  }
  smtp::ConfigFileLoader loader = root.empty() ? smtp::real_file_loader() : smtp::rooted_file_loader(root.string());
  smtp::ConfigParseResult parsed = smtp::parse_config(*text, shown_as.empty() ? path : shown_as, loader);
  for (const smtp::ConfigError& e : parsed.errors) file.errors.push_back(e.to_string());
  if (parsed.ok()) file.config = std::make_shared<const smtp::Config>(std::move(parsed.config));
  return file;
}

std::filesystem::path config_root(const std::filesystem::path& file) {
  for (std::filesystem::path p = file.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
    if (p.filename() == "etc") return p.parent_path();
  return file.parent_path();
}

std::optional<std::string> interface_name_from_path(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  const std::string suffix = ".conf";
  if (base.size() <= suffix.size() || base.compare(base.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  const std::string name = base.substr(0, base.size() - suffix.size());
  if (name.empty() || name.size() > 15) return std::nullopt;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '=' || c == '+' || c == '.' || c == '-';
    if (!ok) return std::nullopt;
  }
  return name;
}

}  // namespace tether::node
