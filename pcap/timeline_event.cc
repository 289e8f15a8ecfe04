#include "pcap/timeline_event.h"
