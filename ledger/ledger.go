package ledger

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// StoreFile is the name of the ledger's store in its directory.
const StoreFile = "ledger.db"

// Options configure a ledger. The zero value of every field has a sensible default.
type Options struct {
	// ChannelID is the channel name chaincode sees (GetChannelID). It is
	// fixed in the genesis block; reopening with another name fails. Default "registry".
	ChannelID string
	// MSPID is the organisation the local MSP creates on first start, with
	// the identities "admin" and "client" and the node's identity "node".
	// Default DefaultMSPID.
	MSPID string
	// Chaincodes maps chaincode names (the state namespaces) to the chaincode
	// the ledger runs for them, e.g. contractapi.NewChaincode(...).
	Chaincodes map[string]shim.Chaincode
	// MaxBlockTxs caps the transactions of one block. Default 500.
	MaxBlockTxs int
	// BatchTimeout is how long the orderer waits for more transactions to
	// fill a block while proposals are still being simulated. A lone
	// submitter never waits: its block is cut at once. Default 2ms.
	BatchTimeout time.Duration
	// TotalQueryLimit caps the results of one range query, as Fabric's
	// ledger.state.totalQueryLimit does. Default 100000.
	TotalQueryLimit int
	// NoSync skips fsync on commit. Only for tests that measure nothing
	// about durability: a machine crash may then lose acknowledged blocks.
	NoSync bool
	// Clock is the time a transaction carries as its timestamp, which the
	// chaincode takes as the time of the act (default time.Now). The demo
	// and tests that play through years of invoices set it; as on Fabric,
	// where the submitting client stamps its proposals, it is the
	// submitter's word, and blocks keep their own commit time.
	Clock func() time.Time
}

func (o *Options) defaults() {
	if o.ChannelID == "" {
		o.ChannelID = "registry"
	}
	if o.MSPID == "" {
		o.MSPID = DefaultMSPID
	}
	if o.MaxBlockTxs <= 0 {
		o.MaxBlockTxs = 500
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = 2 * time.Millisecond
	}
	if o.TotalQueryLimit <= 0 {
		o.TotalQueryLimit = 100000
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
}

// chaincodeName is Fabric's rule for chaincode names.
var chaincodeName = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)

// Ledger is an embedded single-node ledger. It is safe for concurrent use.
type Ledger struct {
	opts      Options
	db        *bolt.DB
	msp       *localMSP
	node      *Identity
	channelID string

	queue    chan *pendingTx
	inflight atomic.Int64 // proposals being simulated for Submit
	failure  atomic.Pointer[error]
	closing  chan struct{}
	stopped  chan struct{}
	closeMu  sync.Mutex
	closed   bool
	closeErr error

	lastRelease atomic.Int64 // when the mapped store pages were last released (Unix ns)

	mu       sync.Mutex
	height   uint64        // number of committed blocks
	lastHash []byte        // header hash of the last block
	newBlock chan struct{} // closed and replaced after each commit
}

// Open opens the ledger in dir, creating the directory, the local MSP and the
// genesis block on first start, and starts the ordering service.
func Open(dir string, opts Options) (*Ledger, error) {
	opts.defaults()
	for name, cc := range opts.Chaincodes {
		if !chaincodeName.MatchString(name) || cc == nil {
			return nil, fmt.Errorf("ledger: invalid chaincode %q: want a name matching %s and a chaincode", name, chaincodeName)
		}
	}
	chaincodes := make(map[string]shim.Chaincode, len(opts.Chaincodes))
	for name, cc := range opts.Chaincodes {
		chaincodes[name] = cc
	}
	opts.Chaincodes = chaincodes
	if err := mkdirSynced(dir); err != nil {
		return nil, fmt.Errorf("ledger: create data directory: %w", err)
	}
	// The store's exclusive lock is taken first: it also guards the local
	// MSP, so two processes never create two node identities for one chain.
	path := filepath.Join(dir, StoreFile)
	_, statErr := os.Stat(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: 5 * time.Second,
		// The freelist is written with every commit (measured: no loss of
		// throughput), so opening never scans the whole file to rebuild it.
		NoFreelistSync: false,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opts.NoSync,
		// A fixed map (address space, not memory) that releaseMapped can
		// hand back to the page cache; see mapped_linux.go.
		InitialMmapSize: mappedSize,
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: open store: %w", err)
	}
	l, err := open(dir, db, opts, errors.Is(statErr, fs.ErrNotExist))
	if err != nil {
		db.Close()
		return nil, err
	}
	go l.order()
	return l, nil
}

func open(dir string, db *bolt.DB, opts Options, created bool) (*Ledger, error) {
	if created {
		// Make the new file's directory entry durable.
		if err := atomicfile.SyncDir(dir); err != nil {
			return nil, err
		}
	}
	m, err := openMSP(filepath.Join(dir, "msp"))
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"admin", "client"} {
		if _, err := m.identity(opts.MSPID, name); err != nil {
			return nil, err
		}
	}
	node, err := m.identity(opts.MSPID, "node")
	if err != nil {
		return nil, err
	}
	l := &Ledger{
		opts:     opts,
		db:       db,
		msp:      m,
		node:     node,
		queue:    make(chan *pendingTx, 4*opts.MaxBlockTxs),
		closing:  make(chan struct{}),
		stopped:  make(chan struct{}),
		newBlock: make(chan struct{}),
	}
	if err := l.init(); err != nil {
		return nil, err
	}
	return l, nil
}

// init creates the buckets and the genesis block, or checks the existing
// chain's head and configuration against this node.
func (l *Ledger) init() error {
	err := l.db.Update(func(tx *bolt.Tx) error {
		for _, name := range topBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if k, _ := tx.Bucket(bucketBlocks).Cursor().Last(); k != nil {
			return nil
		}
		cas, err := l.msp.caCertificates()
		if err != nil {
			return err
		}
		cfg := &ChainConfig{ChannelID: l.opts.ChannelID, NodeCertificate: l.node.certPEM, CACertificates: cas}
		raw := cfg.Bytes()
		h := &BlockHeader{Number: 0, DataHash: genesisDataHash(raw), Timestamp: time.Now().UTC()}
		sig, err := l.sign(h)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketConfig).Put(blockKey(0), raw); err != nil {
			return err
		}
		return tx.Bucket(bucketBlocks).Put(blockKey(0), block.EncodeRecord(h, sig))
	})
	if err != nil {
		return fmt.Errorf("ledger: initialise store: %w", err)
	}
	return l.db.View(func(tx *bolt.Tx) error {
		genesis, err := readBlock(tx, 0)
		if err != nil {
			return fmt.Errorf("ledger: read genesis block: %w", err)
		}
		if !bytes.Equal(genesis.Config.NodeCertificate, l.node.certPEM) {
			return errors.New("ledger: the node identity in msp/ is not the one that signed this chain's genesis block")
		}
		if genesis.Config.ChannelID != l.opts.ChannelID {
			return fmt.Errorf("ledger: this chain is channel %q, not %q", genesis.Config.ChannelID, l.opts.ChannelID)
		}
		l.channelID = genesis.Config.ChannelID
		k, v := tx.Bucket(bucketBlocks).Cursor().Last()
		h, _, err := block.DecodeRecord(v)
		if err != nil {
			return fmt.Errorf("ledger: read last block: %w", err)
		}
		if n := binary.BigEndian.Uint64(k); n != h.Number {
			return fmt.Errorf("ledger: %w: block stored at %d says it is block %d", ErrCorrupt, n, h.Number)
		}
		l.height = h.Number + 1
		l.lastHash = h.Hash()
		return nil
	})
}

func (l *Ledger) sign(h *BlockHeader) ([]byte, error) {
	digest := sha256.Sum256(h.Bytes())
	sig, err := ecdsa.SignASN1(rand.Reader, l.node.key, digest[:])
	if err != nil {
		return nil, fmt.Errorf("ledger: sign block %d: %w", h.Number, err)
	}
	return sig, nil
}

// failed returns the error that stopped the ledger from committing, or nil.
func (l *Ledger) failed() error {
	if p := l.failure.Load(); p != nil {
		return *p
	}
	return nil
}

func (l *Ledger) fail(err error) { l.failure.CompareAndSwap(nil, &err) }

// Close stops the ordering service after the transactions already queued are
// committed, and closes the store. Submits still being simulated get ErrClosed.
func (l *Ledger) Close() error {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	if l.closed {
		return l.closeErr
	}
	l.closed = true
	close(l.closing)
	<-l.stopped
	if err := l.db.Close(); err != nil {
		l.closeErr = fmt.Errorf("ledger: close store: %w", err)
	}
	return l.closeErr
}

// Healthy reports whether the ledger takes transactions: ErrClosed after
// Close, the ErrFailed error after a failed commit, else nil.
func (l *Ledger) Healthy() error {
	select {
	case <-l.closing:
		return ErrClosed
	default:
	}
	return l.failed()
}

// ChannelID is the channel name recorded in the genesis block.
func (l *Ledger) ChannelID() string { return l.channelID }

// NodeCertificate is the certificate whose key signs every block.
func (l *Ledger) NodeCertificate() *x509.Certificate { return l.node.Certificate }

// Identity returns an identity of the local MSP, issuing it (and its
// organisation's CA) on first use. "admin" gets the admin role, every other
// name the client role; "node" is the node's own identity.
func (l *Ledger) Identity(mspID, name string) (*Identity, error) {
	return l.msp.identity(mspID, name)
}

// DefaultIdentity is the "client" identity of the organisation of Options.MSPID.
func (l *Ledger) DefaultIdentity() (*Identity, error) {
	return l.msp.identity(l.opts.MSPID, "client")
}

// Height is the number of committed blocks, the genesis block included.
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height
}

// StoredBytes is the number of bytes of the store file in use: its pages up
// to the high-water mark, less the free ones and those freed by the last
// commits. The file itself is larger, as the store grows it ahead of need.
func (l *Ledger) StoredBytes() (int64, error) {
	var used int64
	err := l.view(func(tx *bolt.Tx) error {
		st := l.db.Stats()
		used = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(l.db.Info().PageSize)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: store size: %w", closedErr(err))
	}
	return used, nil
}

func (l *Ledger) head() (uint64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height, l.newBlock
}

// Block returns a committed block.
func (l *Ledger) Block(n uint64) (*Block, error) {
	var b *Block
	err := l.view(func(tx *bolt.Tx) error {
		var err error
		b, err = readBlock(tx, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: block %d: %w", n, closedErr(err))
	}
	return b, nil
}

// TxLocation says where a transaction was committed.
type TxLocation struct {
	BlockNumber uint64
	TxIndex     uint32
}

// Transaction returns a committed transaction (valid or not) by id, and where it is.
func (l *Ledger) Transaction(txID string) (*Transaction, TxLocation, error) {
	var t *Transaction
	var loc TxLocation
	err := l.view(func(tx *bolt.Tx) error {
		pos := tx.Bucket(bucketTxIDs).Get([]byte(txID))
		if pos == nil {
			return ErrNotFound
		}
		n, i, err := splitTxKey(pos)
		if err != nil {
			return err
		}
		loc = TxLocation{BlockNumber: n, TxIndex: i}
		t, err = readTx(tx, n, i)
		return err
	})
	if err != nil {
		return nil, TxLocation{}, fmt.Errorf("ledger: transaction %s: %w", txID, closedErr(err))
	}
	return t, loc, nil
}

// Proposal names a chaincode function and its arguments.
type Proposal struct {
	Chaincode string
	Function  string
	Args      [][]byte
	// Transient data is passed to the chaincode (GetTransient) and never stored.
	Transient map[string][]byte
}

// Commit is the outcome of a submitted transaction.
type Commit struct {
	TxID           string
	BlockNumber    uint64
	TxIndex        uint32
	ValidationCode peer.TxValidationCode
	// Payload is the chaincode's response payload.
	Payload []byte
}

type pendingTx struct {
	tx     *Transaction
	result chan commitResult
}

type commitResult struct {
	block uint64
	index uint32
	code  peer.TxValidationCode
	err   error
}

// Submit simulates the proposal against committed state, orders the
// transaction into a block and waits until the block is committed. A
// transaction marked invalid (an MVCC or phantom-read conflict, a duplicate
// id) returns its Commit and a *CommitError; a chaincode error returns a
// *ChaincodeError and orders nothing. If ctx ends after the transaction was
// queued for ordering, it may still commit: look it up by id.
func (l *Ledger) Submit(ctx context.Context, signer *Identity, p Proposal) (*Commit, error) {
	if err := l.failed(); err != nil {
		return nil, err
	}
	l.inflight.Add(1)
	tx, payload, err := l.simulate(signer, p, false)
	// No longer simulating: the orderer need not wait for this one (at
	// worst it lands in the next block).
	l.inflight.Add(-1)
	if err != nil {
		return nil, err
	}
	pt := &pendingTx{tx: tx, result: make(chan commitResult, 1)}
	select {
	case l.queue <- pt:
	case <-l.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("ledger: transaction %s not ordered: %w", tx.ID, ctx.Err())
	}
	var r commitResult
	select {
	case r = <-pt.result:
	case <-l.stopped:
		select {
		case r = <-pt.result:
		default:
			return nil, fmt.Errorf("ledger: transaction %s: %w", tx.ID, ErrClosed)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("ledger: transaction %s ordered, commit not awaited: %w", tx.ID, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("ledger: transaction %s: %w", tx.ID, closedErr(r.err))
	}
	c := &Commit{TxID: tx.ID, BlockNumber: r.block, TxIndex: r.index, ValidationCode: r.code, Payload: payload}
	if r.code != peer.TxValidationCode_VALID {
		return c, &CommitError{TxID: tx.ID, BlockNumber: r.block, ValidationCode: r.code}
	}
	return c, nil
}

// Evaluate runs the proposal against committed state and returns the
// chaincode's payload. Nothing is ordered or written.
func (l *Ledger) Evaluate(ctx context.Context, signer *Identity, p Proposal) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, payload, err := l.simulate(signer, p, true)
	return payload, err
}

// simulate runs the chaincode on a snapshot of committed state and returns
// the transaction to order and the response payload.
func (l *Ledger) simulate(signer *Identity, p Proposal, readOnly bool) (*Transaction, []byte, error) {
	select {
	case <-l.closing:
		return nil, nil, ErrClosed
	default:
	}
	cc, ok := l.opts.Chaincodes[p.Chaincode]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q", ErrUnknownChaincode, p.Chaincode)
	}
	if signer == nil {
		return nil, nil, fmt.Errorf("%w: no signer", ErrUnknownIdentity)
	}
	if err := l.msp.verify(signer); err != nil {
		return nil, nil, err
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("ledger: nonce: %w", err)
	}
	// The chaincode gets its own copies: what it does to them cannot reach
	// the caller, the identity or what the transaction records.
	creator := bytes.Clone(signer.serialized)
	txID := block.TxID(nonce, creator)
	now := l.opts.Clock().UTC()
	args := make([][]byte, 0, len(p.Args)+1)
	args = append(args, []byte(p.Function))
	for _, a := range p.Args {
		args = append(args, bytes.Clone(a))
	}
	digest := argsDigest(args)
	var transient map[string][]byte
	if p.Transient != nil {
		transient = make(map[string][]byte, len(p.Transient))
		for k, v := range p.Transient {
			transient[k] = bytes.Clone(v)
		}
	}

	rtx, err := l.db.Begin(false)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: begin simulation: %w", closedErr(err))
	}
	defer func() { _ = rtx.Rollback() }() // read-only: nothing to roll back, no error to act on
	sim := &simulation{
		rtx:        rtx,
		ns:         p.Chaincode,
		txID:       txID,
		channelID:  l.channelID,
		args:       args,
		creator:    bytes.Clone(creator),
		transient:  transient,
		binding:    binding(nonce, creator),
		timestamp:  timestamppb.New(now),
		queryLimit: l.opts.TotalQueryLimit,
		reads:      map[string]*Version{},
		writes:     map[string]KVWrite{},
		metaWrites: map[string]MetadataWrite{},
	}
	resp := invoke(cc, sim)
	l.releaseIfDue(rtx.Size())
	if resp.Status < shim.ERRORTHRESHOLD && sim.batching {
		// The Fabric shim flushes an open write batch when Invoke returns.
		if err := sim.FinishWriteBatch(); err != nil {
			resp = &peer.Response{Status: shim.ERROR, Message: err.Error()}
		}
	}
	sim.finished = true
	if resp.Status >= shim.ERRORTHRESHOLD {
		return nil, nil, &ChaincodeError{TxID: txID, Status: resp.Status, Message: resp.Message}
	}
	if readOnly {
		return nil, resp.Payload, nil
	}
	tx := &Transaction{
		ID:         txID,
		Nonce:      nonce,
		Creator:    creator,
		Timestamp:  now,
		Chaincode:  p.Chaincode,
		Function:   p.Function,
		ArgsDigest: digest,
		RWSet:      sim.rwset(),
		Event:      sim.event,
	}
	return tx, resp.Payload, nil
}

// invoke calls the chaincode, turning a panic into an error response so that
// one faulty proposal cannot take the node down.
func invoke(cc shim.Chaincode, stub shim.ChaincodeStubInterface) (resp *peer.Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = &peer.Response{Status: shim.ERROR, Message: fmt.Sprintf("chaincode panicked: %v\n%s", r, debug.Stack())}
		}
	}()
	resp = cc.Invoke(stub)
	if resp == nil {
		resp = &peer.Response{Status: shim.ERROR, Message: "chaincode returned no response"}
	}
	return resp
}

// binding is Fabric's proposal binding: SHA-256(nonce ‖ creator ‖ epoch), epoch 0.
func binding(nonce, creator []byte) []byte {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	h.Write(make([]byte, 8))
	return h.Sum(nil)
}

func argsDigest(args [][]byte) []byte {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, a := range args {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(a)))])
		h.Write(a)
	}
	return h.Sum(nil)
}

// ArgsDigest computes the digest a transaction records for a function and its
// arguments, so a caller holding the arguments can match them to a transaction.
func ArgsDigest(function string, args ...[]byte) []byte {
	return argsDigest(append([][]byte{[]byte(function)}, args...))
}

// NodeCertificatePEM returns the PEM form of NodeCertificate.
func (l *Ledger) NodeCertificatePEM() []byte {
	return l.node.CertificatePEM()
}

// closedErr reports a store closed under a call as ErrClosed.
func closedErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}
