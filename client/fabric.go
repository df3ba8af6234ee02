package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// FabricConfig connects to a peer's gateway as a member org's identity.
type FabricConfig struct {
	Endpoint      string // the peer's host:port
	TLSRootCert   string // PEM file of the peer's TLS CA
	TLSServerName string // overrides the name checked in the peer's certificate
	MSPID         string
	Certificate   string // PEM file of the identity's certificate
	PrivateKey    string // PEM file of its key, or a directory holding exactly one
	Channel       string
	Chaincode     string
	// AwaitPeers are further peers (other orgs') that must have committed a
	// transaction before Submit returns, for at most AwaitTimeout (default
	// 3s). The gateway reports a commit as soon as its own peer has it; a
	// next transaction endorsed by a peer still a block behind would read
	// stale state. Waiting — on each peer's own commit notification, no
	// polling — gives read-your-writes across the network.
	AwaitPeers   []FabricPeer
	AwaitTimeout time.Duration
	// ObservePhase, when set, is told how long each phase of a submit took:
	// "endorse", "submit" (to ordering), "commit" (until the gateway peer
	// committed the block) and "await" (until the AwaitPeers had it).
	ObservePhase func(phase string, d time.Duration)
	// Timeouts of the gateway calls (defaults: evaluate 10s, endorse 30s,
	// submit 10s, commit status 1m).
	EvaluateTimeout, EndorseTimeout, SubmitTimeout, CommitStatusTimeout time.Duration
}

// FabricPeer is a peer's gateway endpoint.
type FabricPeer struct {
	Endpoint      string
	TLSRootCert   string // PEM file of the peer's TLS CA
	TLSServerName string
}

// Fabric is the backend of a Hyperledger Fabric network.
type Fabric struct {
	conn     *grpc.ClientConn
	gw       *client.Gateway
	network  *client.Network
	contract *client.Contract
	cfg      FabricConfig
	// await are gateways of the AwaitPeers, for commit notifications.
	await      []*client.Gateway
	awaitConns []*grpc.ClientConn
}

func readKey(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		if len(entries) != 1 {
			return nil, fmt.Errorf("%s holds %d files, want one private key", path, len(entries))
		}
		path = filepath.Join(path, entries[0].Name())
	}
	return os.ReadFile(path)
}

// maxMessageBytes bounds a gRPC message to and from the gateway. It is the
// peer's own default (peer.maxRecvMsgSize and maxSendMsgSize, 100 MiB), not
// gRPC's client default of 4 MiB: an endorsement answer carries the
// transaction's write set, and publishing the allocation of an offering with
// 10,000 agreements writes 4.5 MB in one transaction.
const maxMessageBytes = 100 << 20

// dial opens a TLS connection to a peer.
func dial(p FabricPeer) (*grpc.ClientConn, error) {
	rootPEM, err := os.ReadFile(p.TLSRootCert)
	if err != nil {
		return nil, fmt.Errorf("client: TLS root certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		return nil, fmt.Errorf("client: TLS root certificate %s: no PEM certificate", p.TLSRootCert)
	}
	conn, err := grpc.NewClient(p.Endpoint,
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, p.TLSServerName)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)))
	if err != nil {
		return nil, fmt.Errorf("client: connect to %s: %w", p.Endpoint, err)
	}
	return conn, nil
}

// DialFabric connects to a peer's gateway. The connection is lazy: an
// unreachable peer shows in the first call, as ErrUnavailable.
func DialFabric(cfg FabricConfig) (*Fabric, error) {
	defaults := map[*time.Duration]time.Duration{
		&cfg.EvaluateTimeout: 10 * time.Second, &cfg.EndorseTimeout: 30 * time.Second,
		&cfg.SubmitTimeout: 10 * time.Second, &cfg.CommitStatusTimeout: time.Minute,
		&cfg.AwaitTimeout: 3 * time.Second,
	}
	for p, d := range defaults {
		if *p == 0 {
			*p = d
		}
	}
	certPEM, err := os.ReadFile(cfg.Certificate)
	if err != nil {
		return nil, fmt.Errorf("client: certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("client: certificate: %w", err)
	}
	id, err := identity.NewX509Identity(cfg.MSPID, cert)
	if err != nil {
		return nil, fmt.Errorf("client: identity: %w", err)
	}
	keyPEM, err := readKey(cfg.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("client: private key: %w", err)
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("client: private key: %w", err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, fmt.Errorf("client: signer: %w", err)
	}
	connect := func(p FabricPeer) (*grpc.ClientConn, *client.Gateway, error) {
		conn, err := dial(p)
		if err != nil {
			return nil, nil, err
		}
		gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn),
			client.WithEvaluateTimeout(cfg.EvaluateTimeout), client.WithEndorseTimeout(cfg.EndorseTimeout),
			client.WithSubmitTimeout(cfg.SubmitTimeout), client.WithCommitStatusTimeout(cfg.CommitStatusTimeout))
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("client: gateway %s: %w", p.Endpoint, err)
		}
		return conn, gw, nil
	}
	conn, gw, err := connect(FabricPeer{Endpoint: cfg.Endpoint, TLSRootCert: cfg.TLSRootCert, TLSServerName: cfg.TLSServerName})
	if err != nil {
		return nil, err
	}
	network := gw.GetNetwork(cfg.Channel)
	f := &Fabric{conn: conn, gw: gw, network: network, contract: network.GetContract(cfg.Chaincode), cfg: cfg}
	for _, p := range cfg.AwaitPeers {
		if p.Endpoint == cfg.Endpoint {
			continue // the gateway's own peer: its commit status is the commit
		}
		c, g, err := connect(p)
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		f.awaitConns, f.await = append(f.awaitConns, c), append(f.await, g)
	}
	return f, nil
}

// Submit implements Backend: endorse, submit, and wait for the commit status.
func (f *Fabric) Submit(ctx context.Context, function string, args ...string) (*Result, error) {
	return f.SubmitEndorsedBy(ctx, nil, function, args...)
}

// SubmitEndorsedBy submits a transaction endorsed only by peers of the given
// member orgs (all the policies need when orgs is empty), as an operator does
// to route around an org, and as tests do to show that the peers enforce
// key-level endorsement policies at validation.
func (f *Fabric) SubmitEndorsedBy(ctx context.Context, orgs []string, function string, args ...string) (*Result, error) {
	opts := []client.ProposalOption{client.WithArguments(args...)}
	if len(orgs) > 0 {
		opts = append(opts, client.WithEndorsingOrganizations(orgs...))
	}
	proposal, err := f.contract.NewProposal(function, opts...)
	if err != nil {
		return nil, fmt.Errorf("client: proposal %s: %w", function, err)
	}
	txID := proposal.TransactionID()
	phase := f.phases()
	tx, err := proposal.EndorseWithContext(ctx)
	phase("endorse")
	if err != nil {
		return nil, endorseError(txID, err)
	}
	commit, err := tx.SubmitWithContext(ctx)
	phase("submit")
	if err != nil {
		return nil, &SubmitError{TxID: txID, Err: unavailable(err)}
	}
	st, err := commit.StatusWithContext(ctx)
	phase("commit")
	if err != nil {
		return nil, &CommitStatusError{TxID: txID, Err: unavailable(err)}
	}
	if !st.Successful {
		return nil, &CommitError{TxID: txID, BlockNumber: st.BlockNumber, ValidationCode: st.Code}
	}
	f.awaitPeers(ctx, commit)
	phase("await")
	return &Result{TxID: txID, BlockNumber: st.BlockNumber, Payload: tx.Result()}, nil
}

// phases returns a function that reports the time since its last call
// under a phase name (a no-op without ObservePhase).
func (f *Fabric) phases() func(string) {
	if f.cfg.ObservePhase == nil {
		return func(string) {}
	}
	last := time.Now()
	return func(name string) {
		now := time.Now()
		f.cfg.ObservePhase(name, now.Sub(last))
		last = now
	}
}

// awaitPeers waits, for at most AwaitTimeout, until the AwaitPeers have
// committed the transaction too, asking each for its commit status (the
// peer answers when it has committed the transaction). A peer that does not
// answer in time (it is down, say) is not waited for further: the
// transaction is committed either way.
func (f *Fabric) awaitPeers(ctx context.Context, commit *client.Commit) {
	if len(f.await) == 0 {
		return
	}
	raw, err := commit.Bytes()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.AwaitTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, g := range f.await {
		wg.Go(func() {
			if c, err := g.NewCommit(raw); err == nil {
				_, _ = c.StatusWithContext(ctx) // best effort, bounded by ctx
			}
		})
	}
	wg.Wait()
}

// heightAt asks a peer of one org (or of any, for "") for the channel height.
func (f *Fabric) heightAt(ctx context.Context, org string) (uint64, error) {
	opts := []client.ProposalOption{client.WithArguments(f.cfg.Channel)}
	if org != "" {
		opts = append(opts, client.WithEndorsingOrganizations(org))
	}
	raw, err := f.network.GetContract("qscc").EvaluateWithContext(ctx, "GetChainInfo", opts...)
	if err != nil {
		return 0, unavailable(err)
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return 0, fmt.Errorf("client: chain info: %w", err)
	}
	return info.GetHeight(), nil
}

// Evaluate implements Backend.
func (f *Fabric) Evaluate(ctx context.Context, function string, args ...string) ([]byte, error) {
	out, err := f.contract.EvaluateWithContext(ctx, function, client.WithArguments(args...))
	if err != nil {
		if ee := endorseError("", err); ee.Registry != nil {
			return nil, ee
		}
		return nil, unavailable(err)
	}
	return out, nil
}

// checkpoint adapts a Position to the gateway's Checkpoint.
type checkpoint struct{ p Position }

func (c checkpoint) BlockNumber() uint64   { return c.p.BlockNumber }
func (c checkpoint) TransactionID() string { return c.p.TransactionID }

// ChaincodeEvents implements Backend.
func (f *Fabric) ChaincodeEvents(ctx context.Context, from Position) iter.Seq2[*Event, error] {
	return func(yield func(*Event, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		opts := []client.ChaincodeEventsOption{client.WithStartBlock(from.BlockNumber)}
		if from.TransactionID != "" {
			opts = []client.ChaincodeEventsOption{client.WithCheckpoint(checkpoint{from})}
		}
		events, err := f.network.ChaincodeEvents(ctx, f.cfg.Chaincode, opts...)
		if err != nil {
			yield(nil, unavailable(err))
			return
		}
		for ev := range events {
			if !yield(&Event{BlockNumber: ev.BlockNumber, TxID: ev.TransactionID, Chaincode: ev.ChaincodeName, Name: ev.EventName, Payload: ev.Payload}, nil) {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(nil, err)
			return
		}
		yield(nil, fmt.Errorf("%w: the event stream from %s ended", ErrUnavailable, f.cfg.Endpoint))
	}
}

// Height implements Backend, asking a peer's qscc system chaincode.
func (f *Fabric) Height(ctx context.Context) (uint64, error) { return f.heightAt(ctx, "") }

// Close implements Backend.
func (f *Fabric) Close() error {
	errs := []error{f.gw.Close(), f.conn.Close()}
	for i := range f.await {
		errs = append(errs, f.await[i].Close(), f.awaitConns[i].Close())
	}
	return errors.Join(errs...)
}
