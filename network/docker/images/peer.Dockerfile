# efa-registry/peer: Hyperledger Fabric's peer, static (CGO_ENABLED=0), FROM
# scratch: nothing is pulled. `make images` builds the binaries on the host
# and assembles the build context network/.cache/images/peer/rootfs:
#
#   /usr/local/bin/peer                        Fabric v3.1.1, version stamped
#   /etc/hyperledger/fabric/core.yaml          Fabric's sample configuration
#   /etc/registry/builder/bin/{detect,build,release}
#                                              our CCaaS external builder
#                                              (network/builder), one static
#                                              program under three names
#   /opt/hyperledger/ccaas_builder/bin/...     the same program where the
#                                              sample core.yaml looks for it
#   /tmp                                       the builder's work directories
#
# Configure the peer with CORE_* variables and mounted crypto material, e.g.
# CORE_CHAINCODE_EXTERNALBUILDERS='[{"name":"registry-ccaas","path":"/etc/registry/builder"}]'.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin FABRIC_CFG_PATH=/etc/hyperledger/fabric
EXPOSE 7051 7052 9443
CMD ["peer", "node", "start"]
