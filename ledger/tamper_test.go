package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// record is one stored entry: the bucket path and key.
type record struct {
	path [][]byte
	key  []byte
}

func (r record) String() string {
	return fmt.Sprintf("%s[%q]", bytes.Join(r.path, []byte("/")), r.key)
}

func bucketAt(tx *bolt.Tx, path [][]byte) *bolt.Bucket {
	b := tx.Bucket(path[0])
	for _, p := range path[1:] {
		b = b.Bucket(p)
	}
	return b
}

// allRecords lists every key of every bucket and nested bucket.
func allRecords(t *testing.T, db *bolt.DB) []record {
	t.Helper()
	var out []record
	var walk func(path [][]byte, b *bolt.Bucket) error
	walk = func(path [][]byte, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			p := append(append([][]byte{}, path...), bytes.Clone(k))
			if v == nil {
				return walk(p, b.Bucket(k))
			}
			out = append(out, record{path: path, key: bytes.Clone(k)})
			return nil
		})
	}
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return walk([][]byte{bytes.Clone(name)}, b)
		})
	}))
	return out
}

func rewrite(t *testing.T, db *bolt.DB, r record, fn func(k, v []byte) ([]byte, []byte)) {
	t.Helper()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := bucketAt(tx, r.path)
		v := bytes.Clone(b.Get(r.key))
		k2, v2 := fn(bytes.Clone(r.key), v)
		if err := b.Delete(r.key); err != nil {
			return err
		}
		return b.Put(k2, v2)
	}))
}

// blockOf returns the block a block or transaction record belongs to.
func blockOf(r record) (uint64, bool) {
	switch string(r.path[0]) {
	case string(bucketBlocks), string(bucketConfig), string(bucketTxs):
		return binary.BigEndian.Uint64(r.key), true
	}
	return 0, false
}

// Flipping any bit of any byte of any stored record — blocks, configuration,
// transactions, identities, the id index, state and history, values and keys —
// makes Verify fail, and it names the block or the state entry concerned.
func TestTamperingIsDetected(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true, MaxBlockTxs: 3})
	ctx := context.Background()
	submit := func(fn string, args ...string) {
		_, err := l.Submit(ctx, id, Proposal{Chaincode: "kv", Function: fn, Args: strArgs(args...)})
		require.NoError(t, err)
	}
	submit("Put", "a", "alpha")
	submit("PutWithPolicy", "b", "beta", "policy-b")
	submit("PutComposite", "offering", `["Bauen","o1"]`, "composite value")
	submit("Put", "c", "gamma")
	submit("Del", "c")
	submit("SetPolicy", "a", "policy-a")
	submit("Emit", "e", "evt", "payload")
	submit("Increment", "n")
	stale := simulated(t, l, id, "Increment", "n")
	orderBlock(t, l, simulated(t, l, id, "Put", "n", "7"), stale) // one valid, one MVCC conflict
	require.NoError(t, l.Verify(ctx))

	records := allRecords(t, l.db)
	require.Greater(t, len(records), 30)
	flips := 0
	for _, r := range records {
		var size int
		require.NoError(t, l.db.View(func(tx *bolt.Tx) error { size = len(bucketAt(tx, r.path).Get(r.key)); return nil }))
		for i := range size {
			for _, bit := range []byte{0x01, 0x80} {
				rewrite(t, l.db, r, func(k, v []byte) ([]byte, []byte) { v[i] ^= bit; return k, v })
				err := l.Verify(ctx)
				require.Error(t, err, "value of %s, byte %d, bit %#x: not detected", r, i, bit)
				var ve *VerifyError
				require.True(t, errors.As(err, &ve), "want a *VerifyError, got %v", err)
				if n, ok := blockOf(r); ok {
					require.Equal(t, n, ve.Block, "%s byte %d: %v", r, i, err)
				}
				if string(r.path[0]) == string(bucketState) {
					require.Equal(t, string(r.key), ve.Key, "%s byte %d: %v", r, i, err)
				}
				rewrite(t, l.db, r, func(k, v []byte) ([]byte, []byte) { v[i] ^= bit; return k, v })
				flips++
			}
		}
		for i := range r.key {
			moved := record{path: r.path, key: bytes.Clone(r.key)}
			moved.key[i] ^= 0x01
			var displaced []byte // a record the moved key lands on
			require.NoError(t, l.db.View(func(tx *bolt.Tx) error {
				displaced = bytes.Clone(bucketAt(tx, r.path).Get(moved.key))
				return nil
			}))
			rewrite(t, l.db, r, func(k, v []byte) ([]byte, []byte) { k[i] ^= 0x01; return k, v })
			require.Error(t, l.Verify(ctx), "key of %s, byte %d: not detected", r, i)
			rewrite(t, l.db, moved, func(k, v []byte) ([]byte, []byte) { k[i] ^= 0x01; return k, v })
			if displaced != nil {
				require.NoError(t, l.db.Update(func(tx *bolt.Tx) error { return bucketAt(tx, r.path).Put(moved.key, displaced) }))
			}
			flips++
		}
		// Removing the record entirely is detected too.
		var saved []byte
		require.NoError(t, l.db.Update(func(tx *bolt.Tx) error {
			b := bucketAt(tx, r.path)
			saved = bytes.Clone(b.Get(r.key))
			return b.Delete(r.key)
		}))
		require.Error(t, l.Verify(ctx), "deletion of %s: not detected", r)
		require.NoError(t, l.db.Update(func(tx *bolt.Tx) error { return bucketAt(tx, r.path).Put(r.key, saved) }))
	}
	require.NoError(t, l.Verify(ctx), "restored store verifies")
	t.Logf("%d records, %d single-bit changes, each detected", len(records), flips)
}

// Rolling a key's endorsement policy back — dropping the policy change from
// the history and restoring the earlier state entry — is detected.
func TestPolicyRollbackIsDetected(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	ctx := context.Background()
	for _, step := range [][]string{{"PutWithPolicy", "k", "v", "old policy"}, {"SetPolicy", "k", "new policy"}} {
		_, err := l.Submit(ctx, id, Proposal{Chaincode: "kv", Function: step[0], Args: strArgs(step[1:]...)})
		require.NoError(t, err)
	}
	require.NoError(t, l.Verify(ctx))
	require.NoError(t, l.db.Update(func(tx *bolt.Tx) error {
		hist := tx.Bucket(bucketHistory).Bucket([]byte("kv"))
		state := tx.Bucket(bucketState).Bucket([]byte("kv"))
		if err := hist.Delete(histKey("k", Version{BlockNum: 2})); err != nil {
			return err
		}
		return state.Put([]byte("k"), encodeState(&stateEntry{Version: Version{BlockNum: 1}, Value: []byte("v"), ValidationParameter: []byte("old policy")}))
	}))
	var ve *VerifyError
	require.ErrorAs(t, l.Verify(ctx), &ve)
	require.Equal(t, uint64(2), ve.Block, "names the block whose policy change is gone: %v", ve)
}
