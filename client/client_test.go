package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

func kvClient(t *testing.T, opts ...client.Option) (*client.Client, *ledger.Ledger) {
	t.Helper()
	cc, err := ledgertest.New()
	require.NoError(t, err)
	l, err := ledger.Open(t.TempDir(), ledger.Options{Chaincodes: map[string]shim.Chaincode{ledgertest.Name: cc}, NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	id, err := l.DefaultIdentity()
	require.NoError(t, err)
	return client.New(client.NewEmbedded(l, id, ledgertest.Name), opts...), l
}

// incrementConcurrently runs read-modify-writes of one counter from many
// goroutines and returns the errors.
func incrementConcurrently(c *client.Client, workers, each int) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if _, err := c.Submit(context.Background(), "Increment", "n"); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

func TestSubmitRetriesLostMVCCRaces(t *testing.T) {
	c, _ := kvClient(t, client.WithAttempts(50))
	require.Empty(t, incrementConcurrently(c, 8, 10), "every increment commits after retries")
	got, err := c.Evaluate(context.Background(), "Get", "n")
	require.NoError(t, err)
	require.Equal(t, "80", string(got))
}

func TestWithoutRetriesAConflictIsATypedCommitError(t *testing.T) {
	c, _ := kvClient(t, client.WithAttempts(1))
	errs := incrementConcurrently(c, 8, 10)
	require.NotEmpty(t, errs, "concurrent read-modify-writes conflict")
	for _, err := range errs {
		var ce *client.CommitError
		require.True(t, errors.As(err, &ce), "%v", err)
		require.Equal(t, peer.TxValidationCode_MVCC_READ_CONFLICT, ce.ValidationCode)
		require.NotEmpty(t, ce.TxID)
	}
}

func TestChaincodeErrorsAndClosedLedger(t *testing.T) {
	c, l := kvClient(t, client.WithAttempts(5))
	height := l.Height()
	_, err := c.Submit(context.Background(), "Fail", "refused")
	var ee *client.EndorseError
	require.ErrorAs(t, err, &ee)
	require.Contains(t, ee.Error(), "refused")
	require.Equal(t, height, l.Height(), "nothing ordered")

	require.NoError(t, l.Close())
	_, err = c.Submit(context.Background(), "Put", "k", "v")
	require.ErrorIs(t, err, client.ErrUnavailable, "a closed ledger is unavailable")
}
