package proof

import (
	"testing"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

// An act whose signed message says something else than the records is
// refused, whatever the ledger holds.
func TestSignedMessageMustMatchTheRecords(t *testing.T) {
	a := &schema.Agreement{ID: "a1", Offering: "o1", Customer: "k", Anbieter: "g", Supplier: "s", EndDate: "2027-03-31"}
	fv := &schema.FeeVersion{Agreement: "a1", Version: 1, PriceModelHash: "0xpm", TermsHash: "0xterms",
		Fees: schema.Fees{AnnualFee: 100, ProRataFee: 10, ConnectionFee: 5, ScopeOfUse: "all"}, Entered: schema.SignedAct{TxID: "tx-fees"}}
	fvs := map[schema.Uint]*schema.FeeVersion{1: fv}
	fees := func(annual uint64) *schema.EnterFeesMessage {
		return &schema.EnterFeesMessage{Agreement: "a1", FeeVersion: 1, PriceModelHash: "0xpm", AnnualFee: schema.Uint(annual), ProRataFee: 10, ConnectionFee: 5, ScopeOfUse: "all"}
	}
	for _, tc := range []struct {
		name  string
		act   schema.SignedAct
		m     schema.Message
		error string
	}{
		{"interest as recorded", schema.SignedAct{Party: "k"}, &schema.ExpressInterestMessage{Agreement: "a1", Offering: "o1", Customer: "k"}, ""},
		{"interest in another offering", schema.SignedAct{Party: "k"}, &schema.ExpressInterestMessage{Agreement: "a1", Offering: "o2", Customer: "k"}, "signed interest in offering o2"},
		{"fees as recorded", schema.SignedAct{Party: "s", TxID: "tx-fees"}, fees(100), ""},
		{"other fees than recorded", schema.SignedAct{Party: "s", TxID: "tx-fees"}, fees(101), "the signed fees (101"},
		{"fees of another transaction", schema.SignedAct{Party: "s", TxID: "tx-other"}, fees(100), "was entered in tx tx-fees"},
		{"approval of the terms", schema.SignedAct{Party: "g"}, &schema.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 1, TermsHash: "0xterms"}, ""},
		{"approval of other terms", schema.SignedAct{Party: "g"}, &schema.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 1, TermsHash: "0xother"}, "approved terms 0xother"},
		{"approval for another party", schema.SignedAct{Party: "g"}, &schema.ApproveFeesMessage{Agreement: "a1", Party: "k", FeeVersion: 1, TermsHash: "0xterms"}, "signed for party k"},
		{"approval of an unknown fee version", schema.SignedAct{Party: "g"}, &schema.ApproveFeesMessage{Agreement: "a1", Party: "g", FeeVersion: 2, TermsHash: "0xterms"}, "fee version 2"},
		{"order of the terms", schema.SignedAct{Party: "k"}, &schema.PlaceOrderMessage{Agreement: "a1", TermsHash: "0xterms"}, ""},
		{"order of other terms", schema.SignedAct{Party: "k"}, &schema.PlaceOrderMessage{Agreement: "a1", TermsHash: "0xother"}, "the terms of no fee version"},
		{"order of another agreement", schema.SignedAct{Party: "k"}, &schema.PlaceOrderMessage{Agreement: "a2", TermsHash: "0xterms"}, "about agreement a2"},
		{"termination as recorded", schema.SignedAct{Party: "k"}, &schema.TerminateMessage{Agreement: "a1", Party: "k", EndDate: "2027-03-31"}, ""},
		{"termination at another date", schema.SignedAct{Party: "k"}, &schema.TerminateMessage{Agreement: "a1", Party: "k", EndDate: "2027-12-31"}, "at 2027-12-31"},
		{"not an agreement act", schema.SignedAct{Type: "AddKey"}, &schema.AddKeyMessage{}, "not an act on an agreement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := signedMessageErr(a, &tc.act, tc.m, fvs, nil)
			if tc.error == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.error)
		})
	}
}

// The terms in force need both approvals, and an order of approved terms
// placed after both approvals of the version it orders: the replay of the
// verified acts through the workflow must put the recorded terms in force.
func TestTermsInForce(t *testing.T) {
	a := &schema.Agreement{ID: "a1", Customer: "k", Anbieter: "g", Supplier: "s"}
	fvs := map[schema.Uint]*schema.FeeVersion{1: {Version: 1, TermsHash: "0x1"}, 2: {Version: 2, TermsHash: "0x2"}}
	enter := func(v schema.Uint, tx string) signedAct {
		return signedAct{&schema.SignedAct{Party: "s", TxID: tx}, &schema.EnterFeesMessage{Agreement: "a1", FeeVersion: v}}
	}
	approve := func(party string, v schema.Uint, tx string) signedAct {
		return signedAct{&schema.SignedAct{Party: party, TxID: tx}, &schema.ApproveFeesMessage{Agreement: "a1", Party: party, FeeVersion: v, TermsHash: fvs[v].TermsHash}}
	}
	order := func(v schema.Uint, tx string) signedAct {
		return signedAct{&schema.SignedAct{Party: "k", TxID: tx}, &schema.PlaceOrderMessage{Agreement: "a1", TermsHash: fvs[v].TermsHash}}
	}
	for _, tc := range []struct {
		name      string
		effective schema.Uint
		acts      []signedAct
		error     string
	}{
		{"approved, then ordered", 1, []signedAct{enter(1, "t1"), approve("k", 1, "t2"), approve("g", 1, "t3"), order(1, "t4")}, ""},
		{"ordered before the Anbieter approved", 1, []signedAct{enter(1, "t1"), approve("k", 1, "t2"), order(1, "t3"), approve("g", 1, "t4")},
			"PlaceOrder by k in tx t3 does not apply: fee version 1 awaits the approval of g"},
		{"never ordered", 1, []signedAct{enter(1, "t1"), approve("k", 1, "t2"), approve("g", 1, "t3")}, "fee version 1 awaits the order of k"},
		{"a fee change approved by both", 2, []signedAct{enter(1, "t1"), approve("k", 1, "t2"), approve("g", 1, "t3"), order(1, "t4"),
			enter(2, "t5"), approve("k", 2, "t6"), approve("g", 2, "t7")}, ""},
		{"a fee change approved by the customer only", 2, []signedAct{enter(1, "t1"), approve("k", 1, "t2"), approve("g", 1, "t3"), order(1, "t4"),
			enter(2, "t5"), approve("k", 2, "t6")}, "fee version 2 awaits the approval of g"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &checker{r: &Report{}, byID: map[string]*Tx{}}
			for i, s := range tc.acts {
				c.byID[s.act.TxID] = &Tx{ID: s.act.TxID, Block: uint64(10 + i)}
			}
			a.EffectiveVersion, a.EffectiveTerms = tc.effective, fvs[tc.effective].TermsHash
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

// A fee adjustment signed for the agreement must have entered the fee
// version with the annual fee it signed, and that fee must be the
// agreement's share in the published allocation it names.
func TestAdjustmentMustMatchTheShare(t *testing.T) {
	a := &schema.Agreement{ID: "a1", Offering: "o1", Customer: "k", Anbieter: "g", Supplier: "s"}
	fv := &schema.FeeVersion{Agreement: "a1", Version: 2, PriceModelVersion: 2, PriceModelHash: "0xpm2",
		Fees: schema.Fees{AnnualFee: 700, ScopeOfUse: "all"}, ValidFrom: "2028-01-01", Entered: schema.SignedAct{TxID: "tx-adjust"}}
	fvs := map[schema.Uint]*schema.FeeVersion{2: fv}
	published := &presentedAllocation{
		h: schema.PublishedAllocation{Allocation: schema.Allocation{Offering: "o1", Year: 2027, PriceModelVersion: 2, PriceModelHash: "0xpm2"}, Version: 1},
		entries: map[string]*schema.AllocationEntry{
			"a1": {Input: schema.AllocationInput{Agreement: "a1"}, Share: schema.AllocationShare{Agreement: "a1", Cents: 700}},
			"a2": {Input: schema.AllocationInput{Agreement: "a2"}, Share: schema.AllocationShare{Agreement: "a2", Cents: 300}},
		},
	}
	allocs := map[allocationID]*presentedAllocation{{"o1", 2027, 1}: published}
	adjust := func(version schema.Uint, agreements []string, fees ...schema.Uint) *schema.AdjustFeesMessage {
		return &schema.AdjustFeesMessage{Offering: "o1", Year: 2027, AllocationVersion: version, Agreements: agreements, AnnualFees: fees}
	}
	for _, tc := range []struct {
		name  string
		txID  string
		m     *schema.AdjustFeesMessage
		error string
	}{
		{"the share, as entered", "tx-adjust", adjust(1, []string{"a2", "a1"}, 300, 700), ""},
		{"another agreement's share", "tx-adjust", adjust(1, []string{"a1", "a2"}, 300, 700), "signed an annual fee of 300 cents from 2028-01-01; fee version 2 has 700"},
		{"a chunk without the agreement", "tx-adjust", adjust(1, []string{"a2"}, 300), "not agreement a1"},
		{"a fee version of another transaction", "tx-other", adjust(1, []string{"a1"}, 700), "no fee version this fee adjustment entered"},
		{"an allocation the bundle does not present", "tx-adjust", adjust(2, []string{"a1"}, 700), "allocation o1/2027 version 2, which the bundle does not present"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := signedMessageErr(a, &schema.SignedAct{Party: "s", TxID: tc.txID}, tc.m, fvs, allocs)
			if tc.error == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.error)
		})
	}

	// The share and the fee version agree with each other but not with
	// the signature: the supplier signed what the allocation gives.
	published.entries["a1"].Share.Cents = 701
	require.ErrorContains(t, signedMessageErr(a, &schema.SignedAct{Party: "s", TxID: "tx-adjust"}, adjust(1, []string{"a1"}, 700), fvs, allocs),
		"signed an annual fee of 700 cents; the agreement's share in allocation o1/2027 version 1 is 701 cents")
}
