package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/stretchr/testify/require"
)

// collect reads n items from an event sequence, failing on an error.
func collectEvents(t *testing.T, ctx context.Context, l *ledger.Ledger, from ledger.Checkpoint, n int) []*ledger.ChaincodeEvent {
	t.Helper()
	var out []*ledger.ChaincodeEvent
	for ev, err := range l.ChaincodeEvents(ctx, "kv", from) {
		require.NoError(t, err)
		out = append(out, ev)
		if len(out) == n {
			break
		}
	}
	return out
}

func TestChaincodeEventsReplayThenLive(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	var ids []string
	for i := range 3 {
		ids = append(ids, c.mustSubmit("Emit", fmt.Sprintf("k%d", i), "past", fmt.Sprint(i)).TxID)
	}
	c.mustSubmit("Put", "quiet", "no event")

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	got := make(chan *ledger.ChaincodeEvent)
	done := make(chan error, 1)
	go func() {
		for ev, err := range l.ChaincodeEvents(ctx, "kv", ledger.Checkpoint{}) {
			if err != nil {
				done <- err
				return
			}
			got <- ev
		}
	}()
	for i := range 3 {
		ev := <-got
		require.Equal(t, ids[i], ev.TxID)
		require.Equal(t, "past", ev.Name)
		require.Equal(t, fmt.Sprint(i), string(ev.Payload))
	}
	live := c.mustSubmit("Emit", "k9", "live", "now")
	ev := <-got
	require.Equal(t, live.TxID, ev.TxID)
	require.Equal(t, "live", ev.Name)
	require.Equal(t, live.BlockNumber, ev.BlockNumber)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestBlockEventsFromANumber(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	for i := range 4 {
		c.mustSubmit("Put", fmt.Sprint(i), "v")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var numbers []uint64
	for b, err := range l.Blocks(ctx, 2) {
		require.NoError(t, err)
		numbers = append(numbers, b.Header.Number)
		if b.Header.Number == 4 { // the last block on the ledger: the next one arrives live
			go func() { _, _ = c.submit("Put", "live", "v") }()
		}
		if len(numbers) == 4 {
			break
		}
	}
	require.Equal(t, []uint64{2, 3, 4, 5}, numbers)
	require.Equal(t, ledger.Checkpoint{BlockNumber: 5}, (&ledger.Block{Header: ledger.BlockHeader{Number: 4}}).Checkpoint())
}

// A listener that saves its checkpoint after each event and restarts — with
// the ledger reopened in between — sees every event exactly once.
func TestCheckpointedListenerResumesExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	cp, err := ledger.NewFileCheckpointer(filepath.Join(t.TempDir(), "listener", "checkpoint.json"))
	require.NoError(t, err)

	l, err := openKVLedger(dir, ledger.Options{MaxBlockTxs: 4})
	require.NoError(t, err)
	c := newClient(t, l)
	// Several events per block, and invalid and event-less transactions between them.
	var want []string
	for i := range 10 {
		want = append(want, c.mustSubmit("Emit", fmt.Sprintf("k%d", i), "e", fmt.Sprint(i)).TxID)
		c.mustSubmit("Put", "plain", fmt.Sprint(i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	var seen []string
	handle := func(l *ledger.Ledger, n int) {
		from, err := cp.Load()
		require.NoError(t, err)
		for _, ev := range collectEvents(t, ctx, l, from, n) {
			seen = append(seen, ev.TxID)
			require.NoError(t, cp.Save(ev.Checkpoint()))
		}
	}
	handle(l, 4)
	require.NoError(t, l.Close())

	l = openKV(t, dir, ledger.Options{})
	c = newClient(t, l)
	for i := 10; i < 13; i++ {
		want = append(want, c.mustSubmit("Emit", fmt.Sprintf("k%d", i), "e", fmt.Sprint(i)).TxID)
	}
	handle(l, 5)
	handle(l, 4)
	require.Equal(t, want, seen)
	last, err := cp.Load()
	require.NoError(t, err)
	tx, loc, err := l.Transaction(want[len(want)-1])
	require.NoError(t, err)
	require.Equal(t, ledger.Checkpoint{BlockNumber: loc.BlockNumber, TxIndex: loc.TxIndex + 1}, last)
	require.NotNil(t, tx.Event)
}
