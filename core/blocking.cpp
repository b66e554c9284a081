#include "core/blocking.hpp"

namespace filament::core {
namespace {

thread_local BlockingObserver* t_observer = nullptr;
thread_local int t_depth = 0;

}  // namespace

void SetBlockingObserver(BlockingObserver* observer) { t_observer = observer; }

ScopedBlocking::ScopedBlocking() : observer_(t_observer) {
  if (observer_ != nullptr && t_depth++ == 0) observer_->OnBlocked();
}

ScopedBlocking::~ScopedBlocking() {
  if (observer_ != nullptr && --t_depth == 0) observer_->OnUnblocked();
}

}  // namespace filament::core
