#include "pcap/key_log_reader.h"

#include <fstream>
#include <sstream>

namespace tether::pcap {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

WireGuardKeyLog WireGuardKeyLog::parse(std::string_view text, const std::string& name) {
  WireGuardKeyLog log;
  log.add_text(text, name);
  return log;
}

void WireGuardKeyLog::add_text(std::string_view text, const std::string& name) {
  last_ephemeral_.reset();  // a PSK line pairs with an ephemeral line of its own file only
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    add_line(line, name + ":" + std::to_string(line_number));
  }
}

namespace {

Result<std::string> read_key_log_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, path + ": cannot open the key log");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::io, path + ": cannot read the key log");
  return text.str();
}

}  // namespace

Result<WireGuardKeyLog> WireGuardKeyLog::read_file(const std::string& path) {
  auto text = read_key_log_text(path);
  if (!text.ok()) return text.error();
  return parse(*text, path);
}

Result<WireGuardKeyLog> WireGuardKeyLog::read_files(const std::vector<std::string>& paths) {
  WireGuardKeyLog log;
  for (const std::string& path : paths) {
    auto text = read_key_log_text(path);
    if (!text.ok()) return text.error();
    log.add_text(*text, path);
  }
  return log;
}

void WireGuardKeyLog::add_line(std::string_view raw, const std::string& where) {
  const std::string_view line = trim_spaces(raw);
  if (line.empty()) return;  // blank lines carry nothing; not worth a report
  const std::size_t eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    problems_.push_back(where + ": expected 'TYPE = base64 key', got '" + std::string(line.substr(0, 60)) + "'");
    return;
  }
  const std::string_view type = trim_spaces(line.substr(0, eq));
  const std::string_view value = trim_spaces(line.substr(eq + 1));
  const bool known = type == "LOCAL_STATIC_PRIVATE_KEY" || type == "REMOTE_STATIC_PUBLIC_KEY" ||
                     type == "LOCAL_EPHEMERAL_PRIVATE_KEY" || type == "PRESHARED_KEY";
  if (!known) {
    problems_.push_back(where + ": unknown key type '" + std::string(type.substr(0, 40)) + "'");
    return;
  }
  auto key = crypto::decode_base64_key(value);
  if (!key) {
    problems_.push_back(where + ": " + std::string(type) + ": " + key.error().message);
    return;
  }
  if (type == "LOCAL_STATIC_PRIVATE_KEY") {
    add_static(crypto::derive_public_key(*key), *key);
  } else if (type == "REMOTE_STATIC_PUBLIC_KEY") {
    add_static(*key, std::nullopt);
  } else if (type == "LOCAL_EPHEMERAL_PRIVATE_KEY") {
    const crypto::PublicKey public_key = crypto::derive_public_key(*key);
    auto [it, inserted] = ephemerals_.try_emplace(public_key);
    if (inserted) {
      it->second.public_key = public_key;
      it->second.private_key = *key;
    }
    last_ephemeral_ = public_key;
  } else {  // PRESHARED_KEY
    if (!last_ephemeral_) {
      problems_.push_back(where + ": PRESHARED_KEY with no LOCAL_EPHEMERAL_PRIVATE_KEY before it");
      return;
    }
    ephemerals_[*last_ephemeral_].preshared_keys.push_back(*key);
    last_ephemeral_.reset();
  }
}

void WireGuardKeyLog::add_static(const crypto::PublicKey& public_key,
                                 const std::optional<crypto::PrivateKey>& private_key) {
  auto [it, inserted] = statics_.try_emplace(public_key);
  if (inserted) it->second.public_key = public_key;
  // A private key learnt later completes a public one seen before.
  if (private_key && !it->second.private_key) it->second.private_key = private_key;
}

const WireGuardKeyLog::StaticKey* WireGuardKeyLog::find_static(const crypto::PublicKey& public_key) const {
  auto it = statics_.find(public_key);
  return it == statics_.end() ? nullptr : &it->second;
}

const WireGuardKeyLog::EphemeralKey* WireGuardKeyLog::find_ephemeral(const crypto::PublicKey& public_key) const {
  auto it = ephemerals_.find(public_key);
  return it == ephemerals_.end() ? nullptr : &it->second;
}

}  // namespace tether::pcap
