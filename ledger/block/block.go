package block

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"time"

	"github.com/efa-marktplatz/registry/ledger/internal/codec"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

// Record format versions: the first byte of every record of this package.
const (
	headerFormat = 1
	blockFormat  = 1
	txFormat     = 1
	configFormat = 1
)

// ErrCorrupt marks a record that cannot be decoded; the decoders wrap it
// with what failed.
var ErrCorrupt = codec.ErrCorrupt

// Version is the height at which a key was last written: the block number and
// the transaction's index in that block, as in Fabric.
type Version struct {
	BlockNum uint64
	TxNum    uint32
}

// Header is what the node signs and what the next block links to.
type Header struct {
	Number       uint64
	PreviousHash []byte // hash of the previous block's header; nil for the genesis block
	DataHash     []byte // hash over the block's data: the config (genesis) or the transactions
	Timestamp    time.Time
	TxCount      uint32
}

// Bytes is the canonical encoding of the header: the input of Hash and of the
// node's signature.
func (h *Header) Bytes() []byte {
	var e codec.Encoder
	e.U8(headerFormat)
	e.U64(h.Number)
	e.Bytes(h.PreviousHash)
	e.Bytes(h.DataHash)
	e.U64(uint64(h.Timestamp.UnixNano()))
	e.U32(h.TxCount)
	return e.Encoded()
}

// Hash is the SHA-256 of the header's canonical encoding.
func (h *Header) Hash() []byte {
	sum := sha256.Sum256(h.Bytes())
	return sum[:]
}

// DecodeHeader decodes what Header.Bytes encoded.
func DecodeHeader(b []byte) (*Header, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != headerFormat {
		return nil, fmt.Errorf("%w: header format %d", ErrCorrupt, f)
	}
	h := &Header{
		Number:       d.U64(),
		PreviousHash: d.Bytes(),
		DataHash:     d.Bytes(),
		Timestamp:    time.Unix(0, int64(d.U64())).UTC(),
		TxCount:      d.U32(),
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return h, nil
}

// Block is one block of the chain: a signed header and its data. The genesis
// block (number 0) carries the chain's configuration and no transactions.
type Block struct {
	Header       Header
	Signature    []byte // ASN.1 ECDSA P-256 signature of the node over SHA-256(Header.Bytes())
	Config       *ChainConfig
	Transactions []*Transaction
}

// Checkpoint is a position in the chain's event stream: the next block to
// read and, within it, the first transaction not yet processed. A listener
// persists the checkpoint of the last event it handled and resumes from it
// after a restart, so that it sees every event exactly once.
type Checkpoint struct {
	BlockNumber uint64 `json:"blockNumber"`
	TxIndex     uint32 `json:"txIndex"`
}

// Checkpoint returns the position after this block, for block listeners.
func (b *Block) Checkpoint() Checkpoint {
	return Checkpoint{BlockNumber: b.Header.Number + 1}
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

// Bytes is the encoded configuration: the genesis block's only data record.
func (c *ChainConfig) Bytes() []byte {
	var e codec.Encoder
	e.U8(configFormat)
	e.Str(c.ChannelID)
	e.Bytes(c.NodeCertificate)
	e.U32(uint32(len(c.CACertificates)))
	for _, ca := range c.CACertificates {
		e.Bytes(ca)
	}
	return e.Encoded()
}

// DecodeConfig decodes what ChainConfig.Bytes encoded.
func DecodeConfig(b []byte) (*ChainConfig, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != configFormat {
		return nil, fmt.Errorf("%w: config format %d", ErrCorrupt, f)
	}
	c := &ChainConfig{ChannelID: d.Str(), NodeCertificate: d.Bytes()}
	n := d.Count(1)
	for i := 0; i < n && d.Err() == nil; i++ {
		c.CACertificates = append(c.CACertificates, d.Bytes())
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// DataHasher computes a block's data hash: SHA-256 over the concatenated
// SHA-256 of every data item (the encoded configuration of the genesis block,
// or each encoded transaction record).
type DataHasher struct{ h hash.Hash }

// NewDataHasher returns a hasher with no items.
func NewDataHasher() DataHasher { return DataHasher{h: sha256.New()} }

// Add adds the next data item.
func (d DataHasher) Add(item []byte) {
	sum := sha256.Sum256(item)
	d.h.Write(sum[:])
}

// Sum returns the data hash of the items added so far.
func (d DataHasher) Sum() []byte { return d.h.Sum(nil) }

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
func (t *Transaction) StoredSize() int { return len(EncodeTransaction(t)) }

// EncodeTransaction writes a transaction record. The creator is stored by its
// SHA-256; the ledger keeps the identity itself once, apart from the records.
func EncodeTransaction(t *Transaction) []byte {
	var e codec.Encoder
	e.Grow(256)
	e.U8(txFormat)
	e.Str(t.ID)
	e.Bytes(t.Nonce)
	creator := sha256.Sum256(t.Creator)
	e.Bytes(creator[:])
	e.U64(uint64(t.Timestamp.UnixNano()))
	e.Str(t.Chaincode)
	e.Str(t.Function)
	e.Bytes(t.ArgsDigest)

	rw := &t.RWSet
	e.U32(uint32(len(rw.Reads)))
	for _, r := range rw.Reads {
		e.Str(r.Key)
		e.Bool(r.Version != nil)
		if r.Version != nil {
			e.U64(r.Version.BlockNum)
			e.U32(r.Version.TxNum)
		}
	}
	e.U32(uint32(len(rw.RangeQueries)))
	for _, q := range rw.RangeQueries {
		e.Str(q.StartKey)
		e.Str(q.EndKey)
		e.Bool(q.Exhausted)
		e.Bytes(q.ResultsHash)
	}
	e.U32(uint32(len(rw.Writes)))
	for _, w := range rw.Writes {
		e.Str(w.Key)
		e.Bool(w.IsDelete)
		e.Bytes(w.Value)
	}
	e.U32(uint32(len(rw.MetadataWrites)))
	for _, m := range rw.MetadataWrites {
		e.Str(m.Key)
		e.Bytes(m.ValidationParameter)
	}
	e.Bool(t.Event != nil)
	if t.Event != nil {
		e.Str(t.Event.Name)
		e.Bytes(t.Event.Payload)
	}
	e.U32(uint32(t.ValidationCode))
	return e.Encoded()
}

// DecodeTransaction reads a transaction record; identity resolves the
// creator's hash to the serialized identity.
func DecodeTransaction(b []byte, identity func(hash []byte) ([]byte, error)) (*Transaction, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != txFormat {
		return nil, fmt.Errorf("%w: transaction format %d", ErrCorrupt, f)
	}
	t := &Transaction{ID: d.Str(), Nonce: d.Bytes()}
	creatorHash := d.Raw()
	t.Timestamp = time.Unix(0, int64(d.U64())).UTC()
	t.Chaincode = d.Str()
	t.Function = d.Str()
	t.ArgsDigest = d.Bytes()

	rw := &t.RWSet
	n := d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		r := KVRead{Key: d.Str()}
		if d.Bool() {
			r.Version = &Version{BlockNum: d.U64(), TxNum: d.U32()}
		}
		rw.Reads = append(rw.Reads, r)
	}
	n = d.Count(4)
	for i := 0; i < n && d.Err() == nil; i++ {
		rw.RangeQueries = append(rw.RangeQueries, RangeQuery{
			StartKey: d.Str(), EndKey: d.Str(), Exhausted: d.Bool(), ResultsHash: d.Bytes(),
		})
	}
	n = d.Count(3)
	for i := 0; i < n && d.Err() == nil; i++ {
		rw.Writes = append(rw.Writes, KVWrite{Key: d.Str(), IsDelete: d.Bool(), Value: d.Bytes()})
	}
	n = d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		rw.MetadataWrites = append(rw.MetadataWrites, MetadataWrite{Key: d.Str(), ValidationParameter: d.Bytes()})
	}
	if d.Bool() {
		t.Event = &Event{Name: d.Str(), Payload: d.Bytes()}
	}
	t.ValidationCode = peer.TxValidationCode(d.U32())
	if err := d.Finish(); err != nil {
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

// TxID derives a transaction id as Fabric does: hex(SHA-256(nonce ‖ creator)).
func TxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// EncodeRecord writes a block record: the header and the node's signature
// over it, stored together.
func EncodeRecord(h *Header, sig []byte) []byte {
	var e codec.Encoder
	e.U8(blockFormat)
	e.Bytes(h.Bytes())
	e.Bytes(sig)
	return e.Encoded()
}

// DecodeRecord reads a block record: the header and the node's signature.
func DecodeRecord(b []byte) (*Header, []byte, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != blockFormat {
		return nil, nil, fmt.Errorf("%w: block format %d", ErrCorrupt, f)
	}
	hb := d.Raw()
	sig := d.Bytes()
	if err := d.Finish(); err != nil {
		return nil, nil, err
	}
	h, err := DecodeHeader(hb)
	if err != nil {
		return nil, nil, err
	}
	return h, sig, nil
}
