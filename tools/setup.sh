#!/usr/bin/env bash
# Installs every package complaint-ledger needs to build, test and run, from
# Debian's archive. Idempotent: when everything is already installed it only
# runs dpkg-query and exits within a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  librocksdb-dev
  libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev
  # Log lines (ledger/base/log.h): spdlog on Debian's fmt.
  libspdlog-dev libfmt-dev
  # ledgerctl's tables: display widths of CJK text (tools/ledgerctl/text_width.h).
  libutf8proc-dev
  # ledgerd's HTTPS (services/http_server.h): /metrics, the console.
  libcpp-httplib-dev
  # Bearer tokens (auth/): libjwt verifies and signs, nlohmann parses JSON.
  libjwt-dev nlohmann-json3-dev
  # The allocator of ledgerd and the tools (LEDGER_MALLOC in CMakeLists.txt).
  libjemalloc-dev
  # The business calendar loads IANA time zones (Asia/Shanghai) from here.
  tzdata
  # The fuzz targets (fuzz/, tools/fuzz.sh): clang and its libFuzzer.
  clang-14 libfuzzer-14-dev
  # The Python client test (tests/python/) runs on Debian's own Python.
  python3 python3-grpcio python3-protobuf
  # The auditor's independent verifier (tools/audit/): Ed25519.
  python3-cryptography
  # /metrics is read back with Prometheus's own text-format parser.
  python3-prometheus-client
  # The console's station table as an Excel workbook (services/console/).
  libxlsxwriter-dev
  # The console's test (tests/python/console_test.py): a real headless
  # Chromium driven by Selenium, the Excel export read back by openpyxl,
  # and CJK fonts so that Chinese pages render in its screenshots.
  chromium chromium-driver python3-selenium python3-openpyxl
  fonts-wqy-microhei
  # The replicated log (issue 29, docs/design/replication.md): NATS
  # JetStream's server and C client (tools/nats_probe for now).
  nats-server libnats-dev
  # Its groups are compressed (Zstandard).
  libzstd-dev
  # systemd-analyze checks the shipped unit (tools/ledgerd.service).
  systemd
  # The second build (bazel/): Bazel 4.2.3 and the rules_java it needs.
  bazel-bootstrap bazel-rules-java
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
