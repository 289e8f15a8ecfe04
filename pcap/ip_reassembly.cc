#include "pcap/ip_reassembly.h"

#include <cstdio>
#include <tuple>

namespace tether::pcap {
namespace {

constexpr std::uint32_t kMaxDatagram = 65535;  // what the 16-bit length fields allow

}  // namespace

bool FragmentKey::operator<(const FragmentKey& o) const {
  return std::tie(v6, source, destination, protocol, identification) <
         std::tie(o.v6, o.source, o.destination, o.protocol, o.identification);
}

std::string FragmentKey::to_string() const {
  char id[16];
  std::snprintf(id, sizeof id, "0x%x", identification);
  std::string text = std::string(v6 ? "IPv6" : "IPv4") + " datagram " + source.to_string() + " -> " +
                     destination.to_string() + " id " + id;
  if (!v6) text += " protocol " + std::to_string(protocol);
  return text;
}

std::string IpReassembler::describe(const FragmentKey& key, const Pending& pending) {
  std::string text = key.to_string() + " (" + std::to_string(pending.bytes) + " bytes";
  if (pending.total) text += " of " + std::to_string(*pending.total);
  text += " in fragments from packets";
  for (std::uint64_t n : pending.packet_numbers) text += " " + std::to_string(n);
  return text + ")";
}

void IpReassembler::drop(std::map<FragmentKey, Pending>::iterator it, const std::string& why,
                         const std::function<void(const ReassemblyFailure&)>& failed) {
  failed(ReassemblyFailure{it->second.last_origin, why + ": " + describe(it->first, it->second)});
  pending_bytes_ -= it->second.bytes;
  pending_.erase(it);
}

std::optional<ReassembledDatagram> IpReassembler::add(const Origin& origin, const Fragment& fragment,
                                                      const std::function<void(const ReassemblyFailure&)>& failed) {
  // Give up the datagrams whose time ran out by this record's time.
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto current = it++;
    if (origin.at - current->second.first_seen > limits_.timeout) {
      drop(current, "reassembly timed out after " + format_duration(limits_.timeout), failed);
    }
  }

  const std::uint64_t end = std::uint64_t{fragment.offset} + fragment.data.size();
  auto found = pending_.find(fragment.key);
  if (end > kMaxDatagram) {
    if (found != pending_.end()) drop(found, "fragment reaches beyond 65535 bytes", failed);
    else failed(ReassemblyFailure{origin, "fragment reaches beyond 65535 bytes (offset " + std::to_string(fragment.offset) +
                                              "): " + fragment.key.to_string()});
    return std::nullopt;
  }
  if (found == pending_.end()) {
    // Stay within the limits by giving up the oldest datagrams first.
    while (!pending_.empty() && (pending_.size() >= limits_.max_pending_datagrams ||
                                 pending_bytes_ + fragment.data.size() > limits_.max_pending_bytes)) {
      auto oldest = pending_.begin();
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (it->second.first_seen < oldest->second.first_seen) oldest = it;
      }
      drop(oldest, "evicted to stay within the reassembly limits", failed);
    }
    found = pending_.emplace(fragment.key, Pending{}).first;
    found->second.first_seen = origin.at;
  }
  Pending& pending = found->second;
  pending.last_origin = origin;
  pending.packet_numbers.push_back(origin.packet_number);

  // An exact duplicate adds nothing; any other overlap poisons the datagram.
  auto same = pending.pieces.find(fragment.offset);
  bool duplicate = same != pending.pieces.end() && same->second.size() == fragment.data.size();
  if (!duplicate) {
    for (const auto& [offset, bytes] : pending.pieces) {
      if (offset < end && fragment.offset < offset + bytes.size()) {
        drop(found, "overlapping fragments", failed);
        return std::nullopt;
      }
    }
    if (!fragment.more) {
      if (pending.total && *pending.total != end) {
        drop(found, "two last fragments with different ends", failed);
        return std::nullopt;
      }
      pending.total = static_cast<std::uint32_t>(end);
    }
    if (pending.total && end > *pending.total) {
      drop(found, "fragment beyond the datagram's end", failed);
      return std::nullopt;
    }
    if (fragment.offset == 0) pending.next_header = fragment.next_header;
    pending.pieces.emplace(fragment.offset, fragment.data.to_bytes());
    pending.bytes += fragment.data.size();
    pending_bytes_ += fragment.data.size();
  }

  if (!pending.total || !pending.next_header || pending.bytes != *pending.total) return std::nullopt;
  // No overlaps and the sizes add up to the total: the pieces tile it.
  ReassembledDatagram done;
  done.key = fragment.key;
  done.next_header = *pending.next_header;
  done.packet_numbers = std::move(pending.packet_numbers);
  done.payload.reserve(*pending.total);
  for (const auto& [offset, bytes] : pending.pieces) done.payload.insert(done.payload.end(), bytes.begin(), bytes.end());
  pending_bytes_ -= pending.bytes;
  pending_.erase(found);
  return done;
}

void IpReassembler::finish(const std::function<void(const ReassemblyFailure&)>& failed) {
  while (!pending_.empty()) drop(pending_.begin(), "incomplete at the end of the capture", failed);
}

}  // namespace tether::pcap
