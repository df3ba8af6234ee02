#!/bin/sh
# First job of the Docker topology: crypto material and the channel's
# genesis block in the shared volume /var/registry (kept across restarts).
set -eu
R=/var/registry
[ -d "$R/crypto" ] || cryptogen generate --config /etc/registry/crypto-config.yaml --output "$R/crypto"
[ -f "$R/registry.block" ] || FABRIC_CFG_PATH=/etc/registry configtxgen -profile RegistryChannel -channelID registry -outputBlock "$R/registry.block"
