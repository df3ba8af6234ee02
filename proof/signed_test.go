package proof

import (
	"testing"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/stretchr/testify/require"
)

// An act whose signed message says something else than the records is
// refused, whatever the ledger holds.
func TestSignedMessageMustMatchTheRecords(t *testing.T) {
	a := &chaincode.Agreement{ID: "a1", Offering: "o1", Customer: "k", Anbieter: "g", Supplier: "s", EndDate: "2027-03-31"}
	fv := &chaincode.FeeVersion{Agreement: "a1", Version: 1, PriceModelHash: "0xpm", TermsHash: "0xterms",
		Fees: chaincode.Fees{AnnualFee: 100, ProRataFee: 10, ConnectionFee: 5, ScopeOfUse: "all"}, Entered: chaincode.SignedAct{TxID: "tx-fees"}}
	fvs := map[uint64]*chaincode.FeeVersion{1: fv}
	fees := func(annual uint64) *chaincode.EnterFeesMessage {
		return &chaincode.EnterFeesMessage{Agreement: "a1", FeeVersion: 1, PriceModelHash: "0xpm", AnnualFee: chaincode.Uint(annual), ProRataFee: 10, ConnectionFee: 5, ScopeOfUse: "all"}
	}
	for _, tc := range []struct {
		name  string
		act   chaincode.SignedAct
		m     chaincode.Message
		error string
	}{
		{"interest as recorded", chaincode.SignedAct{Party: "k"}, &chaincode.ExpressInterestMessage{Agreement: "a1", Offering: "o1", Customer: "k"}, ""},
		{"interest in another offering", chaincode.SignedAct{Party: "k"}, &chaincode.ExpressInterestMessage{Agreement: "a1", Offering: "o2", Customer: "k"}, "signed interest in offering o2"},
		{"fees as recorded", chaincode.SignedAct{Party: "s", TxID: "tx-fees"}, fees(100), ""},
		{"other fees than recorded", chaincode.SignedAct{Party: "s", TxID: "tx-fees"}, fees(101), "the signed fees (101"},
		{"fees of another transaction", chaincode.SignedAct{Party: "s", TxID: "tx-other"}, fees(100), "was entered in tx tx-fees"},
		{"approval of the terms", chaincode.SignedAct{Party: "g"}, &chaincode.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 1, TermsHash: "0xterms"}, ""},
		{"approval of other terms", chaincode.SignedAct{Party: "g"}, &chaincode.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 1, TermsHash: "0xother"}, "approved terms 0xother"},
		{"approval for another party", chaincode.SignedAct{Party: "g"}, &chaincode.ApproveFeesMessage{Agreement: "a1", Party: "k", FeeVersion: 1, TermsHash: "0xterms"}, "signed for party k"},
		{"approval of an unknown fee version", chaincode.SignedAct{Party: "g"}, &chaincode.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 2, TermsHash: "0xterms"}, "fee version 2"},
		{"order of the terms", chaincode.SignedAct{Party: "k"}, &chaincode.PlaceOrderMessage{Agreement: "a1", TermsHash: "0xterms"}, ""},
		{"order of other terms", chaincode.SignedAct{Party: "k"}, &chaincode.PlaceOrderMessage{Agreement: "a1", TermsHash: "0xother"}, "the terms of no fee version"},
		{"order of another agreement", chaincode.SignedAct{Party: "k"}, &chaincode.PlaceOrderMessage{Agreement: "a2", TermsHash: "0xterms"}, "about agreement a2"},
		{"termination as recorded", chaincode.SignedAct{Party: "k"}, &chaincode.TerminateMessage{Agreement: "a1", Party: "k", EndDate: "2027-03-31"}, ""},
		{"termination at another date", chaincode.SignedAct{Party: "k"}, &chaincode.TerminateMessage{Agreement: "a1", Party: "k", EndDate: "2027-12-31"}, "at 2027-12-31"},
		{"not an agreement act", chaincode.SignedAct{Type: "AddKey"}, &chaincode.AddKeyMessage{}, "not an act on an agreement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := signedMessageErr(a, &tc.act, tc.m, fvs)
			if tc.error == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.error)
		})
	}
}
