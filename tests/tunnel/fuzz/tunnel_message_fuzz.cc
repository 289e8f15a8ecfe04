// libFuzzer target for the wire-format decoder (issue 3, "Bad input"): any
// datagram must decode or drop with a reason, without reading out of bounds
// (ASan), and whatever decodes must encode back to the very same bytes, so
// the decoder accepts nothing it would not itself produce.

#include <cstdint>
#include <cstdlib>
#include <variant>

#include "tunnel/messages.h"

using namespace tether;
using namespace tether::tunnel;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  auto decoded = decode_message(in);
  if (!decoded) {
    require(!decoded.drop().to_string().empty());
    require(!classify_message(in).ok());
    return 0;
  }
  Bytes out;
  if (auto* m = std::get_if<Initiation>(&*decoded)) {
    out = encode(*m);
    require(mac_spans(in).has_value());
  } else if (auto* m = std::get_if<Response>(&*decoded)) {
    out = encode(*m);
    require(mac_spans(in).has_value());
  } else if (auto* m = std::get_if<CookieReply>(&*decoded)) {
    out = encode(*m);
  } else {
    const Transport& t = std::get<Transport>(*decoded);
    require(t.encrypted_packet.data() == data + kTransportHeaderSize);
    out = encode_transport(t.receiver_index, t.counter, t.encrypted_packet);
  }
  require(ByteView(out) == in);
  return 0;
}
