#ifndef OBJGATE_TESTS_SUPPORT_PORTS_H_
#define OBJGATE_TESTS_SUPPORT_PORTS_H_

namespace objgate::test_support {

// A loopback TCP port that nothing holds right now, for a process that must be started
// (or restarted) on a port known in advance. Prefer port 0 and the ready line wherever a
// process can pick its own.
int FreeLoopbackPort();

}  // namespace objgate::test_support

#endif  // OBJGATE_TESTS_SUPPORT_PORTS_H_
