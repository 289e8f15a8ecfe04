#pragma once
// Wireshark's WireGuard key log, read as Wireshark reads it
// (epan/dissectors/packet-wireguard.c, wg_keylog_process_lines): one
// `TYPE = base64-key` a line, leading spaces and spaces around '=' ignored,
// a trailing CR dropped. The four types, as tetherd writes them
// (impl/tunnel/key_log.*) and wireguard-tools' extract-handshakes does:
//
//   LOCAL_STATIC_PRIVATE_KEY     a static key pair we know the private half of
//   REMOTE_STATIC_PUBLIC_KEY     a static public key
//   LOCAL_EPHEMERAL_PRIVATE_KEY  the ephemeral key of one handshake message
//   PRESHARED_KEY                the PSK of the ephemeral key just before it
//
// As in Wireshark, the keys are pooled, not kept as blocks: static keys by
// their public key, ephemeral keys by their public key (which is what a
// handshake message carries), each ephemeral key with the PSKs that
// followed it. Unlike Wireshark, which skips a bad line silently, every
// line it cannot use is reported as FILE:LINE with why, then skipped.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/base64_key.h"
#include "crypto/x25519.h"

namespace tether::pcap {

class WireGuardKeyLog {
 public:
  struct StaticKey {
    crypto::PublicKey public_key{};
    std::optional<crypto::PrivateKey> private_key;
  };
  struct EphemeralKey {
    crypto::PublicKey public_key{};
    crypto::PrivateKey private_key{};
    std::vector<crypto::Key32> preshared_keys;  // in file order
  };

  // Reads `text`; `name` names it in problems ("keys.log:3: ...").
  static WireGuardKeyLog parse(std::string_view text, const std::string& name);
  // Reads a file. Fails only when it cannot be read at all.
  static Result<WireGuardKeyLog> read_file(const std::string& path);
  // Reads several files into one pool (a simulation run writes one key log
  // per host: HOST-wg-keys.log), each file's lines named by its own path. A
  // PRESHARED_KEY never belongs to an ephemeral key of an earlier file.
  // Fails on the first file that cannot be read at all.
  static Result<WireGuardKeyLog> read_files(const std::vector<std::string>& paths);

  const StaticKey* find_static(const crypto::PublicKey& public_key) const;
  const EphemeralKey* find_ephemeral(const crypto::PublicKey& public_key) const;
  const std::map<crypto::PublicKey, StaticKey>& static_keys() const { return statics_; }
  std::size_t ephemeral_count() const { return ephemerals_.size(); }

  // One line per line skipped: "FILE:LINE: why".
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void add_text(std::string_view text, const std::string& name);
  void add_line(std::string_view line, const std::string& where);
  void add_static(const crypto::PublicKey& public_key, const std::optional<crypto::PrivateKey>& private_key);

  std::map<crypto::PublicKey, StaticKey> statics_;
  std::map<crypto::PublicKey, EphemeralKey> ephemerals_;
  // The ephemeral key the next PRESHARED_KEY line belongs to (Wireshark's
  // wg_keylog_last_ekey): set by an ephemeral line, used up by a PSK line.
  std::optional<crypto::PublicKey> last_ephemeral_;
  std::vector<std::string> problems_;
};

}  // namespace tether::pcap
