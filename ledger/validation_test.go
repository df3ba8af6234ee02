package ledger

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

func openInternal(t *testing.T, opts Options) (*Ledger, *Identity) {
	t.Helper()
	cc, err := ledgertest.New()
	require.NoError(t, err)
	opts.Chaincodes = map[string]shim.Chaincode{ledgertest.Name: cc}
	l, err := Open(t.TempDir(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	id, err := l.DefaultIdentity()
	require.NoError(t, err)
	return l, id
}

func strArgs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// simulated runs a proposal's simulation only, as a peer endorses it, and
// returns the transaction ready to be ordered.
func simulated(t *testing.T, l *Ledger, id *Identity, fn string, args ...string) *pendingTx {
	t.Helper()
	tx, _, err := l.simulate(id, Proposal{Chaincode: ledgertest.Name, Function: fn, Args: strArgs(args...)}, false)
	require.NoError(t, err)
	return &pendingTx{tx: tx, result: make(chan commitResult, 1)}
}

// orderBlock commits the transactions as one block, in the given order, and
// returns their validation codes.
func orderBlock(t *testing.T, l *Ledger, txs ...*pendingTx) []peer.TxValidationCode {
	t.Helper()
	l.commit(txs)
	codes := make([]peer.TxValidationCode, len(txs))
	for i, p := range txs {
		r := <-p.result
		require.NoError(t, r.err)
		codes[i] = r.code
	}
	return codes
}

func get(t *testing.T, l *Ledger, id *Identity, key string) string {
	t.Helper()
	v, err := l.Evaluate(context.Background(), id, Proposal{Chaincode: ledgertest.Name, Function: "Get", Args: strArgs(key)})
	require.NoError(t, err)
	return string(v)
}

const (
	valid   = peer.TxValidationCode_VALID
	mvcc    = peer.TxValidationCode_MVCC_READ_CONFLICT
	phantom = peer.TxValidationCode_PHANTOM_READ_CONFLICT
)

func TestMVCCConflictingWriters(t *testing.T) {
	tests := []struct {
		name  string
		setup []string // a key to put first, if any
		a, b  []string // two proposals simulated on the same state
		codes []peer.TxValidationCode
		want  map[string]string
	}{
		{
			name:  "two increments of an existing counter: the first wins",
			setup: []string{"n", "5"},
			a:     []string{"Increment", "n"}, b: []string{"Increment", "n"},
			codes: []peer.TxValidationCode{valid, mvcc},
			want:  map[string]string{"n": "6"},
		},
		{
			name: "two creations of the same absent key: the first wins",
			a:    []string{"Increment", "fresh"}, b: []string{"Increment", "fresh"},
			codes: []peer.TxValidationCode{valid, mvcc},
			want:  map[string]string{"fresh": "1"},
		},
		{
			name:  "a blind write does not conflict with a read-modify-write before it",
			setup: []string{"n", "5"},
			a:     []string{"Increment", "n"}, b: []string{"Put", "n", "100"},
			codes: []peer.TxValidationCode{valid, valid},
			want:  map[string]string{"n": "100"},
		},
		{
			name:  "a read after a write of the same key in the block conflicts",
			setup: []string{"n", "5"},
			a:     []string{"Put", "n", "100"}, b: []string{"Increment", "n"},
			codes: []peer.TxValidationCode{valid, mvcc},
			want:  map[string]string{"n": "100"},
		},
		{
			name:  "a delete before a read conflicts",
			setup: []string{"n", "5"},
			a:     []string{"Del", "n"}, b: []string{"Increment", "n"},
			codes: []peer.TxValidationCode{valid, mvcc},
			want:  map[string]string{"n": ""},
		},
		{
			name: "an insert into an iterated range is a phantom read",
			a:    []string{"Put", "b", "x"}, b: []string{"PutIfRangeEmpty", "a", "c", "z", "won"},
			codes: []peer.TxValidationCode{valid, phantom},
			want:  map[string]string{"b": "x", "z": ""},
		},
		{
			name: "an insert outside the iterated range is no phantom",
			a:    []string{"Put", "d", "x"}, b: []string{"PutIfRangeEmpty", "a", "c", "z", "won"},
			codes: []peer.TxValidationCode{valid, valid},
			want:  map[string]string{"d": "x", "z": "won"},
		},
		{
			name:  "deleting the key a range was only peeked at is a phantom read",
			setup: []string{"b", "1"},
			a:     []string{"Del", "b"}, b: []string{"MarkIfRangeHasKeys", "a", "c", "m"},
			codes: []peer.TxValidationCode{valid, phantom},
			want:  map[string]string{"m": ""},
		},
		{
			name:  "a change of a key in an iterated range is a phantom read",
			setup: []string{"b", "1"},
			a:     []string{"Put", "b", "2"}, b: []string{"Range", "a", "c"},
			codes: []peer.TxValidationCode{valid, phantom},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, id := openInternal(t, Options{NoSync: true})
			if tc.setup != nil {
				require.Equal(t, []peer.TxValidationCode{valid}, orderBlock(t, l, simulated(t, l, id, "Put", tc.setup...)))
			}
			a := simulated(t, l, id, tc.a[0], tc.a[1:]...)
			b := simulated(t, l, id, tc.b[0], tc.b[1:]...)
			require.Equal(t, tc.codes, orderBlock(t, l, a, b))
			for k, v := range tc.want {
				require.Equal(t, v, get(t, l, id, k), k)
			}
			require.NoError(t, l.Verify(context.Background()))
		})
	}
}

func TestMVCCConflictAcrossBlocks(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	orderBlock(t, l, simulated(t, l, id, "Put", "n", "1"))
	stale := simulated(t, l, id, "Increment", "n")
	require.Equal(t, []peer.TxValidationCode{valid}, orderBlock(t, l, simulated(t, l, id, "Increment", "n")))
	require.Equal(t, []peer.TxValidationCode{mvcc}, orderBlock(t, l, stale))
	require.Equal(t, "2", get(t, l, id, "n"))

	tx, loc, err := l.Transaction(stale.tx.ID)
	require.NoError(t, err)
	require.Equal(t, mvcc, tx.ValidationCode, "the invalid transaction is on the ledger with its code")
	require.Equal(t, uint64(3), loc.BlockNumber)
}

func TestDuplicateTransactionID(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	p := simulated(t, l, id, "Put", "k", "v1")
	again := &pendingTx{tx: &Transaction{}, result: make(chan commitResult, 1)}
	*again.tx = *p.tx
	again.tx.RWSet.Writes = []KVWrite{{Key: "k", Value: []byte("v2")}}
	require.Equal(t, []peer.TxValidationCode{valid, peer.TxValidationCode_DUPLICATE_TXID}, orderBlock(t, l, p, again))
	require.Equal(t, "v1", get(t, l, id, "k"))
	_, loc, err := l.Transaction(p.tx.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(0), loc.TxIndex, "the id keeps pointing at the first transaction")
	require.NoError(t, l.Verify(context.Background()))
}

// Through the public API: concurrent read-modify-writes of one key. Every
// transaction is either valid or an MVCC conflict, and the counter equals the
// number of valid ones.
func TestConcurrentIncrements(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	const workers, each = 16, 15
	var mu sync.Mutex
	codes := map[peer.TxValidationCode]int{}
	var failures []error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				c, err := l.Submit(context.Background(), id, Proposal{Chaincode: ledgertest.Name, Function: "Increment", Args: strArgs("n")})
				mu.Lock()
				var ce *CommitError
				switch {
				case err == nil:
					codes[c.ValidationCode]++
				case errors.As(err, &ce) && c != nil && c.ValidationCode == ce.ValidationCode:
					codes[ce.ValidationCode]++
				default:
					failures = append(failures, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Empty(t, failures)
	require.Equal(t, workers*each, codes[valid]+codes[mvcc], "codes: %v", codes)
	require.Positive(t, codes[mvcc], "concurrent read-modify-writes of one key conflict")
	require.Equal(t, codes[valid], atoi(t, get(t, l, id, "n")))
	require.NoError(t, l.Verify(context.Background()))
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, r := range s {
		require.True(t, r >= '0' && r <= '9', "not a number: %q", s)
		n = n*10 + int(r-'0')
	}
	return n
}

func TestEventsOfInvalidTransactionsAreNotDelivered(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	_, err := l.Submit(context.Background(), id, Proposal{Chaincode: ledgertest.Name, Function: "Emit", Args: strArgs("", "e", "refused")})
	require.Error(t, err, "a chaincode error orders nothing")
	first := simulated(t, l, id, "Emit", "k", "e", "first")
	second := simulated(t, l, id, "Emit", "k", "e", "second")
	require.Equal(t, []peer.TxValidationCode{valid, mvcc}, orderBlock(t, l, first, second))
	last := simulated(t, l, id, "Emit", "other", "e", "last")
	orderBlock(t, l, last)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	for ev, err := range l.ChaincodeEvents(ctx, ledgertest.Name, Checkpoint{}) {
		require.NoError(t, err)
		got = append(got, string(ev.Payload))
		if len(got) == 2 {
			break
		}
	}
	require.Equal(t, []string{"first", "last"}, got)
}

// A store commit that fails stops the ledger: the submitters of the block
// and every later submitter get ErrFailed.
func TestFailedCommitStopsTheLedger(t *testing.T) {
	l, id := openInternal(t, Options{NoSync: true})
	p := simulated(t, l, id, "Put", "k", "v")
	require.NoError(t, l.db.Close()) // the store fails under the committer
	l.commit([]*pendingTx{p})
	r := <-p.result
	require.ErrorIs(t, r.err, ErrFailed)
	_, err := l.Submit(context.Background(), id, Proposal{Chaincode: ledgertest.Name, Function: "Put", Args: strArgs("k", "v")})
	require.ErrorIs(t, err, ErrFailed)
}
