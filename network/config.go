package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fabricModule is the module path whose sampleconfig the node configs start from.
const fabricModule = "github.com/hyperledger/fabric"

// EnsureBinaries builds peer, orderer, configtxgen, cryptogen, osnadmin and
// configtxlator
// (Fabric v3.1.1, version stamped) into the cache when any is missing.
func (n *Network) EnsureBinaries(ctx context.Context) error {
	names := []string{"peer", "orderer", "configtxgen", "cryptogen", "osnadmin", "configtxlator"}
	missing := false
	for _, b := range names {
		if _, err := os.Stat(n.bin(b)); err != nil {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	n.cfg.Logger.Info("building the Fabric binaries (once)", "into", n.cfg.BinDir)
	if err := os.MkdirAll(n.cfg.BinDir, 0o755); err != nil {
		return fmt.Errorf("network: binaries directory: %w", err)
	}
	args := []string{"build", "-trimpath", "-ldflags", "-X " + fabricModule + "/common/metadata.Version=3.1.1", "-o", n.cfg.BinDir + string(os.PathSeparator)}
	for _, b := range names {
		args = append(args, fabricModule+"/cmd/"+b)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = n.cfg.ToolsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("network: build Fabric binaries in %s: %w\n%s", n.cfg.ToolsDir, err, out)
	}
	return nil
}

// sampleConfig returns the Fabric module's sampleconfig directory.
func (n *Network) sampleConfig(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", fabricModule)
	cmd.Dir = n.cfg.ToolsDir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("network: locate the Fabric module: %w", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "sampleconfig")
	if _, err := os.Stat(filepath.Join(dir, "core.yaml")); err != nil {
		return "", fmt.Errorf("network: Fabric sample configuration: %w", err)
	}
	return dir, nil
}

func writeYAML(path string, v any) error {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("network: encode %s: %w", filepath.Base(path), err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fmt.Errorf("network: write %s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// ensureCrypto generates the organisations' crypto material with cryptogen.
func (n *Network) ensureCrypto(ctx context.Context) error {
	if exists(n.cryptoDir()) {
		return nil
	}
	spec := func(host string) map[string]any { return map[string]any{"Hostname": host, "SANS": n.cryptoSANs()} }
	var orderers []map[string]any
	for _, o := range n.Orderers() {
		orderers = append(orderers, spec(strings.TrimSuffix(o.Name, "."+OrdererOrg.Domain)))
	}
	var peerOrgs []map[string]any
	for _, org := range Members {
		peerOrgs = append(peerOrgs, n.peerOrgCrypto(org))
	}
	cfg := map[string]any{
		"OrdererOrgs": []map[string]any{{"Name": OrdererOrg.Name, "Domain": OrdererOrg.Domain, "EnableNodeOUs": true, "Specs": orderers}},
		"PeerOrgs":    peerOrgs,
	}
	cfgFile := n.path("config", "crypto-config.yaml")
	if err := writeYAML(cfgFile, cfg); err != nil {
		return err
	}
	tmp := n.cryptoDir() + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := n.run(ctx, nil, n.bin("cryptogen"), "generate", "--config", cfgFile, "--output", tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, n.cryptoDir()); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// cryptoSANs are the extra names of every node's certificate besides its
// host name (cryptogen adds Hostname.Domain): natively the nodes listen on
// 127.0.0.1; in containers nothing relies on it.
func (n *Network) cryptoSANs() []string {
	if n.cfg.Containers {
		return nil
	}
	return []string{"127.0.0.1", "localhost"}
}

// peerOrgCrypto is a member org's entry in cryptogen's configuration: its
// peer, its admin and one user.
func (n *Network) peerOrgCrypto(org Org) map[string]any {
	return map[string]any{
		"Name": org.Name, "Domain": org.Domain, "EnableNodeOUs": true,
		"Specs": []map[string]any{{"Hostname": "peer0", "SANS": n.cryptoSANs()}}, "Users": map[string]any{"Count": 1},
	}
}

// run runs a Fabric command and reports its output on failure.
func (n *Network) run(ctx context.Context, env []string, name string, args ...string) error {
	_, err := n.output(ctx, env, name, args...)
	return err
}

func (n *Network) output(ctx context.Context, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), append([]string{"FABRIC_LOGGING_SPEC=warning"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("network: %s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out, nil
}

func policy(rule string) map[string]string {
	return map[string]string{"Type": "Signature", "Rule": rule}
}

func implicit(rule string) map[string]string {
	return map[string]string{"Type": "ImplicitMeta", "Rule": rule}
}

// memberOrg is a member org's definition in configtx.yaml: its MSP, its
// policies, its peer as anchor — at the channel's creation and when it
// joins later (AddOrg) alike.
func (n *Network) memberOrg(p Node) map[string]any {
	id := p.Org.MSPID
	return map[string]any{
		"Name": id, "ID": id, "MSPDir": filepath.Join(n.orgDir(p.Org), "msp"),
		"Policies": map[string]any{
			"Readers":     policy(fmt.Sprintf("OR('%[1]s.admin', '%[1]s.peer', '%[1]s.client')", id)),
			"Writers":     policy(fmt.Sprintf("OR('%[1]s.admin', '%[1]s.client')", id)),
			"Admins":      policy(fmt.Sprintf("OR('%s.admin')", id)),
			"Endorsement": policy(fmt.Sprintf("OR('%s.peer')", id)),
		},
		"AnchorPeers": []map[string]any{{"Host": n.host(p), "Port": p.Port}},
	}
}

// ensureGenesis writes configtx.yaml and the channel's genesis block.
func (n *Network) ensureGenesis(ctx context.Context) error {
	block := n.path("config", ChannelID+".block")
	if exists(block) {
		return nil
	}
	var endpoints []string
	for _, o := range n.Orderers() {
		endpoints = append(endpoints, n.Endpoint(o, o.Port))
	}
	ordererOrg := map[string]any{
		"Name": OrdererOrg.MSPID, "ID": OrdererOrg.MSPID, "MSPDir": filepath.Join(n.orgDir(OrdererOrg), "msp"),
		"Policies": map[string]any{
			"Readers": policy(fmt.Sprintf("OR('%s.member')", OrdererOrg.MSPID)),
			"Writers": policy(fmt.Sprintf("OR('%s.member')", OrdererOrg.MSPID)),
			"Admins":  policy(fmt.Sprintf("OR('%s.admin')", OrdererOrg.MSPID)),
		},
		"OrdererEndpoints": endpoints,
	}
	var members []any
	for _, p := range n.Peers() {
		members = append(members, n.memberOrg(p))
	}
	ordererSection := map[string]any{
		"BatchTimeout":  n.cfg.BatchTimeout.String(),
		"BatchSize":     map[string]any{"MaxMessageCount": n.cfg.MaxMessageCount, "AbsoluteMaxBytes": "99 MB", "PreferredMaxBytes": "2 MB"},
		"Organizations": []any{ordererOrg},
		"Policies": map[string]any{
			"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"),
			"Admins": implicit("MAJORITY Admins"), "BlockValidation": implicit("ANY Writers"),
		},
		"Capabilities": map[string]bool{"V2_0": true},
	}
	if n.cfg.BFT {
		var mapping []map[string]any
		for i, o := range n.Orderers() {
			tls := filepath.Join(n.nodeCryptoDir(o), "tls", "server.crt")
			mapping = append(mapping, map[string]any{
				"ID": i + 1, "Host": n.host(o), "Port": o.Port, "MSPID": OrdererOrg.MSPID,
				"ClientTLSCert": tls, "ServerTLSCert": tls,
				"Identity": filepath.Join(n.nodeCryptoDir(o), "msp", "signcerts", o.Name+"-cert.pem"),
			})
		}
		ordererSection["OrdererType"] = "BFT"
		ordererSection["ConsenterMapping"] = mapping
		ordererSection["SmartBFT"] = map[string]any{
			"RequestBatchMaxCount": n.cfg.MaxMessageCount, "RequestBatchMaxInterval": n.cfg.BatchTimeout.String(),
			"RequestForwardTimeout": "2s", "RequestComplainTimeout": "20s", "RequestAutoRemoveTimeout": "3m",
			"ViewChangeResendInterval": "5s", "ViewChangeTimeout": "20s", "LeaderHeartbeatTimeout": "1m",
			"CollectTimeout": "1s", "RequestBatchMaxBytes": 10485760, "IncomingMessageBufferSize": 200,
			"RequestPoolSize": 100000, "LeaderHeartbeatCount": 10,
		}
	} else {
		var consenters []map[string]any
		for _, o := range n.Orderers() {
			tls := filepath.Join(n.nodeCryptoDir(o), "tls", "server.crt")
			consenters = append(consenters, map[string]any{"Host": n.host(o), "Port": o.Port, "ClientTLSCert": tls, "ServerTLSCert": tls})
		}
		ordererSection["OrdererType"] = "etcdraft"
		ordererSection["EtcdRaft"] = map[string]any{
			"Consenters": consenters,
			"Options": map[string]any{"TickInterval": "100ms", "ElectionTick": 10, "HeartbeatTick": 1,
				"MaxInflightBlocks": 5, "SnapshotIntervalSize": "16 MB"},
		}
	}
	cfg := map[string]any{
		"Profiles": map[string]any{
			"RegistryChannel": map[string]any{
				"Policies": map[string]any{
					"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"), "Admins": implicit("MAJORITY Admins"),
				},
				"Capabilities": map[string]bool{"V3_0": true},
				"Orderer":      ordererSection,
				"Application": map[string]any{
					"Organizations": members,
					"Policies": map[string]any{
						"Readers": implicit("ANY Readers"), "Writers": implicit("ANY Writers"), "Admins": implicit("MAJORITY Admins"),
						"LifecycleEndorsement": implicit("MAJORITY Endorsement"), "Endorsement": implicit("MAJORITY Endorsement"),
					},
					"Capabilities": map[string]bool{"V2_5": true},
				},
			},
		},
	}
	if err := writeYAML(n.path("config", "configtx.yaml"), cfg); err != nil {
		return err
	}
	tmp := block + ".tmp"
	if err := n.run(ctx, []string{"FABRIC_CFG_PATH=" + n.path("config")}, n.bin("configtxgen"),
		"-profile", "RegistryChannel", "-channelID", ChannelID, "-outputBlock", tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, block); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// loadSample reads one of Fabric's sample configurations.
func loadSample(dir, name string) (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("network: sample %s: %w", name, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("network: sample %s: %w", name, err)
	}
	return m, nil
}

// set assigns a value at a dotted path, creating maps on the way.
func set(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// writePeerConfig generates a peer's core.yaml from the sample.
func (n *Network) writePeerConfig(sample string, p Node) error {
	core, err := loadSample(sample, "core.yaml")
	if err != nil {
		return err
	}
	tls := filepath.Join(n.nodeCryptoDir(p), "tls")
	for k, v := range map[string]any{
		"peer.id":                                         p.Name,
		"peer.networkId":                                  "registry",
		"peer.listenAddress":                              n.listen(p.Port),
		"peer.address":                                    n.Endpoint(p, p.Port),
		"peer.chaincodeListenAddress":                     n.listen(p.ChaincodePort),
		"peer.chaincodeAddress":                           n.Endpoint(p, p.ChaincodePort),
		"peer.gossip.bootstrap":                           n.Endpoint(p, p.Port),
		"peer.gossip.externalEndpoint":                    n.Endpoint(p, p.Port),
		"peer.gossip.useLeaderElection":                   false,
		"peer.gossip.orgLeader":                           true,
		"peer.gossip.reconnectInterval":                   "1s",
		"peer.gossip.publishStateInfoInterval":            "500ms",
		"peer.gossip.requestStateInfoInterval":            "500ms",
		"peer.tls.enabled":                                true,
		"peer.tls.cert.file":                              filepath.Join(tls, "server.crt"),
		"peer.tls.key.file":                               filepath.Join(tls, "server.key"),
		"peer.tls.rootcert.file":                          filepath.Join(tls, "ca.crt"),
		"peer.mspConfigPath":                              filepath.Join(n.nodeCryptoDir(p), "msp"),
		"peer.localMspId":                                 p.Org.MSPID,
		"peer.fileSystemPath":                             filepath.Join(n.nodeDir(p), "data"),
		"vm.endpoint":                                     "",
		"chaincode.externalBuilders":                      []map[string]any{{"name": "registry-ccaas", "path": n.path("builder"), "propagateEnvironment": []string{}}},
		"chaincode.executetimeout":                        "30s",
		"operations.listenAddress":                        n.listen(p.OperationsPort),
		"metrics.provider":                                "prometheus",
		"peer.deliveryclient.reconnectTotalTimeThreshold": "3600s",
	} {
		set(core, k, v)
	}
	return writeYAML(filepath.Join(n.nodeDir(p), "config", "core.yaml"), core)
}

// writeOrdererConfig generates an orderer's orderer.yaml from the sample.
func (n *Network) writeOrdererConfig(sample string, o Node) error {
	cfg, err := loadSample(sample, "orderer.yaml")
	if err != nil {
		return err
	}
	tls := filepath.Join(n.nodeCryptoDir(o), "tls")
	adminTLS := filepath.Join(n.UserDir(OrdererOrg, "Admin"), "tls")
	for k, v := range map[string]any{
		"General.ListenAddress":             n.listenHost(),
		"General.ListenPort":                o.Port,
		"General.TLS.Enabled":               true,
		"General.TLS.PrivateKey":            filepath.Join(tls, "server.key"),
		"General.TLS.Certificate":           filepath.Join(tls, "server.crt"),
		"General.TLS.RootCAs":               []string{filepath.Join(tls, "ca.crt")},
		"General.Cluster.ClientCertificate": filepath.Join(tls, "server.crt"),
		"General.Cluster.ClientPrivateKey":  filepath.Join(tls, "server.key"),
		"General.BootstrapMethod":           "none",
		"General.LocalMSPDir":               filepath.Join(n.nodeCryptoDir(o), "msp"),
		"General.LocalMSPID":                OrdererOrg.MSPID,
		"FileLedger.Location":               filepath.Join(n.nodeDir(o), "ledger"),
		"Consensus.WALDir":                  filepath.Join(n.nodeDir(o), "etcdraft", "wal"),
		"Consensus.SnapDir":                 filepath.Join(n.nodeDir(o), "etcdraft", "snapshot"),
		"Operations.ListenAddress":          n.listen(o.OperationsPort),
		"Metrics.Provider":                  "prometheus",
		"Admin.ListenAddress":               n.listen(o.AdminPort),
		"Admin.TLS.Enabled":                 true,
		"Admin.TLS.Certificate":             filepath.Join(tls, "server.crt"),
		"Admin.TLS.PrivateKey":              filepath.Join(tls, "server.key"),
		"Admin.TLS.ClientAuthRequired":      true,
		"Admin.TLS.ClientRootCAs":           []string{filepath.Join(adminTLS, "ca.crt")},
		"ChannelParticipation.Enabled":      true,
	} {
		set(cfg, k, v)
	}
	return writeYAML(filepath.Join(n.nodeDir(o), "config", "orderer.yaml"), cfg)
}

// cliEnv is the environment of a peer CLI call as an org's admin against its peer.
func (n *Network) cliEnv(p Node) []string {
	return []string{
		"FABRIC_CFG_PATH=" + filepath.Join(n.nodeDir(p), "config"),
		"CORE_PEER_LOCALMSPID=" + p.Org.MSPID,
		"CORE_PEER_MSPCONFIGPATH=" + filepath.Join(n.UserDir(p.Org, "Admin"), "msp"),
		"CORE_PEER_ADDRESS=" + n.Endpoint(p, p.Port),
		"CORE_PEER_TLS_ENABLED=true",
		"CORE_PEER_TLS_ROOTCERT_FILE=" + n.TLSCACert(p.Org),
	}
}

// ordererArgs are the CLI flags that reach the ordering service over TLS.
func (n *Network) ordererArgs() []string {
	o := n.Orderers()[0]
	return []string{"-o", n.Endpoint(o, o.Port), "--tls", "--cafile", n.TLSCACert(OrdererOrg)}
}

func removeIfExists(path string) error {
	if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}
