package ledger

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// RawBlock is a block exactly as stored, for proofs that leave the ledger:
// the header and the node's signature over it, and — for whole blocks — the
// records its data hash covers (the genesis configuration, or each
// transaction record) with the creator identities the records name by
// SHA-256. A header alone (no Data) still links the chain.
type RawBlock struct {
	Header    []byte   `json:"header"`
	Signature []byte   `json:"signature"`
	Data      [][]byte `json:"data,omitempty"`
	Creators  [][]byte `json:"creators,omitempty"`
}

// Proof returns the evidence of the transactions: the genesis block, which
// names the node's certificate, and the blocks from the first one holding one
// of the transactions — or from block from, if that is earlier — to the last
// one: whole where they hold one, headers only in between, so the hash chain
// runs unbroken through them.
func (l *Ledger) Proof(txIDs []string, from uint64) ([]RawBlock, error) {
	var out []RawBlock
	err := l.view(func(tx *bolt.Tx) error {
		whole := map[uint64]bool{0: true}
		first, last := from, uint64(0)
		for _, id := range txIDs {
			pos := tx.Bucket(bucketTxIDs).Get([]byte(id))
			if pos == nil {
				return fmt.Errorf("transaction %s: %w", id, ErrNotFound)
			}
			n, _, err := splitTxKey(pos)
			if err != nil {
				return err
			}
			whole[n] = true
			first, last = min(first, n), max(last, n)
		}
		if first == 0 {
			first = 1
		}
		genesis, err := rawBlock(tx, 0, true)
		if err != nil {
			return err
		}
		out = append(make([]RawBlock, 0, last-first+2), *genesis)
		for n := first; n <= last; n++ {
			rb, err := rawBlock(tx, n, whole[n])
			if err != nil {
				return err
			}
			out = append(out, *rb)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: proof: %w", closedErr(err))
	}
	return out, nil
}

func rawBlock(tx *bolt.Tx, n uint64, whole bool) (*RawBlock, error) {
	raw := tx.Bucket(bucketBlocks).Get(blockKey(n))
	if raw == nil {
		return nil, fmt.Errorf("%w: block %d", ErrNotFound, n)
	}
	h, sig, err := decodeBlockRecord(raw)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	rb := &RawBlock{Header: h.Bytes(), Signature: bytes.Clone(sig)}
	if !whole {
		return rb, nil
	}
	if n == 0 {
		cfg := tx.Bucket(bucketConfig).Get(blockKey(0))
		if cfg == nil {
			return nil, fmt.Errorf("%w: genesis block has no configuration", ErrCorrupt)
		}
		rb.Data = [][]byte{bytes.Clone(cfg)}
		return rb, nil
	}
	seen := map[string]bool{}
	for i := uint32(0); i < h.TxCount; i++ {
		rec := tx.Bucket(bucketTxs).Get(txKey(n, i))
		if rec == nil {
			return nil, fmt.Errorf("%w: block %d has no transaction %d", ErrCorrupt, n, i)
		}
		rb.Data = append(rb.Data, bytes.Clone(rec))
		if _, err := decodeTx(rec, func(hash []byte) ([]byte, error) {
			id, err := readIdentity(tx, hash)
			if err == nil && !seen[string(hash)] {
				seen[string(hash)] = true
				rb.Creators = append(rb.Creators, id)
			}
			return id, err
		}); err != nil {
			return nil, fmt.Errorf("block %d transaction %d: %w", n, i, err)
		}
	}
	return rb, nil
}

// ErrBadBlock says a raw block does not hold together.
var ErrBadBlock = errors.New("ledger: bad block")

// DecodeRawBlock decodes a raw block without the store. For a whole block it
// checks the data hash against the records and that every transaction id
// derives from its nonce and creator. It does not check the node's
// signature: VerifyHeaderSignature does, against a certificate the caller
// trusts.
func DecodeRawBlock(r *RawBlock) (*Block, error) {
	h, err := decodeHeader(r.Header)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrBadBlock, err)
	}
	b := &Block{Header: *h, Signature: r.Signature}
	if len(r.Data) == 0 {
		return b, nil
	}
	data := newDataHasher()
	for _, d := range r.Data {
		data.add(d)
	}
	if !bytes.Equal(data.sum(), h.DataHash) {
		return nil, fmt.Errorf("%w: block %d: data hash does not match its records", ErrBadBlock, h.Number)
	}
	if h.Number == 0 {
		if len(r.Data) != 1 {
			return nil, fmt.Errorf("%w: genesis block with %d records", ErrBadBlock, len(r.Data))
		}
		if b.Config, err = decodeConfig(r.Data[0]); err != nil {
			return nil, fmt.Errorf("%w: genesis configuration: %w", ErrBadBlock, err)
		}
		return b, nil
	}
	if uint32(len(r.Data)) != h.TxCount {
		return nil, fmt.Errorf("%w: block %d: %d records, header says %d", ErrBadBlock, h.Number, len(r.Data), h.TxCount)
	}
	creator := func(hash []byte) ([]byte, error) {
		i := slices.IndexFunc(r.Creators, func(c []byte) bool {
			sum := sha256.Sum256(c)
			return bytes.Equal(sum[:], hash)
		})
		if i < 0 {
			return nil, fmt.Errorf("creator %x is not in the block's identities", hash)
		}
		return r.Creators[i], nil
	}
	for i, rec := range r.Data {
		t, err := decodeTx(rec, creator)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d transaction %d: %w", ErrBadBlock, h.Number, i, err)
		}
		if computeTxID(t.Nonce, t.Creator) != t.ID {
			return nil, fmt.Errorf("%w: block %d transaction %d: id %s is not derived from its nonce and creator", ErrBadBlock, h.Number, i, t.ID)
		}
		b.Transactions = append(b.Transactions, t)
	}
	return b, nil
}
