// Package network runs a real Hyperledger Fabric v3.1 network natively, on
// 127.0.0.1, without Docker: one orderer organisation (the cooperative) with
// three Raft orderers (or four BFT orderers), three member organisations with
// one peer each, TLS everywhere, the channel created through the orderers'
// channel-participation API, and the registry chaincode (plus a trivial
// key-value contract for reference measurements) installed as a service
// (CCaaS) beside each peer through an external builder of our own.
//
// Everything lives in one directory: crypto material, configuration
// generated at run time from the Fabric module's sample configuration, node
// data, logs and the PIDs of the processes Up started, which Down stops.
// The Fabric binaries are built once from the tools module in network/tools
// into network/.cache/bin.
package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Org is an organisation of the network.
type Org struct {
	Name   string // e.g. Dataport
	MSPID  string // e.g. DataportMSP
	Domain string // e.g. dataport.registry.test
}

// OrdererOrg is the cooperative that runs the ordering service.
var OrdererOrg = Org{Name: "Cooperative", MSPID: "CooperativeMSP", Domain: "cooperative.registry.test"}

// Members are the member IT service providers, one peer each.
var Members = []Org{
	{Name: "Dataport", MSPID: "DataportMSP", Domain: "dataport.registry.test"},
	{Name: "AKDB", MSPID: "AKDBMSP", Domain: "akdb.registry.test"},
	{Name: "RegioIT", MSPID: "RegioITMSP", Domain: "regioit.registry.test"},
}

// ChannelID is the registry's channel.
const ChannelID = "registry"

// Chaincodes installed on the channel: the registry, and the trivial
// key-value contract that benchmarks measure against.
const (
	RegistryChaincode = "registry"
	KVChaincode       = "kv"
)

// Config configures a network.
type Config struct {
	// Dir holds crypto, configuration, node data, logs and PIDs.
	Dir string
	// BasePort is the first of the 127.0.0.1 ports the network uses (about 300).
	BasePort int
	// ToolsDir is the tools module that builds the Fabric binaries.
	ToolsDir string
	// BinDir caches the Fabric binaries (built when missing).
	BinDir string
	// ChaincodeServer is the command that serves a chaincode as a service:
	// it is run with "-contract registry|kv" and the CHAINCODE_* environment.
	ChaincodeServer []string
	// BFT runs four SmartBFT orderers instead of three Raft orderers.
	BFT bool
	// Containers runs every node in a Docker container of its own (images
	// of `make images`), started with docker-compose from a compose file
	// generated into Dir from this same description: the nodes reach each
	// other by their host names, over a Docker network per organisation and
	// a backbone between the organisations, with TLS certificates for those
	// names; their ports are published on 127.0.0.1 only. Without it, every
	// node is a process on 127.0.0.1.
	Containers bool
	// BatchTimeout and MaxMessageCount cut the orderers' blocks.
	BatchTimeout    time.Duration
	MaxMessageCount int
	Logger          *slog.Logger
}

func (c *Config) defaults() {
	if c.BasePort == 0 {
		c.BasePort = 17000
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 50 * time.Millisecond
	}
	if c.MaxMessageCount == 0 {
		c.MaxMessageCount = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ToolsDir == "" {
		c.ToolsDir = findTools()
	}
	if c.BinDir == "" {
		c.BinDir = filepath.Join(filepath.Dir(c.ToolsDir), ".cache", "bin")
	}
}

// findTools finds network/tools in the working directory or a parent (tests
// run in their package's directory).
func findTools() string {
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("network", "tools")
	}
	for {
		candidate := filepath.Join(dir, "network", "tools")
		if _, err := os.Stat(filepath.Join(candidate, "go.mod")); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return filepath.Join("network", "tools")
		}
		dir = parent
	}
}

// Network is a native Fabric network in a directory.
type Network struct {
	cfg Config
	// joined are the member orgs added to the channel after it was created
	// (AddOrg), as the network's directory records them.
	joined []Org
}

// New returns the network described by cfg; nothing is started.
func New(cfg Config) (*Network, error) {
	cfg.defaults()
	if cfg.Dir == "" {
		return nil, fmt.Errorf("network: no directory")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("network: directory: %w", err)
	}
	cfg.Dir = dir
	for _, p := range []*string{&cfg.ToolsDir, &cfg.BinDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, fmt.Errorf("network: %w", err)
		}
	}
	// A network that exists keeps the shape it was created with.
	raw, err := os.ReadFile(filepath.Join(dir, "network.json"))
	switch {
	case err == nil:
		var shape networkShape
		if err := json.Unmarshal(raw, &shape); err != nil {
			return nil, fmt.Errorf("network: %s: %w", filepath.Join(dir, "network.json"), err)
		}
		cfg.BasePort, cfg.BFT, cfg.Containers = shape.BasePort, shape.BFT, shape.Containers
		return &Network{cfg: cfg, joined: shape.Joined}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("network: %w", err)
	}
	return &Network{cfg: cfg}, nil
}

// networkShape is what a network directory records about itself, so that
// status and down need no flags.
type networkShape struct {
	BasePort   int   `json:"basePort"`
	BFT        bool  `json:"bft"`
	Containers bool  `json:"containers,omitempty"`
	Joined     []Org `json:"joined,omitempty"`
}

func (n *Network) saveShape() error {
	raw, err := json.Marshal(networkShape{BasePort: n.cfg.BasePort, BFT: n.cfg.BFT, Containers: n.cfg.Containers, Joined: n.joined})
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := os.MkdirAll(n.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return os.WriteFile(n.path("network.json"), raw, 0o644)
}

// Dir is the network's directory.
func (n *Network) Dir() string { return n.cfg.Dir }

// Node is one process of the network.
type Node struct {
	Name string // e.g. orderer0.cooperative.registry.test, peer0.dataport.registry.test
	Kind string // orderer, peer, chaincode, api
	Org  Org
	Port int // the listen port (the chaincode server's for a chaincode)
	// Admin and Operations ports (orderers: admin; all: operations).
	AdminPort      int
	OperationsPort int
	ChaincodePort  int    // peers: chaincode listen port
	Chaincode      string // chaincode servers: registry or kv
}

// Address is where the node listens as seen from this machine: host:port
// on 127.0.0.1 (a container's port is published there). Nodes reach each
// other at Network.Endpoint.
func (nd Node) Address() string { return fmt.Sprintf("127.0.0.1:%d", nd.Port) }

// Containers reports whether the network's nodes run in containers.
func (n *Network) Containers() bool { return n.cfg.Containers }

// host is the name other nodes reach a node by: its host name in
// containers, else 127.0.0.1.
func (n *Network) host(nd Node) string {
	if n.cfg.Containers {
		return nd.Name
	}
	return "127.0.0.1"
}

// Endpoint is where other nodes reach a node's port.
func (n *Network) Endpoint(nd Node, port int) string { return fmt.Sprintf("%s:%d", n.host(nd), port) }

// listen is the address a node listens on for a port: every interface of
// its container, else 127.0.0.1.
func (n *Network) listen(port int) string { return fmt.Sprintf("%s:%d", n.listenHost(), port) }

func (n *Network) listenHost() string {
	if n.cfg.Containers {
		return "0.0.0.0"
	}
	return "127.0.0.1"
}

// Orderers returns the orderer nodes.
func (n *Network) Orderers() []Node {
	count := 3
	if n.cfg.BFT {
		count = 4
	}
	out := make([]Node, count)
	for i := range out {
		base := n.cfg.BasePort + 10*i
		out[i] = Node{Name: fmt.Sprintf("orderer%d.%s", i, OrdererOrg.Domain), Kind: "orderer", Org: OrdererOrg,
			Port: base, AdminPort: base + 1, OperationsPort: base + 3}
	}
	return out
}

// MemberOrgs are the member orgs of the channel: Members, and those added
// since it was created (AddOrg).
func (n *Network) MemberOrgs() []Org { return append(append([]Org{}, Members...), n.joined...) }

// Peers returns one peer per member org.
func (n *Network) Peers() []Node {
	members := n.MemberOrgs()
	out := make([]Node, len(members))
	for i, org := range members {
		base := n.cfg.BasePort + 100 + 10*i
		out[i] = Node{Name: "peer0." + org.Domain, Kind: "peer", Org: org, Port: base, ChaincodePort: base + 1, OperationsPort: base + 2}
	}
	return out
}

// Peer returns the peer of a member org.
func (n *Network) Peer(mspID string) (Node, bool) {
	for _, p := range n.Peers() {
		if p.Org.MSPID == mspID {
			return p, true
		}
	}
	return Node{}, false
}

// ChaincodeServers returns the chaincode-as-a-service processes, one per
// chaincode beside each peer.
func (n *Network) ChaincodeServers() []Node {
	var out []Node
	for i, org := range n.MemberOrgs() {
		for j, cc := range []string{RegistryChaincode, KVChaincode} {
			port := n.cfg.BasePort + 200 + 10*i + j
			out = append(out, Node{Name: cc + "." + org.Domain, Kind: "chaincode", Org: org, Port: port, Chaincode: cc})
		}
	}
	return out
}

// APIs returns the registry-api of every member org, each as the org's
// client identity behind a port of its own: in containers only (natively,
// an operator runs registry-api with --fabric-network).
func (n *Network) APIs() []Node {
	if !n.cfg.Containers {
		return nil
	}
	members := n.MemberOrgs()
	out := make([]Node, len(members))
	for i, org := range members {
		out[i] = Node{Name: "registry-api." + org.Domain, Kind: "api", Org: org, Port: n.cfg.BasePort + 300 + 10*i}
	}
	return out
}

// API returns the registry-api of a member org (containers only).
func (n *Network) API(mspID string) (Node, bool) {
	for _, a := range n.APIs() {
		if a.Org.MSPID == mspID {
			return a, true
		}
	}
	return Node{}, false
}

// Nodes returns every process of the network, in start order.
func (n *Network) Nodes() []Node {
	return append(append(append(n.Orderers(), n.Peers()...), n.ChaincodeServers()...), n.APIs()...)
}

// APIDataDir is the data directory (read model, member token) of a member
// org's registry-api in containers.
func (n *Network) APIDataDir(org Org) string { return n.path("api", org.Domain) }

// ---- paths ----

func (n *Network) path(parts ...string) string {
	return filepath.Join(append([]string{n.cfg.Dir}, parts...)...)
}

func (n *Network) cryptoDir() string { return n.path("crypto") }

func (n *Network) orgDir(org Org) string {
	if org == OrdererOrg {
		return filepath.Join(n.cryptoDir(), "ordererOrganizations", org.Domain)
	}
	return filepath.Join(n.cryptoDir(), "peerOrganizations", org.Domain)
}

func (n *Network) nodeCryptoDir(nd Node) string {
	kind := "peers"
	if nd.Kind == "orderer" {
		kind = "orderers"
	}
	return filepath.Join(n.orgDir(nd.Org), kind, nd.Name)
}

// TLSCACert is the PEM file of an organisation's TLS CA.
func (n *Network) TLSCACert(org Org) string {
	return filepath.Join(n.orgDir(org), "tlsca", "tlsca."+org.Domain+"-cert.pem")
}

// UserDir is the MSP and TLS material of an organisation's user (Admin or User1).
func (n *Network) UserDir(org Org, user string) string {
	return filepath.Join(n.orgDir(org), "users", user+"@"+org.Domain)
}

// UserCert and UserKey are an organisation user's signing certificate and key files.
func (n *Network) UserCert(org Org, user string) string {
	return filepath.Join(n.UserDir(org, user), "msp", "signcerts", user+"@"+org.Domain+"-cert.pem")
}

// UserKeyDir is the directory that holds an organisation user's private key.
func (n *Network) UserKeyDir(org Org, user string) string {
	return filepath.Join(n.UserDir(org, user), "msp", "keystore")
}

func (n *Network) nodeDir(nd Node) string { return n.path("nodes", nd.Name) }

func (n *Network) logFile(nd Node) string { return n.path("logs", nd.Name+".log") }

func (n *Network) pidFile(nd Node) string { return n.path("pids", nd.Name+".pid") }

func (n *Network) bin(name string) string { return filepath.Join(n.cfg.BinDir, name) }
