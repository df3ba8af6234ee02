package ledger

import (
	"bytes"
	"fmt"

	"github.com/efa-marktplatz/registry/ledger/block"
	bolt "go.etcd.io/bbolt"
)

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
	h, sig, err := block.DecodeRecord(raw)
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
		if _, err := block.DecodeTransaction(rec, func(hash []byte) ([]byte, error) {
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
