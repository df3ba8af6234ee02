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

// The terms in force need both approvals, and an order of approved terms
// placed after both approvals of the version it orders.
func TestTermsInForce(t *testing.T) {
	a := &chaincode.Agreement{ID: "a1", Customer: "k", Anbieter: "g"}
	fvs := map[uint64]*chaincode.FeeVersion{1: {Version: 1, TermsHash: "0x1"}, 2: {Version: 2, TermsHash: "0x2"}}
	approve := func(party string, v uint64, tx string) signedAct {
		return signedAct{&chaincode.SignedAct{Party: party, TxID: tx}, &chaincode.ApproveFeesMessage{Agreement: "a1", Party: party, FeeVersion: chaincode.Uint(v), TermsHash: fvs[v].TermsHash}}
	}
	order := func(v uint64, tx string) signedAct {
		return signedAct{&chaincode.SignedAct{Party: "k", TxID: tx}, &chaincode.PlaceOrderMessage{Agreement: "a1", TermsHash: fvs[v].TermsHash}}
	}
	for _, tc := range []struct {
		name      string
		effective uint64
		acts      []signedAct
		error     string
	}{
		{"approved, then ordered", 1, []signedAct{approve("k", 1, "t1"), approve("g", 1, "t2"), order(1, "t3")}, ""},
		{"ordered before the Anbieter approved", 1, []signedAct{approve("k", 1, "t1"), order(1, "t2"), approve("g", 1, "t3")}, "approval by g of the ordered fee version 1 before the order"},
		{"never ordered", 1, []signedAct{approve("k", 1, "t1"), approve("g", 1, "t2")}, "an order by k"},
		{"a fee change approved by both", 2, []signedAct{approve("k", 1, "t1"), approve("g", 1, "t2"), order(1, "t3"), approve("k", 2, "t4"), approve("g", 2, "t5")}, ""},
		{"a fee change approved by the customer only", 2, []signedAct{approve("k", 1, "t1"), approve("g", 1, "t2"), order(1, "t3"), approve("k", 2, "t4")}, "approval of fee version 2 by g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &checker{r: &Report{}, byID: map[string]*Tx{}}
			for i, s := range tc.acts {
				c.byID[s.act.TxID] = &Tx{ID: s.act.TxID, Block: uint64(10 + i)}
			}
			a.EffectiveVersion = tc.effective
			c.termsInForce(a, fvs, tc.acts)
			require.Len(t, c.r.Items, 1)
			if tc.error == "" {
				require.True(t, c.r.Items[0].OK, "%+v", c.r.Items[0])
				return
			}
			require.False(t, c.r.Items[0].OK)
			require.Contains(t, c.r.Items[0].Detail, tc.error)
		})
	}
}
