#ifndef OBJGATE_CLIENT_EXAMPLES_EXAMPLE_TARGET_H_
#define OBJGATE_CLIENT_EXAMPLES_EXAMPLE_TARGET_H_

#include <cstdlib>
#include <string>

namespace objgate::examples {

// Where the examples find the gateway: OBJGATE_TARGET and OBJGATE_TENANT when set, else
// the gateway that tools/run.sh starts and the SDK's example tenant.
inline std::string ExampleTarget() {
  const char* target = std::getenv("OBJGATE_TARGET");
  return target != nullptr ? target : "127.0.0.1:50051";
}

inline std::string ExampleTenant() {
  const char* tenant = std::getenv("OBJGATE_TENANT");
  return tenant != nullptr ? tenant : "550e8400-e29b-41d4-a716-446655440000";
}

}  // namespace objgate::examples

#endif  // OBJGATE_CLIENT_EXAMPLES_EXAMPLE_TARGET_H_
