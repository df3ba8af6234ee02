package network

import (
	"fmt"
	"path/filepath"
)

// CACert is the PEM file of the CA root certificate of an organisation — the
// orderer org or a member org, by MSP id — as cryptogen laid it out: the root
// that signs the organisation's node, admin and user certificates, and that
// the channel configuration lists for its MSP.
func (n *Network) CACert(mspID string) (string, error) {
	for _, org := range append([]Org{OrdererOrg}, Members...) {
		if org.MSPID == mspID {
			return filepath.Join(n.orgDir(org), "ca", "ca."+org.Domain+"-cert.pem"), nil
		}
	}
	return "", fmt.Errorf("network: no organisation with MSP id %q", mspID)
}

// GenesisBlock is the file of the channel's genesis block (protobuf
// common.Block), as configtxgen wrote it: what auditors pin by its hash.
func (n *Network) GenesisBlock() string { return n.path("config", ChannelID+".block") }
