# efa-registry/registry-api: the registry's REST API and web pages
# (registry-api, with the browser's verifier embedded: `make wasm` runs
# first); static, FROM scratch. `make images` assembles
# network/.cache/images/registry-api/rootfs:
#
#   /usr/local/bin/registry-api
#   /etc/ssl/certs/ca-certificates.crt   the build host's CA roots (Debian's
#                                        ca-certificates), for HTTPS webhooks
#   /tmp
#
# It serves on 0.0.0.0:8080 inside the container, the embedded ledger's data
# in /var/lib/registry (mount a volume there); every flag has its REGISTRY_*
# variable, e.g. `docker run IMAGE --demo`.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin REGISTRY_LISTEN=0.0.0.0:8080 REGISTRY_DATA=/var/lib/registry
EXPOSE 8080
ENTRYPOINT ["registry-api"]
