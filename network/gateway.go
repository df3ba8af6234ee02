package network

import (
	"fmt"

	"github.com/efa-marktplatz/registry/client"
)

// Gateway is how one of a member org's users (User1, Admin) reaches the
// gateway of the org's peer, for a chaincode on the channel.
func (n *Network) Gateway(mspID, user, chaincodeName string) (client.FabricConfig, error) {
	p, ok := n.Peer(mspID)
	if !ok {
		return client.FabricConfig{}, fmt.Errorf("network: no peer of %s", mspID)
	}
	return client.FabricConfig{
		Endpoint: p.Address(), TLSRootCert: n.TLSCACert(p.Org), MSPID: mspID,
		Certificate: n.UserCert(p.Org, user), PrivateKey: n.UserKeyDir(p.Org, user),
		Channel: ChannelID, Chaincode: chaincodeName,
	}, nil
}

// GatewayPeers are the gateways of every member peer: what a client awaits
// after a commit (client.FabricConfig.AwaitPeers) for read-your-writes
// across the network.
func (n *Network) GatewayPeers() []client.FabricPeer {
	var out []client.FabricPeer
	for _, p := range n.Peers() {
		out = append(out, client.FabricPeer{Endpoint: p.Address(), TLSRootCert: n.TLSCACert(p.Org)})
	}
	return out
}
