# The ptr-audit image of docs/k8s/: Debian slim with the Debian package
# installed (/usr/bin/ptr-audit, man pages, docs), running as an unprivileged
# user (uid 10001) that owns /reports; the inventory is mounted read-only at
# /inventory.
#
#   docker build -t registry.example.net/tools/ptr-audit:0.1.0 .
#
# The build stage runs the steps .ci/run runs (release build, cargo-deb,
# pkg/deb.sh); the runtime stage installs the .deb with apt, as an operator
# would. No image can be pulled or built on ptr-audit's development and CI
# machines (no registry other than the package registries is reachable), so
# CI checks those steps, not this file: the .deb it builds is installed with
# `dpkg -i` and checked by pkg/check-installed.sh.

FROM rust:1.88-slim-bookworm AS build
WORKDIR /src
RUN cargo install --locked cargo-deb --version 3.8.0
COPY . .
RUN cargo build --release --locked \
    && bash pkg/deb.sh \
    && cp target/debian/ptr-audit_*.deb /ptr-audit.deb

FROM debian:12-slim
COPY --from=build /ptr-audit.deb /tmp/ptr-audit.deb
RUN apt-get update \
    && apt-get install -y --no-install-recommends /tmp/ptr-audit.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/ptr-audit.deb \
    && useradd --system --uid 10001 --user-group --home-dir /reports --no-create-home ptr-audit \
    && mkdir -p /reports /inventory \
    && chown ptr-audit:ptr-audit /reports
USER 10001:10001
WORKDIR /reports
ENTRYPOINT ["ptr-audit"]
CMD ["--help"]
