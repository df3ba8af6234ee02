package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The one mapping from the client's errors to problems: a transaction id
// only where the transaction was ordered (or may have been), labelled with
// what became of it.
func TestProblemFor(t *testing.T) {
	const tx = "0a0eb7aa106e785658f3e65467efb6145e19e46f86cdf3422e5bab1cb945262d"
	refusal := &schema.Error{Code: schema.CodeConflict, Field: "message.agreement", Rule: "exists already"}
	for _, c := range []struct {
		name           string
		err            error
		status         int
		code           string
		txID, txStatus string
		field, inRule  string
	}{
		{"a chaincode refusal", fmt.Errorf("act: %w", &client.EndorseError{TxID: tx, Registry: refusal, Err: errors.New("status 409")}),
			http.StatusConflict, "conflict", "", "", "message.agreement", "exists already"},
		{"endorsers that could not be reached", &client.EndorseError{TxID: tx, Err: fmt.Errorf("%w: peer down", client.ErrUnavailable)},
			http.StatusServiceUnavailable, "unavailable", "", "", "", "retry later"},
		{"a submit that never reached ordering", &client.SubmitError{TxID: tx, Err: errors.New("orderer down")},
			http.StatusServiceUnavailable, "unavailable", "", "", "", "retry later"},
		{"a submit that never reached ordering, unavailable", &client.SubmitError{TxID: tx, Err: fmt.Errorf("%w: orderer down", client.ErrUnavailable)},
			http.StatusServiceUnavailable, "unavailable", "", "", "", "retry later"},
		{"ordered but invalid", &client.CommitError{TxID: tx, BlockNumber: 7, ValidationCode: peer.TxValidationCode_MVCC_READ_CONFLICT},
			http.StatusConflict, "conflict", tx, TxInvalid, "", "MVCC_READ_CONFLICT"},
		{"ordered but failing a key's policy", &client.CommitError{TxID: tx, BlockNumber: 7, ValidationCode: peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
			http.StatusConflict, "conflict", tx, TxInvalid, "", "policy of a written key"},
		{"an unknown outcome", &client.CommitStatusError{TxID: tx, Err: fmt.Errorf("%w: timeout", client.ErrUnavailable)},
			http.StatusServiceUnavailable, "unavailable", tx, TxUnknown, "", "may still commit"},
		{"the ledger out of reach", fmt.Errorf("%w: closed", client.ErrUnavailable),
			http.StatusServiceUnavailable, "unavailable", "", "", "", "retry later"},
		{"no evidence", client.ErrNoEvidence, http.StatusNotImplemented, "not_implemented", "", "", "", "evidence"},
		{"a problem", badRequest("limit", "must be a number"), http.StatusBadRequest, "invalid", "", "", "limit", "must be a number"},
		{"a client that hung up", fmt.Errorf("readmodel: list agreement: %w", context.Canceled), statusClientClosed, "client_closed", "", "", "", "closed the request"},
		{"anything else", errors.New("boom"), http.StatusInternalServerError, "internal", "", "", "", "internal error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := problemFor(c.err)
			require.Equal(t, c.status, p.Status)
			require.Equal(t, c.code, p.Code)
			require.Equal(t, c.txID, p.TxID)
			require.Equal(t, c.txStatus, p.TxStatus)
			require.Equal(t, c.field, p.Field)
			require.Contains(t, p.Rule, c.inRule)
			require.Equal(t, p.Rule, p.Detail)
		})
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abcde", 5, "abcde"},
		{"abcdef", 5, "abcd…"},
		{"ääääää", 5, "ääää…"},
		{strings.Repeat("x", 300_000), 500, strings.Repeat("x", 499) + "…"},
		{"ab\xffcdef", 4, "ab\xff…"},
	} {
		got := clip(c.in, c.n)
		require.Equal(t, c.want, got)
		require.LessOrEqual(t, utf8.RuneCountInString(got), c.n)
	}
}
