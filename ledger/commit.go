package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"time"

	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
)

// order is the ordering service: it cuts queued transactions into blocks and
// commits them, one block at a time. A block is cut when it holds
// MaxBlockTxs transactions, when BatchTimeout has passed since its first
// transaction, or at once when no other proposal is being simulated, so a lone
// submitter is never kept waiting while concurrent submitters share blocks
// (group commit: one fsync for many transactions).
func (l *Ledger) order() {
	defer close(l.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first *pendingTx
		select {
		case first = <-l.queue:
		case <-l.closing:
			l.drain()
			return
		}
		batch := append(make([]*pendingTx, 0, 64), first)
		timer.Reset(l.opts.BatchTimeout)
	collect:
		for len(batch) < l.opts.MaxBlockTxs {
			select {
			case p := <-l.queue:
				batch = append(batch, p)
				continue
			default:
			}
			if l.inflight.Load() == 0 {
				break
			}
			select {
			case p := <-l.queue:
				batch = append(batch, p)
			case <-timer.C:
				break collect
			case <-l.closing:
				break collect
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		l.commit(batch)
	}
}

// drain commits what was queued before Close.
func (l *Ledger) drain() {
	for {
		var batch []*pendingTx
	fill:
		for len(batch) < l.opts.MaxBlockTxs {
			select {
			case p := <-l.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		l.commit(batch)
	}
}

// commit validates the batch in order, applies the valid transactions and
// writes the signed block, all in one store transaction, then answers the
// submitters and wakes the event listeners.
//
// A failed store commit stops the ledger (fail-stop): after a failed fsync the
// store may hold the block although the commit reported an error, so the
// in-memory head can no longer be trusted. Every later submit gets the error;
// reopening the ledger reads the head from the store again.
func (l *Ledger) commit(batch []*pendingTx) {
	if err := l.failed(); err != nil {
		for _, p := range batch {
			p.result <- commitResult{err: err}
		}
		return
	}
	l.mu.Lock()
	num, prev := l.height, l.lastHash
	l.mu.Unlock()

	var header *BlockHeader
	var storeSize int64
	err := l.db.Update(func(tx *bolt.Tx) error {
		c := newCommitter(tx, num)
		data := block.NewDataHasher()
		for i, p := range batch {
			rec, err := c.add(uint32(i), p.tx)
			if err != nil {
				return err
			}
			data.Add(rec)
		}
		header = &BlockHeader{
			Number:       num,
			PreviousHash: prev,
			DataHash:     data.Sum(),
			Timestamp:    time.Now().UTC(),
			TxCount:      uint32(len(batch)),
		}
		sig, err := l.sign(header)
		if err != nil {
			return err
		}
		storeSize = tx.Size()
		return tx.Bucket(bucketBlocks).Put(blockKey(num), block.EncodeRecord(header, sig))
	})
	if err != nil {
		err = fmt.Errorf("%w: commit of block %d failed: %w", ErrFailed, num, err)
		l.fail(err)
		slog.Error("ledger: stopped committing", "block", num, "err", err)
		for _, p := range batch {
			p.result <- commitResult{err: err}
		}
		return
	}
	l.mu.Lock()
	l.height = num + 1
	l.lastHash = header.Hash()
	close(l.newBlock)
	l.newBlock = make(chan struct{})
	l.mu.Unlock()
	for i, p := range batch {
		p.result <- commitResult{block: num, index: uint32(i), code: p.tx.ValidationCode}
	}
	// Only the committer writes, so no remap can run concurrently here.
	l.releaseIfDue(storeSize)
}

// releaseIfDue releases the store's mapped pages (releaseMapped) if the last
// release is at least releaseInterval ago. Readers call it inside their read
// transaction and the committer between commits, so that reads of a large
// ledger do not leave it resident in the process either; only one of them
// releases per interval.
func (l *Ledger) releaseIfDue(storeSize int64) {
	now := time.Now().UnixNano()
	last := l.lastRelease.Load()
	if now-last < int64(releaseInterval) || !l.lastRelease.CompareAndSwap(last, now) {
		return
	}
	if err := releaseMapped(l.db, storeSize); err != nil {
		slog.Warn("ledger: could not release mapped store pages", "err", err)
	}
}

// view runs fn in a read transaction of the store and releases the mapped
// pages when due before the transaction ends.
func (l *Ledger) view(fn func(*bolt.Tx) error) error {
	return l.db.View(func(tx *bolt.Tx) error {
		err := fn(tx)
		l.releaseIfDue(tx.Size())
		return err
	})
}

// releaseInterval is the least time between two releases of the store's
// mapped pages by the committer. The kernel maps up to 16 neighbouring cached
// pages on every page fault (fault-around), so the random reads of a busy
// committer map pages into the process fast; releasing every 100ms keeps
// that bounded by the commit rate, not the size of the ledger.
const releaseInterval = 100 * time.Millisecond

// committer validates and applies one block's transactions inside the
// block's store transaction. Each valid transaction is applied before the
// next is validated, so a later transaction sees the earlier ones' writes, as
// Fabric's validator does with its in-block updates.
type committer struct {
	tx      *bolt.Tx
	num     uint64
	txs     *bolt.Bucket
	txids   *bolt.Bucket
	ids     *bolt.Bucket
	state   *bolt.Bucket
	history *bolt.Bucket
}

func newCommitter(tx *bolt.Tx, num uint64) *committer {
	blocks, txs := tx.Bucket(bucketBlocks), tx.Bucket(bucketTxs)
	// Blocks and transactions are appended in key order: fill their pages
	// (bbolt splits them half full by default, which suits random inserts).
	blocks.FillPercent, txs.FillPercent = 1.0, 1.0
	return &committer{
		tx:      tx,
		num:     num,
		txs:     txs,
		txids:   tx.Bucket(bucketTxIDs),
		ids:     tx.Bucket(bucketIdentities),
		state:   tx.Bucket(bucketState),
		history: tx.Bucket(bucketHistory),
	}
}

// add validates t, applies it if valid, and stores its record, which it
// returns for the block's data hash.
func (c *committer) add(i uint32, t *Transaction) ([]byte, error) {
	code, err := c.validate(t)
	if err != nil {
		return nil, err
	}
	t.ValidationCode = code
	if code == peer.TxValidationCode_VALID {
		if err := c.apply(Version{BlockNum: c.num, TxNum: i}, t); err != nil {
			return nil, err
		}
	}
	if code != peer.TxValidationCode_DUPLICATE_TXID {
		if err := c.txids.Put([]byte(t.ID), txKey(c.num, i)); err != nil {
			return nil, err
		}
	}
	creator := sha256.Sum256(t.Creator)
	if c.ids.Get(creator[:]) == nil {
		if err := c.ids.Put(creator[:], t.Creator); err != nil {
			return nil, err
		}
	}
	rec := block.EncodeTransaction(t)
	if err := c.txs.Put(txKey(c.num, i), rec); err != nil {
		return nil, err
	}
	return rec, nil
}

func (c *committer) validate(t *Transaction) (peer.TxValidationCode, error) {
	if c.txids.Get([]byte(t.ID)) != nil {
		return peer.TxValidationCode_DUPLICATE_TXID, nil
	}
	state := c.state.Bucket([]byte(t.Chaincode))
	for _, r := range t.RWSet.Reads {
		var raw []byte
		if state != nil {
			raw = state.Get([]byte(r.Key))
		}
		switch {
		case raw == nil && r.Version == nil:
			continue
		case raw == nil || r.Version == nil:
			return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
		}
		v, err := decodeStateVersion(raw)
		if err != nil {
			return 0, fmt.Errorf("state %s/%q: %w", t.Chaincode, r.Key, err)
		}
		if v != *r.Version {
			return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
		}
	}
	for _, q := range t.RWSet.RangeQueries {
		same, err := rangeUnchanged(state, q)
		if err != nil {
			return 0, fmt.Errorf("range %s/[%q, %q]: %w", t.Chaincode, q.StartKey, q.EndKey, err)
		}
		if !same {
			return peer.TxValidationCode_PHANTOM_READ_CONFLICT, nil
		}
	}
	return peer.TxValidationCode_VALID, nil
}

// rangeUnchanged re-runs a recorded range query against current state and
// compares the keys and versions it returns.
func rangeUnchanged(state *bolt.Bucket, q RangeQuery) (bool, error) {
	h := newRangeHash()
	if state != nil {
		cur := state.Cursor()
		for k, v := cur.Seek([]byte(q.StartKey)); k != nil && covers(&q, k); k, v = cur.Next() {
			ver, err := decodeStateVersion(v)
			if err != nil {
				return false, err
			}
			h.add(string(k), ver)
		}
	}
	return bytes.Equal(h.sum(), q.ResultsHash), nil
}

// covers reports whether a key at or after the query's StartKey lies in the
// range its results were taken from.
func covers(q *RangeQuery, key []byte) bool {
	if q.Exhausted {
		return q.EndKey == "" || string(key) < q.EndKey
	}
	return string(key) <= q.EndKey
}

// apply writes a valid transaction's effects on state and history. As in
// Fabric, a written value keeps the key's validation parameter, a delete drops
// both, and a validation parameter set on a key that does not exist is ignored.
func (c *committer) apply(ver Version, t *Transaction) error {
	ns := []byte(t.Chaincode)
	rw := &t.RWSet
	if len(rw.Writes) == 0 && len(rw.MetadataWrites) == 0 {
		return nil
	}
	state, err := c.state.CreateBucketIfNotExists(ns)
	if err != nil {
		return err
	}
	hist, err := c.history.CreateBucketIfNotExists(ns)
	if err != nil {
		return err
	}
	meta := make(map[string][]byte, len(rw.MetadataWrites))
	for _, m := range rw.MetadataWrites {
		meta[m.Key] = m.ValidationParameter
	}
	written := make(map[string]bool, len(rw.Writes))
	for _, w := range rw.Writes {
		written[w.Key] = true
		key := []byte(w.Key)
		if w.IsDelete {
			if err := state.Delete(key); err != nil {
				return err
			}
			if err := hist.Put(histKey(w.Key, ver), []byte{histDelete}); err != nil {
				return err
			}
			continue
		}
		e := &stateEntry{Version: ver, Value: w.Value}
		flags := histValue
		if vp, ok := meta[w.Key]; ok {
			e.ValidationParameter = vp
			flags |= histMetadata
		} else if raw := state.Get(key); raw != nil {
			old, err := decodeState(raw)
			if err != nil {
				return fmt.Errorf("state %s/%q: %w", t.Chaincode, w.Key, err)
			}
			e.ValidationParameter = old.ValidationParameter
		}
		if err := state.Put(key, encodeState(e)); err != nil {
			return err
		}
		if err := hist.Put(histKey(w.Key, ver), []byte{flags}); err != nil {
			return err
		}
	}
	for _, m := range rw.MetadataWrites {
		if written[m.Key] {
			continue // handled with the value (or dropped with the delete)
		}
		raw := state.Get([]byte(m.Key))
		if raw == nil {
			continue
		}
		old, err := decodeState(raw)
		if err != nil {
			return fmt.Errorf("state %s/%q: %w", t.Chaincode, m.Key, err)
		}
		e := &stateEntry{Version: ver, Value: old.Value, ValidationParameter: m.ValidationParameter}
		if err := state.Put([]byte(m.Key), encodeState(e)); err != nil {
			return err
		}
		if err := hist.Put(histKey(m.Key, ver), []byte{histMetadata}); err != nil {
			return err
		}
	}
	return nil
}
