package client

import (
	"fmt"

	"github.com/efa-marktplatz/registry/network"
)

// NetworkGateway is how one of a member org's users (User1, Admin) reaches
// the gateway of the org's peer on a native network (registryctl network
// up), for a chaincode on the channel.
func NetworkGateway(n *network.Network, mspID, user, chaincodeName string) (FabricConfig, error) {
	return networkGateway(n, mspID, user, chaincodeName, false)
}

// NetworkGatewayWithin is NetworkGateway for a client that runs in a
// container beside the network's (Config.Containers): it dials the peer by
// its host name.
func NetworkGatewayWithin(n *network.Network, mspID, user, chaincodeName string) (FabricConfig, error) {
	return networkGateway(n, mspID, user, chaincodeName, true)
}

func networkGateway(n *network.Network, mspID, user, chaincodeName string, within bool) (FabricConfig, error) {
	p, ok := n.Peer(mspID)
	if !ok {
		return FabricConfig{}, fmt.Errorf("client: network has no peer of %s", mspID)
	}
	endpoint := p.Address()
	if within {
		endpoint = n.Endpoint(p, p.Port)
	}
	return FabricConfig{
		Endpoint: endpoint, TLSRootCert: n.TLSCACert(p.Org), TLSServerName: p.Name, MSPID: mspID,
		Certificate: n.UserCert(p.Org, user), PrivateKey: n.UserKeyDir(p.Org, user),
		Channel: network.ChannelID, Chaincode: chaincodeName,
	}, nil
}

// NetworkPeers are the gateways of every member peer of a native network:
// what a client awaits after a commit (FabricConfig.AwaitPeers) for
// read-your-writes across the network.
func NetworkPeers(n *network.Network) []FabricPeer { return peers(n, false) }

// NetworkPeersWithin is NetworkPeers for a client in a container beside the
// network's: the peers by their host names.
func NetworkPeersWithin(n *network.Network) []FabricPeer { return peers(n, true) }

func peers(n *network.Network, within bool) []FabricPeer {
	var out []FabricPeer
	for _, p := range n.Peers() {
		endpoint := p.Address()
		if within {
			endpoint = n.Endpoint(p, p.Port)
		}
		out = append(out, FabricPeer{Endpoint: endpoint, TLSRootCert: n.TLSCACert(p.Org), TLSServerName: p.Name})
	}
	return out
}
