#ifndef OBJGATE_SERVER_SERVICE_TIMESTAMPS_H_
#define OBJGATE_SERVER_SERVICE_TIMESTAMPS_H_

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

#include "absl/time/time.h"

namespace objgate {

// `time` as a protobuf Timestamp, to the nanosecond.
inline void SetTimestamp(absl::Time time, google::protobuf::Timestamp& out) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  out.set_seconds(seconds);
  out.set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

}  // namespace objgate

#endif  // OBJGATE_SERVER_SERVICE_TIMESTAMPS_H_
