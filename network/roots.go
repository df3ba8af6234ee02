package network

import "path/filepath"

// GenesisBlock is the file of the channel's genesis block (protobuf
// common.Block), as configtxgen wrote it: what auditors pin by its hash.
func (n *Network) GenesisBlock() string { return n.path("config", ChannelID+".block") }

// RootFiles are the CA root certificate files of the orderer org and every
// member org, by MSP id, as cryptogen laid them out: the roots that sign each
// organisation's node, admin and user certificates, and that the channel
// configuration lists for its MSP — what an auditor pins.
func (n *Network) RootFiles() map[string]string {
	out := map[string]string{}
	for _, org := range append([]Org{OrdererOrg}, n.MemberOrgs()...) {
		out[org.MSPID] = filepath.Join(n.orgDir(org), "ca", "ca."+org.Domain+"-cert.pem")
	}
	return out
}
