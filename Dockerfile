# kubedouble in a container. Two images from one file:
#
#   docker build -t kubedouble .                          # the server (the last stage, default)
#   docker build -t kubedouble-clients --target clients . # the same + the clients `kubedouble run` drives
#
#   docker run --rm -p 6443:6443 -v kd-state:/var/lib/kubedouble kubedouble
#
# The server listens on 0.0.0.0:6443 inside the container, as user `kubedouble` (uid 10001), and
# keeps its state folder (PKI, kubeconfigs, tokens, in-cluster files) in the volume
# /var/lib/kubedouble. tests/distribution/dockerfile_test.cpp checks this file without a
# container daemon: the package lists against ci/setup and the binary's libraries, the build
# commands against ci/package, and the HEALTHCHECK command against a running server.

# --- build: Debian 12 with the build packages of `ci/setup --list build` ---------------------
FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config git ca-certificates python3 \
      libssl-dev openssl libcpp-httplib-dev nlohmann-json3-dev libyaml-cpp-dev \
      libcli11-dev libfmt-dev libspdlog-dev libre2-dev libjwt-dev zlib1g-dev libbrotli-dev \
      libnghttp2-dev libarchive-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The same build as the packages: Release, without tests and benchmarks (ci/package).
RUN ci/package --no-cpack --prefix /stage/usr/local

# --- server: Debian 12 slim, the server's runtime libraries only, a non-root user ------------
FROM debian:12-slim AS server
# The shared libraries `kubedouble` links (ldd), by Debian package; libc6 is in the base image.
# tzdata: the zones a CronJob's spec.timeZone names.
# libarchive13: tar in a simulated container (kubectl cp), opened when first used; apt brings
# the libraries it links.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tzdata libssl3 libcpp-httplib0.11 libfmt9 libyaml-cpp0.7 libre2-9 libjwt0 \
      libjansson4 libb64-0d libbrotli1 zlib1g libnghttp2-14 libstdc++6 libgcc-s1 \
      libarchive13 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /stage/usr/local/bin/kubedouble /usr/local/bin/kubedouble
COPY --from=build /stage/usr/local/share/kubedouble /usr/local/share/kubedouble
COPY --from=build /stage/usr/local/share/man /usr/local/share/man
RUN useradd --system --uid 10001 --home-dir /var/lib/kubedouble --shell /usr/sbin/nologin kubedouble \
 && mkdir -p /var/lib/kubedouble && chown kubedouble: /var/lib/kubedouble && chmod 0700 /var/lib/kubedouble
USER kubedouble
WORKDIR /var/lib/kubedouble
VOLUME ["/var/lib/kubedouble"]
EXPOSE 6443
# Ready when /readyz answers "ok" over verified TLS with the admin credentials of the state
# folder (kubedouble's own client; no curl in the image).
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
  CMD ["kubedouble", "get", "--raw", "/readyz", "--kubeconfig", "/var/lib/kubedouble/kubeconfig", "--server", "https://127.0.0.1:6443", "--request-timeout", "2s"]
ENTRYPOINT ["kubedouble"]
CMD ["serve", "--dir", "/var/lib/kubedouble", "--address", "0.0.0.0", "--allow-non-loopback", "--port", "6443"]

# --- clients: the server image plus curl, kubectl, Python and Node clients -------------------
FROM server AS clients
USER root
ARG KUBECTL_VERSION=v1.32.0
# The packages of `ci/setup --list clients`; kubectl is not in Debian's archive.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      curl python3 python3-kubernetes python3-yaml nodejs npm \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && arch=$(dpkg --print-architecture) \
 && curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl" \
 && echo "$(curl -fsSL "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl.sha256")  /usr/local/bin/kubectl" | sha256sum -c - \
 && chmod 0755 /usr/local/bin/kubectl \
 && cd /usr/local/share/kubedouble/clients/node \
 && npm ci --no-audit --no-fund --loglevel=error
USER kubedouble
# A one-shot harness, not a server: no health to check.
HEALTHCHECK NONE
# `docker run --rm kubedouble-clients` runs every built-in suite on every client.
CMD ["run", "--no-color", "--require-clients"]

# The default target: the server.
FROM server
