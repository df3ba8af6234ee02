package client

import (
	"fmt"

	"github.com/efa-marktplatz/registry/network"
)

// NetworkGateway is how one of a member org's users (User1, Admin) reaches
// the gateway of the org's peer on a native network (registryctl network
// up), for a chaincode on the channel.
func NetworkGateway(n *network.Network, mspID, user, chaincodeName string) (FabricConfig, error) {
	p, ok := n.Peer(mspID)
	if !ok {
		return FabricConfig{}, fmt.Errorf("client: network has no peer of %s", mspID)
	}
	return FabricConfig{
		Endpoint: p.Address(), TLSRootCert: n.TLSCACert(p.Org), TLSServerName: p.Name, MSPID: mspID,
		Certificate: n.UserCert(p.Org, user), PrivateKey: n.UserKeyDir(p.Org, user),
		Channel: network.ChannelID, Chaincode: chaincodeName,
	}, nil
}

// NetworkPeers are the gateways of every member peer of a native network:
// what a client awaits after a commit (FabricConfig.AwaitPeers) for
// read-your-writes across the network.
func NetworkPeers(n *network.Network) []FabricPeer {
	var out []FabricPeer
	for _, p := range n.Peers() {
		out = append(out, FabricPeer{Endpoint: p.Address(), TLSRootCert: n.TLSCACert(p.Org), TLSServerName: p.Name})
	}
	return out
}
