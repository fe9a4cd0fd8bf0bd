#!/usr/bin/env bash
# The short soak of every test run: 16 callers, objects up to 4 MiB, 20 seconds. The long
# one is `bazel run -c opt //tests/soak:soak -- --duration=5m` (64 callers, up to 64 MiB).
set -euo pipefail
exec tests/soak/soak --duration=20s --callers=16 --max_object_bytes=4194304 --report_every=5s
