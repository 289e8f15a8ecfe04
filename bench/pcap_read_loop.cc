// bench_pcap_read_loop: the floor bench/pcap_timeline holds `tether-pcap
// timeline` against: libpcap reading a capture and doing nothing with it,
// opened as tether opens it (pcap_open_offline_with_tstamp_precision,
// nanoseconds) and read record by record with pcap_next_ex. Prints the
// records and captured bytes it saw so that the loop cannot be optimised
// away and the counts can be checked against the others'.
//
//   bench_pcap_read_loop FILE

#include <pcap/pcap.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_pcap_read_loop FILE\n");
    return 2;
  }
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, error);
  if (handle == nullptr) {
    std::fprintf(stderr, "bench_pcap_read_loop: %s: %s\n", argv[1], error);
    return 1;
  }
  unsigned long long packets = 0, bytes = 0;
  struct pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int status;
  while ((status = pcap_next_ex(handle, &header, &data)) == 1) {
    ++packets;
    bytes += header->caplen;
  }
  if (status != PCAP_ERROR_BREAK) std::fprintf(stderr, "bench_pcap_read_loop: %s: %s\n", argv[1], pcap_geterr(handle));
  pcap_close(handle);
  std::printf("%llu packets, %llu bytes\n", packets, bytes);
  return status == PCAP_ERROR_BREAK ? 0 : 1;
}
