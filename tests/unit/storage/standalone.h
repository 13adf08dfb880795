// A hash or sorted set outside the keyspace, for tests: its Value and a handle on it, as the
// command layer holds a handle on a key's Value. Neither copyable nor movable: the handle points
// at the Value inside.
#pragma once

#include <utility>

#include "storage/value.h"

namespace tandem::storage::testing {

struct ValueHolder {
  Value value;
};

template <typename Handle>
class Standalone : private ValueHolder, public Handle {
 public:
  template <typename... Args>
  explicit Standalone(Args&&... args)
      : ValueHolder{Handle::NewValue(std::forward<Args>(args)...)}, Handle(ValueHolder::value) {}
  Standalone(const Standalone&) = delete;
  Standalone& operator=(const Standalone&) = delete;

  const Value& value() const { return ValueHolder::value; }
};

}  // namespace tandem::storage::testing
