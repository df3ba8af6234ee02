package ledger

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Record format versions: the first byte of every stored record.
const (
	headerFormat = 1
	blockFormat  = 1
	txFormat     = 1
	configFormat = 1
	stateFormat  = 1
)

// Version is the height at which a key was last written: the block number and
// the transaction's index in that block, as in Fabric.
type Version struct {
	BlockNum uint64
	TxNum    uint32
}

// BlockHeader is what the node signs and what the next block links to.
type BlockHeader struct {
	Number       uint64
	PreviousHash []byte // hash of the previous block's header; nil for the genesis block
	DataHash     []byte // hash over the block's data: the config (genesis) or the transactions
	Timestamp    time.Time
	TxCount      uint32
}

// Bytes is the canonical encoding of the header: the input of Hash and of the
// node's signature.
func (h *BlockHeader) Bytes() []byte {
	var e encoder
	e.u8(headerFormat)
	e.u64(h.Number)
	e.bytes(h.PreviousHash)
	e.bytes(h.DataHash)
	e.u64(uint64(h.Timestamp.UnixNano()))
	e.u32(h.TxCount)
	return e.buf
}

// Hash is the SHA-256 of the header's canonical encoding.
func (h *BlockHeader) Hash() []byte {
	sum := sha256.Sum256(h.Bytes())
	return sum[:]
}

func decodeHeader(b []byte) (*BlockHeader, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != headerFormat {
		return nil, fmt.Errorf("%w: header format %d", ErrCorrupt, f)
	}
	h := &BlockHeader{
		Number:       d.u64(),
		PreviousHash: d.bytes(),
		DataHash:     d.bytes(),
		Timestamp:    time.Unix(0, int64(d.u64())).UTC(),
		TxCount:      d.u32(),
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return h, nil
}

// Block is one block of the chain: a signed header and its data. The genesis
// block (number 0) carries the chain's configuration and no transactions.
type Block struct {
	Header       BlockHeader
	Signature    []byte // ASN.1 ECDSA P-256 signature of the node over SHA-256(Header.Bytes())
	Config       *ChainConfig
	Transactions []*Transaction
}

// ChainConfig is the content of the genesis block.
type ChainConfig struct {
	ChannelID string
	// NodeCertificate is the PEM certificate of the key that signs every block.
	NodeCertificate []byte
	// CACertificates are the PEM root certificates of the organisations the
	// local MSP knew when the chain was created (the node's issuer among them).
	CACertificates [][]byte
}

func (c *ChainConfig) bytes() []byte {
	var e encoder
	e.u8(configFormat)
	e.str(c.ChannelID)
	e.bytes(c.NodeCertificate)
	e.u32(uint32(len(c.CACertificates)))
	for _, ca := range c.CACertificates {
		e.bytes(ca)
	}
	return e.buf
}

func decodeConfig(b []byte) (*ChainConfig, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != configFormat {
		return nil, fmt.Errorf("%w: config format %d", ErrCorrupt, f)
	}
	c := &ChainConfig{ChannelID: d.str(), NodeCertificate: d.bytes()}
	n := d.count(1)
	for i := 0; i < n && d.err == nil; i++ {
		c.CACertificates = append(c.CACertificates, d.bytes())
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// dataHasher computes a block's data hash: SHA-256 over the concatenated
// SHA-256 of every data item (the encoded configuration of the genesis block,
// or each encoded transaction record).
type dataHasher struct{ h hash.Hash }

func newDataHasher() dataHasher { return dataHasher{h: sha256.New()} }

func (d dataHasher) add(item []byte) {
	sum := sha256.Sum256(item)
	d.h.Write(sum[:])
}

func (d dataHasher) sum() []byte { return d.h.Sum(nil) }

// Transaction is one ordered transaction with its read/write set and the
// validation code the committer gave it.
type Transaction struct {
	ID        string
	Nonce     []byte
	Creator   []byte // serialized identity (msp.SerializedIdentity) of the submitter
	Timestamp time.Time
	Chaincode string
	Function  string
	// ArgsDigest is SHA-256 over the length-prefixed arguments (function
	// first). The arguments themselves are not stored; the transient map never is.
	ArgsDigest     []byte
	RWSet          RWSet
	Event          *Event
	ValidationCode peer.TxValidationCode
}

// Valid reports whether the transaction's writes were applied.
func (t *Transaction) Valid() bool { return t.ValidationCode == peer.TxValidationCode_VALID }

// Event is the chaincode event a transaction set (the last SetEvent wins, as in Fabric).
type Event struct {
	Name    string
	Payload []byte
}

// RWSet is a transaction's read/write set in its chaincode's namespace, with
// keys in sorted order.
type RWSet struct {
	Reads          []KVRead
	RangeQueries   []RangeQuery
	Writes         []KVWrite
	MetadataWrites []MetadataWrite
}

// KVRead records the version of a key the simulation read; nil means the key did not exist.
type KVRead struct {
	Key     string
	Version *Version
}

// RangeQuery records a range the simulation iterated, for phantom-read
// detection. When Exhausted, the range [StartKey, EndKey) was read to its end
// (an empty EndKey means the end of the namespace); otherwise the results up to
// and including EndKey, the last key read, were consumed. ResultsHash covers
// the keys and versions seen, in order.
type RangeQuery struct {
	StartKey    string
	EndKey      string
	Exhausted   bool
	ResultsHash []byte
}

// covers reports whether a key at or after StartKey lies in the range the
// query's results were taken from.
func (q *RangeQuery) covers(key []byte) bool {
	if q.Exhausted {
		return q.EndKey == "" || string(key) < q.EndKey
	}
	return string(key) <= q.EndKey
}

// KVWrite records a written or deleted key.
type KVWrite struct {
	Key      string
	IsDelete bool
	Value    []byte
}

// MetadataWrite records a change of a key's validation parameter (its
// key-level endorsement policy); a nil ValidationParameter removes it.
type MetadataWrite struct {
	Key                 string
	ValidationParameter []byte
}

// StoredSize is the number of bytes the transaction's record takes in its
// block: what the ledger keeps of it for good (the values it wrote, its
// read set, its event), besides the current state.
func (t *Transaction) StoredSize() int { return len(encodeTx(t)) }

// encodeTx writes a transaction record. The creator is stored by its SHA-256;
// the identity itself lives once in the identities bucket.
func encodeTx(t *Transaction) []byte {
	var e encoder
	e.buf = make([]byte, 0, 256)
	e.u8(txFormat)
	e.str(t.ID)
	e.bytes(t.Nonce)
	creator := sha256.Sum256(t.Creator)
	e.bytes(creator[:])
	e.u64(uint64(t.Timestamp.UnixNano()))
	e.str(t.Chaincode)
	e.str(t.Function)
	e.bytes(t.ArgsDigest)

	rw := &t.RWSet
	e.u32(uint32(len(rw.Reads)))
	for _, r := range rw.Reads {
		e.str(r.Key)
		e.boolean(r.Version != nil)
		if r.Version != nil {
			e.u64(r.Version.BlockNum)
			e.u32(r.Version.TxNum)
		}
	}
	e.u32(uint32(len(rw.RangeQueries)))
	for _, q := range rw.RangeQueries {
		e.str(q.StartKey)
		e.str(q.EndKey)
		e.boolean(q.Exhausted)
		e.bytes(q.ResultsHash)
	}
	e.u32(uint32(len(rw.Writes)))
	for _, w := range rw.Writes {
		e.str(w.Key)
		e.boolean(w.IsDelete)
		e.bytes(w.Value)
	}
	e.u32(uint32(len(rw.MetadataWrites)))
	for _, m := range rw.MetadataWrites {
		e.str(m.Key)
		e.bytes(m.ValidationParameter)
	}
	e.boolean(t.Event != nil)
	if t.Event != nil {
		e.str(t.Event.Name)
		e.bytes(t.Event.Payload)
	}
	e.u32(uint32(t.ValidationCode))
	return e.buf
}

// decodeTx reads a transaction record; identity resolves a creator hash to
// the serialized identity.
func decodeTx(b []byte, identity func(hash []byte) ([]byte, error)) (*Transaction, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != txFormat {
		return nil, fmt.Errorf("%w: transaction format %d", ErrCorrupt, f)
	}
	t := &Transaction{ID: d.str(), Nonce: d.bytes()}
	creatorHash := d.raw()
	t.Timestamp = time.Unix(0, int64(d.u64())).UTC()
	t.Chaincode = d.str()
	t.Function = d.str()
	t.ArgsDigest = d.bytes()

	rw := &t.RWSet
	n := d.count(2)
	for i := 0; i < n && d.err == nil; i++ {
		r := KVRead{Key: d.str()}
		if d.boolean() {
			r.Version = &Version{BlockNum: d.u64(), TxNum: d.u32()}
		}
		rw.Reads = append(rw.Reads, r)
	}
	n = d.count(4)
	for i := 0; i < n && d.err == nil; i++ {
		rw.RangeQueries = append(rw.RangeQueries, RangeQuery{
			StartKey: d.str(), EndKey: d.str(), Exhausted: d.boolean(), ResultsHash: d.bytes(),
		})
	}
	n = d.count(3)
	for i := 0; i < n && d.err == nil; i++ {
		rw.Writes = append(rw.Writes, KVWrite{Key: d.str(), IsDelete: d.boolean(), Value: d.bytes()})
	}
	n = d.count(2)
	for i := 0; i < n && d.err == nil; i++ {
		rw.MetadataWrites = append(rw.MetadataWrites, MetadataWrite{Key: d.str(), ValidationParameter: d.bytes()})
	}
	if d.boolean() {
		t.Event = &Event{Name: d.str(), Payload: d.bytes()}
	}
	t.ValidationCode = peer.TxValidationCode(d.u32())
	if err := d.finish(); err != nil {
		return nil, err
	}
	if _, known := peer.TxValidationCode_name[int32(t.ValidationCode)]; !known {
		return nil, fmt.Errorf("%w: unknown validation code %d", ErrCorrupt, t.ValidationCode)
	}
	creator, err := identity(creatorHash)
	if err != nil {
		return nil, err
	}
	t.Creator = creator
	return t, nil
}

// encodeBlockRecord stores the header and the node's signature together.
func encodeBlockRecord(h *BlockHeader, sig []byte) []byte {
	var e encoder
	e.u8(blockFormat)
	e.bytes(h.Bytes())
	e.bytes(sig)
	return e.buf
}

func decodeBlockRecord(b []byte) (*BlockHeader, []byte, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != blockFormat {
		return nil, nil, fmt.Errorf("%w: block format %d", ErrCorrupt, f)
	}
	hb := d.raw()
	sig := d.bytes()
	if err := d.finish(); err != nil {
		return nil, nil, err
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	return h, sig, nil
}

// stateEntry is the committed value of a key with its version and validation parameter.
type stateEntry struct {
	Version             Version
	Value               []byte
	ValidationParameter []byte
}

func encodeState(s *stateEntry) []byte {
	var e encoder
	e.buf = make([]byte, 0, 16+len(s.Value)+len(s.ValidationParameter))
	e.u8(stateFormat)
	e.u64(s.Version.BlockNum)
	e.u32(s.Version.TxNum)
	e.bytes(s.Value)
	e.bytes(s.ValidationParameter)
	return e.buf
}

func decodeState(b []byte) (*stateEntry, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != stateFormat {
		return nil, fmt.Errorf("%w: state format %d", ErrCorrupt, f)
	}
	s := &stateEntry{Version: Version{BlockNum: d.u64(), TxNum: d.u32()}, Value: d.bytes(), ValidationParameter: d.bytes()}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeStateVersion reads only the version of a state record (the MVCC check
// needs nothing else).
func decodeStateVersion(b []byte) (Version, error) {
	d := decoder{buf: b}
	if f := d.u8(); d.err == nil && f != stateFormat {
		return Version{}, fmt.Errorf("%w: state format %d", ErrCorrupt, f)
	}
	v := Version{BlockNum: d.u64(), TxNum: d.u32()}
	return v, d.err
}
