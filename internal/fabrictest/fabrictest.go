// Package fabrictest gives the Fabric tests of several packages their
// network: the running native network make test-fabric brought up (named by
// the test flags -fabric and -fabric-port, defined here once for every test
// binary that imports the package), and clients of its gateways.
package fabrictest

import (
	"flag"
	"testing"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/network"
	"github.com/stretchr/testify/require"
)

// The test flags that name the network, defined once for every test binary
// that imports this package.
var (
	dir  = flag.String("fabric", "", "also run the Fabric tests on the running native Fabric network in this directory")
	port = flag.Int("fabric-port", 17000, "base port of that network")
)

// Enabled reports whether the tests were given a network (-fabric DIR).
func Enabled() bool { return *dir != "" }

// NetworkConfig is the configuration of the network the tests were given.
func NetworkConfig() network.Config { return network.Config{Dir: *dir, BasePort: *port} }

// Network is the network the tests were given (-fabric DIR); every node
// must be running. Without -fabric the test fails: a Fabric test never
// passes without its network.
func Network(t testing.TB) *network.Network {
	t.Helper()
	require.True(t, Enabled(), "the fabric tests need -fabric DIR: the directory of a running network")
	n, err := network.New(NetworkConfig())
	require.NoError(t, err)
	for _, s := range n.Status() {
		require.NotZero(t, s.PID, "%s is not running", s.Name)
	}
	return n
}

// Dial connects to an org's peer as one of its users, for a chaincode; the
// connection closes when the test ends.
func Dial(t testing.TB, n *network.Network, mspID, user, chaincodeName string) *client.Fabric {
	t.Helper()
	b, err := client.DialFabric(Config(t, n, mspID, user, chaincodeName))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// Client is a registry client of an org's user that, after each commit,
// waits for every member peer to have it (read-your-writes across the
// network, as the API does).
func Client(t testing.TB, n *network.Network, mspID, user, chaincodeName string) *client.Client {
	t.Helper()
	cfg := Config(t, n, mspID, user, chaincodeName)
	cfg.AwaitPeers = client.NetworkPeers(n)
	b, err := client.DialFabric(cfg)
	require.NoError(t, err)
	c := client.New(b)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Config is how an org's user reaches its peer's gateway.
func Config(t testing.TB, n *network.Network, mspID, user, chaincodeName string) client.FabricConfig {
	t.Helper()
	cfg, err := client.NetworkGateway(n, mspID, user, chaincodeName)
	require.NoError(t, err)
	return cfg
}
