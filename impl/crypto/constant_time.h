#pragma once
// Comparisons that do not leak where secrets differ, and wiping that the
// compiler may not optimise away.

#include <string>

#include "core/bytes.h"

namespace tether::crypto {

// True when a and b hold the same bytes. The time taken depends only on the
// lengths (which are public in every protocol we speak: MAC and tag sizes are
// fixed), never on the position of the first difference, so a forger cannot
// learn a MAC byte by byte from response timing.
bool constant_time_equal(ByteView a, ByteView b);

// Overwrites with zeros in a way the optimiser cannot drop as a dead store
// (a plain memset before free or end of scope often is dropped).
void secure_wipe(MutableByteView bytes);
void secure_wipe(std::string& text);

}  // namespace tether::crypto
