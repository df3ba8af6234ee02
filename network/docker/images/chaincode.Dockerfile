# efa-registry/chaincode: the registry's chaincode server (registry-chaincode,
# -contract registry or kv), served as a service (CCaaS) beside a peer;
# static, FROM scratch. `make images` assembles
# network/.cache/images/chaincode/rootfs: /usr/local/bin/registry-chaincode
# and /tmp. Configure it with CHAINCODE_ID, CHAINCODE_SERVER_ADDRESS,
# CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin
ENTRYPOINT ["registry-chaincode"]
