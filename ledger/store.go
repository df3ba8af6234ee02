package ledger

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/efa-marktplatz/registry/ledger/internal/codec"
	bolt "go.etcd.io/bbolt"
)

// Store layout (one bbolt file, ledger.db):
//
//	blocks      block number (8 bytes BE)                → block record (header + node signature)
//	config      block number                             → chain configuration (genesis only)
//	txs         block number ‖ tx index (4 bytes BE)      → transaction record
//	txids       transaction id                           → block number ‖ tx index
//	identities  SHA-256 of a serialized identity          → the serialized identity
//	state/<ns>  key                                      → state record (version, value, validation parameter)
//	history/<ns> uvarint(len(key)) ‖ key ‖ block ‖ tx     → what the transaction did to the key (histFlags)
//
// Everything a block changes is written in one bbolt transaction, so a block
// is either wholly on disk or not at all.
var (
	bucketBlocks     = []byte("blocks")
	bucketConfig     = []byte("config")
	bucketTxs        = []byte("txs")
	bucketTxIDs      = []byte("txids")
	bucketIdentities = []byte("identities")
	bucketState      = []byte("state")
	bucketHistory    = []byte("history")
)

var topBuckets = [][]byte{bucketBlocks, bucketConfig, bucketTxs, bucketTxIDs, bucketIdentities, bucketState, bucketHistory}

// History entry flags: what a transaction did to a key.
const (
	histValue    byte = 1 << 0 // wrote a value
	histDelete   byte = 1 << 1 // deleted the key
	histMetadata byte = 1 << 2 // changed the validation parameter
)

func blockKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func txKey(n uint64, i uint32) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(make([]byte, 0, 12), n), i)
}

func splitTxKey(k []byte) (uint64, uint32, error) {
	if len(k) != 12 {
		return 0, 0, fmt.Errorf("%w: transaction position of %d bytes", ErrCorrupt, len(k))
	}
	return binary.BigEndian.Uint64(k), binary.BigEndian.Uint32(k[8:]), nil
}

// histPrefix is the prefix of every history entry of key: the length prefix
// keeps "a" and "ab" apart even though keys may hold any byte.
func histPrefix(key string) []byte {
	p := binary.AppendUvarint(make([]byte, 0, len(key)+14), uint64(len(key)))
	return append(p, key...)
}

func histKey(key string, v Version) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(histPrefix(key), v.BlockNum), v.TxNum)
}

func splitHistKey(k []byte) (string, Version, error) {
	n, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) != n+12 {
		return "", Version{}, fmt.Errorf("%w: history key", ErrCorrupt)
	}
	key := string(k[w : w+int(n)])
	rest := k[w+int(n):]
	return key, Version{BlockNum: binary.BigEndian.Uint64(rest), TxNum: binary.BigEndian.Uint32(rest[8:])}, nil
}

// nsBucket returns the namespace's bucket under parent (state or history), or
// nil when nothing was ever written there.
func nsBucket(tx *bolt.Tx, parent []byte, ns string) *bolt.Bucket {
	p := tx.Bucket(parent)
	if p == nil {
		return nil
	}
	return p.Bucket([]byte(ns))
}

// stateFormat is the format version of state records: their first byte.
const stateFormat = 1

// stateEntry is the committed value of a key with its version and validation parameter.
type stateEntry struct {
	Version             Version
	Value               []byte
	ValidationParameter []byte
}

func encodeState(s *stateEntry) []byte {
	var e codec.Encoder
	e.Grow(16 + len(s.Value) + len(s.ValidationParameter))
	e.U8(stateFormat)
	e.U64(s.Version.BlockNum)
	e.U32(s.Version.TxNum)
	e.Bytes(s.Value)
	e.Bytes(s.ValidationParameter)
	return e.Encoded()
}

func decodeState(b []byte) (*stateEntry, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != stateFormat {
		return nil, fmt.Errorf("%w: state format %d", ErrCorrupt, f)
	}
	s := &stateEntry{Version: Version{BlockNum: d.U64(), TxNum: d.U32()}, Value: d.Bytes(), ValidationParameter: d.Bytes()}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeStateVersion reads only the version of a state record (the MVCC check
// needs nothing else).
func decodeStateVersion(b []byte) (Version, error) {
	d := codec.NewDecoder(b)
	if f := d.U8(); d.Err() == nil && f != stateFormat {
		return Version{}, fmt.Errorf("%w: state format %d", ErrCorrupt, f)
	}
	v := Version{BlockNum: d.U64(), TxNum: d.U32()}
	return v, d.Err()
}

// readState returns the committed entry of a key, or nil.
func readState(tx *bolt.Tx, ns, key string) (*stateEntry, error) {
	b := nsBucket(tx, bucketState, ns)
	if b == nil {
		return nil, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	s, err := decodeState(raw)
	if err != nil {
		return nil, fmt.Errorf("state %s/%q: %w", ns, key, err)
	}
	return s, nil
}

// readIdentity resolves a creator hash inside a store transaction.
func readIdentity(tx *bolt.Tx, hash []byte) ([]byte, error) {
	raw := tx.Bucket(bucketIdentities).Get(hash)
	if raw == nil {
		return nil, fmt.Errorf("%w: unknown creator identity %x", ErrCorrupt, hash)
	}
	return bytes.Clone(raw), nil
}

// readTx returns the decoded transaction at a position.
func readTx(tx *bolt.Tx, n uint64, i uint32) (*Transaction, error) {
	raw := tx.Bucket(bucketTxs).Get(txKey(n, i))
	if raw == nil {
		return nil, fmt.Errorf("%w: block %d has no transaction %d", ErrCorrupt, n, i)
	}
	t, err := block.DecodeTransaction(raw, func(h []byte) ([]byte, error) { return readIdentity(tx, h) })
	if err != nil {
		return nil, fmt.Errorf("block %d transaction %d: %w", n, i, err)
	}
	return t, nil
}

// readBlock returns a whole block, its data decoded.
func readBlock(tx *bolt.Tx, n uint64) (*Block, error) {
	raw := tx.Bucket(bucketBlocks).Get(blockKey(n))
	if raw == nil {
		return nil, fmt.Errorf("%w: block %d", ErrNotFound, n)
	}
	h, sig, err := block.DecodeRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	b := &Block{Header: *h, Signature: sig}
	if n == 0 {
		cfg := tx.Bucket(bucketConfig).Get(blockKey(0))
		if cfg == nil {
			return nil, fmt.Errorf("%w: genesis block has no configuration", ErrCorrupt)
		}
		if b.Config, err = block.DecodeConfig(cfg); err != nil {
			return nil, fmt.Errorf("block 0 configuration: %w", err)
		}
		return b, nil
	}
	b.Transactions = make([]*Transaction, 0, h.TxCount)
	for i := uint32(0); i < h.TxCount; i++ {
		t, err := readTx(tx, n, i)
		if err != nil {
			return nil, err
		}
		b.Transactions = append(b.Transactions, t)
	}
	return b, nil
}
