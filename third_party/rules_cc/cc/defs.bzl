"""Offline stand-in for rules_cc: the same names, forwarding to Bazel's native rules.

Bazel 4.2.3 loads these names itself, and the project's BUILD files load them from here
as they would from the real rules_cc, so swapping this shim for the real repository
needs no BUILD file changes.
"""

def cc_binary(**attrs):
    native.cc_binary(**attrs)

def cc_library(**attrs):
    native.cc_library(**attrs)

def cc_test(**attrs):
    native.cc_test(**attrs)

def cc_import(**attrs):
    native.cc_import(**attrs)

def cc_toolchain(**attrs):
    native.cc_toolchain(**attrs)

def cc_toolchain_suite(**attrs):
    native.cc_toolchain_suite(**attrs)

def cc_proto_library(**attrs):
    native.cc_proto_library(**attrs)

def objc_library(**attrs):
    native.objc_library(**attrs)
