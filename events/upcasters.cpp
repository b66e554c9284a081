#include "events/upcasters.hpp"

// Definitions of the upcasters declared in events/upcasters.hpp (none yet: every event is at
// version 1). Upcasters may use nlohmann/json here; it is a private dependency of this library.

namespace filament::events {}  // namespace filament::events
