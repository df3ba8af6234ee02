//go:build fabric

// Tests that only the real Fabric network can answer: peers enforcing
// key-level endorsement policies, and faults of orderers and peers. They run
// with the build tag fabric and -fabric DIR (make test brings a network up
// for them).

package chaincode_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/internal/scenario"
	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testNetwork(t *testing.T) *network.Network {
	return fabrictest.Network(t)
}

func dialAs(t *testing.T, n *network.Network, msp, user, chaincodeName string) *client.Fabric {
	return fabrictest.Dial(t, n, msp, user, chaincodeName)
}

// The agreement key's state-based policy needs the peers of the customer's
// and the Anbieter's member orgs (RegioIT and AKDB). Endorsed by Dataport and
// RegioIT only — enough for the chaincode's MAJORITY policy — a change of the
// agreement is rejected by the peers at validation.
func TestPeersEnforceKeyLevelEndorsement(t *testing.T) {
	ctx := t.Context()
	n := testNetwork(t)
	e := newFabricEnv(t)
	s := e.marketplace()
	d := s.Deal("sbe", "")
	require.NoError(t, d.Interest(ctx))
	require.Equal(t, []string{scenario.AKDB, scenario.RegioIT}, d.Agreement.EndorsingMembers)

	m := &schema.EnterFeesMessage{Agreement: d.ID, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: e.b.Replay()}
	b := dialAs(t, n, scenario.Dataport, "User1", chaincode.Name)
	endorsedBy := func(orgs ...string) error {
		act := e.signed(m, s.Supplier.Key)
		args, err := act.Args()
		require.NoError(t, err)
		_, err = b.SubmitEndorsedBy(ctx, orgs, act.Function(), args...)
		return err
	}
	err := endorsedBy(scenario.Dataport, scenario.RegioIT)
	var ce *client.CommitError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, ce.ValidationCode)
	got, err := e.client.Agreement(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, schema.AgreementInterest, got.Status, "the rejected change wrote nothing")

	// With the orgs the policy names, the same act commits.
	m.Replay = e.b.Replay()
	require.NoError(t, endorsedBy(scenario.AKDB, scenario.RegioIT))
}

// Stop one of the three Raft orderers (SIGKILL) during a stream of submits:
// commits continue, and every acknowledged transaction is on the ledger.
func TestOrdererCrashDuringSubmits(t *testing.T) {
	n := testNetwork(t)
	kv := client.New(dialAs(t, n, scenario.Dataport, "User1", network.KVChaincode))
	victim := n.Orderers()[0]
	t.Cleanup(func() {
		require.NoError(t, n.StartNode(context.Background(), victim), "restart %s", victim.Name)
		waitEndorsers(t, n)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		mu          sync.Mutex
		acked       = map[string]string{} // key → value
		failures    []error
		killed      atomic.Bool
		afterKill   atomic.Int64
		stopSending = make(chan struct{})
		wg          sync.WaitGroup
	)
	run := fmt.Sprint(time.Now().UnixNano())
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopSending:
					return
				default:
				}
				key, value := fmt.Sprintf("crash-%s-%d-%d", run, w, i), fmt.Sprint(i)
				// A transaction the killed orderer took but never replicated
				// never commits: its status stays unknown, and it is not
				// acknowledged.
				sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
				_, err := kv.Submit(sctx, "Put", key, value)
				cancel()
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					continue
				}
				mu.Lock()
				acked[key] = value
				mu.Unlock()
				if killed.Load() {
					afterKill.Add(1)
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	require.NoError(t, n.Kill(victim))
	killed.Store(true)
	time.Sleep(5 * time.Second)
	close(stopSending)
	wg.Wait()

	t.Logf("%d transactions acknowledged, %d after %s was killed; %d submits failed during the fail-over", len(acked), afterKill.Load(), victim.Name, len(failures))
	require.Positive(t, afterKill.Load(), "commits continue with two of three orderers")
	for _, err := range failures {
		var se *client.SubmitError
		var cse *client.CommitStatusError
		require.True(t, errors.As(err, &se) || errors.As(err, &cse) || errors.Is(err, client.ErrUnavailable), "a failed submit reports a typed error: %v", err)
	}
	verify, cancelVerify := context.WithTimeout(context.Background(), time.Minute)
	defer cancelVerify()
	for key, value := range acked {
		got, err := kv.Evaluate(verify, "Get", key)
		require.NoError(t, err)
		require.Equal(t, value, string(got), "acknowledged write of %s", key)
	}
}

// Stop one peer (AKDB's): a transaction the chaincode's MAJORITY policy
// covers still commits through the other two; a change of an agreement whose
// key-level policy names AKDB cannot be endorsed, and the client says so.
func TestPeerDown(t *testing.T) {
	n := testNetwork(t)
	e := newFabricEnv(t)
	s := e.marketplace()
	d := s.Deal("peer-down", "")
	require.NoError(t, d.Interest(t.Context()))

	victim, ok := n.Peer(scenario.AKDB)
	require.True(t, ok)
	require.NoError(t, n.Stop(victim, 10*time.Second))
	t.Cleanup(func() {
		require.NoError(t, n.StartNode(context.Background(), victim), "restart %s", victim.Name)
		waitEndorsers(t, n)
	})

	kv := client.New(dialAs(t, n, scenario.Dataport, "User1", network.KVChaincode))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := kv.Submit(ctx, "Put", "peer-down"+e.b.Suffix(), "v")
	require.NoError(t, err, "MAJORITY (2 of 3) is reachable without AKDB")

	_, err = e.act(&schema.EnterFeesMessage{Agreement: d.ID, FeeVersion: 1, PriceModelHash: s.PriceModel.Hash, AnnualFee: 1, Replay: e.b.Replay()}, s.Supplier.Key)
	var ee *client.EndorseError
	require.ErrorAs(t, err, &ee, "the agreement's key-level policy needs AKDB's peer")
	require.Nil(t, ee.Registry, "not a chaincode refusal")
	require.ErrorIs(t, err, client.ErrNoEndorsers)
	require.ErrorIs(t, err, client.ErrUnavailable)
	t.Logf("reported: %v", err)
}

// waitEndorsers waits until every member's gateway can again collect an
// endorsement from every peer (gossip has seen a restarted peer come back),
// so that the tests after a fault start on a whole network.
func waitEndorsers(t *testing.T, n *network.Network) {
	t.Helper()
	all := scenario.Members
	for _, msp := range all {
		kv := dialAs(t, n, msp, "User1", network.KVChaincode)
		var last error
		ok := assert.Eventually(t, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, last = kv.SubmitEndorsedBy(ctx, all, "Put", "endorsers-back", msp)
			return last == nil
		}, 2*time.Minute, 500*time.Millisecond)
		require.True(t, ok, "the gateway of %s cannot reach every peer again: %v", msp, last)
	}
}
