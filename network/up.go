package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/efa-marktplatz/registry/schema"
)

// Up brings the network up: binaries, crypto, genesis block, orderers
// joined to the channel, peers joined, chaincodes installed, served and
// committed. It is idempotent: what runs already is left alone. It returns
// when the registry chaincode answers a query. On failure the error carries
// the tail of the node logs.
func (n *Network) Up(ctx context.Context) error {
	began := time.Now()
	if err := n.up(ctx); err != nil {
		return fmt.Errorf("%w\n\nnode logs:\n%s", err, n.Logs(30))
	}
	n.cfg.Logger.Info("network up", "dir", n.cfg.Dir, "took", time.Since(began).Round(time.Millisecond))
	return nil
}

func (n *Network) up(ctx context.Context) error {
	if err := n.EnsureBinaries(ctx); err != nil {
		return err
	}
	if err := n.saveShape(); err != nil {
		return err
	}
	if err := n.ensureCrypto(ctx); err != nil {
		return err
	}
	if err := n.ensureGenesis(ctx); err != nil {
		return err
	}
	sample, err := n.sampleConfig(ctx)
	if err != nil {
		return err
	}
	for _, o := range n.Orderers() {
		if err := n.writeOrdererConfig(sample, o); err != nil {
			return err
		}
	}
	for _, p := range n.Peers() {
		if err := n.writePeerConfig(sample, p); err != nil {
			return err
		}
	}
	if n.cfg.Containers {
		// The compose file names every node's command, chaincode package
		// ids included.
		if err := n.ensureChaincodeTLS(); err != nil {
			return err
		}
		if err := n.writeCompose(); err != nil {
			return err
		}
	}
	for _, o := range n.Orderers() {
		if err := n.StartNode(ctx, o); err != nil {
			return err
		}
	}
	for _, o := range n.Orderers() {
		if err := n.joinOrderer(ctx, o); err != nil {
			return err
		}
	}
	for _, p := range n.Peers() {
		if err := n.StartNode(ctx, p); err != nil {
			return err
		}
	}
	for _, p := range n.Peers() {
		if err := n.joinPeer(ctx, p); err != nil {
			return err
		}
	}
	if err := n.deployChaincodes(ctx); err != nil {
		return err
	}
	if err := n.waitChaincode(ctx); err != nil {
		return err
	}
	for _, a := range n.APIs() {
		if err := n.StartNode(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// logSpec keeps node logs to what an operator needs: Fabric logs every gRPC
// call, every endorsement and every gateway request at INFO, which under load
// costs measurable CPU (and fills the disk).
const logSpec = "FABRIC_LOGGING_SPEC=info:grpc=error:comm.grpc.server=warning:endorser=warning:gateway=warning:chaincode.platform=warning"

// StartNode starts an orderer, peer or chaincode server of an initialised
// network (after a Stop, say) and waits until it is ready.
func (n *Network) StartNode(ctx context.Context, nd Node) error {
	argv, env, err := n.process(nd)
	if err != nil {
		return err
	}
	if err := n.start(nd, env, argv[0], argv[1:]...); err != nil {
		return err
	}
	switch nd.Kind {
	case "orderer":
		// /healthz can answer before the admin endpoint listens.
		if err := n.waitHealthy(ctx, nd); err != nil {
			return err
		}
		return n.waitListening(ctx, nd, nd.AdminPort)
	case "peer":
		if err := n.waitHealthy(ctx, nd); err != nil {
			return err
		}
		return n.waitListening(ctx, nd, nd.Port)
	case "chaincode":
		return n.waitListening(ctx, nd, nd.Port)
	case "api":
		return n.waitReady(ctx, nd)
	}
	return fmt.Errorf("network: unknown node kind %q", nd.Kind)
}

// joinOrderer joins an orderer to the channel through its admin endpoint.
func (n *Network) joinOrderer(ctx context.Context, o Node) error {
	admin := filepath.Join(n.UserDir(OrdererOrg, "Admin"), "tls")
	tlsArgs := []string{"-o", n.Endpoint(o, o.AdminPort), "--ca-file", n.TLSCACert(OrdererOrg),
		"--client-cert", filepath.Join(admin, "client.crt"), "--client-key", filepath.Join(admin, "client.key")}
	list, err := n.cli(ctx, o, nil, "osnadmin", append([]string{"channel", "list"}, tlsArgs...)...)
	if err != nil {
		return err
	}
	if bytes.Contains(list, []byte(`"name": "`+ChannelID+`"`)) {
		return nil
	}
	args := append([]string{"channel", "join", "--channelID", ChannelID, "--config-block", n.path("config", ChannelID+".block")}, tlsArgs...)
	_, err = n.cli(ctx, o, nil, "osnadmin", args...)
	return err
}

// joinPeer joins a peer to the channel.
func (n *Network) joinPeer(ctx context.Context, p Node) error {
	list, err := n.cli(ctx, p, n.cliEnv(p), "peer", "channel", "list")
	if err != nil {
		return err
	}
	if bytes.Contains(list, []byte("\n"+ChannelID)) {
		return nil
	}
	return n.retry(ctx, func() error {
		_, err := n.cli(ctx, p, n.cliEnv(p), "peer", "channel", "join", "-b", n.path("config", ChannelID+".block"))
		return err
	})
}

// waitChaincode waits until the registry chaincode answers a query on every peer.
func (n *Network) waitChaincode(ctx context.Context) error {
	for _, p := range n.Peers() {
		for _, name := range []string{RegistryChaincode, KVChaincode} {
			fn := fmt.Sprintf(`{"Args":[%q]}`, schema.FnGetDomain)
			if name == KVChaincode {
				fn = `{"Args":["Get","ready"]}`
			}
			err := n.retry(ctx, func() error {
				_, err := n.cli(ctx, p, n.cliEnv(p), "peer", "chaincode", "query", "-C", ChannelID, "-n", name, "-c", fn)
				return err
			})
			if err != nil {
				return fmt.Errorf("network: chaincode %s does not answer on %s: %w", name, p.Name, err)
			}
		}
	}
	return nil
}

// Down stops every process Up started, by the PIDs it recorded (in
// containers: removes the containers and their Docker networks); data stays.
func (n *Network) Down() error {
	if n.cfg.Containers {
		return n.downContainers()
	}
	nodes := n.Nodes()
	var errs []error
	for i := len(nodes) - 1; i >= 0; i-- {
		if err := n.Stop(nodes[i], 10*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NodeStatus is the state of one process (in containers: the container's
// process, by its PID on this machine).
type NodeStatus struct {
	Node
	PID int
}

// Status reports every node and whether it runs.
func (n *Network) Status() []NodeStatus {
	var out []NodeStatus
	for _, nd := range n.Nodes() {
		pid := 0
		if n.cfg.Containers {
			pid = containerPID(nd.Name)
		} else {
			pid = n.pid(nd)
		}
		out = append(out, NodeStatus{Node: nd, PID: pid})
	}
	return out
}
