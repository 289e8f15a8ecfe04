#pragma once
// Real SMTP conversations for the dissector tests: the relay's own delivery
// client (smtp::ClientSession) against its own server (smtp::ServerSession),
// run against each other in memory, every chunk each side wrote recorded in
// order: exactly the bytes that would be on the wire (ciphertext after
// STARTTLS, through impl/crypto's TLS).

#include <string>
#include <vector>

#include "core/bytes.h"

namespace tether::pcap::testing {

struct Chunk {
  bool from_client = false;
  Bytes bytes;
};

struct ConversationOptions {
  bool starttls = false;
  bool implicit_tls = false;  // smtps: TLS from the first byte
  std::string mail_from = "jay@example.org";
  // example.com recipients are accepted, others refused (550), as the
  // server's router says.
  std::vector<std::string> recipients{"alice@example.com"};
  std::string message = "Subject: hi\r\n\r\nhello\r\n";
};

struct Conversation {
  std::vector<Chunk> chunks;
  bool delivered = false;  // the client saw at least one recipient delivered
};

Conversation smtp_conversation(const ConversationOptions& options);

}  // namespace tether::pcap::testing
