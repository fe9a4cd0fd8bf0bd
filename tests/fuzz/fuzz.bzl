"""objgate_fuzzer: a libFuzzer target and the test that replays its inputs."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

def objgate_fuzzer(name, deps):
    """Declares the fuzz target `name`, whose LLVMFuzzerTestOneInput is in `name`_fuzzer.cc.

    Makes three targets:
      <name>_fuzz_body  the fuzz function, as a library;
      <name>_fuzzer     under --config=fuzz a libFuzzer binary; under any other config a
                        replayer of the files or directories named on its command line, so
                        that a crash can be reproduced with GCC, gdb or --config=asan;
      <name>_fuzz_test  replays corpus/<name>/ (seeds) and regressions/<name>/ (inputs that
                        once failed), so that `bazel test //...` runs them all.

    tools/fuzz.sh runs every <name>_fuzzer, with dictionaries/<name>.dict when it exists.
    """
    cc_library(
        name = name + "_fuzz_body",
        testonly = True,
        srcs = [name + "_fuzzer.cc"],
        deps = deps + [":fuzz_check"],
        # The fuzz function is only referenced by the engine or the replayer, never by
        # another object, so the linker must be told to keep it.
        alwayslink = True,
    )

    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = select({
            ":libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = [":" + name + "_fuzz_body"] + select({
            ":libfuzzer": [],
            "//conditions:default": [":replay_main"],
        }),
    )

    corpus = native.glob(["corpus/%s/**" % name])
    regressions = native.glob(["regressions/%s/**" % name], allow_empty = True)
    cc_test(
        name = name + "_fuzz_test",
        size = "small",
        args = ["tests/fuzz/corpus/" + name] +
               (["tests/fuzz/regressions/" + name] if regressions else []),
        data = corpus + regressions,
        deps = [
            ":" + name + "_fuzz_body",
            ":replay_main",
        ],
    )
