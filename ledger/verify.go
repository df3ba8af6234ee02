package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"

	"github.com/efa-marktplatz/registry/ledger/block"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	bolt "go.etcd.io/bbolt"
)

// Verify walks the whole store from the genesis block and checks that it is
// one intact chain and that state agrees with it:
//
//   - every block: stored under its own number, linked to the previous
//     header's hash, signed by the node certificate of the genesis block
//     (itself issued by a CA the genesis block names), its data hash equal to
//     the hash of its transaction records, and no record beyond them;
//   - every transaction: its id derived from its nonce and creator (as Fabric
//     derives it), its creator stored under the identity's hash, its id
//     indexed at its position, each write of a valid transaction in the
//     key's history;
//   - every history entry: a write the named valid transaction made;
//   - every state entry: exactly the value, version and validation parameter
//     that replaying the key's history yields, and no state without history.
//
// It returns nil or a *VerifyError naming the first block, transaction or
// state entry that does not match. It reads one consistent snapshot; commits
// proceed meanwhile.
func (l *Ledger) Verify(ctx context.Context) error {
	return l.db.View(func(tx *bolt.Tx) error {
		v := &verifier{ctx: ctx, tx: tx, db: l.db, txCache: map[Version]*Transaction{}}
		defer v.release()
		return v.run()
	})
}

type verifier struct {
	ctx      context.Context
	tx       *bolt.Tx
	db       *bolt.DB
	steps    int
	txCache  map[Version]*Transaction
	node     *x509.Certificate
	txCount  int
	indexed  int
	lastHash []byte
}

// readTx decodes a transaction, keeping recent ones: the history replay
// visits a transaction once for every key it wrote.
func (v *verifier) readTx(ver Version) (*Transaction, error) {
	if t, ok := v.txCache[ver]; ok {
		return t, nil
	}
	t, err := readTx(v.tx, ver.BlockNum, ver.TxNum)
	if err != nil {
		return nil, err
	}
	if len(v.txCache) >= 4096 {
		clear(v.txCache)
	}
	v.txCache[ver] = t
	return t, nil
}

// count returns the number of keys of a top-level bucket.
func (v *verifier) count(bucket []byte) int {
	n := 0
	c := v.tx.Bucket(bucket).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		v.step()
		n++
	}
	return n
}

// step counts walked records and releases the mapped pages every 16384 of them.
func (v *verifier) step() {
	if v.steps++; v.steps%16384 == 0 {
		v.release()
	}
}

// release hands the pages the walk mapped back to the page cache, so that
// verifying a large ledger does not grow the process (safe: Verify holds a
// read transaction, which keeps bbolt from remapping).
func (v *verifier) release() {
	if err := releaseMapped(v.db, v.tx.Size()); err != nil {
		slog.Warn("ledger: could not release mapped store pages", "err", err)
	}
}

func blockErr(n uint64, tx int, err error, format string, args ...any) *VerifyError {
	return &VerifyError{Block: n, Tx: tx, Reason: fmt.Sprintf(format, args...), Err: err}
}

func stateErr(ns, key string, err error, format string, args ...any) *VerifyError {
	return &VerifyError{Tx: -1, Namespace: ns, Key: key, Reason: fmt.Sprintf(format, args...), Err: err}
}

func (v *verifier) run() error {
	if err := v.genesis(); err != nil {
		return err
	}
	blocks := v.tx.Bucket(bucketBlocks).Cursor()
	n := uint64(1)
	for k, raw := blocks.Seek(blockKey(1)); k != nil; k, raw = blocks.Next() {
		if err := v.ctx.Err(); err != nil {
			return err
		}
		if !bytes.Equal(k, blockKey(n)) {
			return blockErr(n, -1, nil, "missing: the next stored block is under key %x", k)
		}
		if err := v.block(n, raw); err != nil {
			return err
		}
		v.step()
		n++
	}
	if got := v.count(bucketTxs); got != v.txCount {
		return blockErr(n-1, -1, nil, "the store holds %d transaction records, the blocks account for %d", got, v.txCount)
	}
	if got := v.count(bucketTxIDs); got != v.indexed {
		return blockErr(n-1, -1, nil, "the transaction-id index holds %d entries, the blocks account for %d", got, v.indexed)
	}
	if err := v.identities(); err != nil {
		return err
	}
	if err := v.history(); err != nil {
		return err
	}
	return v.state()
}

func (v *verifier) genesis() error {
	raw := v.tx.Bucket(bucketBlocks).Get(blockKey(0))
	if raw == nil {
		return blockErr(0, -1, nil, "missing")
	}
	h, sig, err := block.DecodeRecord(raw)
	if err != nil {
		return blockErr(0, -1, err, "undecodable: %v", err)
	}
	cfgRaw := v.tx.Bucket(bucketConfig).Get(blockKey(0))
	if cfgRaw == nil {
		return blockErr(0, -1, nil, "the configuration is missing")
	}
	if c := v.tx.Bucket(bucketConfig).Stats().KeyN; c != 1 {
		return blockErr(0, -1, nil, "%d configuration records, want 1", c)
	}
	cfg, err := block.DecodeConfig(cfgRaw)
	if err != nil {
		return blockErr(0, -1, err, "configuration undecodable: %v", err)
	}
	switch {
	case h.Number != 0 || len(h.PreviousHash) != 0 || h.TxCount != 0:
		return blockErr(0, -1, nil, "header is not a genesis header")
	case !bytes.Equal(h.DataHash, genesisDataHash(cfgRaw)):
		return blockErr(0, -1, nil, "data hash does not match the configuration")
	}
	certBlock, _ := pem.Decode(cfg.NodeCertificate)
	if certBlock == nil {
		return blockErr(0, -1, nil, "node certificate is not PEM")
	}
	node, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		return blockErr(0, -1, err, "node certificate: %v", err)
	}
	issued := false
	for _, caPEM := range cfg.CACertificates {
		b, _ := pem.Decode(caPEM)
		if b == nil {
			continue
		}
		ca, err := x509.ParseCertificate(b.Bytes)
		if err == nil && node.CheckSignatureFrom(ca) == nil {
			issued = true
			break
		}
	}
	if !issued {
		return blockErr(0, -1, nil, "node certificate was issued by none of the configured CAs")
	}
	if err := block.VerifySignature(h, sig, node); err != nil {
		return blockErr(0, -1, err, "%v", err)
	}
	v.node = node
	v.lastHash = h.Hash()
	return nil
}

func (v *verifier) block(n uint64, raw []byte) error {
	h, sig, err := block.DecodeRecord(raw)
	if err != nil {
		return blockErr(n, -1, err, "undecodable: %v", err)
	}
	if h.Number != n {
		return blockErr(n, -1, nil, "header says block %d", h.Number)
	}
	if !bytes.Equal(h.PreviousHash, v.lastHash) {
		return blockErr(n, -1, nil, "previous hash %x does not match block %d's header hash %x", h.PreviousHash, n-1, v.lastHash)
	}
	if err := block.VerifySignature(h, sig, v.node); err != nil {
		return blockErr(n, -1, err, "%v", err)
	}
	txs := v.tx.Bucket(bucketTxs)
	data := block.NewDataHasher()
	for i := uint32(0); i < h.TxCount; i++ {
		rec := txs.Get(txKey(n, i))
		if rec == nil {
			return blockErr(n, int(i), nil, "record missing")
		}
		v.step()
		data.Add(rec)
		if err := v.transaction(n, i, rec); err != nil {
			return err
		}
	}
	if !bytes.Equal(data.Sum(), h.DataHash) {
		return blockErr(n, -1, nil, "data hash does not match the transaction records")
	}
	v.txCount += int(h.TxCount)
	v.lastHash = h.Hash()
	return nil
}

func (v *verifier) transaction(n uint64, i uint32, rec []byte) error {
	t, err := block.DecodeTransaction(rec, func(h []byte) ([]byte, error) { return readIdentity(v.tx, h) })
	if err != nil {
		return blockErr(n, int(i), err, "undecodable: %v", err)
	}
	if block.TxID(t.Nonce, t.Creator) != t.ID {
		return blockErr(n, int(i), nil, "transaction id %s is not derived from its nonce and creator", t.ID)
	}
	if t.ValidationCode != peer.TxValidationCode_DUPLICATE_TXID {
		pos := v.tx.Bucket(bucketTxIDs).Get([]byte(t.ID))
		if !bytes.Equal(pos, txKey(n, i)) {
			return blockErr(n, int(i), nil, "transaction id %s is not indexed at its position", t.ID)
		}
		v.indexed++
	}
	if !t.Valid() {
		return nil
	}
	hist := nsBucket(v.tx, bucketHistory, t.Chaincode)
	ver := Version{BlockNum: n, TxNum: i}
	for _, w := range t.RWSet.Writes {
		var flags []byte
		if hist != nil {
			flags = hist.Get(histKey(w.Key, ver))
		}
		want := histValue
		if w.IsDelete {
			want = histDelete
		}
		if len(flags) != 1 || flags[0]&want == 0 {
			return blockErr(n, int(i), nil, "the write of %q is missing from the key's history", w.Key)
		}
	}
	// A policy change without a value write is in the history exactly when
	// the key existed then (Fabric ignores it on an absent key).
	for _, m := range t.RWSet.MetadataWrites {
		if _, wrote := writeOf(t, m.Key); wrote {
			continue // recorded with the value write, checked by the history replay
		}
		var flags []byte
		existed := false
		if hist != nil {
			flags = hist.Get(histKey(m.Key, ver))
			existed = existedBefore(hist, m.Key, ver)
		}
		recorded := len(flags) == 1 && flags[0] == histMetadata
		if recorded != existed {
			return blockErr(n, int(i), nil, "the policy change of %q does not match the key's history", m.Key)
		}
	}
	return nil
}

// existedBefore reports whether the key's last change before ver left it in state.
func existedBefore(hist *bolt.Bucket, key string, ver Version) bool {
	c := hist.Cursor()
	var k, flags []byte
	if at, _ := c.Seek(histKey(key, ver)); at == nil {
		k, flags = c.Last()
	} else {
		k, flags = c.Prev()
	}
	prefix := histPrefix(key)
	if k == nil || len(k) != len(prefix)+12 || !bytes.HasPrefix(k, prefix) {
		return false
	}
	return len(flags) == 1 && flags[0] != histDelete
}

func (v *verifier) identities() error {
	return v.tx.Bucket(bucketIdentities).ForEach(func(k, val []byte) error {
		sum := sha256.Sum256(val)
		if !bytes.Equal(k, sum[:]) {
			return &VerifyError{Tx: -1, Item: fmt.Sprintf("identity %x", k), Reason: "does not match its hash"}
		}
		return nil
	})
}

// expected is the state of one key that replaying its history yields.
type expected struct {
	exists  bool
	version Version
	value   []byte
	vp      []byte
}

// history replays every key's history and compares the result with state.
func (v *verifier) history() error {
	return v.tx.Bucket(bucketHistory).ForEachBucket(func(nsName []byte) error {
		ns := string(nsName)
		hist := v.tx.Bucket(bucketHistory).Bucket(nsName)
		var (
			cur     string
			started bool
			exp     expected
		)
		finish := func() error {
			if !started {
				return nil
			}
			return v.compareState(ns, cur, exp)
		}
		c := hist.Cursor()
		for k, flags := c.First(); k != nil; k, flags = c.Next() {
			if err := v.ctx.Err(); err != nil {
				return err
			}
			v.step()
			key, ver, err := splitHistKey(k)
			if err != nil {
				return stateErr(ns, string(k), err, "history entry undecodable: %v", err)
			}
			if !started || key != cur {
				if err := finish(); err != nil {
					return err
				}
				cur, started, exp = key, true, expected{}
			}
			if len(flags) != 1 {
				return stateErr(ns, key, nil, "history entry of block %d transaction %d is malformed", ver.BlockNum, ver.TxNum)
			}
			if err := v.replay(ns, key, ver, flags[0], &exp); err != nil {
				return err
			}
		}
		return finish()
	})
}

func (v *verifier) replay(ns, key string, ver Version, flags byte, exp *expected) error {
	t, err := v.readTx(ver)
	if err != nil {
		return stateErr(ns, key, err, "history names block %d transaction %d: %v", ver.BlockNum, ver.TxNum, err)
	}
	if !t.Valid() || t.Chaincode != ns {
		return stateErr(ns, key, nil, "history names block %d transaction %d, which did not change this key", ver.BlockNum, ver.TxNum)
	}
	w, wrote := writeOf(t, key)
	var meta *MetadataWrite
	for i := range t.RWSet.MetadataWrites {
		if t.RWSet.MetadataWrites[i].Key == key {
			meta = &t.RWSet.MetadataWrites[i]
		}
	}
	switch {
	case flags == histDelete && wrote && w.IsDelete:
		*exp = expected{}
	case flags&^histMetadata == histValue && wrote && !w.IsDelete && (flags&histMetadata != 0) == (meta != nil):
		vp := exp.vp
		if meta != nil {
			vp = meta.ValidationParameter
		}
		*exp = expected{exists: true, version: ver, value: w.Value, vp: vp}
	case flags == histMetadata && !wrote && meta != nil && exp.exists:
		exp.version, exp.vp = ver, meta.ValidationParameter
	default:
		return stateErr(ns, key, nil, "history entry of block %d transaction %d (flags %#x) does not match what the transaction wrote", ver.BlockNum, ver.TxNum, flags)
	}
	return nil
}

func (v *verifier) compareState(ns, key string, exp expected) error {
	got, err := readState(v.tx, ns, key)
	if err != nil {
		return stateErr(ns, key, err, "undecodable: %v", err)
	}
	switch {
	case got == nil && exp.exists:
		return stateErr(ns, key, nil, "missing: block %d transaction %d wrote it", exp.version.BlockNum, exp.version.TxNum)
	case got == nil:
		return nil
	case !exp.exists:
		return stateErr(ns, key, nil, "present, but its history ends with a delete")
	case got.Version != exp.version:
		return stateErr(ns, key, nil, "version %d:%d, but the last change was block %d transaction %d", got.Version.BlockNum, got.Version.TxNum, exp.version.BlockNum, exp.version.TxNum)
	case !bytes.Equal(got.Value, exp.value):
		return stateErr(ns, key, nil, "value differs from the one block %d transaction %d wrote", exp.version.BlockNum, exp.version.TxNum)
	case !bytes.Equal(got.ValidationParameter, exp.vp):
		return stateErr(ns, key, nil, "validation parameter differs from the one the chain set")
	}
	return nil
}

// state checks that every state entry has a history (history already checked
// the entries it accounts for).
func (v *verifier) state() error {
	return v.tx.Bucket(bucketState).ForEachBucket(func(nsName []byte) error {
		ns := string(nsName)
		hist := nsBucket(v.tx, bucketHistory, ns)
		return v.tx.Bucket(bucketState).Bucket(nsName).ForEach(func(k, raw []byte) error {
			if err := v.ctx.Err(); err != nil {
				return err
			}
			v.step()
			if hist == nil {
				return stateErr(ns, string(k), nil, "no history for this namespace")
			}
			prefix := histPrefix(string(k))
			hk, _ := hist.Cursor().Seek(prefix)
			if hk == nil || !bytes.HasPrefix(hk, prefix) || len(hk) != len(prefix)+12 {
				return stateErr(ns, string(k), nil, "present, but no transaction ever wrote it")
			}
			if _, err := decodeState(raw); err != nil {
				return stateErr(ns, string(k), err, "undecodable: %v", err)
			}
			return nil
		})
	})
}

func genesisDataHash(config []byte) []byte {
	d := block.NewDataHasher()
	d.Add(config)
	return d.Sum()
}
