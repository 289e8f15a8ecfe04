#include "tunnel/key_log.h"

namespace tether::tunnel {

std::vector<std::string> key_log_lines(const crypto::PrivateKey& local_static_private,
                                       const crypto::PublicKey& remote_static_public,
                                       const crypto::PrivateKey& local_ephemeral_private,
                                       const std::optional<crypto::Key32>& preshared_key) {
  std::vector<std::string> lines;
  lines.push_back("LOCAL_STATIC_PRIVATE_KEY = " + crypto::encode_base64_key(local_static_private));
  lines.push_back("REMOTE_STATIC_PUBLIC_KEY = " + crypto::encode_base64_key(remote_static_public));
  lines.push_back("LOCAL_EPHEMERAL_PRIVATE_KEY = " + crypto::encode_base64_key(local_ephemeral_private));
  if (preshared_key) lines.push_back("PRESHARED_KEY = " + crypto::encode_base64_key(*preshared_key));
  return lines;
}

}  // namespace tether::tunnel
