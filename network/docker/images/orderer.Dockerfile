# efa-registry/orderer: Hyperledger Fabric's orderer and osnadmin, static
# (CGO_ENABLED=0), FROM scratch: nothing is pulled. `make images` builds the
# binaries on the host and assembles network/.cache/images/orderer/rootfs:
#
#   /usr/local/bin/orderer, /usr/local/bin/osnadmin   Fabric v3.1.1, version stamped
#   /etc/hyperledger/fabric/orderer.yaml              Fabric's sample configuration
#   /tmp
#
# Configure the orderer with ORDERER_* variables and mounted crypto material.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin FABRIC_CFG_PATH=/etc/hyperledger/fabric
EXPOSE 7050 7053 9443
CMD ["orderer"]
