"""Macros for complaint-ledger's Bazel build.

Compiler flags: C++20 is set for every compile in .bazelrc; the warnings
for our own code are LEDGER_COPTS here, the same list as
LEDGER_WARNING_FLAGS in the root CMakeLists.txt. Change both together.
"""

LEDGER_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
]

def ledger_cc_library(name, copts = [], **kwargs):
    native.cc_library(name = name, copts = LEDGER_COPTS + copts, **kwargs)

def ledger_cc_binary(name, copts = [], **kwargs):
    # The allocator of the programs we ship: jemalloc, as LEDGER_MALLOC in
    # the root CMakeLists.txt.
    native.cc_binary(
        name = name,
        copts = LEDGER_COPTS + copts,
        malloc = "//bazel/system:jemalloc",
        **kwargs
    )

def ledger_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    # Linked statically like the binaries (and like CMake's static
    # libraries): linked dynamically, the copy of gRPC's reflection proto in
    # //proto:ledger_proto would be loaded beside the one inside the system's
    # libgrpc++_reflection, and protobuf aborts on the duplicate descriptor.
    native.cc_test(
        name = name,
        size = size,
        linkstatic = True,
        copts = LEDGER_COPTS + copts,
        deps = deps + ["//bazel/system:gtest_main"],
        **kwargs
    )

def _stem(proto):
    return proto[:-len(".proto")]

def ledger_proto_library(name, srcs, grpc_srcs = [], deps = []):
    """C++ (and gRPC) code for .proto files with protoc from Debian.

    Imports are relative to this package, as in CMake's protobuf_generate.
    Generated headers are included as "<path under this package>.pb.h".
    """
    messages = []
    for src in srcs:
        messages += [_stem(src) + ".pb.h", _stem(src) + ".pb.cc"]
    services = []
    for src in grpc_srcs:
        services += [_stem(src) + ".grpc.pb.h", _stem(src) + ".grpc.pb.cc"]
    package = native.package_name()
    cmd = "/usr/bin/protoc --proto_path=%s --cpp_out=$(RULEDIR) %s" % (
        package,
        " ".join(srcs),
    )
    if grpc_srcs:
        cmd += (" && /usr/bin/protoc --proto_path=%s --grpc_out=$(RULEDIR)" +
                " --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin %s") % (
            package,
            " ".join(grpc_srcs),
        )
    native.genrule(
        name = name + "_generate",
        srcs = srcs,
        outs = messages + services,
        cmd = cmd,
    )
    native.cc_library(
        name = name,
        srcs = [f for f in messages + services if f.endswith(".cc")],
        hdrs = [f for f in messages + services if f.endswith(".h")],
        includes = ["."],
        deps = deps + ["//bazel/system:protobuf", "//bazel/system:grpc++"],
    )
